// The orders scenarios: the full checkout (a cart of three lines from two sellers → a paid order, sandbox
// payments), measured as operations in the bench's own process like the payments ones; and the rows behind
// `GET /v1/orders` for the bench user, written straight into the bench database as the catalogue is.
import { createDatabase, type Statement, schema } from "@bazaar/db";
import { addToCart } from "../core/cart/index.ts";
import { checkout } from "../core/orders/checkout.ts";
import { createOrdersHarness, type Shopper } from "../core/orders/testing/orders-harness.ts";
import { SANDBOX_CARDS } from "../core/payments/providers/sandbox.ts";
import type { Operation } from "./measure.ts";

/** Buyers in turn, the clock a day on each round, as in payments.ts: the fraud check's velocity rules stay quiet. */
const BUYERS = 200;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const SIGN_UPS_PER_HOUR = 18;
const PLENTY = 100_000_000;
/** How many orders the bench user has for GET /v1/orders. */
export const BENCH_ORDERS = 50;

/** Each operation: three lines into the buyer's cart (two sellers), then checkout, paid by sandbox card. */
export async function prepareCheckouts(): Promise<Operation> {
  const o = await createOrdersHarness();
  const [sellerA, sellerB] = [await o.seller(), await o.seller()];
  const variants = [
    await o.variant(sellerA, { priceMinor: 2_500, stock: PLENTY }),
    await o.variant(sellerA, { priceMinor: 900, stock: PLENTY }),
    await o.variant(sellerB, { priceMinor: 4_200, stock: PLENTY }),
  ];
  const buyers: Shopper[] = [];
  for (let n = 0; n < BUYERS; n++) {
    if (n % SIGN_UPS_PER_HOUR === 0) o.h.clock.advance(HOUR_MS + 1);
    buyers.push(await o.shopper());
  }
  const ctx = { ...o.ctx, eventsWritten: () => undefined };
  let checkouts = 0;
  return {
    async run() {
      const n = checkouts++;
      const turn = n % BUYERS;
      if (turn === BUYERS - 1) o.h.clock.advance(DAY_MS);
      const buyer = buyers[turn] as Shopper;
      for (const variantId of variants) await addToCart(ctx, { userId: buyer.userId }, { variantId, quantity: 1 });
      const order = await checkout(
        ctx,
        { providers: o.providers },
        { userId: buyer.userId, sessionId: "ses_bench", roles: ["buyer"] },
        {
          body: { addressId: buyer.addressId, paymentMethod: SANDBOX_CARDS.success },
          idempotencyKey: `bench-checkout-${n}`,
        },
      );
      return order.status === "confirmed" && order.subOrders.length === 2 ? undefined : `order ${order.status}`;
    },
    async stop() {
      await o.settle();
      const mismatches = await o.reconcile();
      if (mismatches.length) console.warn("bench: the checkouts left the ledger unbalanced:", mismatches.slice(0, 5));
      await o.destroy();
    },
  };
}

/** The user id in an access token (its `sub`): the bench seeds that user's orders. */
export function userIdOf(accessToken: string): string {
  const payload = JSON.parse(Buffer.from(accessToken.split(".")[1] ?? "", "base64url").toString("utf8")) as { sub?: unknown };
  if (typeof payload.sub !== "string") throw new Error("the bench user's token names no user");
  return payload.sub;
}

/** BENCH_ORDERS delivered orders of two sub-orders and two items each, with their timelines, for `buyerId`. */
export async function seedBenchOrders(databaseUrl: string, buyerId: string): Promise<void> {
  const database = createDatabase({ url: databaseUrl });
  const now = Date.now();
  const statements: Statement[] = [];
  const id = (prefix: string, n: number, part = 0) => `${prefix}_BENCH${String(n).padStart(6, "0")}${part}`.padEnd(30, "0");
  for (let n = 0; n < BENCH_ORDERS; n++) {
    const at = now - (BENCH_ORDERS - n) * HOUR_MS;
    const orderId = id("ord", n);
    statements.push(
      database.db.insert(schema.customerOrder).values({
        id: orderId,
        buyerId,
        status: "delivered",
        currency: "EUR",
        itemsMinor: 7_600,
        shippingMinor: 0,
        totalMinor: 7_600,
        paymentStatus: "captured",
        shippingAddress: {
          recipient: "Bench User",
          line1: "1 Bench Way",
          line2: null,
          city: "Lisboa",
          region: null,
          postalCode: "1100-048",
          country: "PT",
          phone: null,
        },
        idempotencyKey: `bench-order-${n}`,
        requestHash: "bench",
        createdAt: at,
        updatedAt: at,
      }),
    );
    for (const part of [0, 1]) {
      const subOrderId = id("sub", n, part);
      const amount = part === 0 ? 3_400 : 4_200;
      statements.push(
        database.db.insert(schema.subOrder).values({
          id: subOrderId,
          orderId,
          sellerId: id("usr", BENCH_ORDERS, part),
          status: "delivered",
          itemsMinor: amount,
          shippingMinor: 0,
          totalMinor: amount,
          settlementCurrency: "EUR",
          settlementItemsMinor: amount,
          settlementShippingMinor: 0,
          fxRatePpb: 1_000_000_000,
          fxAsOf: at,
          createdAt: at,
          updatedAt: at,
        }),
        database.db.insert(schema.orderItem).values({
          id: id("oit", n, part),
          orderId,
          subOrderId,
          productId: "prd_BENCH",
          variantId: "var_BENCH",
          categoryId: "cat_BENCH",
          sku: `BENCH-${part}`,
          title: "Bench item",
          options: {},
          quantity: 1,
          unitPriceMinor: amount,
          settlementMinor: amount,
          chargeMinor: amount,
        }),
        database.db
          .insert(schema.orderEvent)
          .values({ id: id("oev", n, part), orderId, subOrderId, type: "order.placed", toStatus: "pending", actor: "buyer", at }),
      );
    }
  }
  try {
    await database.batch(statements as [Statement, ...Statement[]]);
  } finally {
    await database.close();
  }
}
