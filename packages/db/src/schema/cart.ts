// Owned by the cart service (core/cart): carts (a signed-in shopper's, or a guest's behind a cart token), their
// lines, and wishlists.
import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * A cart, stored server-side so it follows its owner across devices: a user's (one per user) or a guest's, found
 * by the SHA-256 of its cart token (the token itself is never stored). A guest cart is merged into the user's on
 * sign-in and then deleted.
 */
export const cart = sqliteTable(
  "cart",
  {
    id: text("id").primaryKey(),
    userId: text("user_id"),
    guestTokenHash: text("guest_token_hash"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("cart_user_idx").on(t.userId),
    uniqueIndex("cart_guest_token_idx").on(t.guestTokenHash),
    check("cart_has_owner", sql`(${t.userId} IS NULL) <> (${t.guestTokenHash} IS NULL)`),
    index("cart_updated_idx").on(t.updatedAt),
  ],
);

/**
 * One variant in a cart. `seen_price_minor`/`seen_currency` are the price the shopper was last shown for it: when
 * the catalog's price differs, reading the cart flags the line instead of changing it silently.
 */
export const cartLine = sqliteTable(
  "cart_line",
  {
    cartId: text("cart_id")
      .notNull()
      .references(() => cart.id, { onDelete: "cascade" }),
    variantId: text("variant_id").notNull(),
    quantity: integer("quantity").notNull(),
    seenPriceMinor: integer("seen_price_minor").notNull(),
    seenCurrency: text("seen_currency").notNull(),
    addedAt: integer("added_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.cartId, t.variantId] }), check("cart_line_quantity_positive", sql`${t.quantity} > 0`)],
);

/**
 * A variant a user wishes for, with the price and availability last told to them: a drop below `notified_price_minor`
 * or a return to stock after `notified_in_stock` = false emits a wishlist event (once per change) for notifications.
 */
export const wishlistItem = sqliteTable(
  "wishlist_item",
  {
    userId: text("user_id").notNull(),
    variantId: text("variant_id").notNull(),
    productId: text("product_id").notNull(),
    notifiedPriceMinor: integer("notified_price_minor").notNull(),
    currency: text("currency").notNull(),
    notifiedInStock: integer("notified_in_stock", { mode: "boolean" }).notNull(),
    addedAt: integer("added_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.variantId] }),
    index("wishlist_item_variant_idx").on(t.variantId),
    index("wishlist_item_user_added_idx").on(t.userId, t.addedAt),
  ],
);
