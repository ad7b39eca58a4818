import {
  AppError,
  type AttributeView,
  type CreateProductBody,
  type CreateVariantBody,
  type DeleteProductResult,
  decodeCursor,
  type FieldError,
  MAX_VARIANTS_PER_PRODUCT,
  type ProductListQuery,
  type ProductPage,
  type ProductStatus,
  type ProductSummary,
  type ProductView,
  type SetProductStatusBody,
  slugify,
  toPage,
  type UpdateProductBody,
  type UpdateVariantBody,
  ValidationError,
  type VariantView,
} from "@bazaar/contracts";
import { type Database, isConstraintError, type Queryable } from "@bazaar/db";
import { outboxInsert, productCreated, productDeleted, productUpdated, variantPriceChanged } from "@bazaar/events";
import type { FileStore } from "@bazaar/files";
import { requireOwner } from "../../http/authentication.ts";
import type { Actor, Ctx } from "../../platform/deps.ts";
import { effectiveAttributes } from "../categories/service.ts";
import { eventFor } from "../events.ts";
import { imageFilesOfProduct } from "../images/service.ts";
// the SKU → product look-up lives with imports (its only other user); products/repo.ts is another helper's file today
import { renderDescription } from "./markdown.ts";
import * as repo from "./repo.ts";

/** Admins may act on any seller's product; anyone else only on their own (another's is a 404). */
const STAFF = ["admin"] as const;
const sellerOf = (product: repo.ProductRow) => product.sellerId;

export const PRODUCT_SLUG_MAX_LENGTH = 80;
/** When a title has no Latin letters or digits at all ("特价", "🔥🔥"), the slug still needs a stem. */
const SLUG_FALLBACK = "product";
/** A slug taken between our look-up and our insert (another process) costs one more try, no more than this. */
const SLUG_ATTEMPTS = 5;

type ProductUpdate = Omit<UpdateProductBody, "version">;
type VariantUpdate = Omit<UpdateVariantBody, "version">;
/** What a category says a product may carry (its own attribute definitions and its ancestors'). */
type AttributeDefinition = Pick<AttributeView, "key" | "type" | "unit" | "options" | "variantDefining">;
type Definitions = Map<string, AttributeDefinition>;
type StoredValue = Pick<repo.AttributeRow, "valueText" | "valueNumber">;

// ---- slugs ----

/** The stem of a product's slug: the title transliterated, lowercase, dashes, at most 80 characters. */
export function productSlugBase(title: string): string {
  return slugify(title).slice(0, PRODUCT_SLUG_MAX_LENGTH).replace(/-+$/, "") || SLUG_FALLBACK;
}

/** The n-th slug for a stem: the stem itself, then stem-2, stem-3 …, the stem cut so the whole stays within 80. */
export function slugCandidate(base: string, n: number): string {
  if (n <= 1) return base;
  const suffix = `-${n}`;
  return `${base.slice(0, PRODUCT_SLUG_MAX_LENGTH - suffix.length).replace(/-+$/, "")}${suffix}`;
}

/** What every candidate of `base` (with a suffix of up to 9 digits) starts with: one GLOB finds them all. */
const slugSearchPrefix = (base: string) => base.slice(0, PRODUCT_SLUG_MAX_LENGTH - 10).replace(/-+$/, "");

export function firstFreeSlug(base: string, taken: ReadonlySet<string>): string {
  for (let n = 1; ; n++) {
    const candidate = slugCandidate(base, n);
    if (!taken.has(candidate)) return candidate;
  }
}

// ---- barcodes ----

/** GTIN-8/12/13/14: the last digit checks the others, weighted 3,1,3,1… from the right. */
export function isValidGtin(code: string): boolean {
  if (!/^(?:\d{8}|\d{12,14})$/.test(code)) return false;
  const digits = [...code].map(Number);
  const check = digits.pop();
  const sum = digits.reverse().reduce((total, digit, i) => total + digit * (i % 2 === 0 ? 3 : 1), 0);
  return (10 - (sum % 10)) % 10 === check;
}

// ---- attribute values and variant options against the category ----

const pointer = (base: string, key: string) => `${base}/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`;

function describeOptions(options: readonly string[] | null): string {
  const list = options ?? [];
  const shown = list.slice(0, 20).map((o) => JSON.stringify(o));
  return `one of ${shown.join(", ")}${list.length > shown.length ? ", …" : ""}`;
}

/** How an attribute value is stored (product_attribute's columns), or why it cannot be. */
function storedValue(def: AttributeDefinition, value: unknown): StoredValue | { error: string } {
  switch (def.type) {
    case "text":
      return typeof value === "string" ? { valueText: value.trim(), valueNumber: null } : { error: "must be text" };
    case "number":
      return typeof value === "number" && Number.isSafeInteger(value)
        ? { valueText: null, valueNumber: value }
        : { error: `must be a whole number${def.unit ? ` (in ${def.unit})` : ""}` };
    case "enum":
      return typeof value === "string" && (def.options ?? []).includes(value)
        ? { valueText: value, valueNumber: null }
        : { error: `must be ${describeOptions(def.options)}` };
    case "boolean":
      return typeof value === "boolean" ? { valueText: String(value), valueNumber: null } : { error: "must be true or false" };
    default:
      return { error: `cannot be set: the category defines it with an unknown type "${def.type}"` };
  }
}

/** The attribute rows for `input`, checked against the category; problems go into `errors`. */
function attributeValues(definitions: Definitions, input: Record<string, unknown>, errors: FieldError[]): Omit<repo.AttributeRow, "productId">[] {
  const rows: Omit<repo.AttributeRow, "productId">[] = [];
  for (const [key, value] of Object.entries(input)) {
    const def = definitions.get(key);
    if (!def) {
      errors.push({ path: pointer("/attributes", key), message: "is not an attribute of this category" });
      continue;
    }
    const stored = storedValue(def, value);
    if ("error" in stored) errors.push({ path: pointer("/attributes", key), message: stored.error });
    else rows.push({ key, ...stored });
  }
  return rows.sort((a, b) => a.key.localeCompare(b.key));
}

