import { type Static, type TSchema, Type } from "@sinclair/typebox";
import { idPattern } from "./ids.ts";
import { SUPPORTED_CURRENCIES } from "./money.ts";
import { Page, PageQuery } from "./pagination.ts";
import { MultiLineText, SingleLineText } from "./text.ts";

// ---- limits ----

export const MAX_PRODUCT_TITLE_LENGTH = 200;
export const MAX_PRODUCT_DESCRIPTION_LENGTH = 20_000;
/** 10^12 minor units: ten billion dollars, far above any real listing, far below 2^53. */
export const MAX_PRICE_MINOR = 1_000_000_000_000;
export const MAX_VARIANTS_PER_PRODUCT = 100;
export const MAX_PRODUCT_ATTRIBUTES = 100;
export const MAX_SKU_LENGTH = 100;
/** Grams and millimetres: 1,000 tonnes and 1 km bound any parcel a marketplace ships. */
export const MAX_PHYSICAL_MEASURE = 1_000_000_000;

export const PRODUCT_STATUSES = ["draft", "active", "archived", "suspended"] as const;
export type ProductStatus = (typeof PRODUCT_STATUSES)[number];

// ---- ids ----

const PRODUCT_ID_EXAMPLE = "prd_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C";
const VARIANT_ID_EXAMPLE = "var_01JD4M3Z8Q5V7W9X1Y2Z3A4B5D";
const CATEGORY_ID_EXAMPLE = "cat_01JD4M3Z8Q5V7W9X1Y2Z3A4B5E";
const BRAND_ID_EXAMPLE = "brd_01JD4M3Z8Q5V7W9X1Y2Z3A4B5F";
const SELLER_ID_EXAMPLE = "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5G";

export const ProductId = Type.String({ pattern: idPattern("product"), error: "must be a product id", examples: [PRODUCT_ID_EXAMPLE] });
export const VariantId = Type.String({ pattern: idPattern("variant"), error: "must be a variant id", examples: [VARIANT_ID_EXAMPLE] });
const CategoryRef = Type.String({ pattern: idPattern("category"), error: "must be a category id", examples: [CATEGORY_ID_EXAMPLE] });
const BrandRef = Type.String({ pattern: idPattern("brand"), error: "must be a brand id", examples: [BRAND_ID_EXAMPLE] });

export const ProductIdParams = Type.Object({ id: ProductId });
export const VariantParams = Type.Object({ id: ProductId, variantId: VariantId });

// Type.Unsafe only names the static type: a union mapped from an array reaches Elysia's types as `never`
export const ProductStatus = Type.Unsafe<ProductStatus>(
  Type.Union(
    PRODUCT_STATUSES.map((s) => Type.Literal(s)),
    { error: `must be one of ${PRODUCT_STATUSES.join(", ")}`, examples: ["active"] },
  ),
);

/** The product's selling currency: one of the platform's supported ISO 4217 codes. */
export const ProductCurrency = Type.Unsafe<(typeof SUPPORTED_CURRENCIES)[number]>(
  Type.Union(
    SUPPORTED_CURRENCIES.map((c) => Type.Literal(c)),
    { error: `must be one of the supported currencies: ${SUPPORTED_CURRENCIES.join(", ")}`, description: "ISO 4217 code", examples: ["EUR"] },
  ),
);

// ---- attributes and options ----

/** Attribute keys as categories define them; which keys a product may use is the category's call. */
const AttributeKey = Type.String({ pattern: "^[A-Za-z0-9_.-]{1,64}$", error: "must be an attribute key" });
const AttributeValue = Type.Union([SingleLineText({ maxLength: 500 }), Type.Number(), Type.Boolean()], {
  error: "must be a string, a number or a boolean, as the category's attribute says",
});

export const ProductAttributes = Type.Record(AttributeKey, AttributeValue, {
  additionalProperties: false,
  maxProperties: MAX_PRODUCT_ATTRIBUTES,
  description: "attribute values by key, as the category defines them (type, enum options); unknown keys are refused",
  examples: [{ brand_line: "Aurora", screen_size_mm: 156, waterproof: true }],
});

