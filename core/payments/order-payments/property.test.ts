// Property: random sequences of top-ups, order payments (wallet, card, split; one or two sellers; cross-currency),
// refunds (partial and full, to the wallet or the card) and releases, run through the real services and database,
// never make a wallet or seller balance negative, never refund more than was paid, and never create or lose money:
// what sits inside the platform always equals what came in through the gateway and did not go back out.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { AppError } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import { sql } from "drizzle-orm";
import fc from "fast-check";
import type { Person } from "../../catalog/products/test-fixtures.ts";
import { topUp } from "../charges/service.ts";
import { SANDBOX_CARDS } from "../providers/sandbox.ts";
import { refundPayment } from "../refunds/service.ts";
import { releaseDueHolds, scheduleSettlement } from "../settlement/service.ts";
import { createPaymentsHarness, type PaymentsHarness } from "../testing/payments-harness.ts";
import { payOrder } from "./service.ts";

let p: PaymentsHarness;
let buyers: Person[];
let sellers: Person[];
beforeAll(async () => {
  p = await createPaymentsHarness();
  buyers = await Promise.all([p.person(), p.person(), p.person()]);
  sellers = await Promise.all([p.person("seller"), p.person("seller")]);
});
afterAll(() => p.destroy());

const step = fc.oneof(
  fc.record({ kind: fc.constant("top_up" as const), buyer: fc.nat(2), amount: fc.integer({ min: 100, max: 30_000 }) }),
  fc.record({
    kind: fc.constant("pay" as const),
    buyer: fc.nat(2),
    charges: fc.array(fc.integer({ min: 1, max: 20_000 }), { minLength: 1, maxLength: 2 }),
    walletShare: fc.constantFrom(0, 0.5, 1),
    sellerInUsd: fc.boolean(),
    card: fc.constantFrom(SANDBOX_CARDS.success, SANDBOX_CARDS.declined),
  }),
  fc.record({ kind: fc.constant("refund" as const), pick: fc.nat(), share: fc.constantFrom(0.25, 0.5, 1), toWallet: fc.boolean() }),
  fc.record({ kind: fc.constant("release" as const), pick: fc.nat() }),
);

const DAY = 86_400_000;
let serial = 0;
/** Refunds and releases pick among what was paid so far. */
const paid: { paymentId: string; subOrderId: string; charge: number }[] = [];

type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

async function run(s: Step): Promise<void> {
  const n = ++serial;
  if (s.kind === "top_up") {
    // the service itself: the clock runs far past an access token's life in these sequences
    const buyer = buyers[s.buyer] as Person;
    await topUp(
      p.ctx,
      p.providers,
      { userId: buyer.userId, sessionId: "ses_property", roles: ["buyer"] },
      {
        amount: s.amount,
        currency: "EUR",
        paymentMethod: SANDBOX_CARDS.success,
      },
    );
    // a fresh day, so the fraud check's velocity rules do not take over the sequence (whatever it decides, the
    // invariants below must hold: a held or blocked payment moves no money)
    p.h.clock.advance(DAY);
    return;
  }
  if (s.kind === "pay") {
    const subOrders = s.charges.map((charge, i) => {
      const seller = sellers[i % sellers.length] as Person;
      // a seller in USD earns their own prices: ~1.08 USD for each EUR the buyer pays, whatever FX gives
      const settlement = s.sellerInUsd ? Math.max(1, Math.round(charge * 1.08)) : charge;
      return {
        subOrderId: `sub_${n}_${i}`,
        sellerId: seller.userId,
        chargeMinor: charge,
        settlementCurrency: s.sellerInUsd ? "USD" : "EUR",
        lines: [{ categoryId: i ? "cat_b" : "cat_a", settlementMinor: settlement }],
      };
    });
    const total = s.charges.reduce((a, b) => a + b, 0);
    const walletMinor = Math.floor(total * s.walletShare);
    try {
      const payment = await payOrder(p.ctx, p.providers, {
        orderId: `ord_${n}`,
        buyerId: (buyers[s.buyer] as Person).userId,
        currency: "EUR",
        walletMinor,
        ...(walletMinor < total ? { paymentMethod: s.card } : {}),
        idempotencyKey: `prop-${n}`,
        subOrders,
      });
      if (payment.status === "captured") for (const sub of subOrders) paid.push({ paymentId: payment.id, subOrderId: sub.subOrderId, charge: sub.chargeMinor });
    } catch (error) {
      // a wallet that cannot cover its part: refused, nothing written
      if (!(error instanceof AppError && error.status === 409)) throw error;
    }
    p.h.clock.advance(DAY);
    return;
  }
  const target = paid[s.pick % Math.max(1, paid.length)];
  if (!target) return;
  if (s.kind === "release") {
    await scheduleSettlement(p.ctx, target.subOrderId, p.h.clock.now).catch((error) => {
      // already released, or nothing left to hold (all refunded before the release)
      if (!(error instanceof AppError)) throw error;
    });
    await releaseDueHolds(p.ctx);
    return;
  }
  const amount = Math.max(1, Math.floor(target.charge * s.share));
  try {
    await refundPayment(
      p.ctx,
      p.providers,
      target.paymentId,
      { amount, subOrderId: target.subOrderId, destination: s.toWallet ? "wallet" : "original" },
      `prop-r-${n}`,
    );
  } catch (error) {
    // more than is left of the sub-order
    if (!(error instanceof AppError && error.status === 422)) throw error;
  }
}

test("random top-ups, payments, refunds and releases keep every invariant of the money", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 14 }), async (steps) => {
      for (const s of steps) await run(s);
      await p.settle();
      expect(await p.reconcile()).toEqual([]);
      const accounts = await p.h.database.db.select().from(schema.ledgerAccount);
      for (const a of accounts) {
        if (["buyer_wallet", "seller_pending", "seller_available"].includes(a.kind)) expect(a.balanceMinor).toBeGreaterThanOrEqual(0);
      }
      // money in the system = what the gateway brought in (clearing goes negative as it does) less what it took back
      for (const currency of ["EUR", "USD"]) {
        const of = (kinds: string[]) => accounts.filter((a) => a.currency === currency && kinds.includes(a.kind)).reduce((sum, a) => sum + a.balanceMinor, 0);
        const inside = of([
          "buyer_wallet",
          "seller_pending",
          "seller_available",
          "seller_receivable",
          "platform_commission",
          "refunds",
          "payment_holding",
          "fx_conversion",
        ]);
        expect(inside + of(["provider_clearing"])).toBe(0);
      }
      // nothing is held for a payment that ended, nothing waits in the refunds account once the gateway answered
      expect(accounts.filter((a) => a.kind === "payment_holding" || a.kind === "refunds").every((a) => a.balanceMinor === 0)).toBe(true);
      const over = await p.h.database.db.all(sql`
        SELECT id FROM payment WHERE refunded_minor > captured_minor
        UNION ALL SELECT id FROM payment_split WHERE refunded_minor > charge_minor OR refunded_settlement_minor > settlement_minor`);
      expect(over).toEqual([]);
    }),
    { numRuns: 40, seed: 20261204 },
  );
});
