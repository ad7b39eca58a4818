// Orders as buyers, sellers and staff see them, and every step of a sub-order's lifecycle: one transaction per
// step (the sub-order, the parent's derived status, the timeline entry and the outbox event), guarded by the
// sub-order's version so two steps at once cannot both apply. Money follows through payments' interface: a
// cancellation after payment or an approved return refunds the sub-order; a delivery starts the return window.
import {
  AppError,
  ConflictError,
  decodeCursor,
  encodeCursor,
  NotFoundError,
  type OrderList,
  type OrderListQuery,
  type OrderView,
  type SellerOrderList,
  type SellerOrderListQuery,
  type SellerSubOrderView,
  type SubOrderStatus,
  type SubOrderView,
} from "@bazaar/contracts";
import { type Queryable, schema } from "@bazaar/db";
import { createEvent, orderPlaced, outboxInsert } from "@bazaar/events";
import { and, asc, desc, eq, inArray, lt, or, sql } from "drizzle-orm";
import { formatRate, type Providers, refundPayment, scheduleSettlement } from "../payments/index.ts";
import type { Actor, Ctx } from "../platform/deps.ts";
import { type OrderActor, parentStatusOf, transitionOf } from "./lifecycle.ts";

export type OrdersCtx = Pick<Ctx, "database" | "clock" | "ids" | "eventsWritten"> & { requestId?: string };
export type OrderRow = typeof schema.customerOrder.$inferSelect;
export type SubOrderRow = typeof schema.subOrder.$inferSelect;
export type OrderItemRow = typeof schema.orderItem.$inferSelect;
export type OrderEventRow = typeof schema.orderEvent.$inferSelect;

const { customerOrder, subOrder, orderItem, orderEvent } = schema;
const DAY_MS = 86_400_000;
/** How long after delivery a buyer may ask to return a sub-order. */
export const RETURN_WINDOW_MS = 30 * DAY_MS;
/** Staff who may read and act on any order. */
export const ORDER_STAFF = ["admin", "support"] as const;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

// ---- reading ----

export async function findOrder(db: Queryable, orderId: string): Promise<OrderRow | undefined> {
  const [row] = await db.select().from(customerOrder).where(eq(customerOrder.id, orderId)).limit(1);
  return row;
}

export async function findSubOrder(db: Queryable, subOrderId: string): Promise<SubOrderRow | undefined> {
  const [row] = await db.select().from(subOrder).where(eq(subOrder.id, subOrderId)).limit(1);
  return row;
}

export const subOrdersOf = (db: Queryable, orderId: string) => db.select().from(subOrder).where(eq(subOrder.orderId, orderId)).orderBy(asc(subOrder.id));

const itemsOf = (db: Queryable, orderId: string) => db.select().from(orderItem).where(eq(orderItem.orderId, orderId)).orderBy(asc(orderItem.id));

const timelineOf = (db: Queryable, orderId: string) =>
  db.select().from(orderEvent).where(eq(orderEvent.orderId, orderId)).orderBy(asc(orderEvent.at), asc(orderEvent.id));

function subOrderView(sub: SubOrderRow, currency: string, items: OrderItemRow[]): SubOrderView {
  return {
    id: sub.id,
    orderId: sub.orderId,
    sellerId: sub.sellerId,
    status: sub.status as SubOrderStatus,
    currency,
    items: items
      .filter((item) => item.subOrderId === sub.id)
      .map((item) => ({
        id: item.id,
        productId: item.productId,
        variantId: item.variantId,
        sku: item.sku,
        title: item.title,
        options: item.options,
        quantity: item.quantity,
        unitPrice: item.unitPriceMinor,
        amount: item.chargeMinor,
      })),
    itemsAmount: sub.itemsMinor,
    shippingAmount: sub.shippingMinor,
    total: sub.totalMinor,
    refunded: sub.refundedMinor,
    settlementCurrency: sub.settlementCurrency,
    fxRate: formatRate(sub.fxRatePpb),
    carrier: sub.carrier,
    trackingNumber: sub.trackingNumber,
    shippedAt: iso(sub.shippedAt),
    deliveredAt: iso(sub.deliveredAt),
    returnWindowEndsAt: iso(sub.returnWindowEndsAt),
    returnReason: sub.returnReason,
    createdAt: iso(sub.createdAt) as string,
    updatedAt: iso(sub.updatedAt) as string,
  };
}

