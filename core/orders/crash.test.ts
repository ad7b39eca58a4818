// A process killed between holding the stock and paying: after the hold expires nothing is left held, nothing was
// charged, the order failed, and a retry under the same Idempotency-Key charges nothing twice.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { schema } from "@bazaar/db";
import { eq } from "drizzle-orm";
import { releaseExpired } from "../catalog/inventory/service.ts";
import { followUpOpenPayments } from "../payments/charges/service.ts";
import { CHECKOUT_HOLD_MS, expireCheckouts } from "./checkout.ts";
import { checkoutInAProcessThatDies } from "./testing/crash-process.ts";
import { createOrdersHarness, type OrdersHarness, orderOf } from "./testing/orders-harness.ts";

let o: OrdersHarness;
beforeAll(async () => {
  o = await createOrdersHarness();
});
afterAll(() => o.destroy());

describe("a checkout whose process is killed before the payment reaches the gateway", () => {
  test("leaves no hold after expiry, charges nothing, fails the order; the same key then answers with it", async () => {
    const seller = await o.seller();
    const drone = await o.variant(seller, { priceMinor: 40_000, stock: 1 });
    const buyer = await o.shopper();
    await o.addToCart(buyer, drone, 1);

    const ended = await checkoutInAProcessThatDies({
      url: o.h.database.url,
      now: o.h.clock.now,
      buyerId: buyer.userId,
      addressId: buyer.addressId,
      idempotencyKey: "crash-1",
    });
    expect(ended.signal).toBe("SIGKILL");
    // it died with the order written, the stock held and the payment recorded but never sent
    const [order] = await o.h.database.db.select().from(schema.customerOrder).where(eq(schema.customerOrder.buyerId, buyer.userId));
    expect(order?.status).toBe("placing");
    expect(await o.stock(drone)).toEqual({ onHand: 1, reserved: 1 });
    const [payment] = await o.h.database.db.select().from(schema.payment).where(eq(schema.payment.buyerId, buyer.userId));
    expect(payment).toMatchObject({ status: "processing", providerRef: null });

    // the jobs, as every process runs them, once the hold and the payment's own grace have passed
    o.h.clock.advance(CHECKOUT_HOLD_MS + 1);
    const ctx = { ...o.ctx, eventsWritten: () => undefined };
    expect(await releaseExpired(ctx)).toBe(1);
    expect(await followUpOpenPayments(ctx, o.providers)).toBe(1);
    await o.settle();
    await expireCheckouts(ctx, { providers: o.providers });
    expect(await o.stock(drone)).toEqual({ onHand: 1, reserved: 0 });
    const [after] = await o.h.database.db
      .select()
      .from(schema.customerOrder)
      .where(eq(schema.customerOrder.id, order?.id ?? ""));
    expect(after).toMatchObject({ status: "failed" });
    expect(await o.balance("seller_pending", seller.userId, "EUR")).toBe(0);
    // the gateway never heard of it: nothing to give back
    const [failed] = await o.h.database.db
      .select()
      .from(schema.payment)
      .where(eq(schema.payment.id, payment?.id ?? ""));
    expect(failed).toMatchObject({ status: "failed", providerRef: null, capturedMinor: 0 });

    // the buyer retries with the same key: the same (failed) order, no new payment; a new key buys it once
    const again = await o.signInAgain(buyer);
    const retried = await orderOf(await o.checkout({ ...buyer, token: again.token }, "crash-1"));
    expect(retried).toMatchObject({ id: order?.id, status: "failed" });
    const fresh = await orderOf(await o.checkout({ ...buyer, token: again.token }, "crash-2"));
    expect(fresh.status).toBe("confirmed");
    const payments = await o.h.database.db.select().from(schema.payment).where(eq(schema.payment.buyerId, buyer.userId));
    expect(payments.map((p) => p.status).sort()).toEqual(["captured", "failed"]);
    expect(await o.stock(drone)).toEqual({ onHand: 0, reserved: 0 });
    expect(await o.reconcile()).toEqual([]);
  });
});
