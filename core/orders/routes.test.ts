// A sub-order's life over the HTTP API: the seller ships and delivers, the buyer asks for a return, the seller
// approves (refunded) or rejects it; cancellations refund what was paid; every step is on the timeline and in the
// outbox; a step the state machine or the caller's role does not allow is refused; nobody reaches another's order.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { OrderView, SellerSubOrderView } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import { eq } from "drizzle-orm";
import { json, type Person } from "../catalog/products/test-fixtures.ts";
import { RETURN_WINDOW_MS } from "./service.ts";
import { createOrdersHarness, type OrdersHarness, orderOf, type Shopper } from "./testing/orders-harness.ts";

let o: OrdersHarness;
let seller: Person & { locationId: string };
let otherSeller: Person & { locationId: string };
let admin: Person;

beforeAll(async () => {
  o = await createOrdersHarness();
  seller = await o.seller();
  otherSeller = await o.seller();
  admin = await o.person("admin");
});
afterAll(() => o.destroy());

let keys = 0;
/** A paid order of one line from `seller` (and one from `otherSeller` when `twoSellers`). */
async function paidOrder(buyer: Shopper, options: { twoSellers?: boolean; priceMinor?: number } = {}): Promise<OrderView> {
  await o.addToCart(buyer, await o.variant(seller, { priceMinor: options.priceMinor ?? 5_000 }), 1);
  if (options.twoSellers) await o.addToCart(buyer, await o.variant(otherSeller, { priceMinor: 3_000 }), 1);
  const order = await orderOf(await o.checkout(buyer, `lifecycle-${++keys}`));
  expect(order.status).toBe("confirmed");
  await o.settle();
  return order;
}

const subOf = (order: OrderView, sellerId: string) => order.subOrders.find((s) => s.sellerId === sellerId) as OrderView["subOrders"][number];
const act = (person: Person, subOrderId: string, action: string, body?: unknown) =>
  o.h.request("POST", `/v1/seller/orders/${subOrderId}/${action}`, { token: person.token, ...(body ? { body } : {}) });
const read = async (buyer: Person, orderId: string) => orderOf(await o.h.request("GET", `/v1/orders/${orderId}`, { token: buyer.token }));
const SHIP = { carrier: "DHL", trackingNumber: "JD0146000062" };

describe("a sub-order from paid to returned", () => {
  test("shipped, delivered, return requested and approved: refunded to the card, every step on the timeline and in the outbox", async () => {
    const buyer = await o.shopper();
    const order = await paidOrder(buyer, { twoSellers: true });
    const mine = subOf(order, seller.userId);

    const shipped = await act(seller, mine.id, "ship", SHIP);
    expect(shipped.status).toBe(200);
    expect(await json<SellerSubOrderView>(shipped)).toMatchObject({ status: "shipped", carrier: "DHL", trackingNumber: "JD0146000062" });
    // one part shipped, the other still confirmed: the order is as far as its slowest part
    expect((await read(buyer, order.id)).status).toBe("confirmed");

    const delivered = await json<SellerSubOrderView>(await act(seller, mine.id, "deliver"));
    expect(delivered.status).toBe("delivered");
    expect(Date.parse(delivered.returnWindowEndsAt ?? "")).toBe(o.h.clock.now + RETURN_WINDOW_MS);

    const asked = await o.h.request("POST", `/v1/orders/${order.id}/sub-orders/${mine.id}/return`, { token: buyer.token, body: { reason: "Too small" } });
    expect(asked.status).toBe(200);
    expect(subOf(await orderOf(asked), seller.userId)).toMatchObject({ status: "return_requested", returnReason: "Too small" });

    const approved = await act(seller, mine.id, "return/approve");
    expect(approved.status).toBe(200);
    expect(await json<SellerSubOrderView>(approved)).toMatchObject({ status: "returned", refunded: 5_000 });
    await o.settle();
    const after = await read(buyer, order.id);
    const types = after.timeline.filter((e) => e.subOrderId === mine.id).map((e) => e.type);
    expect(types).toEqual([
      "order.placed",
      "order.confirmed",
      "order.shipped",
      "order.delivered",
      "order.return_requested",
      "order.returned",
      "payment.refund_requested",
      "payment.refunded",
    ]);
    const outbox = await o.h.database.db.select().from(schema.outboxEvent);
    const forMine = outbox.filter((e) => (JSON.parse(e.payload) as { subOrderId?: string }).subOrderId === mine.id).map((e) => e.type);
    expect(forMine).toEqual(
      expect.arrayContaining(["order.placed", "order.confirmed", "order.shipped", "order.delivered", "order.return_requested", "order.returned"]),
    );
    // the seller's pending share of the returned part was taken back; the other seller's stands
    expect(await o.reconcile()).toEqual([]);
  });

  test("a rejected return goes back to delivered, with the seller's reason on the timeline", async () => {
    const buyer = await o.shopper();
    const order = await paidOrder(buyer);
    const sub = order.subOrders[0] as OrderView["subOrders"][number];
    await act(seller, sub.id, "ship", SHIP);
    await act(seller, sub.id, "deliver");
    await o.h.request("POST", `/v1/orders/${order.id}/sub-orders/${sub.id}/return`, { token: buyer.token, body: { reason: "Changed my mind" } });
    const rejected = await act(seller, sub.id, "return/reject", { reason: "Worn and washed" });
    expect(await json<SellerSubOrderView>(rejected)).toMatchObject({ status: "delivered", refunded: 0 });
    const last = (await read(buyer, order.id)).timeline.at(-1);
    expect(last).toMatchObject({ type: "order.delivered", fromStatus: "return_requested", toStatus: "delivered", actor: "seller", note: "Worn and washed" });
  });
});

