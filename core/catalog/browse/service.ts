import {
  encodeCursor,
  type FieldError,
  isId,
  NotFoundError,
  type PublicAttribute,
  type PublicImage,
  type PublicProductDetail,
  type PublicRating,
  type PublicVariant,
  ValidationError,
} from "@bazaar/contracts";
import type { Ctx } from "../../platform/deps.ts";
import { renderDescription } from "../products/markdown.ts";
import { type CacheableBody, cacheableBody, cacheableJsonText } from "./http-cache.ts";
import { type AttributeParameter, cursorAfter, type ProductListQuery, parameterPath } from "./list-query.ts";
import * as repo from "./repo.ts";

const NUMBER = /^-?\d{1,15}(?:\.\d{1,6})?$/;
/** Open bounds of a number range filter that names only one end. */
const NO_BOUND = Number.MAX_SAFE_INTEGER;

/**
 * GET /v1/products, serialised: the active products matching every filter, one keyset page in the chosen order.
 * Slugs and attribute keys that name nothing are a 422 naming the parameter, not an empty page.
 */
export async function listPublicProducts(ctx: Pick<Ctx, "database">, query: ProductListQuery): Promise<CacheableBody> {
  const { database } = ctx;
  const errors: FieldError[] = [];
  const [categoryPath, brandIds, attributes] = await Promise.all([
    query.category === undefined ? undefined : repo.categoryPathBySlug(database, query.category),
    query.brands === undefined ? undefined : brandIdsOf(ctx, query.brands, errors),
    attributeConditions(ctx, query.attributes, errors),
  ]);
  if (query.category !== undefined && categoryPath === undefined) errors.push({ path: parameterPath("category"), message: "no such category" });
  if (errors.length) throw new ValidationError(errors);

  const rows = await repo.listPublicProducts(database, {
    sort: query.sort,
    categoryPath,
    brandIds,
    sellerId: query.seller,
    priceMin: query.priceMin,
    priceMax: query.priceMax,
    inStock: query.inStock,
    attributes,
    after: query.after,
    take: query.limit + 1,
  });
  const items = rows.slice(0, query.limit);
  const last = items.at(-1);
  const nextCursor = rows.length > query.limit && last ? encodeCursor(cursorAfter(query.sort, last.sortKey, last.id)) : null;
  // the summaries arrive serialised (PublicProductSummary JSON, see repo): the page is assembled around them
  return cacheableJsonText(`{"items":[${items.map((row) => row.summary).join(",")}],"nextCursor":${JSON.stringify(nextCursor)}}`);
}

/**
 * GET /v1/products/{idOrSlug}, serialised: the stored page (`product_page`) when there is one, else built from
 * the catalog and stored for the next view. Anything but an active product (a draft, archived, suspended,
 * unknown) is 404. Concurrent first views in one process are folded into one call by the routes' EpochCache.
 */
export async function getPublicProductPage(ctx: Pick<Ctx, "database" | "clock">, idOrSlug: string): Promise<CacheableBody> {
  const by = isId("product", idOrSlug) ? "id" : "slug";
  return (await repo.findStoredPage(ctx.database, idOrSlug, by)) ?? buildAndStorePage(ctx, idOrSlug, by);
}

async function buildAndStorePage(ctx: Pick<Ctx, "database" | "clock">, idOrSlug: string, by: "id" | "slug"): Promise<CacheableBody> {
  // read first: a change committed after this is either seen by the build or moves the epoch, and stops the store
  const epoch = await repo.catalogEpoch(ctx.database);
  const detail = await getPublicProduct(ctx, idOrSlug, by);
  const page = cacheableBody(detail);
  await repo.storePage(ctx.database, detail.id, page, epoch, ctx.clock());
  return page;
}