export const VariantOptions = Type.Record(AttributeKey, Type.Union([SingleLineText({ maxLength: 100 }), Type.Number(), Type.Boolean()]), {
  additionalProperties: false,
  maxProperties: 20,
  description: "one value for each of the category's variant-defining attributes; each combination is unique within the product",
  examples: [{ colour: "red", size: "M" }],
});

// ---- variants ----

const PriceMinor = Type.Integer({
  minimum: 0,
  maximum: MAX_PRICE_MINOR,
  error: `must be a whole number of minor units from 0 to ${MAX_PRICE_MINOR}`,
  description: "integer minor units of the product's currency (cents for USD, yen for JPY)",
  examples: [1999],
});
const CompareAtMinor = Type.Integer({
  minimum: 0,
  maximum: MAX_PRICE_MINOR,
  error: `must be a whole number of minor units up to ${MAX_PRICE_MINOR}, above priceMinor`,
  description: 'the struck-through "was" price; must be above priceMinor',
  examples: [2499],
});
const Measure = (unit: string) =>
  Type.Integer({ minimum: 1, maximum: MAX_PHYSICAL_MEASURE, error: `must be a positive whole number of ${unit}`, examples: [250] });
const Sku = SingleLineText({
  maxLength: MAX_SKU_LENGTH,
  description: "the seller's stock keeping unit; unique among the seller's variants",
  examples: ["TEE-RED-M"],
});
const Barcode = Type.String({
  pattern: "^(?:[0-9]{8}|[0-9]{12,14})$",
  error: "must be a GTIN-8, -12, -13 or -14 (8, 12, 13 or 14 digits)",
  description: "GTIN-8/12/13/14 with a valid check digit",
  examples: ["4006381333931"],
});
/** Optional fields a PATCH clears with null. */
const Clearable = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()], { error: `${schema.error ?? "is invalid"}, or null` }));
const VersionField = Type.Integer({
  minimum: 1,
  error: "must be the version you read",
  description: 'the version you read (or send If-Match: "<version>")',
  examples: [3],
});

const variantFields = {
  sku: Sku,
  options: Type.Optional(VariantOptions),
  priceMinor: PriceMinor,
  compareAtMinor: Type.Optional(CompareAtMinor),
  weightGrams: Type.Optional(Measure("grams")),
  lengthMm: Type.Optional(Measure("millimetres")),
  widthMm: Type.Optional(Measure("millimetres")),
  heightMm: Type.Optional(Measure("millimetres")),
  barcode: Type.Optional(Barcode),
  position: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000, error: "must be a whole number from 0 to 10000", examples: [0] })),
};

const VARIANT_INPUT_EXAMPLE = {
  sku: "TEE-RED-M",
  options: { colour: "red", size: "M" },
  priceMinor: 1999,
  compareAtMinor: 2499,
  weightGrams: 180,
  barcode: "4006381333931",
};

export const CreateVariantBody = Type.Object(variantFields, { additionalProperties: false, example: VARIANT_INPUT_EXAMPLE });
export type CreateVariantBody = Static<typeof CreateVariantBody>;

export const UpdateVariantBody = Type.Object(
  {
    sku: Type.Optional(Sku),
    options: Type.Optional(VariantOptions),
    priceMinor: Type.Optional(PriceMinor),
    compareAtMinor: Clearable(CompareAtMinor),
    weightGrams: Clearable(Measure("grams")),
    lengthMm: Clearable(Measure("millimetres")),
    widthMm: Clearable(Measure("millimetres")),
    heightMm: Clearable(Measure("millimetres")),
    barcode: Clearable(Barcode),
    position: variantFields.position,
    version: Type.Optional(VersionField),
  },
  { additionalProperties: false, example: { priceMinor: 1799, compareAtMinor: null, version: 2 } },
);
export type UpdateVariantBody = Static<typeof UpdateVariantBody>;

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const VARIANT_EXAMPLE = {
  id: VARIANT_ID_EXAMPLE,
  productId: PRODUCT_ID_EXAMPLE,
  sku: "TEE-RED-M",
  options: { colour: "red", size: "M" },
  priceMinor: 1999,
  compareAtMinor: 2499,
  currency: "EUR",
  weightGrams: 180,
  lengthMm: null,
  widthMm: null,
  heightMm: null,
  barcode: "4006381333931",
  position: 0,
  version: 1,
  createdAt: "2026-11-25T06:00:00.000Z",
  updatedAt: "2026-11-25T06:00:00.000Z",
};