describe("cancelling", () => {
  test("the buyer cancels a paid order before it ships: every part cancelled and refunded; a shipped part stays", async () => {
    const buyer = await o.shopper();
    const order = await paidOrder(buyer, { twoSellers: true });
    await act(otherSeller, subOf(order, otherSeller.userId).id, "ship", SHIP);
    const cancelled = await o.h.request("POST", `/v1/orders/${order.id}/cancel`, { token: buyer.token, body: { reason: "Ordered twice" } });
    expect(cancelled.status).toBe(200);
    const after = await orderOf(cancelled);
    expect(subOf(after, seller.userId)).toMatchObject({ status: "cancelled", refunded: 5_000 });
    expect(subOf(after, otherSeller.userId)).toMatchObject({ status: "shipped", refunded: 0 });
    expect(after.status).toBe("shipped");
    // nothing left to cancel
    expect((await o.h.request("POST", `/v1/orders/${order.id}/cancel`, { token: buyer.token })).status).toBe(409);
    await o.settle();
    expect(await o.reconcile()).toEqual([]);
  });

  test("the seller cancels before shipping: refunded; cancelling twice at once cancels and refunds once", async () => {
    const buyer = await o.shopper();
    const order = await paidOrder(buyer);
    const sub = order.subOrders[0] as OrderView["subOrders"][number];
    const [a, b] = await Promise.all([act(seller, sub.id, "cancel", { reason: "Out of stock" }), act(seller, sub.id, "cancel")]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    await o.settle();
    const refunds = await o.h.database.db.select().from(schema.refund).where(eq(schema.refund.reference, sub.id));
    expect(refunds).toHaveLength(1);
    expect((await read(buyer, order.id)).status).toBe("cancelled");
  });
});

describe("steps that are not allowed", () => {
  test("out of order, or by the wrong role, is refused and changes nothing", async () => {
    const buyer = await o.shopper();
    const order = await paidOrder(buyer);
    const sub = order.subOrders[0] as OrderView["subOrders"][number];
    // not shipped yet: cannot be delivered or returned
    expect((await act(seller, sub.id, "deliver")).status).toBe(409);
    expect((await o.h.request("POST", `/v1/orders/${order.id}/sub-orders/${sub.id}/return`, { token: buyer.token, body: { reason: "x" } })).status).toBe(409);
    // a buyer has no seller routes
    expect((await act(buyer, sub.id, "ship", SHIP)).status).toBe(403);
    await act(seller, sub.id, "ship", SHIP);
    // shipped: no more cancelling, no second shipment
    expect((await act(seller, sub.id, "cancel")).status).toBe(409);
    expect((await o.h.request("POST", `/v1/orders/${order.id}/sub-orders/${sub.id}/cancel`, { token: buyer.token })).status).toBe(409);
    expect((await act(seller, sub.id, "ship", SHIP)).status).toBe(409);
    expect((await read(buyer, order.id)).subOrders[0]?.status).toBe("shipped");
  });

  test("hostile bodies are a 422 naming the field", async () => {
    const buyer = await o.shopper();
    const order = await paidOrder(buyer);
    const sub = order.subOrders[0] as OrderView["subOrders"][number];
    for (const body of [
      { carrier: "", trackingNumber: "JD0146000062" },
      { carrier: "DHL", trackingNumber: "<script>" },
      { ...SHIP, stray: 1 },
      { carrier: "DHL\u0000", trackingNumber: "1234" },
    ]) {
      const response = await act(seller, sub.id, "ship", body);
      expect(response.status).toBe(422);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
    }
    expect((await o.h.request("GET", "/v1/orders/not-an-id", { token: buyer.token })).status).toBe(422);
    expect((await o.h.request("GET", "/v1/orders?limit=1000", { token: buyer.token })).status).toBe(422);
    expect((await o.h.request("GET", "/v1/orders?cursor=garbage", { token: buyer.token })).status).toBe(400);
  });
});

describe("whose order it is", () => {
  test("another buyer cannot read or act on an order; another seller cannot see or move a sub-order: 404 as if absent", async () => {
    const buyer = await o.shopper();
    const stranger = await o.shopper();
    const order = await paidOrder(buyer, { twoSellers: true });
    const mine = subOf(order, seller.userId);
    expect((await o.h.request("GET", `/v1/orders/${order.id}`, { token: stranger.token })).status).toBe(404);
    expect((await o.h.request("POST", `/v1/orders/${order.id}/cancel`, { token: stranger.token })).status).toBe(404);
    expect((await o.h.request("POST", `/v1/orders/${order.id}/sub-orders/${mine.id}/cancel`, { token: stranger.token })).status).toBe(404);
    expect((await o.h.request("GET", "/v1/orders", { token: stranger.token }).then((r) => r.json())) as unknown).toEqual({ items: [], nextCursor: null });

    expect((await o.h.request("GET", `/v1/seller/orders/${mine.id}`, { token: otherSeller.token })).status).toBe(404);
    expect((await act(otherSeller, mine.id, "ship", SHIP)).status).toBe(404);
    const theirs = (await (await o.h.request("GET", "/v1/seller/orders", { token: otherSeller.token })).json()) as { items: { id: string; orderId: string }[] };
    expect(theirs.items.every((s) => s.id !== mine.id)).toBe(true);
    // the seller's view shows their part only, with where it ships
    const view = await json<SellerSubOrderView>(await o.h.request("GET", `/v1/seller/orders/${mine.id}`, { token: seller.token }));
    expect(view).toMatchObject({ id: mine.id, shippingAddress: { country: "PT" } });
    expect(view.timeline.every((e) => e.subOrderId === mine.id || e.subOrderId === null)).toBe(true);
    expect((await read(buyer, order.id)).subOrders[0]?.status).toBe("confirmed");
    // staff read and act on any
    expect((await o.h.request("GET", `/v1/orders/${order.id}`, { token: admin.token })).status).toBe(200);
    expect((await act(admin, mine.id, "ship", SHIP)).status).toBe(200);
  });

  test("the seller's list: newest first, by status, a page at a time", async () => {
    const lister = await o.seller();
    const buyer = await o.shopper();
    for (let i = 0; i < 3; i++) {
      await o.addToCart(buyer, await o.variant(lister), 1);
      expect((await orderOf(await o.checkout(buyer, `list-${i}`))).status).toBe("confirmed");
      o.h.clock.advance(1_000);
    }
    const first = (await (await o.h.request("GET", "/v1/seller/orders?limit=2", { token: lister.token })).json()) as {
      items: { id: string; createdAt: string }[];
      nextCursor: string | null;
    };
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const token = lister.token;
    const second = (await (await o.h.request("GET", `/v1/seller/orders?limit=2&cursor=${first.nextCursor}`, { token })).json()) as {
      items: { id: string }[];
      nextCursor: null;
    };
    expect(second.items).toHaveLength(1);
    expect(new Set([...first.items, ...second.items].map((s) => s.id)).size).toBe(3);
    const shipped = (await (await o.h.request("GET", "/v1/seller/orders?status=shipped", { token })).json()) as { items: unknown[] };
    expect(shipped.items).toHaveLength(0);
  });
});

// last: it moves the clock past every token made above
describe("the return window", () => {
  test("a return asked after the window closed is a 409, and the sub-order stays delivered", async () => {
    const buyer = await o.shopper();
    const order = await paidOrder(buyer);
    const sub = order.subOrders[0] as OrderView["subOrders"][number];
    await act(seller, sub.id, "ship", SHIP);
    await act(seller, sub.id, "deliver");
    o.h.clock.advance(RETURN_WINDOW_MS + 1);
    const again = await o.signInAgain(buyer);
    const late = await o.h.request("POST", `/v1/orders/${order.id}/sub-orders/${sub.id}/return`, { token: again.token, body: { reason: "Again" } });
    expect(late.status).toBe(409);
    expect((await read(again, order.id)).subOrders[0]?.status).toBe("delivered");
  });
});
