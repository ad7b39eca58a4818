import type { schema } from "@bazaar/db";
import type { AttributeSpec } from "./data/attributes.ts";
import { localPrice } from "./prices.ts";
import { Random } from "./random.ts";
import { type BrandRow, type Leaf, SEED_EPOCH, type Seller, type Skeleton } from "./skeleton.ts";

export type ProductRow = typeof schema.product.$inferInsert;
export type ProductAttributeRow = typeof schema.productAttribute.$inferInsert;
export type VariantRow = typeof schema.variant.$inferInsert;
export type StockLevelRow = typeof schema.stockLevel.$inferInsert;

export interface SeededProduct {
  product: ProductRow;
  attributes: ProductAttributeRow[];
  variants: VariantRow[];
  stockLevels: StockLevelRow[];
}

const DAY = 86_400_000;
const MODEL_NAMES = ["A", "X", "Z", "S", "M", "Nova ", "Edge ", "Note ", "Aero ", "Pulse ", "Orbit "];
const MODEL_SUFFIXES = ["", "", "", " Pro", " Lite", " Max", " Plus", " Mini", " Ultra"];
const LEADS = [
  "Our {adj} {noun}, made for everyday use by {maker}.",
  "Our best-selling {noun}: {adj}, well made and built to last.",
  "The {noun} our customers come back for, now in more options.",
  "Designed by {maker} and checked by hand before it ships.",
  "Our {adj} take on the classic {noun}.",
];
const CLOSINGS = [
  "Ships within 48 hours. Free returns within 30 days.",
  "Questions about sizing or compatibility? Message the shop before you order.",
  "Packed plastic-free in recycled cardboard.",
  "Backed by the seller's warranty; see the shop policies for details.",
  "*Colours may vary slightly from the photos.*",
];

/** The random stream, creation time and id of product `index`: everything else about it follows from the stream. */
function head(index: number): { rng: Random; createdAt: number; id: string } {
  const rng = Random.for("product", index);
  const createdAt = SEED_EPOCH - rng.int(3 * DAY, 365 * DAY);
  return { rng, createdAt, id: rng.id("prd", createdAt) };
}

/** The id product `index` has on every run, without making up the rest of it. */
export function productIdAt(index: number): string {
  return head(index).id;
}

/** Product `index` of the demo catalogue, with its attributes, variants and stock: the same on every run. */
export function generateProduct(skeleton: Skeleton, index: number): SeededProduct {
  const { rng, createdAt, id } = head(index);
  const seller = pickSeller(rng, skeleton.sellers);
  // a leaf among all of the seller's departments, so big departments (electronics, fashion) get more products
  const leaf = pickLeaf(
    rng,
    seller.roots.flatMap((root) => skeleton.leavesByRoot.get(root) ?? []),
  );
  const root = leaf.root;
  const brand = pickBrand(rng, root, skeleton.brandsByRoot.get(root) ?? []);
  const hints = leaf.hints;

  const status = rng.weighted([
    ["active", 90],
    ["draft", 6],
    ["archived", 4],
  ] as const);
  const publishedAt = status === "draft" ? null : createdAt + rng.int(600_000, 2 * DAY);
  const updatedAt = Math.max(publishedAt ?? createdAt, createdAt + rng.int(0, 30 * DAY));

  const values = new Map<string, string | number>();
  for (const attribute of leaf.describingAttributes) {
    if (rng.chance(0.9)) values.set(attribute.key, attributeValue(rng, attribute));
  }
  const adjective = rng.pick(hints.adjectives);
  const noun = rng.pick(hints.nouns);
  const words: Record<string, string> = {
    brand: brand?.name ?? "",
    adj: adjective,
    noun,
    model: `${rng.pick(MODEL_NAMES)}${rng.int(2, 15)}${rng.pick(MODEL_SUFFIXES)}`,
  };
  const title = makeTitle(rng, hints.titles, hints.special ?? [], words, values);
  const slugBase = slugify(title).slice(0, 70).replace(/-+$/, "");
  const slug = `${slugBase || leaf.slug}-${index.toString(36)}`;

  const variants = makeVariants(rng, { index, id, seller, leaf, createdAt, updatedAt, root });
  const stockLevels = makeStock(rng, variants, seller, updatedAt);
  const available = new Set(stockLevels.filter((level) => (level.onHand ?? 0) > (level.reserved ?? 0)).map((level) => level.variantId));
  const prices = variants.map((variant) => variant.priceMinor);

  const popularity = status === "draft" ? 0 : status === "archived" ? rng.skewed(1, 2_000) : rng.skewed(1, 50_000);
  const reviewed = status !== "draft" && rng.chance(0.85);
  const ratingCount = reviewed ? rng.skewed(1, 4_000) : 0;
  const ratingAverageX100 = !reviewed ? null : ratingCount < 3 ? rng.int(3, 5) * 100 : 500 - rng.skewed(0, 219, 2);

  const product: ProductRow = {
    id,
    sellerId: seller.id,
    slug,
    title,
    description: describe(rng, leaf, words, values, brand),
    brandId: brand?.id ?? null,
    categoryId: leaf.id,
    status,
    version: 1,
    currency: seller.currency,
    minPriceMinor: Math.min(...prices),
    maxPriceMinor: Math.max(...prices),
    inStock: variants.some((variant) => available.has(variant.id)),
    popularity,
    ratingAverageX100,
    ratingCount,
    createdAt,
    updatedAt,
    publishedAt,
  };
  const attributes: ProductAttributeRow[] = leaf.describingAttributes
    .filter((attribute) => values.has(attribute.key))
    .map((attribute) => {
      const value = values.get(attribute.key);
      return typeof value === "number"
        ? { productId: id, key: attribute.key, valueText: null, valueNumber: value }
        : { productId: id, key: attribute.key, valueText: value ?? null, valueNumber: null };
    });
  return { product, attributes, variants, stockLevels };
}

