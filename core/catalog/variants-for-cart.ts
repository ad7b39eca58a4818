// What the cart service reads of the catalog (through catalog's index.ts, never its tables): a variant's current
// price, whether its product is for sale, and how many units are available across the seller's locations.
import { type Queryable, schema } from "@bazaar/db";
import { eq, inArray, sql } from "drizzle-orm";
import type { Ctx } from "../platform/deps.ts";

/** A variant as a cart line needs it now. */
export interface CartVariant {
  variantId: string;
  productId: string;
  sellerId: string;
  categoryId: string;
  sku: string;
  /** the product's title */
  title: string;
  options: Record<string, string>;
  /** the seller's price of one, minor units of `currency` */
  priceMinor: number;
  currency: string;
  weightGrams: number | null;
  /** draft | active | archived | suspended */
  productStatus: string;
  /** only an active product's variants can be bought */
  forSale: boolean;
  /** on hand − reserved, summed over every location (0 when it has no stock anywhere) */
  available: number;
}

/**
 * The variants named, by id, as they are now (ids that name no variant are absent from the map). One query: the
 * variant, its product and the sum of its stock levels.
 */
export async function variantsForCart(ctx: Pick<Ctx, "database"> | { db: Queryable }, variantIds: readonly string[]): Promise<Map<string, CartVariant>> {
  const ids = [...new Set(variantIds)];
  if (ids.length === 0) return new Map();
  const db = "database" in ctx ? ctx.database.db : ctx.db;
  const { variant, product, stockLevel } = schema;
  const available = sql<number>`coalesce((SELECT sum(${stockLevel.onHand} - ${stockLevel.reserved}) FROM ${stockLevel} WHERE ${stockLevel.variantId} = ${variant.id}), 0)`;
  const rows = await db
    .select({
      variantId: variant.id,
      productId: variant.productId,
      sellerId: variant.sellerId,
      categoryId: product.categoryId,
      sku: variant.sku,
      title: product.title,
      options: variant.options,
      priceMinor: variant.priceMinor,
      currency: variant.currency,
      weightGrams: variant.weightGrams,
      productStatus: product.status,
      available,
    })
    .from(variant)
    .innerJoin(product, eq(product.id, variant.productId))
    .where(inArray(variant.id, ids));
  return new Map(rows.map((row) => [row.variantId, { ...row, available: Math.max(0, Number(row.available)), forSale: row.productStatus === "active" }]));
}
