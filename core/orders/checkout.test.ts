// Checkout end to end over the HTTP API, the real database and the sandbox gateway: carts of several sellers
// become one order with a sub-order each, stock is held then deducted (or released), money moves once, and the
// same Idempotency-Key never makes a second order.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { OrderView } from "@bazaar/contracts";
import { type Statement, schema } from "@bazaar/db";
import { eq } from "drizzle-orm";
import { addToCart } from "../cart/index.ts";
import { OutOfStockError } from "../catalog/index.ts";
import type { Person } from "../catalog/products/test-fixtures.ts";
import { SANDBOX_CARDS } from "../payments/providers/sandbox.ts";
import { checkout } from "./checkout.ts";
import { createOrdersHarness, type OrdersHarness, orderOf } from "./testing/orders-harness.ts";

let o: OrdersHarness;
let sellerA: Person & { locationId: string };
let sellerB: Person & { locationId: string };

beforeAll(async () => {
  o = await createOrdersHarness();
  sellerA = await o.seller();
  sellerB = await o.seller();
});
afterAll(() => o.destroy());

const outboxOf = async (type: string) =>
  (await o.h.database.db.select().from(schema.outboxEvent).where(eq(schema.outboxEvent.type, type))).map(
    (e) => (typeof e.payload === "string" ? JSON.parse(e.payload) : e.payload) as Record<string, unknown>,
  );
type Problem = { errors: { path: string; message: string }[] };
const problemOf = async (response: Response) => (await response.json()) as Problem;
const cartOf = async (person: Person) => (await o.h.request("GET", "/v1/cart", { token: person.token })).json() as Promise<{ sellers: { lines: unknown[] }[] }>;

describe("a cart of three lines from two sellers", () => {
  test("becomes one paid order with a sub-order per seller; stock is deducted, the cart emptied, the money split", async () => {
    const shirt = await o.variant(sellerA, { priceMinor: 2_000, stock: 5 });
    const socks = await o.variant(sellerA, { priceMinor: 500, stock: 5 });
    const mug = await o.variant(sellerB, { priceMinor: 1_200, stock: 5 });
    const buyer = await o.shopper();
    await o.addToCart(buyer, shirt, 2);
    await o.addToCart(buyer, socks, 1);
    await o.addToCart(buyer, mug, 1);

    const response = await o.checkout(buyer, "checkout-happy-1", { currency: "EUR" });
    expect(response.status).toBe(201);
    const order = await orderOf(response);
    expect(order).toMatchObject({ status: "confirmed", currency: "EUR", itemsAmount: 5_700, shippingAmount: 0, total: 5_700, payment: { status: "captured" } });
    expect(order.subOrders).toHaveLength(2);
    const bySeller = new Map(order.subOrders.map((s) => [s.sellerId, s]));
    expect(bySeller.get(sellerA.userId)).toMatchObject({ status: "confirmed", itemsAmount: 4_500, total: 4_500, settlementCurrency: "EUR", fxRate: "1" });
    expect(bySeller.get(sellerA.userId)?.items.map((i) => [i.variantId, i.quantity, i.amount])).toEqual(
      expect.arrayContaining([
        [shirt, 2, 4_000],
        [socks, 1, 500],
      ]),
    );
    expect(bySeller.get(sellerB.userId)).toMatchObject({ status: "confirmed", total: 1_200 });
    expect(order.timeline.filter((e) => e.type === "order.placed")).toHaveLength(2);
    expect(order.timeline.filter((e) => e.type === "order.confirmed")).toHaveLength(2);

    expect(await o.stock(shirt)).toEqual({ onHand: 3, reserved: 0 });
    expect(await o.stock(mug)).toEqual({ onHand: 4, reserved: 0 });
    expect((await cartOf(buyer)).sellers.flatMap((s) => s.lines)).toHaveLength(0);
    await o.settle();
    // each seller's share waits in their pending balance, less commission (10 %)
    expect(await o.balance("seller_pending", sellerA.userId, "EUR")).toBe(4_050);
    expect(await o.balance("seller_pending", sellerB.userId, "EUR")).toBe(1_080);
    const placed = await outboxOf("order.placed");
    expect(placed.filter((e) => e.orderId === order.id)).toHaveLength(2);
    expect(await o.reconcile()).toEqual([]);

    // the buyer reads it back; the list shows it
    const read = await orderOf(await o.h.request("GET", `/v1/orders/${order.id}`, { token: buyer.token }));
    expect(read).toEqual(order);
    const list = (await (await o.h.request("GET", "/v1/orders", { token: buyer.token })).json()) as { items: { id: string }[] };
    expect(list.items.map((i) => i.id)).toEqual([order.id]);
  });

  test("priced in the buyer's currency: every line converted once at the seller's rate, which the sub-order keeps", async () => {
    const lamp = await o.variant(sellerA, { priceMinor: 3_333, currency: "EUR", stock: 3 });
    const buyer = await o.shopper();
    await o.addToCart(buyer, lamp, 1);
    const order = await orderOf(await o.checkout(buyer, "checkout-jpy-1", { currency: "JPY" }));
    expect(order).toMatchObject({ status: "confirmed", currency: "JPY" });
    const sub = order.subOrders[0];
    expect(sub?.settlementCurrency).toBe("EUR");
    // JPY has no minor units: a whole number of yen, at the stored rate
    const [row] = await o.h.database.db
      .select()
      .from(schema.subOrder)
      .where(eq(schema.subOrder.id, sub?.id ?? ""));
    expect(sub?.total).toBe(Math.round(((3_333 / 100) * (row?.fxRatePpb ?? 0)) / 1e9));
    expect(row?.settlementItemsMinor).toBe(3_333);
  });
});