export const VariantView = Type.Object(
  {
    id: VariantId,
    productId: ProductId,
    sku: Type.String(),
    options: Type.Record(Type.String(), Type.String(), { description: "option values by variant-defining attribute, as strings" }),
    priceMinor: Type.Integer(),
    compareAtMinor: Nullable(Type.Integer()),
    currency: Type.String({ description: "ISO 4217, the product's" }),
    weightGrams: Nullable(Type.Integer()),
    lengthMm: Nullable(Type.Integer()),
    widthMm: Nullable(Type.Integer()),
    heightMm: Nullable(Type.Integer()),
    barcode: Nullable(Type.String()),
    position: Type.Integer(),
    version: Type.Integer(),
    createdAt: Type.String({ format: "date-time" }),
    updatedAt: Type.String({ format: "date-time" }),
  },
  { $id: "VariantView", example: VARIANT_EXAMPLE },
);
export type VariantView = Static<typeof VariantView>;

// ---- products ----

const ProductTitle = SingleLineText({ maxLength: MAX_PRODUCT_TITLE_LENGTH, examples: ["Organic cotton T-shirt"] });
const ProductDescription = MultiLineText({
  minLength: 0,
  maxLength: MAX_PRODUCT_DESCRIPTION_LENGTH,
  description: 'Markdown, stored as written; raw HTML is shown as text, links get rel="nofollow ugc noopener", only http(s) and mailto links',
  examples: ["**Soft** organic cotton.\n\n- machine washable\n- [size guide](https://example.com/sizes)"],
});

export const CreateProductBody = Type.Object(
  {
    title: ProductTitle,
    description: Type.Optional(ProductDescription),
    brandId: Type.Optional(BrandRef),
    categoryId: CategoryRef,
    currency: ProductCurrency,
    attributes: Type.Optional(ProductAttributes),
    variants: Type.Optional(
      Type.Array(CreateVariantBody, {
        maxItems: MAX_VARIANTS_PER_PRODUCT,
        description: "created with the product, all or none",
      }),
    ),
  },
  {
    additionalProperties: false,
    example: {
      title: "Organic cotton T-shirt",
      description: "**Soft** organic cotton.",
      categoryId: CATEGORY_ID_EXAMPLE,
      currency: "EUR",
      attributes: { material: "cotton" },
      variants: [VARIANT_INPUT_EXAMPLE],
    },
  },
);
export type CreateProductBody = Static<typeof CreateProductBody>;

export const UpdateProductBody = Type.Object(
  {
    title: Type.Optional(ProductTitle),
    description: Type.Optional(ProductDescription),
    brandId: Clearable(BrandRef),
    categoryId: Type.Optional(CategoryRef),
    currency: Type.Optional(ProductCurrency),
    attributes: Type.Optional(ProductAttributes),
    version: Type.Optional(VersionField),
  },
  { additionalProperties: false, example: { title: "Organic cotton T-shirt, relaxed fit", version: 3 } },
);
export type UpdateProductBody = Static<typeof UpdateProductBody>;

export const IfMatchHeaders = Type.Object({
  "if-match": Type.Optional(
    Type.String({
      pattern: '^(?:W/)?"?[0-9]{1,15}"?$',
      error: 'must be the product version in quotes, as ETag gave it: "3"',
      description: "the version you read, as the ETag response header gave it",
      examples: ['"3"'],
    }),
  ),
});

export const SetProductStatusBody = Type.Object(
  {
    status: ProductStatus,
    reason: SingleLineText({ maxLength: 500, examples: ["Counterfeit listing reported by the brand owner"], description: "why: logged with the change" }),
  },
  { additionalProperties: false, example: { status: "suspended", reason: "Counterfeit listing reported by the brand owner" } },
);
export type SetProductStatusBody = Static<typeof SetProductStatusBody>;

