import { Type } from "@sinclair/typebox";
import { defineEvent } from "./envelope.ts";

/** Every event the platform emits, with its versioned payload schema. */

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

export const userRegistered = defineEvent(
  "user.registered",
  1,
  Type.Object({ userId: Type.String(), email: Type.String(), name: Type.String() }, { additionalProperties: false }),
);

export const userLoggedIn = defineEvent(
  "user.logged_in",
  1,
  Type.Object({ userId: Type.String(), sessionId: Type.String(), userAgent: Nullable(Type.String()) }, { additionalProperties: false }),
);

/** Why a session ended. The edge adds the session to its revocation list for every reason. */
export const SESSION_REVOKED_REASONS = [
  "logout",
  "refresh_reuse",
  "revoked_by_user",
  "password_reset",
  "password_changed",
  "account_suspended",
  "account_deleted",
] as const;

export const sessionRevoked = defineEvent(
  "session.revoked",
  1,
  Type.Object(
    { userId: Type.String(), sessionId: Type.String(), reason: Type.Union(SESSION_REVOKED_REASONS.map((r) => Type.Literal(r))) },
    { additionalProperties: false },
  ),
);

/** A sign-in from a device this account had not used before (notifications tell the owner). */
export const userNewDeviceLogin = defineEvent(
  "user.new_device_login",
  1,
  Type.Object(
    {
      userId: Type.String(),
      sessionId: Type.String(),
      deviceName: Type.String(),
      ip: Nullable(Type.String()),
      location: Nullable(Type.String()),
    },
    { additionalProperties: false },
  ),
);

/** Someone asked for (another) verification email; the mailer derives the link from this event's id. */
export const userEmailVerificationRequested = defineEvent(
  "user.email_verification_requested",
  1,
  Type.Object({ userId: Type.String(), email: Type.String() }, { additionalProperties: false }),
);

export const userEmailVerified = defineEvent(
  "user.email_verified",
  1,
  Type.Object({ userId: Type.String(), email: Type.String() }, { additionalProperties: false }),
);

/** A reset link is owed to this address; the mailer derives the link from this event's id. */
export const userPasswordResetRequested = defineEvent(
  "user.password_reset_requested",
  1,
  Type.Object({ userId: Type.String(), email: Type.String() }, { additionalProperties: false }),
);

export const userPasswordChanged = defineEvent(
  "user.password_changed",
  1,
  Type.Object({ userId: Type.String(), via: Type.Union([Type.Literal("reset"), Type.Literal("change")]) }, { additionalProperties: false }),
);

export const userRolesChanged = defineEvent(
  "user.roles_changed",
  1,
  Type.Object(
    { userId: Type.String(), roles: Type.Array(Type.String()), granted: Type.Array(Type.String()), revoked: Type.Array(Type.String()), actorId: Type.String() },
    { additionalProperties: false },
  ),
);

/** Suspended, banned or reinstated: the edge refuses a non-active user's tokens at once. */
export const userStatusChanged = defineEvent(
  "user.status_changed",
  1,
  Type.Object(
    {
      userId: Type.String(),
      status: Type.Union([Type.Literal("active"), Type.Literal("suspended"), Type.Literal("banned"), Type.Literal("deleted")]),
      actorId: Type.String(),
      reason: Nullable(Type.String()),
    },
    { additionalProperties: false },
  ),
);

export const userTwoFactorChanged = defineEvent(
  "user.two_factor_changed",
  1,
  Type.Object(
    {
      userId: Type.String(),
      method: Type.Union([Type.Literal("totp"), Type.Literal("passkey"), Type.Literal("recovery_codes")]),
      change: Type.Union([Type.Literal("enabled"), Type.Literal("disabled"), Type.Literal("regenerated"), Type.Literal("used")]),
    },
    { additionalProperties: false },
  ),
);

/** Personal data is gone; other services anonymise what they keep about this user (orders stay). */
export const userDeleted = defineEvent("user.deleted", 1, Type.Object({ userId: Type.String() }, { additionalProperties: false }));

const ProductRef = {
  productId: Type.String(),
  sellerId: Type.String(),
  slug: Type.String(),
  categoryId: Type.String(),
  status: Type.Union([Type.Literal("draft"), Type.Literal("active"), Type.Literal("archived"), Type.Literal("suspended")]),
};

/** Consumers: search indexing, edge cache purges, recommendations. */
export const productCreated = defineEvent("product.created", 1, Type.Object(ProductRef, { additionalProperties: false }));

/** `changed` names the fields that changed ("title", "status", "variants", "images", …). */
export const productUpdated = defineEvent(
  "product.updated",
  1,
  Type.Object({ ...ProductRef, changed: Type.Array(Type.String()) }, { additionalProperties: false }),
);

export const productDeleted = defineEvent(
  "product.deleted",
  1,
  Type.Object({ productId: Type.String(), sellerId: Type.String(), slug: Type.String(), categoryId: Type.String() }, { additionalProperties: false }),
);

/** Wishlists watch it for price drops; the edge purges the product's pages. */
export const variantPriceChanged = defineEvent(
  "variant.price_changed",
  1,
  Type.Object(
    {
      productId: Type.String(),
      variantId: Type.String(),
      currency: Type.String(),
      oldPriceMinor: Type.Integer(),
      newPriceMinor: Type.Integer(),
    },
    { additionalProperties: false },
  ),
);

/** Stock moved (adjusted, reserved, released, committed): search's in-stock flag and back-in-stock alerts follow it. */
export const inventoryChanged = defineEvent(
  "inventory.changed",
  1,
  Type.Object(
    {
      productId: Type.String(),
      variantId: Type.String(),
      locationId: Type.String(),
      onHand: Type.Integer(),
      reserved: Type.Integer(),
      available: Type.Integer(),
      reason: Type.String(),
    },
    { additionalProperties: false },
  ),
);