describe("a cart that changed since the buyer saw it", () => {
  test("a price change is a 409 naming the line, with nothing ordered, held or charged", async () => {
    const kettle = await o.variant(sellerA, { priceMinor: 4_000, stock: 4 });
    const buyer = await o.shopper();
    await o.addToCart(buyer, kettle, 1);
    await o.h.database.db.update(schema.variant).set({ priceMinor: 4_500 }).where(eq(schema.variant.id, kettle));
    const response = await o.checkout(buyer, "checkout-price-1");
    expect(response.status).toBe(409);
    const problem = await problemOf(response);
    expect(problem.errors).toEqual([{ path: `/cart/lines/${kettle}`, message: "the price changed from 4000 to 4500" }]);
    expect(await o.stock(kettle)).toEqual({ onHand: 4, reserved: 0 });
    expect(await o.h.database.db.select().from(schema.customerOrder).where(eq(schema.customerOrder.buyerId, buyer.userId))).toHaveLength(0);
  });

  test("more than is in stock is a 409 naming the line; an expectedTotal that is not the total is a 409", async () => {
    const vase = await o.variant(sellerB, { priceMinor: 900, stock: 1 });
    const buyer = await o.shopper();
    await o.addToCart(buyer, vase, 2);
    const short = await o.checkout(buyer, "checkout-short-1");
    expect(short.status).toBe(409);
    expect((await problemOf(short)).errors).toEqual([{ path: `/cart/lines/${vase}`, message: "only 1 left" }]);

    await o.h.request("PATCH", `/v1/cart/lines/${vase}`, { token: buyer.token, body: { quantity: 1 } });
    const wrongTotal = await o.checkout(buyer, "checkout-total-1", { expectedTotal: 800 });
    expect(wrongTotal.status).toBe(409);
    expect((await problemOf(wrongTotal)).errors[0]?.path).toBe("/expectedTotal");
    expect(await o.stock(vase)).toEqual({ onHand: 1, reserved: 0 });
    const right = await o.checkout(buyer, "checkout-total-2", { expectedTotal: 900 });
    expect((await orderOf(right)).status).toBe("confirmed");
  });

  test("an empty cart, another buyer's address, a missing key or a hostile body is a 4xx naming the field", async () => {
    const buyer = await o.shopper();
    const other = await o.shopper();
    expect((await o.checkout(buyer, "checkout-empty-1")).status).toBe(409);
    const cup = await o.variant(sellerA, { stock: 2 });
    await o.addToCart(buyer, cup, 1);
    const foreign = await o.checkout(buyer, "checkout-foreign-1", { addressId: other.addressId });
    expect(foreign.status).toBe(422);
    expect((await problemOf(foreign)).errors[0]?.path).toBe("/addressId");
    const noKey = await o.h.request("POST", "/v1/checkout", { token: buyer.token, body: { addressId: buyer.addressId, paymentMethod: SANDBOX_CARDS.success } });
    expect(noKey.status).toBe(422);
    for (const body of [{ walletAmount: -1 }, { expectedTotal: 1.5 }, { stray: true }, { addressId: "'; DROP TABLE customer_order; --" }]) {
      const response = await o.checkout(buyer, `checkout-hostile-${JSON.stringify(body)}`, body);
      expect(response.status).toBe(422);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
    }
    expect((await o.h.request("POST", "/v1/checkout", { body: { addressId: buyer.addressId } })).status).toBe(401);
    expect(await o.stock(cup)).toEqual({ onHand: 2, reserved: 0 });
  });
});

