import { type Static, Type } from "@sinclair/typebox";
import { idPattern } from "./ids.ts";
import { PageQuery } from "./pagination.ts";
import { SingleLineText } from "./text.ts";

/** A sub-order's lifecycle (core/orders/lifecycle.ts has the transitions and who may make them). */
export const SUB_ORDER_STATUSES = ["pending", "confirmed", "shipped", "delivered", "cancelled", "return_requested", "returned"] as const;
export type SubOrderStatus = (typeof SUB_ORDER_STATUSES)[number];

/** The parent order: the checkout's own statuses until the payment succeeds, then derived from its sub-orders. */
export const ORDER_STATUSES = ["placing", "awaiting_payment", "failed", ...SUB_ORDER_STATUSES] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const ORDER_ACTORS = ["buyer", "seller", "admin", "system"] as const;

const ORDER_ID = "ord_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C";
const SUB_ORDER_ID = "sub_01JD4M3Z8Q5V7W9X1Y2Z3A4B5D";
const TIMESTAMP = Type.String({ format: "date-time", examples: ["2026-12-04T10:00:00.000Z"] });
const Nullable = <T extends ReturnType<typeof Type.String | typeof Type.Integer>>(schema: T) => Type.Union([schema, Type.Null()]);
const literals = <T extends readonly string[]>(values: T) => Type.Unsafe<T[number]>(Type.Union(values.map((v) => Type.Literal(v))));

export const OrderId = Type.String({ pattern: idPattern("order"), error: "must be an order id (ord_…)", examples: [ORDER_ID] });
export const SubOrderId = Type.String({ pattern: idPattern("subOrder"), error: "must be a sub-order id (sub_…)", examples: [SUB_ORDER_ID] });
export const OrderIdParams = Type.Object({ id: OrderId });
export const SubOrderParams = Type.Object({ id: OrderId, subOrderId: SubOrderId });
export const SellerSubOrderParams = Type.Object({ id: SubOrderId });

export const CheckoutBody = Type.Object(
  {
    addressId: Type.String({
      pattern: idPattern("address"),
      error: "must be one of your addresses (adr_…)",
      description: "where it ships: one of your addresses",
    }),
    currency: Type.Optional(
      Type.String({ pattern: "^[A-Z]{3}$", error: "must be an ISO 4217 code", description: "what you pay in; your profile's currency by default" }),
    ),
    paymentMethod: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: "for the part the wallet does not pay: a Stripe `pm_…` id, or a sandbox test card (4242424242424242 succeeds)",
        examples: ["4242424242424242"],
      }),
    ),
    provider: Type.Optional(literals(["sandbox", "stripe", "razorpay", "paypal"] as const)),
    walletAmount: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 100_000_000_000,
        error: "must be a whole number of minor units, 0 or more",
        description: "how much to pay from your wallet",
      }),
    ),
    expectedTotal: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 100_000_000_000,
        error: "must be a whole number of minor units",
        description: "the total you were shown: if the cart now costs anything else, nothing is charged (409)",
      }),
    ),
  },
  { additionalProperties: false, example: { addressId: "adr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", paymentMethod: "4242424242424242", expectedTotal: 5998 } },
);
export type CheckoutBody = Static<typeof CheckoutBody>;

export const OrderItemView = Type.Object({
  id: Type.String(),
  productId: Type.String(),
  variantId: Type.String(),
  sku: Type.String(),
  title: Type.String(),
  options: Type.Record(Type.String(), Type.String()),
  quantity: Type.Integer(),
  unitPrice: Type.Integer({ description: "the seller's price of one, in the sub-order's settlement currency" }),
  amount: Type.Integer({ description: "what you pay for the line, in the order's currency" }),
});

export const TimelineEntry = Type.Object({
  type: Type.String({ examples: ["order.shipped"] }),
  subOrderId: Nullable(Type.String()),
  fromStatus: Nullable(Type.String()),
  toStatus: Nullable(Type.String()),
  actor: literals(ORDER_ACTORS),
  note: Nullable(Type.String()),
  at: TIMESTAMP,
});