/** Available stock fell to or below the seller's threshold. */
export const inventoryLowStock = defineEvent(
  "inventory.low_stock",
  1,
  Type.Object(
    {
      productId: Type.String(),
      variantId: Type.String(),
      sellerId: Type.String(),
      locationId: Type.String(),
      available: Type.Integer(),
      threshold: Type.Integer(),
    },
    { additionalProperties: false },
  ),
);

/** A payment gateway's webhook, verified and stored (provider_event): payments applies it through the outbox. */
export const paymentProviderEventReceived = defineEvent(
  "payment.provider_event_received",
  1,
  Type.Object({ provider: Type.String(), eventId: Type.String() }, { additionalProperties: false }),
);

/** A payment reached a new status (captured, failed…). */
export const paymentStatusChanged = defineEvent(
  "payment.status_changed",
  1,
  Type.Object(
    {
      paymentId: Type.String(),
      buyerId: Type.String(),
      purpose: Type.String(),
      status: Type.String(),
      amountMinor: Type.Integer(),
      currency: Type.String(),
      /** what it pays for: the order id, for an order payment (added compatibly: absent on older events) */
      reference: Type.Optional(Nullable(Type.String())),
    },
    { additionalProperties: false },
  ),
);

/**
 * A refund ended: succeeded (to the card, the wallet, or both: `walletMinor` went to the wallet) or failed (a
 * top-up's card refund the gateway refused: the money went back to the wallet). Orders put it on the timeline.
 */
export const paymentRefundSettled = defineEvent(
  "payment.refund_settled",
  1,
  Type.Object(
    {
      refundId: Type.String(),
      paymentId: Type.String(),
      buyerId: Type.String(),
      /** the order the payment is for, and the sub-order refunded; null for a top-up */
      orderId: Nullable(Type.String()),
      subOrderId: Nullable(Type.String()),
      status: Type.Union([Type.Literal("succeeded"), Type.Literal("failed")]),
      amountMinor: Type.Integer(),
      walletMinor: Type.Integer(),
      currency: Type.String(),
    },
    { additionalProperties: false },
  ),
);

/** A seller's proceeds of a sub-order moved from pending to available (the return window closed). */
export const sellerFundsReleased = defineEvent(
  "seller.funds_released",
  1,
  Type.Object({ sellerId: Type.String(), subOrderId: Type.String(), amountMinor: Type.Integer(), currency: Type.String() }, { additionalProperties: false }),
);

/** A sub-order's step in its lifecycle (core/orders): the one shape of every order.* event. */
const OrderTransition = Type.Object(
  {
    orderId: Type.String(),
    subOrderId: Type.String(),
    buyerId: Type.String(),
    sellerId: Type.String(),
    /** null for order.placed */
    fromStatus: Nullable(Type.String()),
    status: Type.String(),
    /** buyer | seller | admin | system */
    actor: Type.String(),
    totalMinor: Type.Integer(),
    currency: Type.String(),
  },
  { additionalProperties: false },
);

/** Checkout made the sub-order (pending until its payment succeeds). Consumers: notifications, analytics. */
export const orderPlaced = defineEvent("order.placed", 1, OrderTransition);
/** Paid: the seller may ship it. */
export const orderConfirmed = defineEvent("order.confirmed", 1, OrderTransition);
export const orderShipped = defineEvent("order.shipped", 1, OrderTransition);
export const orderDelivered = defineEvent("order.delivered", 1, OrderTransition);
/** Cancelled before shipment (by the buyer, the seller, staff, or the system when its payment failed). */
export const orderCancelled = defineEvent("order.cancelled", 1, OrderTransition);
export const orderReturnRequested = defineEvent("order.return_requested", 1, OrderTransition);
/** The seller approved the return: the sub-order is refunded through payments. */
export const orderReturned = defineEvent("order.returned", 1, OrderTransition);

/** A wishlisted variant got cheaper than the price its wisher was last told. Consumer: notifications. */
export const wishlistPriceDropped = defineEvent(
  "wishlist.price_dropped",
  1,
  Type.Object(
    {
      userId: Type.String(),
      productId: Type.String(),
      variantId: Type.String(),
      currency: Type.String(),
      oldPriceMinor: Type.Integer(),
      newPriceMinor: Type.Integer(),
    },
    { additionalProperties: false },
  ),
);

/** A wishlisted variant that was out of stock is available again. Consumer: notifications. */
export const wishlistBackInStock = defineEvent(
  "wishlist.back_in_stock",
  1,
  Type.Object({ userId: Type.String(), productId: Type.String(), variantId: Type.String() }, { additionalProperties: false }),
);

export const EVENT_CATALOGUE = [
  userRegistered,
  userLoggedIn,
  sessionRevoked,
  userNewDeviceLogin,
  userEmailVerificationRequested,
  userEmailVerified,
  userPasswordResetRequested,
  userPasswordChanged,
  userRolesChanged,
  userStatusChanged,
  userTwoFactorChanged,
  userDeleted,
  productCreated,
  productUpdated,
  productDeleted,
  variantPriceChanged,
  inventoryChanged,
  inventoryLowStock,
  paymentProviderEventReceived,
  paymentStatusChanged,
  paymentRefundSettled,
  sellerFundsReleased,
  orderPlaced,
  orderConfirmed,
  orderShipped,
  orderDelivered,
  orderCancelled,
  orderReturnRequested,
  orderReturned,
  wishlistPriceDropped,
  wishlistBackInStock,
] as const;
export type CatalogueEvent = (typeof EVENT_CATALOGUE)[number];
export type EventType = CatalogueEvent["type"];