describe("payments that do not simply succeed", () => {
  test("a declined card: the order fails, nothing is charged, the stock goes back on sale, the cart stays", async () => {
    const bag = await o.variant(sellerA, { priceMinor: 7_000, stock: 2 });
    const buyer = await o.shopper();
    await o.addToCart(buyer, bag, 1);
    const order = await orderOf(await o.checkout(buyer, "checkout-declined-1", { paymentMethod: SANDBOX_CARDS.declined }));
    expect(order).toMatchObject({ status: "failed", payment: { status: "failed" } });
    expect(order.subOrders.map((s) => s.status)).toEqual(["cancelled"]);
    expect(await o.stock(bag)).toEqual({ onHand: 2, reserved: 0 });
    expect((await cartOf(buyer)).sellers.flatMap((s) => s.lines)).toHaveLength(1);
  });

  test("a card that needs authentication: awaiting payment with the stock held, confirmed once the buyer authenticates", async () => {
    const coat = await o.variant(sellerB, { priceMinor: 9_000, stock: 2 });
    const buyer = await o.shopper();
    await o.addToCart(buyer, coat, 1);
    const order = await orderOf(await o.checkout(buyer, "checkout-3ds-1", { paymentMethod: SANDBOX_CARDS.authenticationRequired }));
    expect(order).toMatchObject({
      status: "awaiting_payment",
      payment: { status: "requires_action", nextAction: expect.stringContaining("sandbox-authentication") },
    });
    expect(await o.stock(coat)).toEqual({ onHand: 2, reserved: 1 });
    const approved = await o.h.request("POST", `/v1/me/payments/${order.payment?.id}/sandbox-authentication`, {
      token: buyer.token,
      body: { result: "approve" },
    });
    expect(approved.status).toBe(200);
    await o.settle();
    await o.settle();
    const after = await orderOf(await o.h.request("GET", `/v1/orders/${order.id}`, { token: buyer.token }));
    expect(after).toMatchObject({ status: "confirmed", payment: { status: "captured" } });
    expect(await o.stock(coat)).toEqual({ onHand: 1, reserved: 0 });
  });

  test("paid from the wallet in full: no card needed", async () => {
    const pen = await o.variant(sellerA, { priceMinor: 1_500, stock: 2 });
    const buyer = await o.shopper();
    await o.fund(buyer, 2_000);
    await o.addToCart(buyer, pen, 1);
    const order = await orderOf(await o.checkout(buyer, "checkout-wallet-1", { walletAmount: 1_500, paymentMethod: undefined }));
    expect(order).toMatchObject({ status: "confirmed", walletAmount: 1_500 });
    expect(await o.balance("buyer_wallet", buyer.userId, "EUR")).toBe(500);
  });
});

