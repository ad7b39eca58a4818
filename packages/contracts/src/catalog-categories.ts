import { type Static, type TSchema, Type } from "@sinclair/typebox";
import { idPattern } from "./ids.ts";
import { Page, PageQuery } from "./pagination.ts";
import { SingleLineText } from "./text.ts";

/** Levels of the category tree: a root is at depth 1, so "/a/b/c/d/e/" is as deep as it goes. */
export const MAX_CATEGORY_DEPTH = 5;
export const SLUG_MAX_LENGTH = 80;
/** Lowercase letters, digits and single dashes between them: safe in URLs, in paths and in GLOB/LIKE patterns. */
export const SLUG_PATTERN = "^[a-z0-9]+(?:-[a-z0-9]+)*$";
export const ATTRIBUTE_TYPES = ["text", "number", "enum", "boolean"] as const;
export type AttributeType = (typeof ATTRIBUTE_TYPES)[number];
export const MAX_ENUM_OPTIONS = 200;

// letters that do not decompose into a base letter plus marks under NFKD
const SPECIAL_LETTERS: Record<string, string> = { ß: "ss", æ: "ae", œ: "oe", ø: "o", ł: "l", đ: "d", ð: "d", þ: "th", ı: "i", ħ: "h", ŋ: "n" };

/**
 * A slug from a human name: diacritics transliterated ("Électronique" → "electronique"), anything
 * else between letters and digits becomes one dash, cut to SLUG_MAX_LENGTH. Empty when the name
 * has no Latin letters or digits at all (the caller must then ask for a slug).
 */
export function slugify(name: string): string {
  const latin = name
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/[ßæœøłđðþıħŋ]/g, (letter) => SPECIAL_LETTERS[letter] ?? "");
  return latin
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, SLUG_MAX_LENGTH)
    .replace(/-+$/, "");
}

const SLUG_OPTIONS = {
  minLength: 1,
  maxLength: SLUG_MAX_LENGTH,
  pattern: SLUG_PATTERN,
  error: `must be 1 to ${SLUG_MAX_LENGTH} lowercase letters a-z, digits and single dashes between them`,
  examples: ["smartphones"],
};
export const Slug = Type.String(SLUG_OPTIONS);
const SlugMadeFromName = Type.String({ ...SLUG_OPTIONS, description: "made from the name when omitted (diacritics transliterated)" });

export const CategoryId = Type.String({ pattern: idPattern("category"), error: "must be a category id (cat_…)", examples: ["cat_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C"] });
export const AttributeId = Type.String({
  pattern: idPattern("attribute"),
  error: "must be an attribute id (att_…)",
  examples: ["att_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C"],
});
export const BrandId = Type.String({ pattern: idPattern("brand"), error: "must be a brand id (brd_…)", examples: ["brd_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C"] });

export const CategoryIdParams = Type.Object({ id: CategoryId });
export const CategorySlugParams = Type.Object({ slug: Slug });
export const CategoryAttributeParams = Type.Object({ id: CategoryId, attributeId: AttributeId });
export const BrandIdParams = Type.Object({ id: BrandId });

const CategoryName = SingleLineText({ maxLength: 120, examples: ["Smartphones"] });
const SortOrder = Type.Integer({
  minimum: -1_000_000,
  maximum: 1_000_000,
  error: "must be a whole number from -1000000 to 1000000",
  description: "siblings are listed by sortOrder, then by name",
  examples: [10],
});
const CommissionBps = Type.Union([Type.Integer({ minimum: 0, maximum: 10_000 }), Type.Null()], {
  error: "must be a whole number of basis points from 0 to 10000, or null for the platform default",
  description: "platform commission on sales in this category, in basis points (1250 = 12.5 %); null = the platform default",
  examples: [1250],
});
const Timestamp = Type.String({ format: "date-time", examples: ["2026-11-25T06:00:00.000Z"] });

// ---- categories ----

export const CreateCategoryBody = Type.Object(
  {
    name: CategoryName,
    slug: Type.Optional(SlugMadeFromName),
    parentId: Type.Optional(
      Type.Union([CategoryId, Type.Null()], { error: "must be a category id (cat_…) or null", description: "null or omitted: a root category" }),
    ),
    sortOrder: Type.Optional(SortOrder),
    commissionBps: Type.Optional(CommissionBps),
  },
  { additionalProperties: false, example: { name: "Smartphones", parentId: "cat_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", sortOrder: 10, commissionBps: 800 } },
);
export type CreateCategoryBody = Static<typeof CreateCategoryBody>;

