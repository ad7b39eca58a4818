// Checkout: the cart, priced and re-validated now, becomes one parent order and one sub-order per seller; its
// stock is held for every line at once (all or nothing); the payment goes through payments' interface; then the
// sub-orders are confirmed and the holds become deductions, or everything is released. Crash-safe: the order row
// (with the Idempotency-Key) is written before anything is held or charged, a retry resumes it under the same
// payment key, and the expiry job settles checkouts nobody finished.
import { createHash } from "node:crypto";
import { AppError, type CheckoutBody, ConflictError, type OrderView, type PaymentView, ValidationError } from "@bazaar/contracts";
import { isConstraintError, type Statement, schema } from "@bazaar/db";
import { and, eq, inArray, lt, sql } from "drizzle-orm";
import { shopperAddress, shopperCurrency } from "../accounts/index.ts";
import { cartIdOfUser, priceCart, removeCheckedOutLines } from "../cart/index.ts";
import type { PricedCart } from "../cart/priced-cart.ts";
import { commit, OutOfStockError, ReservationExpiredError, ReservationReleasedError, release, reserve } from "../catalog/index.ts";
import { findOrderPayment, findPayment, type OrderPaymentInput, type Providers, paymentView, payOrder } from "../payments/index.ts";
import type { Actor } from "../platform/deps.ts";
import {
  cancelSubOrder,
  findOrder,
  type OrderRow,
  type OrdersCtx,
  orderEventStatement,
  orderViewOf,
  refundSubOrder,
  type SubOrderRow,
  subOrdersOf,
  timelineStatement,
} from "./service.ts";

const { customerOrder, subOrder, orderItem } = schema;
/** How long a checkout holds its stock while the buyer pays (an extra authentication step included). */
export const CHECKOUT_HOLD_MS = 15 * 60_000;
/** How long a retry waits for the same checkout running in another request before answering with where it stands. */
const WAIT_FOR_RUNNING_MS = 30_000;

export interface CheckoutServices {
  providers: Providers;
}

export interface CheckoutRequest {
  body: CheckoutBody;
  idempotencyKey: string | undefined;
  risk?: OrderPaymentInput["risk"];
  payerEmail?: string;
}

/** The same checkout running in this process, by buyer and key: a retry waits for it instead of racing it. */
const running = new Map<string, Promise<OrderView>>();

/**
 * Places the order for the buyer's cart and pays for it. The same Idempotency-Key again returns the same order
 * (waiting for the first request if it is still running), with nothing held or charged twice; the same key with
 * another body is a 409.
 */
export async function checkout(ctx: OrdersCtx, services: CheckoutServices, actor: Actor, request: CheckoutRequest): Promise<OrderView> {
  const key = request.idempotencyKey;
  if (!key)
    throw new ValidationError([
      { path: "/headers/idempotency-key", message: "is required: send a unique key per checkout, and the same key when retrying it" },
    ]);
  const flight = `${actor.userId}\u0000${key}`;
  const already = running.get(flight);
  if (already) return sameCheckout(await already, requestHashOf(request.body), ctx, actor.userId, key);
  const work = placeAndPay(ctx, services, actor, request, key);
  running.set(flight, work);
  try {
    return await work;
  } finally {
    running.delete(flight);
  }
}

function requestHashOf(body: CheckoutBody): string {
  const canonical = JSON.stringify(Object.fromEntries(Object.entries(body).sort(([a], [b]) => a.localeCompare(b))));
  return createHash("sha256").update(canonical).digest("base64url");
}

async function sameCheckout(view: OrderView, hash: string, ctx: OrdersCtx, buyerId: string, key: string): Promise<OrderView> {
  const row = await orderByKey(ctx, buyerId, key);
  if (row && row.requestHash !== hash) throw keyReused();
  return view;
}

const keyReused = () => new ConflictError("This Idempotency-Key was used for another checkout; use a new key for a new checkout", "/headers/idempotency-key");

async function orderByKey(ctx: OrdersCtx, buyerId: string, key: string): Promise<OrderRow | undefined> {
  const [row] = await ctx.database.db
    .select()
    .from(customerOrder)
    .where(and(eq(customerOrder.buyerId, buyerId), eq(customerOrder.idempotencyKey, key)))
    .limit(1);
  return row;
}