const ADDRESS_EXAMPLE = {
  recipient: "Ada Lovelace",
  line1: "Rua Augusta 24",
  line2: null,
  city: "Lisboa",
  region: null,
  postalCode: "1100-048",
  country: "PT",
  phone: "+351211234567",
};
const SUB_ORDER_EXAMPLE = {
  id: SUB_ORDER_ID,
  orderId: ORDER_ID,
  sellerId: "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5E",
  status: "confirmed",
  currency: "EUR",
  items: [
    {
      id: "oit_01JD4M3Z8Q5V7W9X1Y2Z3A4B5F",
      productId: "prd_01JD4M3Z8Q5V7W9X1Y2Z3A4B5G",
      variantId: "var_01JD4M3Z8Q5V7W9X1Y2Z3A4B5H",
      sku: "TEE-M-BLK",
      title: "Organic cotton tee",
      options: { size: "M", colour: "black" },
      quantity: 2,
      unitPrice: 1999,
      amount: 3998,
    },
  ],
  itemsAmount: 3998,
  shippingAmount: 500,
  total: 4498,
  refunded: 0,
  settlementCurrency: "EUR",
  fxRate: "1",
  carrier: null,
  trackingNumber: null,
  shippedAt: null,
  deliveredAt: null,
  returnWindowEndsAt: null,
  returnReason: null,
  createdAt: "2026-12-04T10:00:00.000Z",
  updatedAt: "2026-12-04T10:00:01.000Z",
};
const TIMELINE_EXAMPLE = [
  { type: "order.placed", subOrderId: SUB_ORDER_ID, fromStatus: null, toStatus: "pending", actor: "buyer", note: null, at: "2026-12-04T10:00:00.000Z" },
  {
    type: "order.confirmed",
    subOrderId: SUB_ORDER_ID,
    fromStatus: "pending",
    toStatus: "confirmed",
    actor: "system",
    note: "paid (pay_01JD4M3Z8Q5V7W9X1Y2Z3A4B5J)",
    at: "2026-12-04T10:00:01.000Z",
  },
];

export const SubOrderView = Type.Object(
  {
    id: Type.String({ examples: [SUB_ORDER_ID] }),
    orderId: Type.String({ examples: [ORDER_ID] }),
    sellerId: Type.String(),
    status: literals(SUB_ORDER_STATUSES),
    currency: Type.String({ description: "the order's currency" }),
    items: Type.Array(OrderItemView),
    itemsAmount: Type.Integer(),
    shippingAmount: Type.Integer(),
    total: Type.Integer(),
    refunded: Type.Integer(),
    settlementCurrency: Type.String({ description: "the seller's currency" }),
    fxRate: Type.String({ description: "settlement currency → order currency, as used for this sub-order", examples: ["1.0842"] }),
    carrier: Nullable(Type.String()),
    trackingNumber: Nullable(Type.String()),
    shippedAt: Nullable(TIMESTAMP),
    deliveredAt: Nullable(TIMESTAMP),
    returnWindowEndsAt: Nullable(TIMESTAMP),
    returnReason: Nullable(Type.String()),
    createdAt: TIMESTAMP,
    updatedAt: TIMESTAMP,
  },
  { example: SUB_ORDER_EXAMPLE },
);
export type SubOrderView = Static<typeof SubOrderView>;

export const OrderView = Type.Object(
  {
    id: Type.String({ examples: [ORDER_ID] }),
    buyerId: Type.String(),
    status: literals(ORDER_STATUSES),
    currency: Type.String({ examples: ["EUR"] }),
    itemsAmount: Type.Integer(),
    shippingAmount: Type.Integer(),
    total: Type.Integer(),
    walletAmount: Type.Integer(),
    payment: Type.Union([
      Type.Object({
        id: Type.String(),
        status: Type.String({ examples: ["captured"] }),
        nextAction: Nullable(Type.String({ description: "when the payment needs you: where to authenticate" })),
      }),
      Type.Null(),
    ]),
    failureReason: Nullable(Type.String()),
    shippingAddress: Type.Object({
      recipient: Type.String(),
      line1: Type.String(),
      line2: Nullable(Type.String()),
      city: Type.String(),
      region: Nullable(Type.String()),
      postalCode: Nullable(Type.String()),
      country: Type.String(),
      phone: Nullable(Type.String()),
    }),
    subOrders: Type.Array(SubOrderView),
    timeline: Type.Array(TimelineEntry),
    createdAt: TIMESTAMP,
    updatedAt: TIMESTAMP,
  },
  {
    $id: "OrderView",
    example: {
      id: ORDER_ID,
      buyerId: "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5K",
      status: "confirmed",
      currency: "EUR",
      itemsAmount: 3998,
      shippingAmount: 500,
      total: 4498,
      walletAmount: 0,
      payment: { id: "pay_01JD4M3Z8Q5V7W9X1Y2Z3A4B5J", status: "captured", nextAction: null },
      failureReason: null,
      shippingAddress: ADDRESS_EXAMPLE,
      subOrders: [SUB_ORDER_EXAMPLE],
      timeline: TIMELINE_EXAMPLE,
      createdAt: "2026-12-04T10:00:00.000Z",
      updatedAt: "2026-12-04T10:00:01.000Z",
    },
  },
);
export type OrderView = Static<typeof OrderView>;