/** Whether a stored value still means something under `def` (a product moving to another category keeps only those). */
function storedValueFits(def: AttributeDefinition | undefined, row: StoredValue): boolean {
  if (!def) return false;
  if (def.type === "number") return row.valueNumber !== null;
  if (def.type === "boolean") return row.valueText === "true" || row.valueText === "false";
  if (def.type === "enum") return row.valueText !== null && (def.options ?? []).includes(row.valueText);
  return row.valueText !== null;
}

/**
 * A variant's options as stored (values as strings), checked against the category: exactly one value
 * for each variant-defining attribute, so every variant of a product is described the same way.
 */
function variantOptions(definitions: Definitions, input: Record<string, unknown>, path: string, errors: FieldError[]): Record<string, string> {
  const options: Record<string, string> = {};
  for (const [key, value] of Object.entries(input)) {
    const def = definitions.get(key);
    if (!def?.variantDefining) {
      errors.push({ path: pointer(`${path}/options`, key), message: "is not a variant-defining attribute of this category" });
      continue;
    }
    const canonical = def.type === "number" && typeof value === "string" && /^-?\d{1,15}$/.test(value) ? Number(value) : value;
    const stored = storedValue(def, def.type === "boolean" && (value === "true" || value === "false") ? value === "true" : canonical);
    if ("error" in stored) errors.push({ path: pointer(`${path}/options`, key), message: stored.error });
    else options[key] = stored.valueText ?? String(stored.valueNumber);
  }
  for (const def of definitions.values()) {
    if (def.variantDefining && !Object.hasOwn(input, def.key)) {
      errors.push({ path: pointer(`${path}/options`, def.key), message: "is required: variants in this category differ by it" });
    }
  }
  return options;
}

/** Two variants with the same options are the same thing to a buyer: the combination must be unique within a product. */
const combinationOf = (options: Record<string, string>) => JSON.stringify(Object.entries(options).sort(([a], [b]) => a.localeCompare(b)));

function priceProblems(fields: { priceMinor: number; compareAtMinor?: number | null }, path: string, blame: "compareAtMinor" | "priceMinor"): FieldError[] {
  if (fields.compareAtMinor === null || fields.compareAtMinor === undefined || fields.compareAtMinor > fields.priceMinor) return [];
  return blame === "compareAtMinor"
    ? [{ path: `${path}/compareAtMinor`, message: `must be above priceMinor (${fields.priceMinor})` }]
    : [{ path: `${path}/priceMinor`, message: `must be below compareAtMinor (${fields.compareAtMinor}); raise or clear compareAtMinor in the same request` }];
}

function barcodeProblems(barcode: string | null | undefined, path: string): FieldError[] {
  return barcode && !isValidGtin(barcode) ? [{ path: `${path}/barcode`, message: "has a wrong check digit (GTIN)" }] : [];
}

interface VariantDraft {
  path: string;
  sku: string;
  options: Record<string, string>;
  combination: string;
  fields: Omit<repo.NewVariant, "id" | "productId" | "sellerId" | "sku" | "options" | "currency" | "createdAt" | "updatedAt">;
}

function variantDraft(definitions: Definitions, input: CreateVariantBody, path: string, errors: FieldError[]): VariantDraft {
  const options = variantOptions(definitions, input.options ?? {}, path, errors);
  errors.push(...priceProblems(input, path, "compareAtMinor"), ...barcodeProblems(input.barcode, path));
  return {
    path,
    sku: input.sku.trim(),
    options,
    combination: combinationOf(options),
    fields: {
      priceMinor: input.priceMinor,
      compareAtMinor: input.compareAtMinor ?? null,
      weightGrams: input.weightGrams ?? null,
      lengthMm: input.lengthMm ?? null,
      widthMm: input.widthMm ?? null,
      heightMm: input.heightMm ?? null,
      barcode: input.barcode ?? null,
      ...(input.position === undefined ? {} : { position: input.position }),
    },
  };
}

// ---- errors ----

const notFound = () => new AppError("NOT_FOUND", "No such product");
const variantNotFound = () => new AppError("NOT_FOUND", "No such variant");
const conflict = (detail: string, path: string, message = detail) => new AppError("CONFLICT", detail, [{ path, message }]);
const skuConflict = (sku: string, path: string) =>
  conflict(`SKU ${JSON.stringify(sku)} is already used by another of your variants`, path, "is already used by another of your variants");
const optionsConflict = (path: string) =>
  conflict("Another variant of this product has these options", path, "another variant of this product has these options");

function assertVersion(current: { version: number }, expected: number, what = "product"): void {
  if (current.version === expected) return;
  throw new AppError(
    "VERSION_CONFLICT",
    `The ${what} is at version ${current.version}, not ${expected}: someone changed it since you read it. Reload and apply your change again.`,
    [{ path: "/version", message: `is stale: the ${what} is at version ${current.version}` }],
  );
}

/** Which constraint a SQLite refusal names ("UNIQUE constraint failed: product.slug"). */
function constraintNames(error: unknown, column: string): boolean {
  for (let e = error as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.message === "string" && e.message.includes(column)) return true;
  }
  return false;
}
const isSlugTaken = (error: unknown) => isConstraintError(error, "UNIQUE") && constraintNames(error, "product.slug");
const isSkuTaken = (error: unknown) => isConstraintError(error, "UNIQUE") && constraintNames(error, "variant.sku");

/**
 * Another process can take a SKU between our check and our insert; the UNIQUE index then refuses
 * the whole transaction. Say which SKU, as the in-transaction check would have.
 */