async function placeAndPay(ctx: OrdersCtx, services: CheckoutServices, actor: Actor, request: CheckoutRequest, key: string): Promise<OrderView> {
  const hash = requestHashOf(request.body);
  const earlier = await orderByKey(ctx, actor.userId, key);
  if (earlier) return resume(ctx, services, earlier, hash, request);
  const placed = await place(ctx, actor, request.body, key, hash);
  if ("earlier" in placed) return resume(ctx, services, placed.earlier, hash, request);
  return pay(ctx, services, placed.order, request);
}

/** A checkout seen before: the same answer, or (a crashed or running one) carried on from where it stands. */
async function resume(ctx: OrdersCtx, services: CheckoutServices, order: OrderRow, hash: string, request: CheckoutRequest): Promise<OrderView> {
  if (order.requestHash !== hash) throw keyReused();
  if (order.status !== "placing") return orderViewOf(ctx.database.db, order);
  // another process may be running it: give it time before taking over (the payment key makes taking over safe)
  const deadline = ctx.clock() + WAIT_FOR_RUNNING_MS;
  let current = order;
  while (current.status === "placing" && current.updatedAt + WAIT_FOR_RUNNING_MS > ctx.clock() && Date.now() < deadline) {
    await Bun.sleep(50);
    current = (await findOrder(ctx.database.db, order.id)) ?? current;
  }
  if (current.status !== "placing") return orderViewOf(ctx.database.db, current);
  return holdAndPay(ctx, services, current, request);
}

/**
 * Holds the stock of every line (all or none: OutOfStockError, a 409), then writes the order, its sub-orders and
 * items, their timeline and order.placed events in one batch, from the cart as it prices now. A cart with a problem
 * (price changed, short stock, not for sale, not shipped there) or whose total is not the one the buyer saw is a
 * 409 listing them; nothing is written or held.
 */
