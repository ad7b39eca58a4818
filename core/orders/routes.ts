import {
  CheckoutBody,
  IdempotencyHeaders,
  OptionalReasonBody,
  OrderIdParams,
  OrderList,
  OrderListQuery,
  OrderView,
  ReasonBody,
  type Role,
  SellerOrderList,
  SellerOrderListQuery,
  SellerSubOrderParams,
  SellerSubOrderView,
  ShipBody,
  SubOrderParams,
} from "@bazaar/contracts";
import { t } from "elysia";
import { authentication } from "../http/authentication.ts";
import { plugin } from "../http/plugin.ts";
import { problems } from "../http/problems.ts";
import { requestContext } from "../http/request-context.ts";
import { countryOfLocation, type Providers } from "../payments/index.ts";
import type { Deps } from "../platform/deps.ts";
import { checkout } from "./checkout.ts";
import { actAsSeller, cancelByBuyer, cancelOrder, getOrder, getSellerSubOrder, listOrders, listSellerSubOrders, requestReturn } from "./service.ts";

const TAGS = ["orders"];
const SELLER_TAGS = ["orders", "seller"];
const SELLERS: Role[] = ["seller", "admin", "support"];

const CheckoutHeaders = IdempotencyHeaders("required: a unique key per checkout, the same one when retrying it");

/** Checkout and the buyer's orders. */
export function orderRoutes(deps: Deps, providers: Providers) {
  return plugin("orders/buyer")
    .use(requestContext(deps))
    .use(authentication(deps))
    .post(
      "/v1/checkout",
      async ({ ctx, actor, body, headers, set }) => {
        set.status = 201;
        const risk = { ipAddress: ctx.client.ip ?? undefined, ipCountry: countryOfLocation(ctx.client.location) };
        return checkout(ctx, { providers }, actor, { body, idempotencyKey: headers["idempotency-key"], risk });
      },
      {
        auth: true,
        body: CheckoutBody,
        headers: CheckoutHeaders,
        response: { 201: OrderView, ...problems(400, 401, 409, 413, 415, 422, 502) },
        detail: {
          operationId: "checkout",
          tags: TAGS,
          summary: "Turn your cart into an order and pay for it",
          description:
            "Prices and re-checks the cart now (a changed price, short stock, an item no longer for sale or a seller who does not ship to the address is a 409 naming the lines, and nothing is charged; so is an `expectedTotal` that is not the total now), holds the stock of every line at once, makes one order with a sub-order per seller, and pays through the payments service. `status` says what happened: `confirmed` (paid), `awaiting_payment` (follow `payment.nextAction`, or wait for the gateway or a review), `failed` (nothing charged, stock released). Send an `Idempotency-Key`: the same key again returns the same order, with nothing held or charged twice; the same key with another body is a 409.",
        },
      },
    )
    .get("/v1/orders", ({ ctx, actor, query }) => listOrders(ctx, actor, query), {
      auth: true,
      query: OrderListQuery,
      response: { 200: OrderList, ...problems(400, 401, 422) },
      detail: { operationId: "listOrders", tags: TAGS, summary: "Your orders, newest first" },
    })
    .get("/v1/orders/:id", ({ ctx, actor, params }) => getOrder(ctx, actor, params.id), {
      auth: true,
      params: OrderIdParams,
      response: { 200: OrderView, ...problems(401, 404, 422) },
      detail: { operationId: "getOrder", tags: TAGS, summary: "One of your orders: its sub-orders per seller, items and timeline" },
    })
    .post("/v1/orders/:id/cancel", ({ ctx, actor, params, body }) => cancelOrder(ctx, { providers }, actor, params.id, body?.reason), {
      auth: true,
      params: OrderIdParams,
      body: t.Optional(OptionalReasonBody),
      response: { 200: OrderView, ...problems(401, 404, 409, 422) },
      detail: {
        operationId: "cancelOrder",
        tags: TAGS,
        summary: "Cancel every part of the order not shipped yet",
        description:
          "What was paid for the cancelled parts is refunded (to the card, or the wallet for the part it paid). A shipped part stays; nothing left to cancel is a 409.",
      },
    })
    .post(
      "/v1/orders/:id/sub-orders/:subOrderId/cancel",
      ({ ctx, actor, params, body }) => cancelByBuyer(ctx, { providers }, actor, params.id, params.subOrderId, body?.reason),
      {
        auth: true,
        params: SubOrderParams,
        body: t.Optional(OptionalReasonBody),
        response: { 200: OrderView, ...problems(401, 403, 404, 409, 422) },
        detail: { operationId: "cancelSubOrder", tags: TAGS, summary: "Cancel one seller's part before it ships (refunded if paid)" },
      },
    )
    .post(
      "/v1/orders/:id/sub-orders/:subOrderId/return",
      ({ ctx, actor, params, body }) => requestReturn(ctx, actor, params.id, params.subOrderId, body.reason),
      {
        auth: true,
        params: SubOrderParams,
        body: ReasonBody,
        response: { 200: OrderView, ...problems(401, 403, 404, 409, 422) },
        detail: {
          operationId: "requestReturn",
          tags: TAGS,
          summary: "Ask to return a delivered part, within its return window",
          description: "The seller approves (the part is refunded) or rejects it. After `returnWindowEndsAt` it is a 409.",
        },
      },
    );
}