export const UpdateCategoryBody = Type.Object(
  {
    name: Type.Optional(CategoryName),
    slug: Type.Optional(Type.String({ ...SLUG_OPTIONS, description: "a new slug rewrites the path of every category under this one" })),
    sortOrder: Type.Optional(SortOrder),
    commissionBps: Type.Optional(CommissionBps),
  },
  { additionalProperties: false, example: { name: "Mobile phones", slug: "mobile-phones" } },
);
export type UpdateCategoryBody = Static<typeof UpdateCategoryBody>;

export const MoveCategoryBody = Type.Object(
  {
    parentId: Type.Union([CategoryId, Type.Null()], {
      error: "must be a category id (cat_…) or null",
      description: "the new parent; null makes it a root",
      examples: ["cat_01JD4M3Z8Q5V7W9X1Y2Z3A4B5D"],
    }),
    sortOrder: Type.Optional(SortOrder),
  },
  { additionalProperties: false, example: { parentId: "cat_01JD4M3Z8Q5V7W9X1Y2Z3A4B5D", sortOrder: 0 } },
);
export type MoveCategoryBody = Static<typeof MoveCategoryBody>;

const CATEGORY_EXAMPLE = {
  id: "cat_01JD4M3Z8Q5V7W9X1Y2Z3A4B5E",
  parentId: "cat_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C",
  slug: "smartphones",
  name: "Smartphones",
  path: "/electronics/smartphones/",
  depth: 2,
  sortOrder: 10,
  commissionBps: 800,
  createdAt: "2026-11-25T06:00:00.000Z",
  updatedAt: "2026-11-25T06:00:00.000Z",
};

