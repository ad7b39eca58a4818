import { type Static, type TSchema, Type } from "@sinclair/typebox";
import { SLUG_MAX_LENGTH, SLUG_PATTERN } from "./catalog-categories.ts";
import { idPattern } from "./ids.ts";
import { MAX_PAGE_LIMIT } from "./pagination.ts";

// The public, cacheable read API of the catalog: GET /v1/products and GET /v1/products/{idOrSlug}.

export const PUBLIC_PRODUCT_SORTS = ["newest", "price_asc", "price_desc", "popular"] as const;
export type PublicProductSort = (typeof PUBLIC_PRODUCT_SORTS)[number];
/** Bounds on what one list request may ask for, so no query string makes an unbounded query. */
export const MAX_BRAND_FILTERS = 20;
export const MAX_ATTRIBUTE_FILTERS = 10;
/** Attribute keys as categories define them (the key of `attr.<key>`). */
export const ATTRIBUTE_FILTER_KEY_PATTERN = "^[a-z][a-z0-9_]{0,63}$";
/** How a variant's availability is shown: buyers see a status, never a count. */
export const PUBLIC_STOCK_STATUSES = ["in_stock", "low", "out"] as const;
export type PublicStockStatus = (typeof PUBLIC_STOCK_STATUSES)[number];

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const PRODUCT_ID = "prd_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C";
const IMAGE_ID = "img_01JD4M3Z8Q5V7W9X1Y2Z3A4B5H";
const ListSlug = (description: string, example: string) =>
  Type.String({ minLength: 1, maxLength: SLUG_MAX_LENGTH, pattern: SLUG_PATTERN, description, examples: [example] });
const MinorUnits = (description: string) => Type.Integer({ minimum: 0, description, examples: [2500] });

/**
 * The query of GET /v1/products as documented. The route parses the query string itself, to these
 * rules: repeatable `brand`, open-ended `attr.<key>`, any other name or a repeated one refused.
 */
export const PublicProductQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_LIMIT, default: 20, examples: [20] })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: "nextCursor of the previous page (same sort)" })),
    sort: Type.Optional(
      Type.Union(
        PUBLIC_PRODUCT_SORTS.map((s) => Type.Literal(s)),
        { default: "newest", description: "newest first; price by the lowest variant price; popular by sales and views", examples: ["price_asc"] },
      ),
    ),
    category: Type.Optional(ListSlug("this category and every category under it", "smartphones")),
    brand: Type.Optional(
      Type.Array(ListSlug("a brand slug", "acme"), {
        minItems: 1,
        maxItems: MAX_BRAND_FILTERS,
        description: `repeatable (brand=a&brand=b): any of these brands, at most ${MAX_BRAND_FILTERS}`,
        examples: [["acme"]],
      }),
    ),
    seller: Type.Optional(Type.String({ pattern: idPattern("user"), description: "one seller's products", examples: ["usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5G"] })),
    price_min: Type.Optional(MinorUnits("lowest variant price at least this, in minor units of the product's currency")),
    price_max: Type.Optional(MinorUnits("lowest variant price at most this, in minor units of the product's currency")),
    in_stock: Type.Optional(Type.Literal("true", { description: "only products with stock (omit for all)", examples: ["true"] })),
    "attr.{key}": Type.Optional(
      Type.String({
        description:
          "repeatable over keys: a filterable text, enum or boolean attribute equals this (attr.colour=black, attr.waterproof=true); number attributes take attr.{key}_min and attr.{key}_max; an attribute no category defines as filterable is a 422",
        examples: ["black"],
      }),
    ),
  },
  { additionalProperties: false },
);

export const ProductIdOrSlugParams = Type.Object({
  idOrSlug: Type.String({
    minLength: 1,
    maxLength: 200,
    description: "the product's id (prd_…) or its slug",
    examples: [PRODUCT_ID, "organic-cotton-t-shirt"],
  }),
});

export const PublicRef = Type.Object({ slug: Type.String({ examples: ["smartphones"] }), name: Type.String({ examples: ["Smartphones"] }) });
export type PublicRef = Static<typeof PublicRef>;