/** An active product's page, built from the catalog; anything else is 404. */
export async function getPublicProduct(ctx: Pick<Ctx, "database">, idOrSlug: string, by: "id" | "slug"): Promise<PublicProductDetail> {
  const row = await repo.findPublicProduct(ctx.database, idOrSlug, by);
  if (!row) throw new NotFoundError("product", idOrSlug.slice(0, 200));

  const variants = (JSON.parse(row.variants) as VariantJson[]).map(toVariant);
  const images = (JSON.parse(row.images) as ImageJson[]).map(toImage);
  const compareAt = cheapestCompareAt(variants, row.minPriceMinor);
  return {
    id: row.id,
    slug: row.slug,
    title: row.title,
    descriptionHtml: renderDescription(row.description),
    brand: row.brandSlug !== null && row.brandName !== null ? { slug: row.brandSlug, name: row.brandName } : null,
    category: { slug: row.categorySlug, name: row.categoryName },
    breadcrumbs: JSON.parse(row.breadcrumbs) as { slug: string; name: string }[],
    seller: { id: row.sellerId, name: row.sellerName ?? "" },
    price: row.minPriceMinor !== null && row.maxPriceMinor !== null ? { currency: row.currency, min: row.minPriceMinor, max: row.maxPriceMinor } : null,
    ...(compareAt === undefined ? {} : { compareAt }),
    inStock: row.inStock,
    thumbnailUrl: images[0]?.thumbUrl ?? null,
    rating: ratingOf(row.ratingAverageX100, row.ratingCount),
    variants,
    images,
    attributes: (JSON.parse(row.attributes) as AttributeJson[]).map(toAttribute),
    publishedAt: row.publishedAt === null ? null : new Date(row.publishedAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

// ---- filters ----

async function brandIdsOf(ctx: Pick<Ctx, "database">, slugs: string[], errors: FieldError[]): Promise<string[]> {
  const found = await repo.brandsBySlugs(ctx.database, slugs);
  const unknown = slugs.filter((slug) => !found.some((b) => b.slug === slug));
  if (unknown.length) errors.push({ path: parameterPath("brand"), message: `no such brand: ${unknown.join(", ")}` });
  return found.map((b) => b.id);
}

/**
 * `attr.<key>=v` on a text, enum or boolean attribute, `attr.<key>_min` / `_max` on a number one. A key no
 * category lets buyers filter by is refused, so a typo is a 422, not an empty page.
 */
async function attributeConditions(ctx: Pick<Ctx, "database">, parameters: AttributeParameter[], errors: FieldError[]): Promise<repo.AttributeCondition[]> {
  const ranges = new Map<string, { min: number; max: number }>();
  const conditions: repo.AttributeCondition[] = [];
  for (const { parameter, name, value } of parameters) {
    const fail = (message: string) => errors.push({ path: parameterPath(parameter), message });
    const definitions = await repo.filterableAttributes(ctx.database, name);
    const bound = /^(.+)_(min|max)$/.exec(name);
    if (definitions.length === 0 && bound?.[1] !== undefined) {
      const key = bound[1];
      const numeric = (await repo.filterableAttributes(ctx.database, key)).some((d) => d.type === "number");
      if (!numeric) {
        fail(`no category has a filterable number attribute "${key}"`);
        continue;
      }
      if (!NUMBER.test(value)) {
        fail("must be a number");
        continue;
      }
      const range = ranges.get(key) ?? { min: -NO_BOUND, max: NO_BOUND };
      range[bound[2] === "min" ? "min" : "max"] = Number(value);
      ranges.set(key, range);
      continue;
    }
    const textual = definitions.filter((d) => d.type !== "number");
    if (textual.length === 0) {
      fail(
        definitions.length
          ? `"${name}" is a number attribute: filter it with attr.${name}_min and attr.${name}_max`
          : `no category has a filterable attribute "${name}"`,
      );
      continue;
    }
    if (textual.every((d) => d.type === "boolean") && value !== "true" && value !== "false") {
      fail("must be true or false");
      continue;
    }
    if (textual.every((d) => d.type === "enum") && !textual.some((d) => d.options?.includes(value))) {
      const options = [...new Set(textual.flatMap((d) => d.options ?? []))];
      fail(`must be one of ${options.slice(0, 20).join(", ")}${options.length > 20 ? ", …" : ""}`);
      continue;
    }
    conditions.push({ key: name, kind: "equals", value });
  }
  for (const [key, { min, max }] of ranges) {
    if (min > max) errors.push({ path: parameterPath(`attr.${key}_max`), message: `must not be below attr.${key}_min` });
    conditions.push({ key, kind: "between", min, max });
  }
  return conditions;
}

// ---- views ----

function ratingOf(averageX100: number | null, count: number): PublicRating {
  return { average: averageX100 === null || count === 0 ? null : averageX100 / 100, count };
}

/** Where the images part serves each stored size (the list's SQL builds its thumbnail URLs the same way). */
function imageUrl(imageId: string, size: "thumb" | "medium" | "original"): string {
  return `/v1/images/${imageId}/${size}`;
}

interface VariantJson {
  id: string;
  sku: string;
  options: Record<string, string>;
  price: number;
  compareAt: number | null;
  stock: PublicVariant["stock"] | null;
}

function toVariant(v: VariantJson): PublicVariant {
  return {
    id: v.id,
    sku: v.sku,
    options: v.options,
    price: v.price,
    ...(v.compareAt !== null && v.compareAt > v.price ? { compareAt: v.compareAt } : {}),
    // a variant no location stocks has no stock rows at all
    stock: v.stock ?? "out",
  };
}

/** The list's rule: the "was" price of the cheapest variants, when one is above the "from" price. */
function cheapestCompareAt(variants: PublicVariant[], minPrice: number | null): number | undefined {
  let compareAt: number | undefined;
  for (const v of variants) {
    if (v.price === minPrice && v.compareAt !== undefined && (compareAt === undefined || v.compareAt > compareAt)) compareAt = v.compareAt;
  }
  return compareAt;
}

interface ImageJson {
  id: string;
  alt: string;
  width: number;
  height: number;
  variantId: string | null;
}

function toImage(i: ImageJson): PublicImage {
  return {
    id: i.id,
    alt: i.alt,
    width: i.width,
    height: i.height,
    variantId: i.variantId,
    thumbUrl: imageUrl(i.id, "thumb"),
    mediumUrl: imageUrl(i.id, "medium"),
    originalUrl: imageUrl(i.id, "original"),
  };
}

interface AttributeJson {
  key: string;
  label: string | null;
  unit: string | null;
  type: string | null;
  text: string | null;
  number: number | null;
}

function toAttribute(a: AttributeJson): PublicAttribute {
  let value: string | number | boolean = a.number ?? a.text ?? "";
  if (a.type === "boolean" && (a.text === "true" || a.text === "false")) value = a.text === "true";
  return { key: a.key, label: a.label ?? a.key, unit: a.unit, value };
}