/** A category as admins see it (with its commission). */
export const CategoryView = Type.Object(
  {
    id: CategoryId,
    parentId: Type.Union([CategoryId, Type.Null()]),
    slug: Slug,
    name: Type.String({ examples: ["Smartphones"] }),
    path: Type.String({ description: "the slugs from the root down to this category", examples: ["/electronics/smartphones/"] }),
    depth: Type.Integer({ minimum: 1, maximum: MAX_CATEGORY_DEPTH, description: "1 for a root", examples: [2] }),
    sortOrder: Type.Integer({ examples: [10] }),
    commissionBps: Type.Union([Type.Integer(), Type.Null()], { examples: [800] }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: "CategoryView", example: CATEGORY_EXAMPLE },
);
export type CategoryView = Static<typeof CategoryView>;

/** One node of the public tree, its children nested (siblings by sortOrder, then name). */
export interface CategoryNode {
  id: string;
  slug: string;
  name: string;
  path: string;
  depth: number;
  sortOrder: number;
  children: CategoryNode[];
}

/**
 * The node schema spelled out level by level down to MAX_CATEGORY_DEPTH: a recursive TypeBox
 * schema becomes a `$ref` the OpenAPI document cannot resolve.
 */
function categoryNodeAt(depth: number): TSchema {
  return Type.Object({
    id: CategoryId,
    slug: Slug,
    name: Type.String({ examples: ["Electronics"] }),
    path: Type.String({ examples: ["/electronics/"] }),
    depth: Type.Literal(depth),
    sortOrder: Type.Integer({ examples: [0] }),
    children: depth < MAX_CATEGORY_DEPTH ? Type.Array(categoryNodeAt(depth + 1)) : Type.Array(Type.Never(), { maxItems: 0 }),
  });
}

export const CategoryTree = Type.Object(
  { items: Type.Array(categoryNodeAt(1), { description: "the root categories" }) },
  {
    $id: "CategoryTree",
    example: {
      items: [
        {
          id: "cat_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C",
          slug: "electronics",
          name: "Electronics",
          path: "/electronics/",
          depth: 1,
          sortOrder: 0,
          children: [
            {
              id: "cat_01JD4M3Z8Q5V7W9X1Y2Z3A4B5E",
              slug: "smartphones",
              name: "Smartphones",
              path: "/electronics/smartphones/",
              depth: 2,
              sortOrder: 10,
              children: [],
            },
          ],
        },
      ],
    },
  },
);
export interface CategoryTree {
  items: CategoryNode[];
}

export const CategoryRef = Type.Object({ id: CategoryId, slug: Slug, name: Type.String({ examples: ["Electronics"] }) });
export type CategoryRef = Static<typeof CategoryRef>;

// ---- attributes ----

export const AttributeTypeSchema = Type.Union([Type.Literal("text"), Type.Literal("number"), Type.Literal("enum"), Type.Literal("boolean")], {
  error: `must be one of ${ATTRIBUTE_TYPES.join(", ")}`,
  examples: ["enum"],
});
const AttributeKey = Type.String({
  pattern: "^[a-z][a-z0-9_]{0,63}$",
  error: "must be 1 to 64 lowercase letters, digits and underscores, starting with a letter",
  description: "machine name, unique among the category's own and inherited attributes; cannot change",
  examples: ["screen_size"],
});
const AttributeLabel = SingleLineText({ maxLength: 100, examples: ["Screen size"] });
const AttributeUnit = SingleLineText({ maxLength: 20, examples: ["in"], description: "numbers only: what the value counts (in, mAh, g)" });
const AttributeOptions = Type.Array(SingleLineText({ maxLength: 100, examples: ["black"] }), {
  minItems: 1,
  maxItems: MAX_ENUM_OPTIONS,
  uniqueItems: true,
  error: `must be 1 to ${MAX_ENUM_OPTIONS} distinct values of one line each (at most 100 characters)`,
  description: "enums only: the allowed values",
  examples: [["black", "white", "blue"]],
});

export const CreateAttributeBody = Type.Object(
  {
    key: AttributeKey,
    label: AttributeLabel,
    type: AttributeTypeSchema,
    unit: Type.Optional(AttributeUnit),
    options: Type.Optional(AttributeOptions),
    filterable: Type.Optional(Type.Boolean({ default: false })),
    searchable: Type.Optional(Type.Boolean({ default: false })),
    variantDefining: Type.Optional(Type.Boolean({ default: false, description: "variants of a product differ by it (colour, size)" })),
    sortOrder: Type.Optional(SortOrder),
  },
  {
    additionalProperties: false,
    example: { key: "colour", label: "Colour", type: "enum", options: ["black", "white", "blue"], filterable: true, variantDefining: true },
  },
);
export type CreateAttributeBody = Static<typeof CreateAttributeBody>;

export const UpdateAttributeBody = Type.Object(
  {
    label: Type.Optional(AttributeLabel),
    unit: Type.Optional(Type.Union([AttributeUnit, Type.Null()], { error: "must be 1 to 20 characters of one line, or null" })),
    options: Type.Optional(Type.Union([AttributeOptions, Type.Null()], { error: `must be 1 to ${MAX_ENUM_OPTIONS} distinct one-line values, or null` })),
    filterable: Type.Optional(Type.Boolean()),
    searchable: Type.Optional(Type.Boolean()),
    variantDefining: Type.Optional(Type.Boolean()),
    sortOrder: Type.Optional(SortOrder),
  },
  { additionalProperties: false, example: { label: "Colour", options: ["black", "white", "blue", "red"] } },
);
export type UpdateAttributeBody = Static<typeof UpdateAttributeBody>;

const ATTRIBUTE_EXAMPLE = {
  id: "att_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C",
  categoryId: "cat_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C",
  key: "colour",
  label: "Colour",
  type: "enum",
  unit: null,
  options: ["black", "white", "blue"],
  filterable: true,
  searchable: false,
  variantDefining: true,
  sortOrder: 0,
};

export const AttributeView = Type.Object(
  {
    id: AttributeId,
    categoryId: Type.String({
      pattern: idPattern("category"),
      description: "where it is defined: this category or an ancestor",
      examples: ["cat_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C"],
    }),
    key: Type.String({ examples: ["colour"] }),
    label: Type.String({ examples: ["Colour"] }),
    type: AttributeTypeSchema,
    unit: Type.Union([Type.String(), Type.Null()], { examples: ["in"] }),
    options: Type.Union([Type.Array(Type.String()), Type.Null()], { examples: [["black", "white"]] }),
    filterable: Type.Boolean(),
    searchable: Type.Boolean(),
    variantDefining: Type.Boolean(),
    sortOrder: Type.Integer({ examples: [0] }),
  },
  { $id: "AttributeView", example: ATTRIBUTE_EXAMPLE },
);
export type AttributeView = Static<typeof AttributeView>;

export const AttributeList = Type.Object(
  { items: Type.Array(AttributeView, { description: "inherited ones first (root down), then the category's own; each by sortOrder, then key" }) },
  { $id: "AttributeList", example: { items: [ATTRIBUTE_EXAMPLE] } },
);
export type AttributeList = Static<typeof AttributeList>;

export const CategoryDetail = Type.Object(
  {
    id: CategoryId,
    parentId: Type.Union([CategoryId, Type.Null()]),
    slug: Slug,
    name: Type.String({ examples: ["Smartphones"] }),
    path: Type.String({ examples: ["/electronics/smartphones/"] }),
    depth: Type.Integer({ examples: [2] }),
    sortOrder: Type.Integer({ examples: [10] }),
    breadcrumbs: Type.Array(CategoryRef, { description: "from the root down to this category, itself included" }),
    children: Type.Array(CategoryRef, { description: "by sortOrder, then name" }),
    attributes: Type.Array(AttributeView, { description: "its effective attributes: inherited (root down), then its own" }),
  },
  {
    $id: "CategoryDetail",
    example: {
      id: "cat_01JD4M3Z8Q5V7W9X1Y2Z3A4B5E",
      parentId: "cat_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C",
      slug: "smartphones",
      name: "Smartphones",
      path: "/electronics/smartphones/",
      depth: 2,
      sortOrder: 10,
      breadcrumbs: [
        { id: "cat_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", slug: "electronics", name: "Electronics" },
        { id: "cat_01JD4M3Z8Q5V7W9X1Y2Z3A4B5E", slug: "smartphones", name: "Smartphones" },
      ],
      children: [{ id: "cat_01JD4M3Z8Q5V7W9X1Y2Z3A4B5F", slug: "android-phones", name: "Android phones" }],
      attributes: [ATTRIBUTE_EXAMPLE],
    },
  },
);
export type CategoryDetail = Static<typeof CategoryDetail>;

// ---- brands ----

const BrandName = SingleLineText({ maxLength: 120, examples: ["Acme"] });

export const CreateBrandBody = Type.Object(
  { name: BrandName, slug: Type.Optional(SlugMadeFromName) },
  { additionalProperties: false, example: { name: "Acme", slug: "acme" } },
);
export type CreateBrandBody = Static<typeof CreateBrandBody>;

export const UpdateBrandBody = Type.Object(
  { name: Type.Optional(BrandName), slug: Type.Optional(Slug) },
  { additionalProperties: false, example: { name: "Acme Corporation" } },
);
export type UpdateBrandBody = Static<typeof UpdateBrandBody>;

const BRAND_EXAMPLE = { id: "brd_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", slug: "acme", name: "Acme", createdAt: "2026-11-25T06:00:00.000Z" };

export const BrandView = Type.Object(
  { id: BrandId, slug: Slug, name: Type.String({ examples: ["Acme"] }), createdAt: Timestamp },
  { $id: "BrandView", example: BRAND_EXAMPLE },
);
export type BrandView = Static<typeof BrandView>;

export const BrandPage = Type.Composite([Page(BrandView)], { $id: "BrandPage", example: { items: [BRAND_EXAMPLE], nextCursor: null } });
export type BrandPage = Static<typeof BrandPage>;

/** Brands, alphabetical, optionally by name prefix. */
export const BrandQuery = Type.Object({
  limit: PageQuery.properties.limit,
  cursor: PageQuery.properties.cursor,
  q: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 120,
      pattern: "^[^\\u0000-\\u001F\\u007F]+$",
      error: "must be 1 to 120 characters of one line",
      description: "only brands whose name (or slug) starts with this (case-insensitive for A-Z)",
      examples: ["ac"],
    }),
  ),
});
export type BrandQuery = Static<typeof BrandQuery>;