export const PublicPriceRange = Type.Object(
  {
    currency: Type.String({ description: "ISO 4217, the product's", examples: ["EUR"] }),
    min: Type.Integer({ description: "lowest variant price, minor units", examples: [1999] }),
    max: Type.Integer({ description: "highest variant price, minor units", examples: [2499] }),
  },
  { description: "prices in integer minor units of `currency`" },
);
export type PublicPriceRange = Static<typeof PublicPriceRange>;

export const PublicRating = Type.Object({
  average: Nullable(Type.Number({ minimum: 0, maximum: 5, description: "two decimals; null before the first review", examples: [4.37] })),
  count: Type.Integer({ minimum: 0, examples: [128] }),
});
export type PublicRating = Static<typeof PublicRating>;

const COMPARE_AT = Type.Integer({ description: 'the struck-through "was" price of the cheapest variant, minor units; absent when none', examples: [2999] });

const SUMMARY_EXAMPLE = {
  id: PRODUCT_ID,
  slug: "organic-cotton-t-shirt",
  title: "Organic cotton T-shirt",
  brand: { slug: "acme", name: "Acme" },
  category: { slug: "t-shirts", name: "T-shirts" },
  price: { currency: "EUR", min: 1999, max: 2499 },
  compareAt: 2999,
  inStock: true,
  thumbnailUrl: `/v1/images/${IMAGE_ID}/thumb`,
  rating: { average: 4.37, count: 128 },
};

/** A product as lists show it. */
export const PublicProductSummary = Type.Object(
  {
    id: Type.String({ examples: [PRODUCT_ID] }),
    slug: Type.String({ examples: ["organic-cotton-t-shirt"] }),
    title: Type.String({ examples: ["Organic cotton T-shirt"] }),
    brand: Nullable(PublicRef),
    category: PublicRef,
    price: PublicPriceRange,
    compareAt: Type.Optional(COMPARE_AT),
    inStock: Type.Boolean(),
    thumbnailUrl: Nullable(Type.String({ description: "the first gallery image, small", examples: [`/v1/images/${IMAGE_ID}/thumb`] })),
    rating: PublicRating,
  },
  { $id: "PublicProductSummary", example: SUMMARY_EXAMPLE },
);
export type PublicProductSummary = Static<typeof PublicProductSummary>;

export const PublicProductPage = Type.Object(
  {
    items: Type.Array(PublicProductSummary),
    nextCursor: Nullable(Type.String({ description: "pass as `cursor` (with the same sort) for the next page; null on the last" })),
  },
  { $id: "PublicProductPage", example: { items: [SUMMARY_EXAMPLE], nextCursor: "eyJzIjoibmV3ZXN0IiwiayI6MTc2NDA1MDQwMDAwMCwiaSI6InByZF8wMUpENE0ifQ" } },
);
export type PublicProductPage = Static<typeof PublicProductPage>;

export const PublicVariant = Type.Object({
  id: Type.String({ examples: ["var_01JD4M3Z8Q5V7W9X1Y2Z3A4B5D"] }),
  sku: Type.String({ examples: ["TEE-RED-M"] }),
  options: Type.Record(Type.String(), Type.String(), { examples: [{ colour: "red", size: "M" }] }),
  price: Type.Integer({ description: "minor units of the product's currency", examples: [1999] }),
  compareAt: Type.Optional(Type.Integer({ description: 'the "was" price, minor units; absent when none', examples: [2499] })),
  stock: Type.Union(
    PUBLIC_STOCK_STATUSES.map((s) => Type.Literal(s)),
    { description: "available to buy across the seller's locations: in_stock, low (at or under the seller's threshold) or out", examples: ["in_stock"] },
  ),
});
export type PublicVariant = Static<typeof PublicVariant>;