const timelineView = (rows: OrderEventRow[]) =>
  rows.map((e) => ({
    type: e.type,
    subOrderId: e.subOrderId,
    fromStatus: e.fromStatus,
    toStatus: e.toStatus,
    actor: e.actor as OrderActor,
    note: e.note,
    at: iso(e.at) as string,
  }));

/** The whole order: parent, sub-orders with their items, and the timeline. */
export async function orderViewOf(db: Queryable, order: OrderRow): Promise<OrderView> {
  const [subs, items, timeline] = await Promise.all([subOrdersOf(db, order.id), itemsOf(db, order.id), timelineOf(db, order.id)]);
  return {
    id: order.id,
    buyerId: order.buyerId,
    status: order.status as OrderView["status"],
    currency: order.currency,
    itemsAmount: order.itemsMinor,
    shippingAmount: order.shippingMinor,
    total: order.totalMinor,
    walletAmount: order.walletMinor,
    payment: order.paymentId ? { id: order.paymentId, status: order.paymentStatus ?? "pending", nextAction: order.nextActionUrl } : null,
    failureReason: order.failureReason,
    shippingAddress: order.shippingAddress,
    subOrders: subs.map((sub) => subOrderView(sub, order.currency, items)),
    timeline: timelineView(timeline),
    createdAt: iso(order.createdAt) as string,
    updatedAt: iso(order.updatedAt) as string,
  };
}

const isStaff = (actor: Actor) => ORDER_STAFF.some((role) => actor.roles.includes(role));

/** The buyer's own order (staff: any); another's is a 404, as if it did not exist. */
export async function orderFor(ctx: Pick<Ctx, "database">, actor: Actor, orderId: string): Promise<OrderRow> {
  const order = await findOrder(ctx.database.db, orderId);
  if (!order || (order.buyerId !== actor.userId && !isStaff(actor))) throw new NotFoundError("order", orderId);
  return order;
}

export async function getOrder(ctx: Pick<Ctx, "database">, actor: Actor, orderId: string): Promise<OrderView> {
  return orderViewOf(ctx.database.db, await orderFor(ctx, actor, orderId));
}

const pageSize = (limit: string | undefined) => (limit ? Number(limit) : 20);

function cursorOf(cursor: string | undefined): { at: number; id: string } | undefined {
  if (!cursor) return undefined;
  const position = decodeCursor(cursor);
  if (typeof position.at !== "number" || typeof position.id !== "string") throw new AppError("BAD_REQUEST", "This cursor is not one we gave out");
  return { at: position.at, id: position.id };
}