/** Sellers' sub-orders: list, read, and move them along (staff may act on any). */
export function sellerOrderRoutes(deps: Deps, providers: Providers) {
  return plugin("orders/seller")
    .use(requestContext(deps))
    .use(authentication(deps))
    .get("/v1/seller/orders", ({ ctx, actor, query }) => listSellerSubOrders(ctx, actor, query), {
      auth: SELLERS,
      query: SellerOrderListQuery,
      response: { 200: SellerOrderList, ...problems(400, 401, 403, 422) },
      detail: { operationId: "listSellerOrders", tags: SELLER_TAGS, summary: "Your sub-orders, newest first, optionally of one status" },
    })
    .get("/v1/seller/orders/:id", ({ ctx, actor, params }) => getSellerSubOrder(ctx, actor, params.id), {
      auth: SELLERS,
      params: SellerSubOrderParams,
      response: { 200: SellerSubOrderView, ...problems(401, 403, 404, 422) },
      detail: { operationId: "getSellerOrder", tags: SELLER_TAGS, summary: "One of your sub-orders, with where it ships and its timeline" },
    })
    .post("/v1/seller/orders/:id/confirm", ({ ctx, actor, params }) => actAsSeller(ctx, { providers }, actor, params.id, { kind: "confirm" }), {
      auth: SELLERS,
      params: SellerSubOrderParams,
      response: { 200: SellerSubOrderView, ...problems(401, 403, 404, 409, 422) },
      detail: { operationId: "confirmSellerOrder", tags: SELLER_TAGS, summary: "Confirm a paid sub-order (checkout confirms paid ones itself)" },
    })
    .post(
      "/v1/seller/orders/:id/ship",
      ({ ctx, actor, params, body }) =>
        actAsSeller(ctx, { providers }, actor, params.id, { kind: "ship", carrier: body.carrier, trackingNumber: body.trackingNumber }),
      {
        auth: SELLERS,
        params: SellerSubOrderParams,
        body: ShipBody,
        response: { 200: SellerSubOrderView, ...problems(401, 403, 404, 409, 422) },
        detail: { operationId: "shipSellerOrder", tags: SELLER_TAGS, summary: "Mark a confirmed sub-order shipped, with its carrier and tracking number" },
      },
    )
    .post("/v1/seller/orders/:id/deliver", ({ ctx, actor, params }) => actAsSeller(ctx, { providers }, actor, params.id, { kind: "deliver" }), {
      auth: SELLERS,
      params: SellerSubOrderParams,
      response: { 200: SellerSubOrderView, ...problems(401, 403, 404, 409, 422) },
      detail: { operationId: "deliverSellerOrder", tags: SELLER_TAGS, summary: "Mark a shipped sub-order delivered: the buyer's return window opens" },
    })
    .post(
      "/v1/seller/orders/:id/cancel",
      ({ ctx, actor, params, body }) => actAsSeller(ctx, { providers }, actor, params.id, { kind: "cancel", reason: body?.reason }),
      {
        auth: SELLERS,
        params: SellerSubOrderParams,
        body: t.Optional(OptionalReasonBody),
        response: { 200: SellerSubOrderView, ...problems(401, 403, 404, 409, 422) },
        detail: { operationId: "cancelSellerOrder", tags: SELLER_TAGS, summary: "Cancel a sub-order before it ships: the buyer is refunded" },
      },
    )
    .post("/v1/seller/orders/:id/return/approve", ({ ctx, actor, params }) => actAsSeller(ctx, { providers }, actor, params.id, { kind: "approve_return" }), {
      auth: SELLERS,
      params: SellerSubOrderParams,
      response: { 200: SellerSubOrderView, ...problems(401, 403, 404, 409, 422) },
      detail: { operationId: "approveReturnSellerOrder", tags: SELLER_TAGS, summary: "Approve a requested return: the sub-order is refunded" },
    })
    .post(
      "/v1/seller/orders/:id/return/reject",
      ({ ctx, actor, params, body }) => actAsSeller(ctx, { providers }, actor, params.id, { kind: "reject_return", reason: body.reason }),
      {
        auth: SELLERS,
        params: SellerSubOrderParams,
        body: ReasonBody,
        response: { 200: SellerSubOrderView, ...problems(401, 403, 404, 409, 422) },
        detail: {
          operationId: "rejectReturnSellerOrder",
          tags: SELLER_TAGS,
          summary: "Reject a requested return, saying why: the sub-order is delivered again",
        },
      },
    );
}