export const PublicImage = Type.Object({
  id: Type.String({ examples: [IMAGE_ID] }),
  alt: Type.String({ examples: ["Front view, red"] }),
  width: Type.Integer({ examples: [1600] }),
  height: Type.Integer({ examples: [1600] }),
  variantId: Nullable(Type.String({ description: "set when the image shows one variant", examples: ["var_01JD4M3Z8Q5V7W9X1Y2Z3A4B5D"] })),
  thumbUrl: Type.String({ examples: [`/v1/images/${IMAGE_ID}/thumb`] }),
  mediumUrl: Type.String({ examples: [`/v1/images/${IMAGE_ID}/medium`] }),
  originalUrl: Type.String({ examples: [`/v1/images/${IMAGE_ID}/original`] }),
});
export type PublicImage = Static<typeof PublicImage>;

export const PublicAttribute = Type.Object({
  key: Type.String({ examples: ["material"] }),
  label: Type.String({ description: "the category's label; the key when the category no longer defines it", examples: ["Material"] }),
  unit: Nullable(Type.String({ examples: ["g"] })),
  value: Type.Union([Type.String(), Type.Number(), Type.Boolean()], { examples: ["cotton"] }),
});
export type PublicAttribute = Static<typeof PublicAttribute>;

const DETAIL_EXAMPLE = {
  ...SUMMARY_EXAMPLE,
  descriptionHtml: "<p><strong>Soft</strong> organic cotton.</p>\n",
  seller: { id: "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5G", name: "Cotton & Co" },
  breadcrumbs: [
    { slug: "clothing", name: "Clothing" },
    { slug: "t-shirts", name: "T-shirts" },
  ],
  variants: [{ id: "var_01JD4M3Z8Q5V7W9X1Y2Z3A4B5D", sku: "TEE-RED-M", options: { colour: "red", size: "M" }, price: 1999, compareAt: 2999, stock: "low" }],
  images: [
    {
      id: IMAGE_ID,
      alt: "Front view, red",
      width: 1600,
      height: 1600,
      variantId: null,
      thumbUrl: `/v1/images/${IMAGE_ID}/thumb`,
      mediumUrl: `/v1/images/${IMAGE_ID}/medium`,
      originalUrl: `/v1/images/${IMAGE_ID}/original`,
    },
  ],
  attributes: [{ key: "material", label: "Material", unit: null, value: "cotton" }],
  publishedAt: "2026-11-25T06:00:00.000Z",
  updatedAt: "2026-11-25T06:00:00.000Z",
};

/** A product page: everything a buyer sees, nothing only its seller may. */
export const PublicProductDetail = Type.Object(
  {
    id: Type.String({ examples: [PRODUCT_ID] }),
    slug: Type.String({ examples: ["organic-cotton-t-shirt"] }),
    title: Type.String({ examples: ["Organic cotton T-shirt"] }),
    descriptionHtml: Type.String({ description: "the seller's Markdown, rendered and sanitised" }),
    brand: Nullable(PublicRef),
    category: PublicRef,
    breadcrumbs: Type.Array(PublicRef, { description: "the category's ancestors from the root down, itself last" }),
    seller: Type.Object({ id: Type.String({ examples: ["usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5G"] }), name: Type.String({ examples: ["Cotton & Co"] }) }),
    price: Nullable(PublicPriceRange),
    compareAt: Type.Optional(COMPARE_AT),
    inStock: Type.Boolean(),
    thumbnailUrl: Nullable(Type.String({ examples: [`/v1/images/${IMAGE_ID}/thumb`] })),
    rating: PublicRating,
    variants: Type.Array(PublicVariant, { description: "in the seller's order" }),
    images: Type.Array(PublicImage, { description: "gallery order: the product's own images, then those of single variants" }),
    attributes: Type.Array(PublicAttribute, { description: "in the category's order" }),
    publishedAt: Nullable(Type.String({ format: "date-time", examples: ["2026-11-25T06:00:00.000Z"] })),
    updatedAt: Type.String({ format: "date-time", examples: ["2026-11-25T06:00:00.000Z"] }),
  },
  { $id: "PublicProductDetail", example: DETAIL_EXAMPLE },
);
export type PublicProductDetail = Static<typeof PublicProductDetail>;
