// The import file's CSV dialect: the header it needs, and one row turned into the create-product API's shapes.
import {
  CATALOG_IMPORT_OPTIONAL_COLUMNS,
  CATALOG_IMPORT_REQUIRED_COLUMNS,
  type CreateVariantBody,
  type FieldError,
  MAX_STOCK_QUANTITY,
} from "@bazaar/contracts";

export interface Header {
  index: Map<string, number>;
  options: string[];
  attributes: string[];
}

/** The header's columns by name, or why the file cannot be imported (unknown, repeated or missing columns). */
export function readHeader(cells: string[]): Header | { error: string } {
  const known = new Set<string>([...CATALOG_IMPORT_REQUIRED_COLUMNS, ...CATALOG_IMPORT_OPTIONAL_COLUMNS]);
  const index = new Map<string, number>();
  const problems: string[] = [];
  cells.forEach((raw, i) => {
    const name = raw.trim();
    if (index.has(name)) problems.push(`column "${name}" appears twice`);
    else if (!known.has(name) && !/^(option|attr)\.[a-z0-9_]{1,64}$/.test(name)) problems.push(`unknown column "${name}"`);
    index.set(name, i);
  });
  const missing = CATALOG_IMPORT_REQUIRED_COLUMNS.filter((c) => !index.has(c));
  if (missing.length) problems.push(`missing column${missing.length > 1 ? "s" : ""} ${missing.map((c) => `"${c}"`).join(", ")}`);
  if (problems.length) return { error: `The CSV header is wrong: ${problems.join("; ")}` };
  const names = [...index.keys()];
  return {
    index,
    options: names.filter((n) => n.startsWith("option.")).map((n) => n.slice(7)),
    attributes: names.filter((n) => n.startsWith("attr.")).map((n) => n.slice(5)),
  };
}

/** One data row: the product fields it carries, its variant, and what is wrong with its own cells. */
export interface ParsedRow {
  row: number;
  ref: string;
  sku: string;
  product: { title: string; description: string; category: string; brand: string; currency: string; attributes: Record<string, string> };
  variant: CreateVariantBody;
  /** on-hand units at the seller's first stock location, when the file has a stock cell for the row */
  stock: number | undefined;
  errors: FieldError[];
}

const WHOLE = /^-?\d+$/;

function wholeNumber(text: string, field: string, errors: FieldError[], minimum: number): number | undefined {
  if (!WHOLE.test(text) || !Number.isSafeInteger(Number(text))) {
    errors.push({ path: field, message: "must be a whole number (minor units, no decimal point)" });
    return undefined;
  }
  const value = Number(text);
  if (value < minimum) {
    errors.push({ path: field, message: `must be at least ${minimum}` });
    return undefined;
  }
  return value;
}

export function parseRow(header: Header, cells: string[], row: number): ParsedRow {
  const cell = (name: string) => {
    const i = header.index.get(name);
    return i === undefined ? "" : (cells[i] ?? "").trim();
  };
  const errors: FieldError[] = [];
  const sku = cell("sku");
  if (!sku) errors.push({ path: "sku", message: "is required" });
  const ref = cell("product_ref");
  if (!ref) errors.push({ path: "product_ref", message: "is required" });
  const price = wholeNumber(cell("price_minor"), "price_minor", errors, 0);
  const compareAt = cell("compare_at_minor") ? wholeNumber(cell("compare_at_minor"), "compare_at_minor", errors, 0) : undefined;
  const weight = cell("weight_grams") ? wholeNumber(cell("weight_grams"), "weight_grams", errors, 0) : undefined;
  const options: Record<string, string> = {};
  for (const key of header.options) if (cell(`option.${key}`)) options[key] = cell(`option.${key}`);
  const attributes: Record<string, string> = {};
  for (const key of header.attributes) if (cell(`attr.${key}`)) attributes[key] = cell(`attr.${key}`);
  const barcode = cell("barcode");
  let stock = cell("stock") ? wholeNumber(cell("stock"), "stock", errors, 0) : undefined;
  if (stock !== undefined && stock > MAX_STOCK_QUANTITY) {
    errors.push({ path: "stock", message: `must be at most ${MAX_STOCK_QUANTITY}` });
    stock = undefined;
  }
  return {
    row,
    ref,
    sku,
    product: {
      title: cell("title"),
      description: cell("description"),
      category: cell("category"),
      brand: cell("brand"),
      currency: cell("currency").toUpperCase(),
      attributes,
    },
    variant: {
      sku,
      options,
      priceMinor: price ?? 0,
      ...(compareAt === undefined ? {} : { compareAtMinor: compareAt }),
      ...(weight === undefined ? {} : { weightGrams: weight }),
      ...(barcode ? { barcode } : {}),
    },
    stock,
    errors,
  };
}

/** The report's CSV columns; cells are quoted when they need to be. */
export const REPORT_HEADER = "row,sku,field,message\n";

export function reportLine(e: { row: number; sku: string; field: string; message: string }): string {
  return `${e.row},${csvCell(e.sku)},${csvCell(e.field)},${csvCell(e.message)}\n`;
}

function csvCell(text: string): string {
  // a leading =, +, - or @ would run as a formula in a spreadsheet
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** Maps a create-product API error path to the CSV column it came from. */
export function columnOf(path: string): string {
  const tail = path.replace(/^\/variants\/\d+/, "");
  const [, first, second] = tail.split("/");
  const names: Record<string, string> = {
    priceMinor: "price_minor",
    compareAtMinor: "compare_at_minor",
    weightGrams: "weight_grams",
    categoryId: "category",
    brandId: "brand",
  };
  if (first === "options" && second) return `option.${second}`;
  if (first === "attributes" && second) return `attr.${second}`;
  return names[first ?? ""] ?? first ?? "";
}
