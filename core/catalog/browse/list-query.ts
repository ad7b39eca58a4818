import {
  ATTRIBUTE_FILTER_KEY_PATTERN,
  decodeCursor,
  type FieldError,
  idPattern,
  MAX_ATTRIBUTE_FILTERS,
  MAX_BRAND_FILTERS,
  MAX_PAGE_LIMIT,
  PUBLIC_PRODUCT_SORTS,
  type PublicProductSort,
  SLUG_MAX_LENGTH,
  SLUG_PATTERN,
  ValidationError,
} from "@bazaar/contracts";

/** One `attr.<name>=value` as given; whether `<name>` is a key or `<key>_min`/`_max` takes the attribute definitions to tell. */
export interface AttributeParameter {
  /** the whole parameter name, for error messages */
  parameter: string;
  name: string;
  value: string;
}

/** GET /v1/products's query, checked and normalised: the same filters in any order, or repeated brands, give an equal value. */
export interface ProductListQuery {
  limit: number;
  sort: PublicProductSort;
  after?: { key: number; id: string };
  category?: string;
  /** sorted, distinct */
  brands?: string[];
  seller?: string;
  priceMin?: number;
  priceMax?: number;
  inStock: boolean;
  /** sorted by name */
  attributes: AttributeParameter[];
}

const DEFAULT_LIMIT = 20;
/** More than any honest request needs; a longer query string is refused before any of it is looked up. */
const MAX_PARAMETERS = 40;
const MAX_ATTRIBUTE_VALUE_LENGTH = 500;
const SLUG = new RegExp(SLUG_PATTERN);
const SELLER_ID = new RegExp(idPattern("user"));
const PRODUCT_ID = new RegExp(idPattern("product"));
const ATTRIBUTE_KEY = new RegExp(ATTRIBUTE_FILTER_KEY_PATTERN);
const WHOLE_NUMBER = /^\d{1,15}$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const ONE_LINE = /^[^\u0000-\u001F\u007F]+$/;
const SCALARS = new Set(["limit", "cursor", "sort", "category", "seller", "price_min", "price_max", "in_stock"]);

/** The JSON pointer naming a query parameter in a problem's `errors` (hostile names are cut short, never echoed whole). */
export function parameterPath(name: string): string {
  const shown = name.length > 80 ? `${name.slice(0, 80)}…` : name;
  return `/${shown.replaceAll("~", "~0").replaceAll("/", "~1")}`;
}

/** A ValidationError naming one query parameter. */
export function invalidParameter(name: string, message: string): ValidationError {
  return new ValidationError([{ path: parameterPath(name), message }]);
}

/** Refuses any query string at all: the product page takes none, and a cache key must not vary by junk. */
export function assertNoParameters(search: URLSearchParams): void {
  const names = [...new Set(search.keys())];
  if (names.length)
    throw new ValidationError(names.slice(0, 10).map((name) => ({ path: parameterPath(name), message: "is not a parameter of this endpoint" })));
}

