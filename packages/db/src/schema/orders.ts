// Owned by the orders service (core/orders): checkouts and the orders they make, one sub-order per seller, their
// items (a snapshot of what was bought, at what price) and every order's timeline.
import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** Where an order's address was when it was placed: a copy, so editing the address book changes no order. */
export interface ShippingAddressSnapshot {
  recipient: string;
  line1: string;
  line2: string | null;
  city: string;
  region: string | null;
  postalCode: string | null;
  country: string;
  phone: string | null;
}

/**
 * The parent order of one checkout. `status` is derived from its sub-orders (kept beside them, written in the same
 * transaction) once the payment succeeded; before that it is the checkout's: placing (stock held, paying),
 * awaiting_payment (the buyer must authenticate, or the gateway or a review has yet to decide), failed (nothing was
 * charged and every hold is released). `expires_at`: when an unfinished checkout is given up (the expiry job).
 */
export const customerOrder = sqliteTable(
  "customer_order",
  {
    id: text("id").primaryKey(),
    buyerId: text("buyer_id").notNull(),
    status: text("status").notNull(),
    currency: text("currency").notNull(),
    itemsMinor: integer("items_minor").notNull(),
    shippingMinor: integer("shipping_minor").notNull(),
    totalMinor: integer("total_minor").notNull(),
    walletMinor: integer("wallet_minor").notNull().default(0),
    paymentId: text("payment_id"),
    paymentStatus: text("payment_status"),
    nextActionUrl: text("next_action_url"),
    failureReason: text("failure_reason"),
    shippingAddress: text("shipping_address", { mode: "json" }).$type<ShippingAddressSnapshot>().notNull(),
    /** the checkout's Idempotency-Key, unique per buyer, and a hash of what it asked for (another body is a 409) */
    idempotencyKey: text("idempotency_key").notNull(),
    requestHash: text("request_hash").notNull(),
    expiresAt: integer("expires_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("customer_order_key_idx").on(t.buyerId, t.idempotencyKey),
    index("customer_order_buyer_idx").on(t.buyerId, t.createdAt),
    index("customer_order_expiry_idx").on(t.expiresAt).where(sql`status IN ('placing', 'awaiting_payment')`),
    check("customer_order_amounts", sql`${t.itemsMinor} >= 0 AND ${t.shippingMinor} >= 0 AND ${t.totalMinor} = ${t.itemsMinor} + ${t.shippingMinor}`),
  ],
);

/**
 * One seller's part of an order, with its own status (the lifecycle state machine in core/orders), totals and
 * shipment. Amounts are in the order's currency; `settlement_*` in the seller's, converted at `fx_rate_ppb`
 * (seller currency → order currency, parts per billion) as of `fx_as_of`: the rate used, stored on the order.
 */
export const subOrder = sqliteTable(
  "sub_order",
  {
    id: text("id").primaryKey(),
    orderId: text("order_id")
      .notNull()
      .references(() => customerOrder.id),
    sellerId: text("seller_id").notNull(),
    status: text("status").notNull(),
    itemsMinor: integer("items_minor").notNull(),
    shippingMinor: integer("shipping_minor").notNull(),
    totalMinor: integer("total_minor").notNull(),
    settlementCurrency: text("settlement_currency").notNull(),
    settlementItemsMinor: integer("settlement_items_minor").notNull(),
    settlementShippingMinor: integer("settlement_shipping_minor").notNull(),
    fxRatePpb: integer("fx_rate_ppb").notNull(),
    fxAsOf: integer("fx_as_of").notNull(),
    shippingRateId: text("shipping_rate_id"),
    carrier: text("carrier"),
    trackingNumber: text("tracking_number"),
    shippedAt: integer("shipped_at"),
    deliveredAt: integer("delivered_at"),
    /** delivered_at + the return window: a return may be requested until then */
    returnWindowEndsAt: integer("return_window_ends_at"),
    returnReason: text("return_reason"),
    refundedMinor: integer("refunded_minor").notNull().default(0),
    /** bumped by every transition: a transition names the version it read, so two at once cannot both apply */
    version: integer("version").notNull().default(1),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("sub_order_order_idx").on(t.orderId),
    index("sub_order_seller_idx").on(t.sellerId, t.createdAt),
    index("sub_order_seller_status_idx").on(t.sellerId, t.status, t.createdAt),
    check(
      "sub_order_amounts",
      sql`${t.totalMinor} = ${t.itemsMinor} + ${t.shippingMinor} AND ${t.refundedMinor} >= 0 AND ${t.refundedMinor} <= ${t.totalMinor}`,
    ),
  ],
);

/** What was bought: a copy of the variant as it was sold, so later catalog edits change no order. */
export const orderItem = sqliteTable(
  "order_item",
  {
    id: text("id").primaryKey(),
    orderId: text("order_id").notNull(),
    subOrderId: text("sub_order_id")
      .notNull()
      .references(() => subOrder.id),
    productId: text("product_id").notNull(),
    variantId: text("variant_id").notNull(),
    categoryId: text("category_id").notNull(),
    sku: text("sku").notNull(),
    title: text("title").notNull(),
    options: text("options", { mode: "json" }).$type<Record<string, string>>().notNull(),
    quantity: integer("quantity").notNull(),
    /** the seller's price of one, in the settlement currency */
    unitPriceMinor: integer("unit_price_minor").notNull(),
    /** quantity × unit price, in the settlement currency */
    settlementMinor: integer("settlement_minor").notNull(),
    /** what the buyer pays for the line, in the order's currency */
    chargeMinor: integer("charge_minor").notNull(),
  },
  (t) => [index("order_item_sub_order_idx").on(t.subOrderId), check("order_item_quantity_positive", sql`${t.quantity} > 0`)],
);

/** The order's timeline: every transition and payment step, who made it, and when. */
export const orderEvent = sqliteTable(
  "order_event",
  {
    id: text("id").primaryKey(),
    orderId: text("order_id").notNull(),
    subOrderId: text("sub_order_id"),
    /** order.placed, order.confirmed, …, payment.refunded */
    type: text("type").notNull(),
    fromStatus: text("from_status"),
    toStatus: text("to_status"),
    /** buyer | seller | admin | system */
    actor: text("actor").notNull(),
    actorId: text("actor_id"),
    note: text("note"),
    at: integer("at").notNull(),
  },
  (t) => [index("order_event_order_idx").on(t.orderId, t.at)],
);