async function place(ctx: OrdersCtx, actor: Actor, body: CheckoutBody, key: string, hash: string): Promise<{ order: OrderRow } | { earlier: OrderRow }> {
  const address = await shopperAddress(ctx.database, actor.userId, body.addressId);
  if (!address) throw new ValidationError([{ path: "/addressId", message: "is not one of your addresses" }]);
  const currency = body.currency ?? (await shopperCurrency(ctx.database, actor.userId));
  const cartId = await cartIdOfUser(ctx, actor.userId);
  if (!cartId) throw new ConflictError("Your cart is empty", "/cart");
  const cart = await priceCart(ctx, cartId, { currency, country: address.country });
  assertBuyable(cart, body);
  const walletMinor = body.walletAmount ?? 0;
  if (walletMinor > cart.totalMinor) throw new ValidationError([{ path: "/walletAmount", message: `is more than the order's total of ${cart.totalMinor}` }]);
  if (walletMinor < cart.totalMinor && !body.paymentMethod) {
    throw new ValidationError([{ path: "/paymentMethod", message: "is required for the part your wallet does not pay" }]);
  }

  const now = ctx.clock();
  const { id: _addressId, ...snapshot } = address;
  const order: OrderRow = {
    id: ctx.ids("order"),
    buyerId: actor.userId,
    status: "placing",
    currency,
    itemsMinor: cart.itemsMinor,
    shippingMinor: cart.shippingMinor,
    totalMinor: cart.totalMinor,
    walletMinor,
    paymentId: null,
    paymentStatus: null,
    nextActionUrl: null,
    failureReason: null,
    shippingAddress: snapshot,
    idempotencyKey: key,
    requestHash: hash,
    expiresAt: now + CHECKOUT_HOLD_MS,
    createdAt: now,
    updatedAt: now,
  };
  const db = ctx.database.db;
  const statements: Statement[] = [db.insert(customerOrder).values(order)];
  for (const group of cart.sellers) {
    const shipping = group.shipping;
    if (!shipping) throw new ConflictError(`The seller ${group.sellerId} does not ship to ${address.country}`, "/addressId");
    const sub: SubOrderRow = {
      id: ctx.ids("subOrder"),
      orderId: order.id,
      sellerId: group.sellerId,
      status: "pending",
      itemsMinor: group.itemsMinor,
      shippingMinor: shipping.chargeMinor,
      totalMinor: group.totalMinor,
      settlementCurrency: group.settlementCurrency,
      settlementItemsMinor: group.lines.reduce((sum, line) => sum + line.settlementMinor, 0),
      settlementShippingMinor: shipping.settlementMinor,
      fxRatePpb: group.fxRatePpb,
      fxAsOf: group.fxAsOf,
      shippingRateId: shipping.rateId,
      carrier: null,
      trackingNumber: null,
      shippedAt: null,
      deliveredAt: null,
      returnWindowEndsAt: null,
      returnReason: null,
      refundedMinor: 0,
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    statements.push(db.insert(subOrder).values(sub));
    for (const line of group.lines) {
      statements.push(
        db.insert(orderItem).values({
          id: ctx.ids("orderItem"),
          orderId: order.id,
          subOrderId: sub.id,
          productId: line.productId,
          variantId: line.variantId,
          categoryId: line.categoryId,
          sku: line.sku,
          title: line.title,
          options: line.options,
          quantity: line.quantity,
          unitPriceMinor: line.unitPriceMinor,
          settlementMinor: line.settlementMinor,
          chargeMinor: line.chargeMinor,
        }),
      );
    }
    statements.push(
      timelineStatement(ctx, db, { orderId: order.id, subOrderId: sub.id, type: "order.placed", to: "pending", actor: "buyer", actorId: actor.userId }),
    );
    statements.push(orderEventStatement(ctx, db, order, sub, null, "pending", "buyer"));
  }
  // the stock first: a cart that cannot be had writes no order at all (a crash right after leaves a hold that expires)
  await reserve(ctx, {
    holder: order.id,
    lines: cart.sellers.flatMap((g) => g.lines.map((l) => ({ variantId: l.variantId, quantity: l.quantity }))),
    ttlMs: CHECKOUT_HOLD_MS,
  });
  try {
    await ctx.database.batch(statements as [Statement, ...Statement[]]);
  } catch (error) {
    await release(ctx, order.id);
    // the same key placed by a request a moment ago: that order is the answer
    const earlier = isConstraintError(error) ? await orderByKey(ctx, actor.userId, key) : undefined;
    if (earlier) return { earlier };
    throw error;
  }
  ctx.eventsWritten();
  return { order };
}

/** The checkout's 409 when the cart is not buyable as the buyer saw it: every problem, each naming its line. */
function assertBuyable(cart: PricedCart, body: CheckoutBody): void {
  const lines = cart.sellers.flatMap((group) => group.lines);
  if (lines.length === 0) throw new ConflictError("Your cart is empty", "/cart");
  const problems = lines.flatMap((line) => line.problems.map((problem) => ({ path: `/cart/lines/${line.variantId}`, message: describeProblem(problem) })));
  if (problems.length > 0) throw new AppError("CONFLICT", "Your cart changed since you saw it: review it and check out again", problems);
  if (body.expectedTotal !== undefined && body.expectedTotal !== cart.totalMinor) {
    throw new ConflictError(`The total is now ${cart.totalMinor} ${cart.currency}, not ${body.expectedTotal}: review your cart`, "/expectedTotal");
  }
}

function describeProblem(problem: PricedCart["sellers"][number]["lines"][number]["problems"][number]): string {
  switch (problem.code) {
    case "price_changed":
      return `the price changed from ${problem.seenPriceMinor} to ${problem.priceMinor}`;
    case "insufficient_stock":
      return problem.available === 0 ? "is out of stock" : `only ${problem.available} left`;
    case "unavailable":
      return "is no longer for sale";
    case "undeliverable":
      return `the seller does not ship to ${problem.country}`;
  }
}

/** A checkout carried on after a crash: its hold taken again (it may have lapsed), then paid under the same key. */
async function holdAndPay(ctx: OrdersCtx, services: CheckoutServices, order: OrderRow, request: CheckoutRequest): Promise<OrderView> {
  const items = await ctx.database.db.select().from(orderItem).where(eq(orderItem.orderId, order.id));
  try {
    await reserve(ctx, { holder: order.id, lines: items.map((item) => ({ variantId: item.variantId, quantity: item.quantity })), ttlMs: CHECKOUT_HOLD_MS });
  } catch (error) {
    if (!(error instanceof OutOfStockError)) throw error;
    await failCheckout(ctx, order, "Not enough stock: someone bought it first");
    throw error;
  }
  return pay(ctx, services, order, request);
}

/** Pays for a placed order whose stock is held, under the order's own payment key (a retry charges nothing twice). */
async function pay(ctx: OrdersCtx, services: CheckoutServices, order: OrderRow, request: CheckoutRequest): Promise<OrderView> {
  const db = ctx.database.db;
  const items = await db.select().from(orderItem).where(eq(orderItem.orderId, order.id));
  const subs = await subOrdersOf(db, order.id);
  let payment: PaymentView;
  try {
    payment = await payOrder(ctx, services.providers, {
      orderId: order.id,
      buyerId: order.buyerId,
      currency: order.currency,
      walletMinor: order.walletMinor,
      ...(request.body.provider ? { provider: request.body.provider } : {}),
      ...(request.body.paymentMethod ? { paymentMethod: request.body.paymentMethod } : {}),
      idempotencyKey: `checkout:${order.id}`,
      subOrders: subs.map((sub) => ({
        subOrderId: sub.id,
        sellerId: sub.sellerId,
        chargeMinor: sub.totalMinor,
        settlementCurrency: sub.settlementCurrency,
        shippingMinor: sub.settlementShippingMinor,
        lines: items.filter((item) => item.subOrderId === sub.id).map((item) => ({ categoryId: item.categoryId, settlementMinor: item.settlementMinor })),
      })),
      ...(request.risk ? { risk: request.risk } : {}),
      ...(request.payerEmail ? { payerEmail: request.payerEmail } : {}),
    });
  } catch (error) {
    // refused before anything was charged (a wallet that cannot cover it, a gateway that refused the request)
    if (error instanceof AppError && error.status < 500) {
      await failCheckout(ctx, order, error.detail);
    }
    throw error;
  }
  return applyPayment(ctx, services, order.id, payment);
}

/**
 * What a payment's status means for its order: captured → the sub-orders are confirmed and the holds committed
 * (the bought lines leave the cart); failed or canceled → the order fails and its stock is released; anything
 * else → awaiting the buyer or the gateway. Idempotent: applying the same status again changes nothing.
 */
export async function applyPayment(
  ctx: OrdersCtx,
  services: CheckoutServices,
  orderId: string,
  payment: Pick<PaymentView, "id" | "status" | "nextAction" | "failureReason">,
): Promise<OrderView> {
  const order = await findOrder(ctx.database.db, orderId);
  if (!order) throw new AppError("NOT_FOUND", `order ${orderId} was not found`);
  const now = ctx.clock();
  if (payment.status === "captured") {
    if (order.status === "placing" || order.status === "awaiting_payment") await confirmPaid(ctx, services, order, payment.id);
  } else if (payment.status === "failed" || payment.status === "canceled") {
    if (order.status === "placing" || order.status === "awaiting_payment") {
      await ctx.database.write((db) =>
        db.update(customerOrder).set({ paymentId: payment.id, paymentStatus: payment.status, updatedAt: now }).where(eq(customerOrder.id, order.id)),
      );
      await failCheckout(ctx, order, payment.failureReason ?? "The payment did not go through");
    }
  } else if (order.status === "placing" || order.status === "awaiting_payment") {
    await ctx.database.write((db) =>
      db
        .update(customerOrder)
        .set({
          status: "awaiting_payment",
          paymentId: payment.id,
          paymentStatus: payment.status,
          nextActionUrl: payment.nextAction?.url ?? null,
          updatedAt: now,
        })
        .where(and(eq(customerOrder.id, order.id), inArray(customerOrder.status, ["placing", "awaiting_payment"]))),
    );
  }
  return orderViewOf(ctx.database.db, (await findOrder(ctx.database.db, orderId)) as OrderRow);
}

/**
 * Paid: the holds become deductions, then the order and every sub-order are confirmed in one transaction (only
 * from placing/awaiting_payment, so two deliveries of the news confirm once). Stock whose hold lapsed meanwhile
 * (a long review) is held again; if it is gone, the sub-orders are cancelled and refunded.
 */
async function confirmPaid(ctx: OrdersCtx, services: CheckoutServices, order: OrderRow, paymentId: string): Promise<void> {
  const db = ctx.database.db;
  try {
    await commitHold(ctx, order);
  } catch (error) {
    if (!(error instanceof OutOfStockError)) throw error;
    await cancelPaidOrder(ctx, services, order, paymentId, "Paid, but the stock was gone by then: refunded");
    return;
  }
  const confirmed = await endCheckout(ctx, order, {
    order: { status: "confirmed", paymentId, paymentStatus: "captured" },
    subOrders: "confirmed",
    note: `paid (${paymentId})`,
  });
  if (!confirmed) return;
  const items = await db.select({ variantId: orderItem.variantId, quantity: orderItem.quantity }).from(orderItem).where(eq(orderItem.orderId, order.id));
  const cartId = await cartIdOfUser(ctx, order.buyerId);
  if (cartId) await removeCheckedOutLines(ctx, cartId, items);
}

/** Commits the order's hold; one that lapsed or was released is taken again first (OutOfStockError if it is gone). */
async function commitHold(ctx: OrdersCtx, order: OrderRow): Promise<void> {
  try {
    await commit(ctx, order.id);
  } catch (error) {
    if (!(error instanceof ReservationExpiredError || error instanceof ReservationReleasedError)) throw error;
    const items = await ctx.database.db.select().from(orderItem).where(eq(orderItem.orderId, order.id));
    await reserve(ctx, { holder: `${order.id}:again`, lines: items.map((i) => ({ variantId: i.variantId, quantity: i.quantity })), ttlMs: CHECKOUT_HOLD_MS });
    await commit(ctx, `${order.id}:again`);
  }
}

/** A paid order that cannot be filled: its sub-orders confirmed (the money is the sellers' until refunded), then cancelled and refunded. */
async function cancelPaidOrder(ctx: OrdersCtx, services: CheckoutServices, order: OrderRow, paymentId: string, reason: string): Promise<void> {
  const now = ctx.clock();
  await ctx.database.write((db) =>
    db
      .update(customerOrder)
      .set({ status: "cancelled", paymentId, paymentStatus: "captured", failureReason: reason, expiresAt: null, updatedAt: now })
      .where(eq(customerOrder.id, order.id)),
  );
  for (const sub of await subOrdersOf(ctx.database.db, order.id)) {
    if (sub.status !== "pending") continue;
    const moved = await cancelSubOrder(ctx, services, sub, "system", null, reason);
    await refundSubOrder(ctx, services, moved, "cancelled");
  }
}

/** Nothing was charged: the order fails, its sub-orders are cancelled by the system, its stock goes back on sale. */
async function failCheckout(ctx: OrdersCtx, order: OrderRow, reason: string): Promise<void> {
  await release(ctx, order.id);
  await endCheckout(ctx, order, { order: { status: "failed", failureReason: reason }, subOrders: "cancelled", note: reason });
}

/**
 * Ends a checkout still placing or awaiting payment, once: the order takes its final checkout state and every pending
 * sub-order moves (confirmed when paid, cancelled by the system when not), each with its timeline entry and event,
 * in one transaction. False when another delivery of the news ended it first.
 */
async function endCheckout(
  ctx: OrdersCtx,
  order: OrderRow,
  end: { order: Partial<OrderRow>; subOrders: "confirmed" | "cancelled"; note: string },
): Promise<boolean> {
  const now = ctx.clock();
  const ended = await ctx.database.transaction(async (tx) => {
    const [row] = await tx
      .update(customerOrder)
      .set({ ...end.order, nextActionUrl: null, expiresAt: null, updatedAt: now })
      .where(and(eq(customerOrder.id, order.id), inArray(customerOrder.status, ["placing", "awaiting_payment"])))
      .returning();
    if (!row) return false;
    const subs = await tx
      .update(subOrder)
      .set({ status: end.subOrders, version: sql`${subOrder.version} + 1`, updatedAt: now })
      .where(and(eq(subOrder.orderId, order.id), eq(subOrder.status, "pending")))
      .returning();
    for (const sub of subs) {
      await timelineStatement(ctx, tx, {
        orderId: order.id,
        subOrderId: sub.id,
        type: `order.${end.subOrders}`,
        from: "pending",
        to: end.subOrders,
        actor: "system",
        note: end.note,
      });
      await orderEventStatement(ctx, tx, row, sub, "pending", end.subOrders, "system");
    }
    return true;
  });
  if (ended) ctx.eventsWritten();
  return ended;
}

/**
 * The expiry job: checkouts past their time. One whose payment exists is settled by it (paid → confirmed; still
 * waiting → left to the payment's own follow-up; failed → failed); one with no payment (the process died before
 * paying, or the buyer never came back) fails and releases its stock. Safe to run in several processes at once.
 */
export async function expireCheckouts(ctx: OrdersCtx, services: CheckoutServices, limit = 100): Promise<number> {
  const now = ctx.clock();
  const stale = await ctx.database.db
    .select()
    .from(customerOrder)
    .where(and(inArray(customerOrder.status, ["placing", "awaiting_payment"]), lt(customerOrder.expiresAt, now)))
    .limit(limit);
  let settled = 0;
  for (const order of stale) {
    const payment = order.paymentId ? await findPayment(ctx, order.paymentId) : await findOrderPayment(ctx, order.id);
    if (payment && payment.status !== "failed" && payment.status !== "canceled" && payment.status !== "captured") continue;
    if (payment) await applyPayment(ctx, services, order.id, paymentView(payment));
    else await failCheckout(ctx, order, "The checkout was not finished in time");
    settled++;
  }
  return settled;
}