/** Reads GET /v1/products's query string; every bad parameter is named at once (422). */
export function parseProductListQuery(search: URLSearchParams): ProductListQuery {
  const errors: FieldError[] = [];
  const fail = (name: string, message: string) => errors.push({ path: parameterPath(name), message });
  const entries = [...search];
  if (entries.length > MAX_PARAMETERS) throw new ValidationError([{ path: "/", message: `at most ${MAX_PARAMETERS} query parameters` }]);

  const scalars = new Map<string, string>();
  const brands = new Set<string>();
  const attributes = new Map<string, AttributeParameter>();
  for (const [name, value] of entries) {
    if (SCALARS.has(name)) {
      if (scalars.has(name)) fail(name, "is given more than once");
      else scalars.set(name, value);
    } else if (name === "brand") {
      if (!isSlug(value)) fail(name, slugMessage("a brand"));
      else brands.add(value);
    } else if (name.startsWith("attr.")) {
      const key = name.slice("attr.".length);
      if (!ATTRIBUTE_KEY.test(key)) fail(name, "is not an attribute filter: attr.<key> takes a key of lowercase letters, digits and underscores");
      else if (attributes.has(key)) fail(name, "is given more than once");
      else if (value.length > MAX_ATTRIBUTE_VALUE_LENGTH || !ONE_LINE.test(value))
        fail(name, `must be 1 to ${MAX_ATTRIBUTE_VALUE_LENGTH} characters of one line`);
      else attributes.set(key, { parameter: name, name: key, value });
    } else {
      fail(name, "is not a parameter of this endpoint");
    }
  }
  if (brands.size > MAX_BRAND_FILTERS) fail("brand", `at most ${MAX_BRAND_FILTERS} brands`);
  if (attributes.size > MAX_ATTRIBUTE_FILTERS) fail("attr.", `at most ${MAX_ATTRIBUTE_FILTERS} attribute filters`);

  const query: ProductListQuery = { limit: DEFAULT_LIMIT, sort: "newest", inStock: false, attributes: [] };
  const limit = scalars.get("limit");
  if (limit !== undefined) {
    const n = Number(limit);
    if (!WHOLE_NUMBER.test(limit) || n < 1 || n > MAX_PAGE_LIMIT) fail("limit", `must be a whole number from 1 to ${MAX_PAGE_LIMIT}`);
    else query.limit = n;
  }
  const sort = scalars.get("sort");
  if (sort !== undefined) {
    if (!(PUBLIC_PRODUCT_SORTS as readonly string[]).includes(sort)) fail("sort", `must be one of ${PUBLIC_PRODUCT_SORTS.join(", ")}`);
    else query.sort = sort as PublicProductSort;
  }
  const category = scalars.get("category");
  if (category !== undefined) {
    if (!isSlug(category)) fail("category", slugMessage("a category"));
    else query.category = category;
  }
  if (brands.size) query.brands = [...brands].sort();
  const seller = scalars.get("seller");
  if (seller !== undefined) {
    if (!SELLER_ID.test(seller)) fail("seller", "must be a seller's user id (usr_…)");
    else query.seller = seller;
  }
  for (const [name, field] of [
    ["price_min", "priceMin"],
    ["price_max", "priceMax"],
  ] as const) {
    const value = scalars.get(name);
    if (value === undefined) continue;
    if (!WHOLE_NUMBER.test(value)) fail(name, "must be a whole number of minor units (cents for USD), at least 0");
    else query[field] = Number(value);
  }
  if (query.priceMin !== undefined && query.priceMax !== undefined && query.priceMin > query.priceMax) fail("price_max", "must not be below price_min");
  const inStock = scalars.get("in_stock");
  if (inStock !== undefined) {
    if (inStock !== "true") fail("in_stock", "must be true (leave it out to include products out of stock)");
    else query.inStock = true;
  }
  query.attributes = [...attributes.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  const cursor = scalars.get("cursor");
  // after the sort is known: a cursor carries the sort it was made for
  if (cursor !== undefined && !errors.some((e) => e.path === "/sort")) {
    const after = parseCursor(cursor, query.sort);
    if (after === undefined) fail("cursor", `is not a cursor of this list (use the nextCursor of a page sorted by ${query.sort})`);
    else query.after = after;
  }

  if (errors.length) throw new ValidationError(errors);
  return query;
}

/** The cursor of the page after `row`, for the sort it was listed by. */
export function cursorAfter(sort: PublicProductSort, key: number, id: string): { s: string; k: number; i: string } {
  return { s: sort, k: key, i: id };
}

function parseCursor(cursor: string, sort: PublicProductSort): { key: number; id: string } | undefined {
  if (cursor.length > 512) return undefined;
  let position: Record<string, string | number>;
  try {
    position = decodeCursor(cursor);
  } catch {
    return undefined;
  }
  const { s, k, i } = position;
  if (s !== sort || typeof k !== "number" || !Number.isSafeInteger(k) || typeof i !== "string" || !PRODUCT_ID.test(i)) return undefined;
  return { key: k, id: i };
}

function isSlug(value: string): boolean {
  return value.length <= SLUG_MAX_LENGTH && SLUG.test(value);
}

function slugMessage(what: string): string {
  return `must be ${what}'s slug: 1 to ${SLUG_MAX_LENGTH} lowercase letters a-z, digits and single dashes between them`;
}