/** An order in a list: without items and timeline. */
export const OrderSummary = Type.Object({
  id: Type.String(),
  status: literals(ORDER_STATUSES),
  currency: Type.String(),
  total: Type.Integer(),
  subOrders: Type.Array(Type.Object({ id: Type.String(), sellerId: Type.String(), status: literals(SUB_ORDER_STATUSES), total: Type.Integer() })),
  createdAt: TIMESTAMP,
});
export const OrderList = Type.Object(
  { items: Type.Array(OrderSummary), nextCursor: Nullable(Type.String()) },
  {
    example: {
      items: [
        {
          id: ORDER_ID,
          status: "confirmed",
          currency: "EUR",
          total: 4498,
          subOrders: [{ id: SUB_ORDER_ID, sellerId: "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5E", status: "confirmed", total: 4498 }],
          createdAt: "2026-12-04T10:00:00.000Z",
        },
      ],
      nextCursor: null,
    },
  },
);
export type OrderList = Static<typeof OrderList>;

export const OrderListQuery = Type.Object({
  limit: PageQuery.properties.limit,
  cursor: PageQuery.properties.cursor,
  status: Type.Optional(literals(ORDER_STATUSES)),
});
export type OrderListQuery = Static<typeof OrderListQuery>;

/** A seller's view of their sub-order: the buyer's shipping address, never their other sellers' parts. */
export const SellerSubOrderView = Type.Object(
  {
    ...SubOrderView.properties,
    shippingAddress: OrderView.properties.shippingAddress,
    timeline: Type.Array(TimelineEntry),
  },
  { example: { ...SUB_ORDER_EXAMPLE, shippingAddress: ADDRESS_EXAMPLE, timeline: TIMELINE_EXAMPLE } },
);
export type SellerSubOrderView = Static<typeof SellerSubOrderView>;

export const SellerOrderList = Type.Object(
  { items: Type.Array(SubOrderView), nextCursor: Nullable(Type.String()) },
  { example: { items: [SUB_ORDER_EXAMPLE], nextCursor: null } },
);
export type SellerOrderList = Static<typeof SellerOrderList>;

export const SellerOrderListQuery = Type.Object({
  limit: PageQuery.properties.limit,
  cursor: PageQuery.properties.cursor,
  status: Type.Optional(literals(SUB_ORDER_STATUSES)),
});
export type SellerOrderListQuery = Static<typeof SellerOrderListQuery>;

export const ShipBody = Type.Object(
  {
    carrier: SingleLineText({ minLength: 1, maxLength: 60, examples: ["DHL"] }),
    trackingNumber: Type.String({ pattern: "^[A-Za-z0-9-]{4,40}$", error: "must be 4 to 40 letters, digits or hyphens", examples: ["JD014600006281230704"] }),
  },
  { additionalProperties: false, example: { carrier: "DHL", trackingNumber: "JD014600006281230704" } },
);
export type ShipBody = Static<typeof ShipBody>;

export const ReasonBody = Type.Object(
  { reason: SingleLineText({ minLength: 1, maxLength: 500, examples: ["The zip broke on first use"] }) },
  { additionalProperties: false, example: { reason: "The zip broke on first use" } },
);
export type ReasonBody = Static<typeof ReasonBody>;

export const OptionalReasonBody = Type.Object(
  { reason: Type.Optional(SingleLineText({ minLength: 1, maxLength: 500, examples: ["Ordered the wrong size"] })) },
  { additionalProperties: false, example: { reason: "Ordered the wrong size" } },
);
export type OptionalReasonBody = Static<typeof OptionalReasonBody>;