/** A seller's own products, newest first, optionally by status. */
export const ProductListQuery = Type.Object({
  limit: PageQuery.properties.limit,
  cursor: PageQuery.properties.cursor,
  status: Type.Optional(ProductStatus),
});
export type ProductListQuery = Static<typeof ProductListQuery>;

const PRODUCT_EXAMPLE = {
  id: PRODUCT_ID_EXAMPLE,
  sellerId: SELLER_ID_EXAMPLE,
  slug: "organic-cotton-t-shirt",
  title: "Organic cotton T-shirt",
  description: "**Soft** organic cotton.",
  descriptionHtml: "<p><strong>Soft</strong> organic cotton.</p>\n",
  brandId: null,
  categoryId: CATEGORY_ID_EXAMPLE,
  status: "active",
  version: 3,
  currency: "EUR",
  attributes: { material: "cotton" },
  minPriceMinor: 1999,
  maxPriceMinor: 1999,
  inStock: false,
  variants: [VARIANT_EXAMPLE],
  createdAt: "2026-11-25T06:00:00.000Z",
  updatedAt: "2026-11-25T06:00:00.000Z",
  publishedAt: "2026-11-25T06:00:00.000Z",
};

const productSummaryFields = {
  id: ProductId,
  sellerId: Type.String({ examples: [SELLER_ID_EXAMPLE] }),
  slug: Type.String({ description: "unique, from the title; kept when the title changes", examples: ["organic-cotton-t-shirt"] }),
  title: Type.String(),
  brandId: Nullable(Type.String()),
  categoryId: Type.String(),
  status: ProductStatus,
  version: Type.Integer({ description: "send it back (If-Match or version) to change the product" }),
  currency: Type.String({ description: "ISO 4217" }),
  minPriceMinor: Nullable(Type.Integer({ description: "lowest variant price, null without variants" })),
  maxPriceMinor: Nullable(Type.Integer({ description: "highest variant price, null without variants" })),
  inStock: Type.Boolean(),
  createdAt: Type.String({ format: "date-time" }),
  updatedAt: Type.String({ format: "date-time" }),
  publishedAt: Nullable(Type.String({ format: "date-time" })),
};

export const ProductView = Type.Object(
  {
    ...productSummaryFields,
    description: Type.String({ description: "Markdown as written" }),
    descriptionHtml: Type.String({ description: "the description rendered and sanitised" }),
    attributes: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
    variants: Type.Array(VariantView),
  },
  { $id: "ProductView", example: PRODUCT_EXAMPLE },
);
export type ProductView = Static<typeof ProductView>;

/** DELETE's answer: a draft is deleted; a product that has been published is archived instead. */
export const DeleteProductResult = Type.Object(
  {
    outcome: Type.Union([Type.Literal("deleted"), Type.Literal("archived")], { description: "deleted (a draft) or archived (anything else)" }),
    product: Type.Union([ProductView, Type.Null()], { description: "the archived product; null when it was deleted" }),
  },
  { $id: "DeleteProductResult", example: { outcome: "archived", product: { ...PRODUCT_EXAMPLE, status: "archived", version: 4 } } },
);
export type DeleteProductResult = Static<typeof DeleteProductResult>;

const { description: _d, descriptionHtml: _h, attributes: _a, variants: _v, ...SUMMARY_EXAMPLE } = PRODUCT_EXAMPLE;

export const ProductSummary = Type.Object(
  { ...productSummaryFields, variantCount: Type.Integer() },
  { $id: "ProductSummary", example: { ...SUMMARY_EXAMPLE, variantCount: 1 } },
);
export type ProductSummary = Static<typeof ProductSummary>;

export const ProductPage = Type.Composite([Page(ProductSummary)], {
  $id: "ProductPage",
  example: { items: [{ ...SUMMARY_EXAMPLE, variantCount: 1 }], nextCursor: null },
});
export type ProductPage = Static<typeof ProductPage>;
