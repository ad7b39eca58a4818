// Owned by the shipping service (core/shipping): each seller's shipping rates per destination zone. The full
// shipping service (labels, tracking) replaces the estimate behind the same interface later.
import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * How a seller charges shipping to a zone: `countries` is the zone (ISO 3166-1 alpha-2 codes; empty = everywhere
 * else), `flat` charges `base_minor` per shipment, `weight` charges `base_minor` plus `per_kg_minor` per started kg.
 * Amounts are in the seller's `currency`. `free_over_minor`: items worth at least this ship free.
 */
export const shippingRate = sqliteTable(
  "shipping_rate",
  {
    id: text("id").primaryKey(),
    sellerId: text("seller_id").notNull(),
    name: text("name").notNull(),
    countries: text("countries", { mode: "json" }).$type<string[]>().notNull(),
    kind: text("kind").notNull(),
    baseMinor: integer("base_minor").notNull(),
    perKgMinor: integer("per_kg_minor").notNull().default(0),
    freeOverMinor: integer("free_over_minor"),
    currency: text("currency").notNull(),
    minDays: integer("min_days").notNull(),
    maxDays: integer("max_days").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("shipping_rate_seller_idx").on(t.sellerId),
    check("shipping_rate_kind", sql`${t.kind} IN ('flat', 'weight')`),
    check("shipping_rate_amounts", sql`${t.baseMinor} >= 0 AND ${t.perKgMinor} >= 0 AND ${t.minDays} >= 0 AND ${t.maxDays} >= ${t.minDays}`),
  ],
);