/** The buyer's orders, newest first, with their sub-orders' statuses (two queries a page, whatever its size). */
export async function listOrders(ctx: Pick<Ctx, "database">, actor: Actor, query: OrderListQuery): Promise<OrderList> {
  const limit = pageSize(query.limit);
  const after = cursorOf(query.cursor);
  const rows = await ctx.database.db
    .select()
    .from(customerOrder)
    .where(
      and(
        eq(customerOrder.buyerId, actor.userId),
        query.status ? eq(customerOrder.status, query.status) : undefined,
        after ? or(lt(customerOrder.createdAt, after.at), and(eq(customerOrder.createdAt, after.at), lt(customerOrder.id, after.id))) : undefined,
      ),
    )
    .orderBy(desc(customerOrder.createdAt), desc(customerOrder.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const subs = page.length
    ? await ctx.database.db
        .select({ id: subOrder.id, orderId: subOrder.orderId, sellerId: subOrder.sellerId, status: subOrder.status, total: subOrder.totalMinor })
        .from(subOrder)
        .where(
          inArray(
            subOrder.orderId,
            page.map((o) => o.id),
          ),
        )
        .orderBy(asc(subOrder.id))
    : [];
  const last = page.at(-1);
  return {
    items: page.map((o) => ({
      id: o.id,
      status: o.status as OrderView["status"],
      currency: o.currency,
      total: o.totalMinor,
      subOrders: subs.filter((s) => s.orderId === o.id).map((s) => ({ id: s.id, sellerId: s.sellerId, status: s.status as SubOrderStatus, total: s.total })),
      createdAt: iso(o.createdAt) as string,
    })),
    nextCursor: rows.length > limit && last ? encodeCursor({ at: last.createdAt, id: last.id }) : null,
  };
}

/** The seller's own sub-order (staff: any); another seller's is a 404. */
export async function subOrderFor(ctx: Pick<Ctx, "database">, actor: Actor, subOrderId: string): Promise<SubOrderRow> {
  const sub = await findSubOrder(ctx.database.db, subOrderId);
  if (!sub || (sub.sellerId !== actor.userId && !isStaff(actor))) throw new NotFoundError("sub-order", subOrderId);
  return sub;
}

export async function getSellerSubOrder(ctx: Pick<Ctx, "database">, actor: Actor, subOrderId: string): Promise<SellerSubOrderView> {
  return sellerView(ctx.database.db, await subOrderFor(ctx, actor, subOrderId));
}

async function sellerView(db: Queryable, sub: SubOrderRow): Promise<SellerSubOrderView> {
  const order = await findOrder(db, sub.orderId);
  if (!order) throw new NotFoundError("order", sub.orderId);
  const [items, timeline] = await Promise.all([
    db.select().from(orderItem).where(eq(orderItem.subOrderId, sub.id)).orderBy(asc(orderItem.id)),
    db
      .select()
      .from(orderEvent)
      .where(and(eq(orderEvent.orderId, sub.orderId), or(eq(orderEvent.subOrderId, sub.id), sql`${orderEvent.subOrderId} IS NULL`)))
      .orderBy(asc(orderEvent.at), asc(orderEvent.id)),
  ]);
  return { ...subOrderView(sub, order.currency, items), shippingAddress: order.shippingAddress, timeline: timelineView(timeline) };
}

/** A seller's sub-orders, newest first, optionally of one status; items included, so a seller can pack from the list. */
export async function listSellerSubOrders(ctx: Pick<Ctx, "database">, actor: Actor, query: SellerOrderListQuery): Promise<SellerOrderList> {
  const limit = pageSize(query.limit);
  const after = cursorOf(query.cursor);
  const rows = await ctx.database.db
    .select({ sub: subOrder, currency: customerOrder.currency })
    .from(subOrder)
    .innerJoin(customerOrder, eq(customerOrder.id, subOrder.orderId))
    .where(
      and(
        eq(subOrder.sellerId, actor.userId),
        query.status ? eq(subOrder.status, query.status) : undefined,
        // an order still being paid for is not the seller's business yet
        inArray(customerOrder.status, ["pending", "confirmed", "shipped", "delivered", "return_requested", "returned", "cancelled"]),
        after ? or(lt(subOrder.createdAt, after.at), and(eq(subOrder.createdAt, after.at), lt(subOrder.id, after.id))) : undefined,
      ),
    )
    .orderBy(desc(subOrder.createdAt), desc(subOrder.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const items = page.length
    ? await ctx.database.db
        .select()
        .from(orderItem)
        .where(
          inArray(
            orderItem.subOrderId,
            page.map((r) => r.sub.id),
          ),
        )
        .orderBy(asc(orderItem.id))
    : [];
  const last = page.at(-1)?.sub;
  return {
    items: page.map((r) => subOrderView(r.sub, r.currency, items)),
    nextCursor: rows.length > limit && last ? encodeCursor({ at: last.createdAt, id: last.id }) : null,
  };
}

// ---- the lifecycle ----

export interface Step {
  to: SubOrderStatus;
  actor: OrderActor;
  actorId: string | null;
  note?: string | null;
  /** columns the step sets besides the status (carrier, tracking, dates, reason) */
  set?: Partial<Pick<SubOrderRow, "carrier" | "trackingNumber" | "shippedAt" | "deliveredAt" | "returnWindowEndsAt" | "returnReason">>;
}

/** The outbox event of a sub-order's step (order.placed when `from` is null). */
export function orderEventStatement(ctx: OrdersCtx, db: Queryable, order: OrderRow, sub: SubOrderRow, from: string | null, to: string, actor: OrderActor) {
  const definition = from === null ? orderPlaced : transitionOf(from as SubOrderStatus, to as SubOrderStatus)?.event;
  if (!definition) throw new Error(`no event for ${from} → ${to}`);
  return outboxInsert(
    db,
    createEvent(
      definition,
      {
        orderId: order.id,
        subOrderId: sub.id,
        buyerId: order.buyerId,
        sellerId: sub.sellerId,
        fromStatus: from,
        status: to,
        actor,
        totalMinor: sub.totalMinor,
        currency: order.currency,
      },
      { ids: ctx.ids, now: ctx.clock(), ...(ctx.requestId ? { requestId: ctx.requestId } : {}) },
    ),
  );
}

/** A timeline entry. */
export function timelineStatement(
  ctx: Pick<Ctx, "ids" | "clock">,
  db: Queryable,
  entry: {
    orderId: string;
    subOrderId: string | null;
    type: string;
    from?: string | null;
    to?: string | null;
    actor: OrderActor;
    actorId?: string | null;
    note?: string | null;
  },
) {
  return db.insert(orderEvent).values({
    id: ctx.ids("orderEvent"),
    orderId: entry.orderId,
    subOrderId: entry.subOrderId,
    type: entry.type,
    fromStatus: entry.from ?? null,
    toStatus: entry.to ?? null,
    actor: entry.actor,
    actorId: entry.actorId ?? null,
    note: entry.note ?? null,
    at: ctx.clock(),
  });
}

/**
 * Moves a sub-order one step, if the state machine allows it and the actor may: the sub-order (only at the
 * version read), the parent's derived status, the timeline and the event, in one transaction. A step not allowed
 * from the current status is a 409 naming both; one another request made first is a 409 too, never applied twice.
 */
export async function moveSubOrder(ctx: OrdersCtx, sub: SubOrderRow, step: Step): Promise<SubOrderRow> {
  const from = sub.status as SubOrderStatus;
  const transition = transitionOf(from, step.to);
  if (!transition) throw new ConflictError(`A ${from.replace("_", " ")} sub-order cannot become ${step.to.replace("_", " ")}`, "/status");
  if (!transition.by.includes(step.actor)) throw new AppError("FORBIDDEN", `The ${step.actor} may not make a ${from} sub-order ${step.to}`);
  const now = ctx.clock();
  const moved = await ctx.database.transaction(async (tx) => {
    const [row] = await tx
      .update(subOrder)
      .set({ ...step.set, status: step.to, version: sql`${subOrder.version} + 1`, updatedAt: now })
      .where(and(eq(subOrder.id, sub.id), eq(subOrder.version, sub.version)))
      .returning();
    if (!row) return undefined;
    const order = await findOrder(tx, sub.orderId);
    if (!order) throw new NotFoundError("order", sub.orderId);
    const statuses = (await tx.select({ status: subOrder.status }).from(subOrder).where(eq(subOrder.orderId, sub.orderId))).map(
      (s) => s.status as SubOrderStatus,
    );
    await tx
      .update(customerOrder)
      .set({ status: parentStatusOf(statuses), updatedAt: now })
      .where(eq(customerOrder.id, order.id));
    await timelineStatement(ctx, tx, {
      orderId: order.id,
      subOrderId: sub.id,
      type: transition.event.type,
      from,
      to: step.to,
      actor: step.actor,
      actorId: step.actorId,
      note: step.note ?? null,
    });
    await orderEventStatement(ctx, tx, order, row, from, step.to, step.actor);
    return row;
  });
  if (!moved) throw new ConflictError("This sub-order changed while you acted on it; read it again", "/status");
  ctx.eventsWritten();
  return moved;
}

/** Who the actor is toward a sub-order: its buyer, its seller, or staff (checked before any step). */
function roleOn(actor: Actor, order: OrderRow, sub: SubOrderRow, wanted: "buyer" | "seller"): OrderActor {
  if (wanted === "buyer" && order.buyerId === actor.userId) return "buyer";
  if (wanted === "seller" && sub.sellerId === actor.userId) return "seller";
  if (isStaff(actor)) return "admin";
  throw new NotFoundError(wanted === "buyer" ? "order" : "sub-order", wanted === "buyer" ? order.id : sub.id);
}

async function subOrderOfOrder(ctx: Pick<Ctx, "database">, orderId: string, subOrderId: string) {
  const order = await findOrder(ctx.database.db, orderId);
  const sub = await findSubOrder(ctx.database.db, subOrderId);
  if (!order || !sub || sub.orderId !== order.id) throw new NotFoundError("sub-order", subOrderId);
  return { order, sub };
}

export interface OrderServices {
  providers: Providers;
}

/** The buyer (or staff) cancels a sub-order before it ships; one already paid is refunded in full. */
export async function cancelByBuyer(
  ctx: OrdersCtx,
  services: OrderServices,
  actor: Actor,
  orderId: string,
  subOrderId: string,
  reason?: string,
): Promise<OrderView> {
  const { order, sub } = await subOrderOfOrder(ctx, orderId, subOrderId);
  const role = roleOn(actor, order, sub, "buyer");
  await cancelSubOrder(ctx, services, sub, role, actor.userId, reason ?? null);
  return orderViewOf(ctx.database.db, (await findOrder(ctx.database.db, orderId)) as OrderRow);
}

/** Every sub-order of the order the buyer may still cancel; a shipped one stays (409 if none could be). */
export async function cancelOrder(ctx: OrdersCtx, services: OrderServices, actor: Actor, orderId: string, reason?: string): Promise<OrderView> {
  const order = await orderFor(ctx, actor, orderId);
  const role: OrderActor = order.buyerId === actor.userId ? "buyer" : "admin";
  const subs = (await subOrdersOf(ctx.database.db, orderId)).filter((s) => s.status === "pending" || s.status === "confirmed");
  if (subs.length === 0) throw new ConflictError(`Nothing of this ${order.status} order can be cancelled any more`, "/status");
  for (const sub of subs) await cancelSubOrder(ctx, services, sub, role, actor.userId, reason ?? null);
  return orderViewOf(ctx.database.db, (await findOrder(ctx.database.db, orderId)) as OrderRow);
}

export async function cancelSubOrder(
  ctx: OrdersCtx,
  services: OrderServices,
  sub: SubOrderRow,
  actor: OrderActor,
  actorId: string | null,
  note: string | null,
) {
  const moved = await moveSubOrder(ctx, sub, { to: "cancelled", actor, actorId, note });
  if (sub.status === "confirmed") await refundSubOrder(ctx, services, moved, "cancelled");
  return moved;
}

/** The buyer asks to return a delivered sub-order while its return window is open. */
export async function requestReturn(ctx: OrdersCtx, actor: Actor, orderId: string, subOrderId: string, reason: string): Promise<OrderView> {
  const { order, sub } = await subOrderOfOrder(ctx, orderId, subOrderId);
  const role = roleOn(actor, order, sub, "buyer");
  if (sub.status === "delivered" && sub.returnWindowEndsAt !== null && ctx.clock() > sub.returnWindowEndsAt) {
    throw new ConflictError(`The return window closed on ${iso(sub.returnWindowEndsAt)}`, "/status");
  }
  await moveSubOrder(ctx, sub, { to: "return_requested", actor: role, actorId: actor.userId, note: reason, set: { returnReason: reason } });
  return orderViewOf(ctx.database.db, (await findOrder(ctx.database.db, orderId)) as OrderRow);
}

export type SellerAction =
  | { kind: "confirm" }
  | { kind: "ship"; carrier: string; trackingNumber: string }
  | { kind: "deliver" }
  | { kind: "cancel"; reason?: string }
  | { kind: "approve_return" }
  | { kind: "reject_return"; reason: string };

/** A seller's (or staff's) step on their sub-order. */
export async function actAsSeller(
  ctx: OrdersCtx,
  services: OrderServices,
  actor: Actor,
  subOrderId: string,
  action: SellerAction,
): Promise<SellerSubOrderView> {
  const sub = await subOrderFor(ctx, actor, subOrderId);
  const order = await findOrder(ctx.database.db, sub.orderId);
  if (!order) throw new NotFoundError("order", sub.orderId);
  const role = roleOn(actor, order, sub, "seller");
  const now = ctx.clock();
  let moved: SubOrderRow;
  switch (action.kind) {
    case "confirm":
      if (order.paymentStatus !== "captured") throw new ConflictError("This order is not paid yet: it is confirmed once its payment succeeds", "/status");
      moved = await moveSubOrder(ctx, sub, { to: "confirmed", actor: role, actorId: actor.userId });
      break;
    case "ship":
      moved = await moveSubOrder(ctx, sub, {
        to: "shipped",
        actor: role,
        actorId: actor.userId,
        note: `${action.carrier} ${action.trackingNumber}`,
        set: { carrier: action.carrier, trackingNumber: action.trackingNumber, shippedAt: now },
      });
      break;
    case "deliver":
      moved = await markDelivered(ctx, sub, role, actor.userId);
      break;
    case "cancel":
      moved = await cancelSubOrder(ctx, services, sub, role, actor.userId, action.reason ?? null);
      break;
    case "approve_return":
      moved = await moveSubOrder(ctx, sub, { to: "returned", actor: role, actorId: actor.userId });
      await refundSubOrder(ctx, services, moved, "returned");
      break;
    case "reject_return":
      if (sub.status !== "return_requested") throw new ConflictError(`Only a requested return can be rejected; this sub-order is ${sub.status}`, "/status");
      moved = await moveSubOrder(ctx, sub, { to: "delivered", actor: role, actorId: actor.userId, note: action.reason });
      break;
  }
  // read again: a refund moved `refunded` after the step
  return sellerView(ctx.database.db, (await findSubOrder(ctx.database.db, moved.id)) ?? moved);
}

/** Delivered: the return window opens, and the seller's proceeds become available when it closes. */
async function markDelivered(ctx: OrdersCtx, sub: SubOrderRow, actor: OrderActor, actorId: string | null): Promise<SubOrderRow> {
  const now = ctx.clock();
  const windowEnds = now + RETURN_WINDOW_MS;
  const moved = await moveSubOrder(ctx, sub, { to: "delivered", actor, actorId, set: { deliveredAt: now, returnWindowEndsAt: windowEnds } });
  try {
    await scheduleSettlement(ctx, sub.id, windowEnds);
  } catch (error) {
    // no hold (nothing left to pay the seller, e.g. fully refunded) or already released: nothing to move
    if (!(error instanceof AppError) || (error.status !== 404 && error.status !== 409)) throw error;
  }
  return moved;
}

/**
 * Refunds what is left of a paid sub-order through payments, under a key of its own, so a retry (or the follow-up
 * job) refunds nothing twice; the timeline says it was asked, and `payment.refund_settled` says how it ended.
 */
export async function refundSubOrder(ctx: OrdersCtx, services: OrderServices, sub: SubOrderRow, why: "cancelled" | "returned"): Promise<void> {
  const order = await findOrder(ctx.database.db, sub.orderId);
  if (!order?.paymentId || order.paymentStatus !== "captured") return;
  const amount = sub.totalMinor - sub.refundedMinor;
  if (amount <= 0) return;
  const refund = await refundPayment(
    ctx,
    services.providers,
    order.paymentId,
    { amount, subOrderId: sub.id, reason: why === "returned" ? "Return approved" : "Order cancelled" },
    `order-refund:${sub.id}`,
  );
  await ctx.database.batch([
    ctx.database.db
      .update(subOrder)
      .set({ refundedMinor: sql`${subOrder.refundedMinor} + ${amount}`, updatedAt: ctx.clock() })
      .where(and(eq(subOrder.id, sub.id), eq(subOrder.refundedMinor, sub.refundedMinor))),
    timelineStatement(ctx, ctx.database.db, {
      orderId: order.id,
      subOrderId: sub.id,
      type: "payment.refund_requested",
      actor: "system",
      note: `${amount} ${order.currency} (${refund.id}, ${refund.status})`,
    }),
  ]);
}

/** Sub-orders cancelled or returned after payment whose refund did not go through (a gateway outage): asked again. */
export async function followUpRefunds(ctx: OrdersCtx, services: OrderServices, limit = 100): Promise<number> {
  const rows = await ctx.database.db
    .select({ sub: subOrder })
    .from(subOrder)
    .innerJoin(customerOrder, eq(customerOrder.id, subOrder.orderId))
    .where(
      and(
        inArray(subOrder.status, ["cancelled", "returned"]),
        lt(subOrder.refundedMinor, subOrder.totalMinor),
        eq(customerOrder.paymentStatus, "captured"),
        // a cancelled sub-order never confirmed was never paid for on its own: nothing to refund
        sql`EXISTS (SELECT 1 FROM ${orderEvent} e WHERE e.sub_order_id = ${subOrder.id} AND e.to_status = 'confirmed')`,
      ),
    )
    .limit(limit);
  let refunded = 0;
  for (const { sub } of rows) {
    try {
      await refundSubOrder(ctx, services, sub, sub.status === "returned" ? "returned" : "cancelled");
      refunded++;
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
    }
  }
  return refunded;
}

/** A payment's refund ended: onto the timeline of the order it was for. */
export async function recordRefundSettled(
  ctx: OrdersCtx,
  refund: { refundId: string; orderId: string | null; subOrderId: string | null; status: string; amountMinor: number; walletMinor: number; currency: string },
): Promise<void> {
  if (!refund.orderId) return;
  const order = await findOrder(ctx.database.db, refund.orderId);
  if (!order) return;
  const [already] = await ctx.database.db
    .select({ id: orderEvent.id })
    .from(orderEvent)
    .where(and(eq(orderEvent.orderId, order.id), eq(orderEvent.type, "payment.refunded"), sql`${orderEvent.note} LIKE ${`%${refund.refundId}%`}`))
    .limit(1);
  if (already) return;
  const where = refund.walletMinor === refund.amountMinor ? "to the wallet" : refund.walletMinor > 0 ? "to the card and the wallet" : "to the card";
  await ctx.database.write((db) =>
    timelineStatement(ctx, db, {
      orderId: order.id,
      subOrderId: refund.subOrderId,
      type: refund.status === "succeeded" ? "payment.refunded" : "payment.refund_failed",
      actor: "system",
      note: `${refund.amountMinor} ${refund.currency} ${where} (${refund.refundId})`,
    }),
  );
}