function pickSeller(rng: Random, sellers: readonly Seller[]): Seller {
  return rng.weighted(sellers.map((seller) => [seller, seller.weight] as const));
}

function pickLeaf(rng: Random, leaves: readonly Leaf[]): Leaf {
  return rng.weighted(leaves.map((leaf) => [leaf, leaf.hints.share ?? 1] as const));
}

function pickBrand(rng: Random, root: string, brands: readonly BrandRow[]): BrandRow | undefined {
  if (brands.length === 0 || !rng.chance(root === "books" ? 0.5 : 0.8)) return undefined;
  return rng.pick(brands);
}

function attributeValue(rng: Random, attribute: AttributeSpec): string | number {
  switch (attribute.type) {
    case "enum":
      return rng.pick(attribute.options ?? []);
    case "number":
      return rng.pick(attribute.numbers ?? []);
    case "boolean":
      return rng.chance(0.5) ? "true" : "false";
    case "text":
      return rng.pick(attribute.texts ?? []);
  }
}

/** A title from a template whose every placeholder has a value; now and then one of the leaf's titles in another language. */
function makeTitle(
  rng: Random,
  templates: readonly string[],
  special: readonly string[],
  words: Record<string, string>,
  values: ReadonlyMap<string, string | number>,
): string {
  const lookup = (key: string): string | undefined => {
    const word = words[key];
    if (word !== undefined) return word || undefined;
    const value = values.get(key);
    return value === undefined || value === "true" || value === "false" ? undefined : String(value);
  };
  const usable = (template: string) => [...template.matchAll(/\{(\w+)\}/g)].every((match) => lookup(match[1] ?? "") !== undefined);
  const specials = special.filter(usable);
  const candidates = specials.length > 0 && rng.chance(0.05) ? specials : templates.filter(usable);
  const template = candidates.length > 0 ? rng.pick(candidates) : "{adj} {noun}";
  // an attribute value inside a name reads as part of it ("Linen Wrap Dress"); after a comma it stays as written ("…, slim fit")
  return template
    .replace(/\{(\w+)\}/g, (_, key: string, offset: number) => {
      const value = lookup(key) ?? "";
      return key in words || template.slice(0, offset).trimEnd().endsWith(",") ? value : value.charAt(0).toUpperCase() + value.slice(1);
    })
    .replace(/\s+/g, " ")
    .trim();
}

interface VariantContext {
  index: number;
  id: string;
  seller: Seller;
  leaf: Leaf;
  root: string;
  createdAt: number;
  updatedAt: number;
}