async function explainWriteError(error: unknown, db: Queryable, sellerId: string, skus: { sku: string; path: string }[]): Promise<unknown> {
  if (isSkuTaken(error)) {
    const taken = await repo.skusTaken(db, sellerId, [...new Set(skus.map((s) => s.sku))]);
    const hit = skus.find((s) => taken.has(s.sku)) ?? skus[0];
    return hit ? skuConflict(hit.sku, hit.path) : conflict("A SKU is already used by another of your variants", "/sku");
  }
  if (isConstraintError(error, "FOREIGNKEY")) return conflict("The category or brand was removed while saving; choose another", "/categoryId");
  return error;
}

// ---- views ----

const iso = (ms: number) => new Date(ms).toISOString();
const productRef = (row: repo.ProductRow) => ({
  productId: row.id,
  sellerId: row.sellerId,
  slug: row.slug,
  categoryId: row.categoryId,
  status: row.status as ProductStatus,
});

export function toVariantView(row: repo.VariantRow): VariantView {
  return {
    id: row.id,
    productId: row.productId,
    sku: row.sku,
    options: row.options,
    priceMinor: row.priceMinor,
    compareAtMinor: row.compareAtMinor,
    currency: row.currency,
    weightGrams: row.weightGrams,
    lengthMm: row.lengthMm,
    widthMm: row.widthMm,
    heightMm: row.heightMm,
    barcode: row.barcode,
    position: row.position,
    version: row.version,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

function summaryFields(row: repo.ProductListItem | repo.ProductRow) {
  return {
    id: row.id,
    sellerId: row.sellerId,
    slug: row.slug,
    title: row.title,
    brandId: row.brandId,
    categoryId: row.categoryId,
    status: row.status as ProductStatus,
    version: row.version,
    currency: row.currency,
    minPriceMinor: row.minPriceMinor,
    maxPriceMinor: row.maxPriceMinor,
    inStock: row.inStock,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
    publishedAt: row.publishedAt === null ? null : iso(row.publishedAt),
  };
}

const toSummary = (row: repo.ProductListItem): ProductSummary => ({ ...summaryFields(row), variantCount: row.variantCount });

/** A stored attribute value as the API shows it, typed as its definition says. */
function attributeValue(def: AttributeDefinition | undefined, row: StoredValue): string | number | boolean {
  if (def?.type === "boolean" && (row.valueText === "true" || row.valueText === "false")) return row.valueText === "true";
  return row.valueNumber ?? row.valueText ?? "";
}

/** The seller's full view of a product, read through `db` (inside the writing transaction, so it shows exactly what was written). */
async function loadView(db: Queryable, row: repo.ProductRow, definitions?: Definitions): Promise<ProductView> {
  const attributes = await repo.attributesOf(db, row.id);
  const variants = await repo.variantsOf(db, row.id);
  const defs = definitions ?? toDefinitions((await effectiveAttributes(db, row.categoryId)) ?? []);
  return {
    ...summaryFields(row),
    description: row.description,
    descriptionHtml: renderDescription(row.description),
    attributes: Object.fromEntries(attributes.map((a) => [a.key, attributeValue(defs.get(a.key), a)])),
    variants: variants.map(toVariantView),
  };
}

const toDefinitions = (list: AttributeDefinition[]): Definitions => new Map(list.map((d) => [d.key, d]));

// ---- reads and guards ----

/** The product if the actor may act on it; someone else's product does not exist for them (404). */
async function ownedProduct(ctx: Ctx, actor: Actor, productId: string): Promise<repo.ProductRow> {
  return requireOwner(actor, await repo.findProduct(ctx.database.db, productId), "product", STAFF, sellerOf);
}

/** Re-read inside the writing transaction: what the checks and the write act on. */
async function productIn(tx: Queryable, productId: string): Promise<repo.ProductRow> {
  const row = await repo.findProduct(tx, productId);
  if (!row) throw notFound();
  return row;
}

async function categoryDefinitions(source: Database | Queryable, categoryId: string, errors: FieldError[]): Promise<Definitions | undefined> {
  const list = await effectiveAttributes(source, categoryId);
  if (!list) errors.push({ path: "/categoryId", message: "is not a category" });
  return list && toDefinitions(list);
}

/** draft → active needs something to buy: at least one variant (every variant has a price). */
async function assertPublishable(tx: Queryable, productId: string): Promise<void> {
  if ((await repo.variantsOf(tx, productId)).length === 0) {
    throw conflict("A product needs at least one variant with a price before it can be published", "/variants", "needs at least one variant with a price");
  }
}

/** What `product.updated` says changed when variants did: always the variants, and the price range if it moved. */
function variantChanges(before: repo.ProductRow, after: repo.ProductRow): string[] {
  const changed = ["variants"];
  if (before.minPriceMinor !== after.minPriceMinor) changed.push("minPriceMinor");
  if (before.maxPriceMinor !== after.maxPriceMinor) changed.push("maxPriceMinor");
  return changed;
}

// ---- products ----

/**
 * Creates a draft with its attributes and any variants, all in one transaction with its
 * `product.created` event: a refused variant leaves no product behind. The slug is the title's,
 * suffixed -2, -3 … when taken; the UNIQUE index decides, and a slug lost to a racing process is retried.
 */
export async function createProduct(ctx: Ctx, actor: Actor, input: CreateProductBody, alsoInTransaction?: AlsoInTransaction): Promise<ProductView> {
  const { db } = ctx.database;
  const errors: FieldError[] = [];
  const definitions = await categoryDefinitions(ctx.database, input.categoryId, errors);
  if (input.brandId && !(await repo.brandExists(db, input.brandId))) errors.push({ path: "/brandId", message: "is not a brand" });
  if (!definitions) throw new ValidationError(errors);
  const attributes = attributeValues(definitions, input.attributes ?? {}, errors);
  const drafts = (input.variants ?? []).map((variant, i) => variantDraft(definitions, variant, `/variants/${i}`, errors));
  if (errors.length) throw new ValidationError(errors);
  assertDistinctVariants(drafts);

  const sellerId = actor.userId;
  const productId = ctx.ids("product");
  const now = ctx.clock();
  const base = productSlugBase(input.title);
  const variants: repo.NewVariant[] = drafts.map((d, i) => ({
    ...d.fields,
    id: ctx.ids("variant"),
    productId,
    sellerId,
    sku: d.sku,
    options: d.options,
    currency: input.currency,
    position: d.fields.position ?? i,
    createdAt: now,
    updatedAt: now,
  }));
  const prices = variants.map((v) => v.priceMinor);

  for (let attempt = 1; ; attempt++) {
    try {
      const view = await ctx.database.transaction(async (tx) => {
        const taken = await repo.skusTaken(
          tx,
          sellerId,
          drafts.map((d) => d.sku),
        );
        const clash = drafts.find((d) => taken.has(d.sku));
        if (clash) throw skuConflict(clash.sku, `${clash.path}/sku`);
        const slug = firstFreeSlug(base, await repo.slugsStartingWith(tx, slugSearchPrefix(base)));
        await repo.insertProduct(
          tx,
          {
            id: productId,
            sellerId,
            slug,
            title: input.title.trim(),
            description: input.description ?? "",
            brandId: input.brandId ?? null,
            categoryId: input.categoryId,
            status: "draft",
            version: 1,
            currency: input.currency,
            minPriceMinor: prices.length ? Math.min(...prices) : null,
            maxPriceMinor: prices.length ? Math.max(...prices) : null,
            createdAt: now,
            updatedAt: now,
          },
          attributes.map((a) => ({ ...a, productId })),
          variants,
        );
        const row = await productIn(tx, productId);
        await outboxInsert(tx, eventFor(ctx, productCreated, productRef(row), now));
        const view = await loadView(tx, row, definitions);
        await alsoInTransaction?.(tx, view);
        return view;
      });
      ctx.eventsWritten();
      return view;
    } catch (error) {
      if (isSlugTaken(error) && attempt < SLUG_ATTEMPTS) continue;
      throw await explainWriteError(
        error,
        db,
        sellerId,
        drafts.map((d) => ({ sku: d.sku, path: `${d.path}/sku` })),
      );
    }
  }
}

/** Within one create request, SKUs and option combinations must already be distinct (409, like a clash with a stored one). */
function assertDistinctVariants(drafts: VariantDraft[]): void {
  const skus = new Set<string>();
  const combinations = new Set<string>();
  for (const d of drafts) {
    if (skus.has(d.sku))
      throw conflict(`SKU ${JSON.stringify(d.sku)} appears twice in this request`, `${d.path}/sku`, "is used by an earlier variant in this request");
    if (combinations.has(d.combination)) throw optionsConflict(`${d.path}/options`);
    skus.add(d.sku);
    combinations.add(d.combination);
  }
}

export async function getProduct(ctx: Ctx, actor: Actor, productId: string): Promise<ProductView> {
  return loadView(ctx.database.db, await ownedProduct(ctx, actor, productId));
}

/** The caller's own products, newest first (an admin sees their own here too). */
export async function listProducts(ctx: Ctx, actor: Actor, query: ProductListQuery): Promise<ProductPage> {
  const limit = query.limit === undefined ? 20 : Number(query.limit);
  let after: { createdAt: number; id: string } | undefined;
  if (query.cursor) {
    const position = decodeCursor(query.cursor);
    if (typeof position.t !== "number" || typeof position.id !== "string") {
      throw new AppError("BAD_REQUEST", "cursor is not a cursor this API issued", [{ path: "/cursor", message: "invalid cursor" }]);
    }
    after = { createdAt: position.t, id: position.id };
  }
  const rows = await repo.productsOf(ctx.database.db, actor.userId, {
    limit: limit + 1,
    ...(query.status ? { status: query.status } : {}),
    ...(after ? { after } : {}),
  });
  return toPage(rows, limit, toSummary, (row) => ({ t: row.createdAt, id: row.id }));
}

/**
 * Changes the fields sent, if the caller read the current version (optimistic concurrency: two
 * edits of the same version, one wins and the other gets 409). `attributes` replaces the whole set.
 * The slug stays: links to the product keep working when its title changes.
 */
export async function updateProduct(
  ctx: Ctx,
  actor: Actor,
  productId: string,
  input: ProductUpdate,
  expectedVersion: number | undefined,
): Promise<ProductView> {
  if (expectedVersion === undefined) {
    throw new ValidationError([{ path: "/version", message: 'is required: send If-Match: "<version>" (the ETag you read) or version in the body' }]);
  }
  const current = await ownedProduct(ctx, actor, productId);
  assertVersion(current, expectedVersion);
  const { db } = ctx.database;
  const errors: FieldError[] = [];
  const categoryId = input.categoryId ?? current.categoryId;
  const definitions = await categoryDefinitions(ctx.database, categoryId, errors);
  if (input.brandId && input.brandId !== current.brandId && !(await repo.brandExists(db, input.brandId))) {
    errors.push({ path: "/brandId", message: "is not a brand" });
  }
  if (!definitions) throw new ValidationError(errors);

  const storedAttributes = await repo.attributesOf(db, productId);
  let attributes: Omit<repo.AttributeRow, "productId">[] | undefined;
  if (input.attributes !== undefined) {
    attributes = attributeValues(definitions, input.attributes, errors);
  } else if (categoryId !== current.categoryId) {
    for (const row of storedAttributes) {
      if (!storedValueFits(definitions.get(row.key), row)) {
        errors.push({ path: pointer("/attributes", row.key), message: "does not fit the new category; send attributes to replace the set" });
      }
    }
  }
  const variants = await repo.variantsOf(db, productId);
  if (categoryId !== current.categoryId) {
    const misfits = variants.flatMap((variant) => {
      const problems: FieldError[] = [];
      variantOptions(definitions, variant.options, "", problems);
      return problems[0] ? [`variant ${JSON.stringify(variant.sku)}: ${problems[0].path.slice(1)} ${problems[0].message}`] : [];
    });
    if (misfits.length)
      errors.push({ path: "/categoryId", message: `does not fit the variants' options (${misfits.slice(0, 3).join("; ")}${misfits.length > 3 ? "; …" : ""})` });
  }
  if (errors.length) throw new ValidationError(errors);
  if (input.currency !== undefined && input.currency !== current.currency && variants.length) {
    throw conflict(
      "The currency can only change while the product has no variants (their prices are in it)",
      "/currency",
      "cannot change while the product has variants",
    );
  }

  const changes: repo.ProductChanges = {};
  const changed: string[] = [];
  const proposed: repo.ProductChanges = {
    title: input.title?.trim(),
    description: input.description,
    brandId: input.brandId,
    categoryId: input.categoryId,
    currency: input.currency,
  };
  for (const field of ["title", "description", "brandId", "categoryId", "currency"] as const) {
    const value = proposed[field];
    if (value === undefined || value === current[field]) continue;
    Object.assign(changes, { [field]: value });
    changed.push(field);
  }
  const sameAttributes =
    attributes === undefined ||
    JSON.stringify(attributes) ===
      JSON.stringify(storedAttributes.map(({ key, valueText, valueNumber }) => ({ key, valueText, valueNumber })).sort((a, b) => a.key.localeCompare(b.key)));
  if (!sameAttributes) changed.push("attributes");
  if (!changed.length) return loadView(db, current, definitions);

  const now = ctx.clock();
  const view = await ctx.database.transaction(async (tx) => {
    // versions move on with every write, so a match here means everything checked above still holds
    assertVersion(await productIn(tx, productId), expectedVersion);
    const updated = await repo.updateProduct(tx, productId, changes, now);
    if (!updated) throw notFound();
    if (attributes && !sameAttributes)
      await repo.replaceAttributes(
        tx,
        productId,
        attributes.map((a) => ({ ...a, productId })),
      );
    await outboxInsert(tx, eventFor(ctx, productUpdated, { ...productRef(updated), changed }, now));
    return loadView(tx, updated, definitions);
  });
  ctx.eventsWritten();
  return view;
}

type Transition = "publish" | "archive" | "unarchive";

/**
 * The seller's status machine: draft → active (publish), draft/active → archived (archive),
 * archived → draft (unarchive). `suspended` is the platform's: only an admin sets or lifts it.
 */
const TRANSITIONS: Record<Transition, { from: readonly string[]; to: ProductStatus; verb: string }> = {
  publish: { from: ["draft"], to: "active", verb: "published" },
  archive: { from: ["draft", "active"], to: "archived", verb: "archived" },
  unarchive: { from: ["archived"], to: "draft", verb: "unarchived" },
};

const SUSPENDED_DETAIL = "This product is suspended by the platform; only an admin can lift the suspension";

export async function changeProductStatus(
  ctx: Ctx,
  actor: Actor,
  productId: string,
  transition: Transition,
  expectedVersion: number | undefined,
): Promise<ProductView> {
  await ownedProduct(ctx, actor, productId);
  const rule = TRANSITIONS[transition];
  const now = ctx.clock();
  const result = await ctx.database.transaction(async (tx) => {
    const product = await productIn(tx, productId);
    if (expectedVersion !== undefined) assertVersion(product, expectedVersion);
    if (product.status === rule.to) return { view: await loadView(tx, product), wrote: false };
    if (product.status === "suspended") throw conflict(SUSPENDED_DETAIL, "/status", "is suspended");
    if (!rule.from.includes(product.status)) {
      throw conflict(`A product that is ${product.status} cannot be ${rule.verb}`, "/status", `is ${product.status}`);
    }
    if (rule.to === "active") await assertPublishable(tx, productId);
    // publishedAt is the first publication: re-publishing after an archive does not jump the "newest" sort
    const firstPublication = rule.to === "active" && product.publishedAt === null;
    const updated = await repo.updateProduct(tx, productId, { status: rule.to, ...(firstPublication ? { publishedAt: now } : {}) }, now);
    if (!updated) throw notFound();
    await outboxInsert(tx, eventFor(ctx, productUpdated, { ...productRef(updated), changed: ["status"] }, now));
    return { view: await loadView(tx, updated), wrote: true };
  });
  if (result.wrote) ctx.eventsWritten();
  return result.view;
}

/**
 * Only a draft is deleted (with its variants, attribute values, image rows and stock levels, and a
 * `product.deleted` event); a product that has been on sale is archived instead, so orders and
 * links that name it keep a target. A suspended product stays as the platform left it.
 * The image files go after the commit: a failed file delete orphans a file, never a row.
 */
export async function deleteProduct(
  ctx: Ctx,
  actor: Actor,
  productId: string,
  expectedVersion: number | undefined,
  files: FileStore,
): Promise<DeleteProductResult> {
  await ownedProduct(ctx, actor, productId);
  const now = ctx.clock();
  const result = await ctx.database.transaction(async (tx) => {
    const product = await productIn(tx, productId);
    if (expectedVersion !== undefined) assertVersion(product, expectedVersion);
    if (product.status === "suspended") throw conflict(SUSPENDED_DETAIL, "/status", "is suspended");
    if (product.status === "draft") {
      // read in the transaction that deletes the rows: an upload committing meanwhile cannot be missed
      const imageFiles = await imageFilesOfProduct(tx, productId);
      await repo.deleteProduct(tx, productId);
      const { status: _status, ...ref } = productRef(product);
      await outboxInsert(tx, eventFor(ctx, productDeleted, ref, now));
      return { outcome: "deleted" as const, product: null, wrote: true, imageFiles };
    }
    if (product.status === "archived") return { outcome: "archived" as const, product: await loadView(tx, product), wrote: false, imageFiles: [] };
    const updated = await repo.updateProduct(tx, productId, { status: "archived" }, now);
    if (!updated) throw notFound();
    await outboxInsert(tx, eventFor(ctx, productUpdated, { ...productRef(updated), changed: ["status"] }, now));
    return { outcome: "archived" as const, product: await loadView(tx, updated), wrote: true, imageFiles: [] };
  });
  if (result.wrote) ctx.eventsWritten();
  for (const key of result.imageFiles) {
    try {
      await files.delete(key);
    } catch (error) {
      ctx.log.warn("product image file not deleted; it is orphaned", { productId, key, error });
    }
  }
  return { outcome: result.outcome, product: result.product };
}

/** Admins only: any status, `suspended` included; lifting a suspension to active still needs a variant. */
export async function setProductStatus(ctx: Ctx, actor: Actor, productId: string, input: SetProductStatusBody): Promise<ProductView> {
  const now = ctx.clock();
  const result = await ctx.database.transaction(async (tx) => {
    const product = await productIn(tx, productId);
    if (product.status === input.status) return { view: await loadView(tx, product), wrote: false, from: product.status };
    if (input.status === "active") await assertPublishable(tx, productId);
    const firstPublication = input.status === "active" && product.publishedAt === null;
    const updated = await repo.updateProduct(tx, productId, { status: input.status, ...(firstPublication ? { publishedAt: now } : {}) }, now);
    if (!updated) throw notFound();
    await outboxInsert(tx, eventFor(ctx, productUpdated, { ...productRef(updated), changed: ["status"] }, now));
    return { view: await loadView(tx, updated), wrote: true, from: product.status };
  });
  if (result.wrote) {
    ctx.eventsWritten();
    ctx.log.info("product status set by an admin", { productId, from: result.from, to: input.status, reason: input.reason, actorId: actor.userId });
  }
  return result.view;
}

// ---- variants ----

/** Adds a variant; the product's price range, version and `product.updated` move in the same transaction. */
export async function createVariant(ctx: Ctx, actor: Actor, productId: string, input: CreateVariantBody): Promise<VariantView> {
  const product = await ownedProduct(ctx, actor, productId);
  const errors: FieldError[] = [];
  const definitions = await categoryDefinitions(ctx.database, product.categoryId, errors);
  const draft = definitions && variantDraft(definitions, input, "", errors);
  if (!draft || errors.length) throw new ValidationError(errors);
  const now = ctx.clock();
  const variantId = ctx.ids("variant");
  let created: repo.VariantRow | undefined;
  try {
    created = await ctx.database.transaction(async (tx) => {
      const before = await productIn(tx, productId);
      if (before.categoryId !== product.categoryId) throw conflict("The product's category changed meanwhile; try again", "/options");
      const siblings = await repo.variantsOf(tx, productId);
      if (siblings.length >= MAX_VARIANTS_PER_PRODUCT) {
        throw conflict(`A product has at most ${MAX_VARIANTS_PER_PRODUCT} variants`, "/", `at most ${MAX_VARIANTS_PER_PRODUCT} variants`);
      }
      if ((await repo.skusTaken(tx, before.sellerId, [draft.sku])).size) throw skuConflict(draft.sku, "/sku");
      if (siblings.some((s) => combinationOf(s.options) === draft.combination)) throw optionsConflict("/options");
      const row = await repo.insertVariant(tx, {
        ...draft.fields,
        id: variantId,
        productId,
        sellerId: before.sellerId,
        sku: draft.sku,
        options: draft.options,
        currency: before.currency,
        position: draft.fields.position ?? siblings.length,
        createdAt: now,
        updatedAt: now,
      });
      const after = await repo.refreshFromVariants(tx, productId, now);
      if (!row || !after) throw notFound();
      await outboxInsert(tx, eventFor(ctx, productUpdated, { ...productRef(after), changed: variantChanges(before, after) }, now));
      return row;
    });
  } catch (error) {
    throw await explainWriteError(error, ctx.database.db, product.sellerId, [{ sku: draft.sku, path: "/sku" }]);
  }
  ctx.eventsWritten();
  return toVariantView(created);
}

/**
 * Changes the fields sent (null clears an optional one). With a version (If-Match or `version`) it
 * applies only to that version of the variant. A new price emits `variant.price_changed`.
 */
export async function updateVariant(
  ctx: Ctx,
  actor: Actor,
  productId: string,
  variantId: string,
  input: VariantUpdate,
  expectedVersion: number | undefined,
): Promise<VariantView> {
  const product = await ownedProduct(ctx, actor, productId);
  const errors: FieldError[] = [];
  const definitions = input.options === undefined ? new Map() : await categoryDefinitions(ctx.database, product.categoryId, errors);
  const options = definitions && input.options !== undefined ? variantOptions(definitions, input.options, "", errors) : undefined;
  errors.push(...barcodeProblems(input.barcode, ""));
  if (errors.length) throw new ValidationError(errors);
  const sku = input.sku?.trim();
  const now = ctx.clock();

  let result: { view: VariantView; wrote: boolean };
  try {
    result = await ctx.database.transaction(async (tx) => {
      const before = await productIn(tx, productId);
      const current = await repo.findVariant(tx, productId, variantId);
      if (!current) throw variantNotFound();
      if (expectedVersion !== undefined) assertVersion(current, expectedVersion, "variant");
      const priceMinor = input.priceMinor ?? current.priceMinor;
      const compareAtMinor = input.compareAtMinor === undefined ? current.compareAtMinor : input.compareAtMinor;
      const priceErrors = priceProblems({ priceMinor, compareAtMinor }, "", input.compareAtMinor === undefined ? "priceMinor" : "compareAtMinor");
      if (priceErrors.length) throw new ValidationError(priceErrors);

      const changes: repo.VariantChanges = {};
      if (sku !== undefined && sku !== current.sku) {
        if ((await repo.skusTaken(tx, before.sellerId, [sku], variantId)).size) throw skuConflict(sku, "/sku");
        changes.sku = sku;
      }
      if (options && combinationOf(options) !== combinationOf(current.options)) {
        if (before.categoryId !== product.categoryId) throw conflict("The product's category changed meanwhile; try again", "/options");
        const siblings = await repo.variantsOf(tx, productId);
        if (siblings.some((s) => s.id !== variantId && combinationOf(s.options) === combinationOf(options))) throw optionsConflict("/options");
        changes.options = options;
      }
      if (priceMinor !== current.priceMinor) changes.priceMinor = priceMinor;
      if (compareAtMinor !== current.compareAtMinor) changes.compareAtMinor = compareAtMinor;
      for (const field of ["weightGrams", "lengthMm", "widthMm", "heightMm", "barcode", "position"] as const) {
        const value = input[field];
        if (value !== undefined && value !== current[field]) Object.assign(changes, { [field]: value });
      }
      if (!Object.keys(changes).length) return { view: toVariantView(current), wrote: false };

      const updated = await repo.updateVariant(tx, variantId, changes, now);
      const after = await repo.refreshFromVariants(tx, productId, now);
      if (!updated || !after) throw variantNotFound();
      if (changes.priceMinor !== undefined) {
        await outboxInsert(
          tx,
          eventFor(
            ctx,
            variantPriceChanged,
            { productId, variantId, currency: updated.currency, oldPriceMinor: current.priceMinor, newPriceMinor: updated.priceMinor },
            now,
          ),
        );
      }
      await outboxInsert(tx, eventFor(ctx, productUpdated, { ...productRef(after), changed: variantChanges(before, after) }, now));
      return { view: toVariantView(updated), wrote: true };
    });
  } catch (error) {
    throw await explainWriteError(error, ctx.database.db, product.sellerId, sku ? [{ sku, path: "/sku" }] : []);
  }
  if (result.wrote) ctx.eventsWritten();
  return result.view;
}

/**
 * Deletes a variant with its stock levels. An active product keeps at least one variant (archive it
 * first), and a variant with units held for checkouts stays until they are released or sold.
 */
export async function deleteVariant(ctx: Ctx, actor: Actor, productId: string, variantId: string, expectedVersion: number | undefined): Promise<void> {
  await ownedProduct(ctx, actor, productId);
  const now = ctx.clock();
  await ctx.database.transaction(async (tx) => {
    const before = await productIn(tx, productId);
    const current = await repo.findVariant(tx, productId, variantId);
    if (!current) throw variantNotFound();
    if (expectedVersion !== undefined) assertVersion(current, expectedVersion, "variant");
    if (before.status === "active" && (await repo.variantsOf(tx, productId)).length === 1) {
      throw conflict("An active product needs at least one variant; archive the product first", "/variants", "an active product keeps at least one variant");
    }
    const reserved = await repo.reservedUnits(tx, variantId);
    if (reserved > 0)
      throw conflict(`${reserved} units of this variant are held for checkouts; try again once they are sold or released`, "/", "has reserved stock");
    await repo.deleteVariant(tx, variantId);
    const after = await repo.refreshFromVariants(tx, productId, now);
    if (!after) throw notFound();
    await outboxInsert(tx, eventFor(ctx, productUpdated, { ...productRef(after), changed: variantChanges(before, after) }, now));
  });
  ctx.eventsWritten();
}

// ---- upsert by SKU (bulk imports) ----

/**
 * More writes for the product's own transaction, given what it wrote (an import sets the variants' stock): they
 * commit with the product or, if they throw, roll it back. The caller announces their events after the commit.
 */
export type AlsoInTransaction = (tx: Queryable, product: ProductView) => Promise<void>;

export interface UpsertResult {
  product: ProductView;
  created: boolean;
}

/**
 * The whole product as an upload describes it: created with its variants when none of its SKUs is
 * the seller's yet, else the product those SKUs belong to is updated (fields, attribute set) and each
 * variant is updated by SKU or added, all in ONE transaction with its events, so a failure midway
 * leaves the product exactly as it was. SKUs that belong to two different products are refused
 * (409 naming each stray `/variants/<i>/sku`).
 */
export async function upsertProductBySku(ctx: Ctx, actor: Actor, input: CreateProductBody, alsoInTransaction?: AlsoInTransaction): Promise<UpsertResult> {
  const { db } = ctx.database;
  const sellerId = actor.userId;
  const inputs = input.variants ?? [];
  const known = await repo.variantsBySku(
    db,
    sellerId,
    inputs.map((v) => v.sku.trim()),
  );
  if (!known.length) return { product: await createProduct(ctx, actor, input, alsoInTransaction), created: true };

  const productId = known[0]?.productId ?? "";
  const strays = inputs
    .map((v, i) => ({ sku: v.sku.trim(), path: `/variants/${i}/sku` }))
    .filter((s) => known.some((k) => k.sku === s.sku && k.productId !== productId));
  if (strays.length) {
    throw new AppError(
      "CONFLICT",
      "These SKUs belong to different products of yours",
      strays.map((s) => ({ path: s.path, message: "belongs to another of your products than this product's other SKUs" })),
    );
  }
  const current = await ownedProduct(ctx, actor, productId);
  const errors: FieldError[] = [];
  const definitions = await categoryDefinitions(ctx.database, input.categoryId, errors);
  if (input.brandId && input.brandId !== current.brandId && !(await repo.brandExists(db, input.brandId))) {
    errors.push({ path: "/brandId", message: "is not a brand" });
  }
  if (!definitions) throw new ValidationError(errors);
  const attributes = attributeValues(definitions, input.attributes ?? {}, errors);
  const drafts = inputs.map((variant, i) => variantDraft(definitions, variant, `/variants/${i}`, errors));
  if (errors.length) throw new ValidationError(errors);
  assertDistinctVariants(drafts);
  if (input.currency !== current.currency) {
    throw conflict(
      "The currency can only change while the product has no variants (their prices are in it)",
      "/currency",
      "cannot change while the product has variants",
    );
  }

  const now = ctx.clock();
  let result: { view: ProductView; wrote: boolean };
  try {
    result = await ctx.database.transaction(async (tx) => {
      const before = await productIn(tx, productId);
      if (before.sellerId !== sellerId) throw notFound();
      const stored = await repo.variantsOf(tx, productId);
      const bySku = new Map(stored.map((v) => [v.sku, v]));
      const added = drafts.filter((d) => !bySku.has(d.sku));
      if (stored.length + added.length > MAX_VARIANTS_PER_PRODUCT) {
        throw conflict(`A product has at most ${MAX_VARIANTS_PER_PRODUCT} variants`, "/variants", `at most ${MAX_VARIANTS_PER_PRODUCT} variants`);
      }
      const taken = await repo.skusTaken(
        tx,
        sellerId,
        added.map((d) => d.sku),
      );
      const clash = added.find((d) => taken.has(d.sku));
      if (clash) throw skuConflict(clash.sku, `${clash.path}/sku`);
      // the variants this upload leaves alone must fit the (maybe new) category and stay distinct from the uploaded ones
      const uploaded = new Set(drafts.map((d) => d.sku));
      const combinations = new Set(drafts.map((d) => d.combination));
      for (const other of stored.filter((v) => !uploaded.has(v.sku))) {
        const problems: FieldError[] = [];
        if (input.categoryId !== before.categoryId) variantOptions(definitions, other.options, "", problems);
        if (problems[0])
          throw conflict(`The category does not fit variant ${JSON.stringify(other.sku)}'s options`, "/categoryId", "does not fit the variants' options");
        const clashing = drafts.find((d) => d.combination === combinationOf(other.options));
        if (clashing) throw optionsConflict(`${clashing.path}/options`);
        combinations.add(combinationOf(other.options));
      }

      // the product's own fields, as updateProduct changes them
      const changed: string[] = [];
      const changes: repo.ProductChanges = {};
      const proposed = { title: input.title.trim(), description: input.description ?? "", brandId: input.brandId ?? null, categoryId: input.categoryId };
      for (const field of ["title", "description", "brandId", "categoryId"] as const) {
        if (proposed[field] === before[field]) continue;
        Object.assign(changes, { [field]: proposed[field] });
        changed.push(field);
      }
      const storedAttributes = (await repo.attributesOf(tx, productId))
        .map(({ key, valueText, valueNumber }) => ({ key, valueText, valueNumber }))
        .sort((a, b) => a.key.localeCompare(b.key));
      const sameAttributes = JSON.stringify(attributes) === JSON.stringify(storedAttributes);
      if (!sameAttributes) changed.push("attributes");
      if (changed.length && !(await repo.updateProduct(tx, productId, changes, now))) throw notFound();
      if (!sameAttributes)
        await repo.replaceAttributes(
          tx,
          productId,
          attributes.map((a) => ({ ...a, productId })),
        );

      // each variant, as updateVariant / createVariant write it; the upload's fields replace the stored ones
      let variantsWritten = false;
      let position = stored.length;
      for (const draft of drafts) {
        const existing = bySku.get(draft.sku);
        if (!existing) {
          const row = await repo.insertVariant(tx, {
            ...draft.fields,
            id: ctx.ids("variant"),
            productId,
            sellerId,
            sku: draft.sku,
            options: draft.options,
            currency: before.currency,
            position: draft.fields.position ?? position++,
            createdAt: now,
            updatedAt: now,
          });
          if (!row) throw notFound();
          variantsWritten = true;
          continue;
        }
        const variantChangesOf: repo.VariantChanges = {};
        if (draft.combination !== combinationOf(existing.options)) variantChangesOf.options = draft.options;
        for (const field of ["priceMinor", "compareAtMinor", "weightGrams", "lengthMm", "widthMm", "heightMm", "barcode", "position"] as const) {
          const value = draft.fields[field];
          if (value !== undefined && value !== existing[field]) Object.assign(variantChangesOf, { [field]: value });
        }
        if (!Object.keys(variantChangesOf).length) continue;
        const updated = await repo.updateVariant(tx, existing.id, variantChangesOf, now);
        if (!updated) throw variantNotFound();
        variantsWritten = true;
        if (variantChangesOf.priceMinor !== undefined) {
          await outboxInsert(
            tx,
            eventFor(
              ctx,
              variantPriceChanged,
              { productId, variantId: existing.id, currency: updated.currency, oldPriceMinor: existing.priceMinor, newPriceMinor: updated.priceMinor },
              now,
            ),
          );
        }
      }
      let after = changed.length ? await productIn(tx, productId) : before;
      if (variantsWritten) {
        const refreshed = await repo.refreshFromVariants(tx, productId, now);
        if (!refreshed) throw notFound();
        changed.push(...variantChanges(before, refreshed));
        after = refreshed;
      }
      if (changed.length) await outboxInsert(tx, eventFor(ctx, productUpdated, { ...productRef(after), changed }, now));
      const view = await loadView(tx, changed.length ? after : before, definitions);
      await alsoInTransaction?.(tx, view);
      return { view, wrote: changed.length > 0 };
    });
  } catch (error) {
    throw await explainWriteError(
      error,
      db,
      sellerId,
      drafts.map((d) => ({ sku: d.sku, path: `${d.path}/sku` })),
    );
  }
  if (result.wrote) ctx.eventsWritten();
  return { product: result.view, created: false };
}
