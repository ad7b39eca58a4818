// A sub-order's state machine: the only transitions there are, who may make each, and the event each emits. The
// parent order's status is derived from its sub-orders.
import type { OrderStatus, SubOrderStatus } from "@bazaar/contracts";
import { orderCancelled, orderConfirmed, orderDelivered, orderReturned, orderReturnRequested, orderShipped } from "@bazaar/events";

export type OrderActor = "buyer" | "seller" | "admin" | "system";

export type TransitionEvent =
  | typeof orderConfirmed
  | typeof orderShipped
  | typeof orderDelivered
  | typeof orderCancelled
  | typeof orderReturnRequested
  | typeof orderReturned;

export interface Transition {
  from: SubOrderStatus;
  to: SubOrderStatus;
  by: readonly OrderActor[];
  event: TransitionEvent;
}

/**
 * Every allowed step. Paid → confirmed is checkout's (system), or the seller's or staff's for a sub-order whose
 * payment succeeded later; cancelling is possible until shipment; a return may be requested until the return window
 * closes after delivery, and the seller (or staff) approves it (returned, refunded) or rejects it (back to delivered).
 */
export const TRANSITIONS: readonly Transition[] = [
  { from: "pending", to: "confirmed", by: ["system", "seller", "admin"], event: orderConfirmed },
  { from: "pending", to: "cancelled", by: ["system", "buyer", "seller", "admin"], event: orderCancelled },
  { from: "confirmed", to: "cancelled", by: ["buyer", "seller", "admin", "system"], event: orderCancelled },
  { from: "confirmed", to: "shipped", by: ["seller", "admin"], event: orderShipped },
  { from: "shipped", to: "delivered", by: ["seller", "admin", "system"], event: orderDelivered },
  { from: "delivered", to: "return_requested", by: ["buyer", "admin"], event: orderReturnRequested },
  { from: "return_requested", to: "returned", by: ["seller", "admin"], event: orderReturned },
  { from: "return_requested", to: "delivered", by: ["seller", "admin"], event: orderDelivered },
];

export function transitionOf(from: SubOrderStatus, to: SubOrderStatus): Transition | undefined {
  return TRANSITIONS.find((t) => t.from === from && t.to === to);
}

/** How far along a live sub-order is: the parent is as far along as its least advanced live sub-order. */
const PROGRESS: Record<SubOrderStatus, number> = {
  pending: 0,
  confirmed: 1,
  shipped: 2,
  delivered: 3,
  return_requested: 4,
  returned: 5,
  cancelled: 6,
};

/**
 * The parent order's status from its sub-orders: all cancelled → cancelled; else the least advanced of those not
 * cancelled (one shipped and one still confirmed: confirmed, since part of it has not left yet).
 */
export function parentStatusOf(statuses: readonly SubOrderStatus[]): OrderStatus {
  const live = statuses.filter((s) => s !== "cancelled");
  if (live.length === 0) return "cancelled";
  return live.reduce((least, s) => (PROGRESS[s] < PROGRESS[least] ? s : least));
}