describe("one Idempotency-Key", () => {
  test("sent 20 times at once: one order, one payment, 20 identical answers", async () => {
    const hat = await o.variant(sellerA, { priceMinor: 2_500, stock: 3 });
    const buyer = await o.shopper();
    await o.addToCart(buyer, hat, 1);
    const responses = await Promise.all(Array.from({ length: 20 }, () => o.checkout(buyer, "checkout-same-key")));
    const bodies = await Promise.all(responses.map((r) => r.text()));
    expect(new Set(responses.map((r) => r.status))).toEqual(new Set([201]));
    expect(new Set(bodies).size).toBe(1);
    const order = JSON.parse(bodies[0] ?? "{}") as OrderView;
    expect(order.status).toBe("confirmed");
    expect(await o.h.database.db.select().from(schema.customerOrder).where(eq(schema.customerOrder.buyerId, buyer.userId))).toHaveLength(1);
    const payments = await o.h.database.db.select().from(schema.payment).where(eq(schema.payment.buyerId, buyer.userId));
    expect(payments).toHaveLength(1);
    expect(await o.stock(hat)).toEqual({ onHand: 2, reserved: 0 });
    // later, the same key still answers with the same order; another body under it is a 409
    expect(await (await o.checkout(buyer, "checkout-same-key")).text()).toBe(bodies[0] as string);
    expect((await o.checkout(buyer, "checkout-same-key", { expectedTotal: 1 })).status).toBe(409);
  });
});

describe("500 checkouts competing for 10 units", () => {
  // 500 sign-ups would trip the sign-up throttle: the buyers are rows, their carts filled and their checkouts made
  // through the cart and checkout services themselves, all at once
  test("exactly 10 paid orders, never negative stock, nothing left held", async () => {
    const seller = await o.seller();
    const phone = await o.variant(seller, { priceMinor: 30_000, stock: 10 });
    const now = o.h.clock.now;
    const buyers = Array.from({ length: 500 }, (_, i) => ({ userId: o.h.deps.ids("user"), addressId: o.h.deps.ids("address"), i }));
    const rows: Statement[] = [
      ...buyers.map((b) =>
        o.h.database.db.insert(schema.user).values({
          id: b.userId,
          email: `race-${b.i}-${now}@example.com`,
          name: `Racer ${b.i}`,
          passwordHash: "not-a-hash",
          currency: "EUR",
          createdAt: now - 365 * 86_400_000,
          updatedAt: now,
        }),
      ),
      ...buyers.map((b) =>
        o.h.database.db
          .insert(schema.address)
          .values({ id: b.addressId, userId: b.userId, recipient: "R", line1: "1 Way", city: "Porto", country: "PT", createdAt: now, updatedAt: now }),
      ),
    ];
    await o.h.database.batch(rows as [Statement, ...Statement[]]);
    const ctx = { ...o.ctx, eventsWritten: () => undefined };
    for (const b of buyers) await addToCart(ctx, { userId: b.userId }, { variantId: phone, quantity: 1 });
    const outcomes = await Promise.allSettled(
      buyers.map((b) =>
        checkout(
          ctx,
          { providers: o.providers },
          { userId: b.userId, sessionId: "ses_race", roles: ["buyer"] },
          {
            body: { addressId: b.addressId, paymentMethod: SANDBOX_CARDS.success },
            idempotencyKey: `race-${b.i}`,
          },
        ),
      ),
    );
    const paid = outcomes.filter((r) => r.status === "fulfilled" && r.value.status === "confirmed");
    const refused = outcomes.filter((r) => r.status === "rejected");
    expect(paid).toHaveLength(10);
    expect(refused).toHaveLength(490);
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(OutOfStockError);
    const subs = await o.h.database.db.select().from(schema.subOrder).where(eq(schema.subOrder.sellerId, seller.userId));
    expect(subs.filter((s) => s.status === "confirmed")).toHaveLength(10);
    // a refused checkout wrote no order at all
    expect(subs).toHaveLength(10);
    expect(await o.stock(phone)).toEqual({ onHand: 0, reserved: 0 });
    await o.settle();
    expect(await o.balance("seller_pending", seller.userId, "EUR")).toBe(10 * 27_000);
    expect(await o.reconcile()).toEqual([]);
  }, 120_000);
});