/** 1–4 variants that differ in one or two variant-defining attributes; every variant names all of them. */
function makeVariants(rng: Random, context: VariantContext): VariantRow[] {
  const { leaf, seller } = context;
  const defining = leaf.variantAttributes;
  const wanted =
    defining.length === 0
      ? 1
      : rng.weighted([
          [1, 35],
          [2, 25],
          [3, 20],
          [4, 20],
        ] as const);
  const fixed = new Map(defining.map((attribute) => [attribute.key, rng.pick(attribute.options ?? [])]));
  const varying = defining.length > 1 && wanted > 2 && rng.chance(0.35) ? rng.sample(defining, 2) : rng.sample(defining, 1);
  const perAttribute = varying.length === 2 ? Math.ceil(Math.sqrt(wanted)) : wanted;
  let combinations: Map<string, string>[] = [new Map()];
  for (const attribute of varying) {
    const options = attribute.options ?? [];
    const count = Math.min(perAttribute, options.length);
    // ordered options (storage, volume) come as a run of neighbours; others as any few
    const chosen = attribute.priceStep
      ? options.slice(rng.int(0, options.length - count)).slice(0, count)
      : rng.sample(options, count).sort((a, b) => options.indexOf(a) - options.indexOf(b));
    combinations = combinations.flatMap((combination) => chosen.map((value) => new Map([...combination, [attribute.key, value]])));
  }
  combinations = combinations.slice(0, wanted);

  const [low, high] = context.leaf.hints.priceUsd;
  const baseUsd = rng.skewed(low, high, 2);
  const onSale = rng.chance(0.25);
  const discount = 1.15 + rng.next() * 0.45;
  const [minWeight, maxWeight] = context.leaf.hints.weightGrams;
  const weightGrams = rng.int(minWeight, maxWeight);
  const [length, width, height] = context.leaf.hints.sizeMm.map((mm) => Math.round(mm * (0.85 + rng.next() * 0.3)));
  const skuStem = `${context.leaf.hints.skuCode}-${context.index.toString(36).toUpperCase().padStart(5, "0")}`;

  return combinations.map((combination, position) => {
    const options: Record<string, string> = {};
    let factor = 1;
    for (const attribute of defining) {
      const value = combination.get(attribute.key) ?? fixed.get(attribute.key) ?? "";
      options[attribute.key] = value;
      if (attribute.priceStep) factor += attribute.priceStep * (attribute.options ?? []).indexOf(value);
    }
    if (!defining.some((attribute) => attribute.priceStep) && position > 0 && rng.chance(0.2)) factor += rng.int(3, 10) / 100;
    const priceMinor = localPrice(baseUsd * factor, seller.currency);
    const compareAt = onSale ? localPrice(baseUsd * factor * discount, seller.currency) : null;
    return {
      id: rng.id("var", context.createdAt),
      productId: context.id,
      sellerId: seller.id,
      sku: `${skuStem}-${position + 1}`,
      options,
      priceMinor,
      compareAtMinor: compareAt !== null && compareAt > priceMinor ? compareAt : null,
      currency: seller.currency,
      weightGrams,
      lengthMm: length ?? null,
      widthMm: width ?? null,
      heightMm: height ?? null,
      barcode: ean13(`${context.root === "books" ? "978" : "200"}${String(context.index).padStart(8, "0")}${position}`),
      position,
      version: 1,
      createdAt: context.createdAt,
      updatedAt: context.updatedAt,
    };
  });
}

/** Stock of every variant at one or both of the seller's locations; a few products sold out, none reserved. */
function makeStock(rng: Random, variants: readonly VariantRow[], seller: Seller, updatedAt: number): StockLevelRow[] {
  const soldOut = rng.chance(0.06);
  const threshold = rng.pick([0, 3, 5, 10]);
  return variants.flatMap((variant) => {
    const at = seller.locationIds.length > 1 && rng.chance(0.4) ? rng.sample(seller.locationIds, 1) : seller.locationIds;
    return at.map((locationId) => {
      const roll = rng.next();
      const onHand = soldOut || roll < 0.12 ? 0 : roll < 0.27 ? rng.int(1, 5) : rng.skewed(6, 800, 3);
      return { variantId: variant.id, locationId, onHand, reserved: 0, lowStockThreshold: threshold, updatedAt };
    });
  });
}

function describe(rng: Random, leaf: Leaf, words: Record<string, string>, values: ReadonlyMap<string, string | number>, brand: BrandRow | undefined): string {
  // "Lightweight" reads as "lightweight" mid-sentence; "AMOLED", "Hi-Fi" and nouns ("MTB Helmet") stay as written
  const adjective = words.adj ?? "";
  const lead = rng
    .pick(LEADS)
    .replace("{adj}", /^[A-Z][^A-Z]*$/.test(adjective) ? adjective.toLowerCase() : adjective)
    .replace("{noun}", words.noun ?? "")
    .replace("{maker}", brand?.name ?? "our workshop");
  const facts = leaf.describingAttributes
    .filter((attribute) => values.has(attribute.key))
    .map((attribute) => {
      const value = values.get(attribute.key);
      const shown = value === "true" ? "yes" : value === "false" ? "no" : `${value}${attribute.unit ? ` ${attribute.unit}` : ""}`;
      return `- **${attribute.label}:** ${shown}`;
    });
  return [lead, facts.join("\n"), rng.pick(CLOSINGS)].filter(Boolean).join("\n\n");
}

/** A valid EAN-13 from its first 12 digits. */
function ean13(first12: string): string {
  const digits = first12.slice(-12).padStart(12, "0");
  const sum = [...digits].reduce((total, digit, i) => total + Number(digit) * (i % 2 === 0 ? 1 : 3), 0);
  return `${digits}${(10 - (sum % 10)) % 10}`;
}

// letters that do not decompose into a base letter plus marks under NFKD
const SPECIAL_LETTERS: Record<string, string> = { ß: "ss", æ: "ae", œ: "oe", ø: "o", ł: "l", đ: "d", ð: "d", þ: "th", ı: "i" };

/** Lowercase a-z, digits and single dashes, as the catalog's slugs are; letters in other scripts drop out. */
export function slugify(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/[ßæœøłđðþı]/g, (letter) => SPECIAL_LETTERS[letter] ?? "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}
