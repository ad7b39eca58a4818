import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { schema } from "@bazaar/db";
import { and, eq } from "drizzle-orm";
import { createHarness, type Harness } from "../../testing/harness.ts";
import { seedRatesIfEmpty } from "../fx/service.ts";
import { type FraudInput, readFeatures } from "./features.ts";
import { MODEL_VERSION } from "./model.ts";
import { LIMITS, POINTS } from "./rules.ts";
import { assessPayment, BLOCK_THRESHOLD, decisionFor, type FraudCtx, getPaymentAssessment, modelReason, REVIEW_THRESHOLD, riskOf, scoreOf } from "./service.ts";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

let h: Harness;
let ctx: FraudCtx;
beforeEach(async () => {
  h = await createHarness();
  ctx = { database: h.database, clock: () => h.clock.now, ids: h.deps.ids };
  // as the payments module seeds them at boot: 1 USD = 0.8612 EUR = ¥154.62 = 0.30712 KWD …
  await seedRatesIfEmpty(h.database, h.clock.now);
});
afterEach(() => h.destroy());

/** A buyer whose account is `ageDays` old now (the clock moves on after they sign up). */
async function buyer(ageDays = 0): Promise<string> {
  const { user } = await h.register();
  h.clock.advance(ageDays * DAY);
  return user.id;
}

/** A payment about to be made: a fresh payment id, a small EUR amount from Portugal unless told otherwise. */
function payment(userId: string, overrides: Partial<FraudInput> = {}): FraudInput {
  return {
    paymentId: h.deps.ids("payment"),
    userId,
    amountMinor: 2500,
    currency: "EUR",
    cardFingerprint: `fp_${userId}`,
    cardCountry: "PT",
    ipAddress: "198.51.100.7",
    ipCountry: "PT",
    billingCountry: "PT",
    shippingCountry: "PT",
    ...overrides,
  };
}

/** A payment row as the payments service writes it (what the history, velocity and decline features read). */
async function paymentRow(userId: string, values: { amountMinor: number; currency?: string; status: string; capturedMinor?: number; at?: number }) {
  const id = h.deps.ids("payment");
  const at = values.at ?? h.clock.now;
  await h.database.db.insert(schema.payment).values({
    id,
    buyerId: userId,
    purpose: "top_up",
    amountMinor: values.amountMinor,
    currency: values.currency ?? "EUR",
    provider: "sandbox",
    status: values.status,
    capturedMinor: values.capturedMinor ?? (values.status === "captured" ? values.amountMinor : 0),
    createdAt: at,
    updatedAt: at,
  });
  return id;
}

async function storedRow(id: string) {
  const [row] = await h.database.db.select().from(schema.fraudAssessment).where(eq(schema.fraudAssessment.id, id));
  if (!row) throw new Error(`no fraud_assessment ${id}`);
  return row;
}

const codes = (reasons: { code: string }[]) => reasons.map((r) => r.code);

describe("assessPayment", () => {
  test("a clean first payment from an established account is allowed; the row holds the score, reasons, features and model version", async () => {
    const userId = await buyer(200);
    const input = payment(userId);
    const result = await assessPayment(ctx, input);

    expect(result.id).toStartWith("frd_");
    expect(result.decision).toBe("allow");
    expect(result.score).toBeLessThan(REVIEW_THRESHOLD);
    // nothing fired: the only reason is the model's share, and the score is exactly its points
    expect(codes(result.reasons)).toEqual(["MODEL_RISK"]);
    expect(result.score).toBe(result.reasons[0]?.points as number);

    const row = await storedRow(result.id);
    expect(row).toMatchObject({
      paymentId: input.paymentId,
      userId,
      score: result.score,
      decision: "allow",
      modelVersion: MODEL_VERSION,
      reviewStatus: null,
      cardFingerprint: input.cardFingerprint,
      ipAddress: input.ipAddress,
      createdAt: h.clock.now,
    });
    expect(JSON.parse(row.reasons)).toEqual(result.reasons);
    const features = JSON.parse(row.features);
    // 25.00 EUR at 1 / 0.8612
    expect(features).toMatchObject({ firstPayment: true, userPayments24h: 0, cardUsers24h: 1, countryMismatches: 0, amountUsd: 29.03, declines24h: 0 });
    expect(features).toMatchObject({ amountConverted: true, historyConverted: true });
    expect(features.accountAgeDays).toBeCloseTo(200, 3);
  });

  test("ten payments in a minute: the velocity rule fires, by payment rows and by earlier assessments alike", async () => {
    const userId = await buyer(100);
    const results = [];
    for (let i = 0; i < 10; i++) {
      results.push(await assessPayment(ctx, payment(userId)));
      h.clock.advance(6_000);
    }
    expect(codes(results[0]?.reasons ?? [])).not.toContain("VELOCITY_USER");
    // the sixth sees five others within 10 minutes: the limit
    expect(results.findIndex((r) => codes(r.reasons).includes("VELOCITY_USER"))).toBe(LIMITS.userPayments10m);
    const last = results.at(-1);
    expect(last?.reasons.find((r) => r.code === "VELOCITY_USER")).toEqual({
      code: "VELOCITY_USER",
      message: "9 other payments by this user in the last 10 minutes, 9 in 24 hours",
      points: POINTS.VELOCITY_USER,
    });
    // the same card, ten times in a day
    expect(codes(last?.reasons ?? [])).toContain("VELOCITY_CARD");
    expect(last?.score).toBeGreaterThanOrEqual(BLOCK_THRESHOLD);
    expect(last?.decision).toBe("block");
    // every assessment is its own row
    const rows = await h.database.db.select().from(schema.fraudAssessment).where(eq(schema.fraudAssessment.userId, userId));
    expect(rows).toHaveLength(10);

    // payment rows count too; a payment that has a row and an assessment counts once
    const other = await buyer();
    h.clock.advance(100 * DAY);
    const paid = [];
    for (let i = 0; i < 6; i++) paid.push(await paymentRow(other, { amountMinor: 1000, status: "captured", at: h.clock.now - i * 5_000 }));
    await assessPayment(ctx, payment(other, { paymentId: paid[0] as string }));
    const features = await readFeatures(h.database, payment(other), h.clock.now);
    expect(features.userPayments10m).toBe(6);
    // an hour later the 10-minute window is empty but the day still counts them
    const later = await readFeatures(h.database, payment(other), h.clock.now + 60 * MINUTE);
    expect([later.userPayments10m, later.userPayments24h]).toEqual([0, 6]);
  });

  test("a card used by four accounts in a day: CARD_MANY_USERS; two accounts sharing one is not enough", async () => {
    const card = { cardFingerprint: "fp_shared_card" };
    const users = [await buyer(50), await buyer(50), await buyer(50), await buyer(50)];
    const [first, second, third, fourth] = users as [string, string, string, string];
    await assessPayment(ctx, payment(first, card));
    const two = await assessPayment(ctx, payment(second, card));
    expect(codes(two.reasons)).not.toContain("CARD_MANY_USERS");
    await assessPayment(ctx, payment(third, card));
    // the same user again adds no user
    await assessPayment(ctx, payment(third, card));
    const four = await assessPayment(ctx, payment(fourth, card));
    expect(four.reasons.find((r) => r.code === "CARD_MANY_USERS")).toEqual({
      code: "CARD_MANY_USERS",
      message: "This card was used by 4 different accounts in the last 24 hours",
      points: POINTS.CARD_MANY_USERS,
    });
    expect(four.score).toBeGreaterThanOrEqual(two.score + POINTS.CARD_MANY_USERS);
    expect(JSON.parse((await storedRow(four.id)).features)).toMatchObject({ cardUsers24h: 4, cardPayments24h: 4 });

    // a day later the card's history has aged out
    h.clock.advance(DAY + 1);
    const fresh = await assessPayment(ctx, payment(fourth, card));
    expect(codes(fresh.reasons)).not.toContain("CARD_MANY_USERS");
  });

  test("many payments from one IP address in an hour: VELOCITY_IP", async () => {
    const ip = { ipAddress: "203.0.113.50" };
    const users: string[] = [];
    for (let i = 0; i <= LIMITS.ipPayments1h; i++) users.push(await buyer());
    h.clock.advance(30 * DAY);
    for (const userId of users.slice(1)) {
      await assessPayment(ctx, payment(userId, ip));
      h.clock.advance(MINUTE);
    }
    const result = await assessPayment(ctx, payment(users[0] as string, ip));
    expect(result.reasons.find((r) => r.code === "VELOCITY_IP")?.message).toBe(
      `${LIMITS.ipPayments1h} other payments came from this IP address in the last hour`,
    );
    // an hour after the first of them: it has aged out, the ten since (the last assessment included) still count
    h.clock.advance(50 * MINUTE + 1);
    const features = await readFeatures(h.database, payment(users[0] as string, ip), h.clock.now);
    expect(features.ipPayments1h).toBe(LIMITS.ipPayments1h);
    h.clock.advance(MINUTE);
    expect((await readFeatures(h.database, payment(users[0] as string, ip), h.clock.now)).ipPayments1h).toBe(LIMITS.ipPayments1h - 1);
  });

  test("a new account paying a large amount goes to review (pending in the queue) or is blocked", async () => {
    const userId = await buyer(0);
    const result = await assessPayment(ctx, payment(userId, { amountMinor: 150_000, currency: "USD" }));
    expect(["review", "block"]).toContain(result.decision);
    expect(result.score).toBeGreaterThanOrEqual(REVIEW_THRESHOLD);
    expect(result.reasons[0]).toEqual({
      code: "NEW_ACCOUNT_LARGE",
      message: "An account less than a day old pays 1500 USD",
      points: POINTS.NEW_ACCOUNT_LARGE,
    });
    const row = await storedRow(result.id);
    expect(row.reviewStatus).toBe(result.decision === "review" ? "pending" : null);
    expect(JSON.parse(row.reasons)).toEqual(result.reasons);

    // the same account buying something small is fine
    const small = await assessPayment(ctx, payment(userId, { amountMinor: 1_999, currency: "USD" }));
    expect(small.decision).toBe("allow");
  });

  test("countries that disagree: COUNTRY_MISMATCH names them, 150 points per extra country; unknown codes are ignored", async () => {
    const userId = await buyer(300);
    const two = await assessPayment(ctx, payment(userId, { ipCountry: "BR" }));
    expect(two.reasons.find((r) => r.code === "COUNTRY_MISMATCH")).toEqual({
      code: "COUNTRY_MISMATCH",
      message: "Countries disagree: IP BR, billing PT, shipping PT, card PT",
      points: POINTS.COUNTRY_MISMATCH,
    });
    const three = await assessPayment(ctx, payment(userId, { ipCountry: "br", shippingCountry: "NG" }));
    expect(three.reasons.find((r) => r.code === "COUNTRY_MISMATCH")?.points).toBe(2 * POINTS.COUNTRY_MISMATCH);
    // Cloudflare's "XX" (unknown) and missing countries are no evidence of anything
    const unknown = await assessPayment(ctx, payment(userId, { ipCountry: "XX", shippingCountry: undefined, cardCountry: "not a country" }));
    expect(codes(unknown.reasons)).not.toContain("COUNTRY_MISMATCH");
    expect(JSON.parse((await storedRow(unknown.id)).features)).toMatchObject({
      ipCountry: null,
      shippingCountry: null,
      cardCountry: null,
      billingCountry: "PT",
    });
  });

  test("an amount far above the user's captured history: AMOUNT_SPIKE; only captured payments are history", async () => {
    const userId = await buyer(400);
    for (const [i, amountMinor] of [2000, 2500, 3000].entries())
      await paymentRow(userId, { amountMinor, currency: "USD", status: "captured", at: h.clock.now - (i + 1) * DAY });
    // not history: nothing was captured
    await paymentRow(userId, { amountMinor: 999_999, currency: "USD", status: "canceled", at: h.clock.now - 2 * DAY });

    const normal = await assessPayment(ctx, payment(userId, { amountMinor: 3000, currency: "USD" }));
    expect(codes(normal.reasons)).not.toContain("AMOUNT_SPIKE");
    expect(JSON.parse((await storedRow(normal.id)).features)).toMatchObject({
      historyPayments: 3,
      historyMedianUsd: 25,
      historyMeanUsd: 25,
      historyConverted: true,
      amountUsd: 30,
      amountToMedian: 1.2,
      firstPayment: false,
    });

    const spike = await assessPayment(ctx, payment(userId, { amountMinor: 20_000, currency: "USD" }));
    expect(spike.reasons.find((r) => r.code === "AMOUNT_SPIKE")?.message).toBe(
      "The amount (200 USD) is 8× this user's median payment of 25 USD (over 3 payments)",
    );
  });

  test("three declines in a day: RECENT_DECLINES; older declines and other statuses do not count", async () => {
    const userId = await buyer(60);
    await paymentRow(userId, { amountMinor: 5000, status: "failed", at: h.clock.now - 2 * DAY });
    await paymentRow(userId, { amountMinor: 5000, status: "canceled" });
    for (let i = 0; i < 2; i++) await paymentRow(userId, { amountMinor: 5000, status: "failed", at: h.clock.now - i * MINUTE });
    const two = await assessPayment(ctx, payment(userId));
    expect(codes(two.reasons)).not.toContain("RECENT_DECLINES");
    await paymentRow(userId, { amountMinor: 5000, status: "failed" });
    const three = await assessPayment(ctx, payment(userId));
    expect(three.reasons.find((r) => r.code === "RECENT_DECLINES")?.message).toBe("3 of this user's payments were declined in the last 24 hours");
  });

  test("the payment being assessed is left out of its own history; assessing it again returns the first assessment", async () => {
    const userId = await buyer(90);
    const paymentId = await paymentRow(userId, { amountMinor: 2500, status: "processing" });
    const input = payment(userId, { paymentId });
    const first = await assessPayment(ctx, input);
    expect(JSON.parse((await storedRow(first.id)).features)).toMatchObject({ userPayments10m: 0, userPayments24h: 0, cardPayments24h: 0 });

    h.clock.advance(MINUTE);
    const again = await assessPayment(ctx, { ...input, ipCountry: "RU" });
    expect(again).toEqual(first);
    const rows = await h.database.db.select().from(schema.fraudAssessment).where(eq(schema.fraudAssessment.paymentId, paymentId));
    expect(rows).toHaveLength(1);
    expect(await getPaymentAssessment(ctx, paymentId)).toMatchObject({ id: first.id, decision: first.decision, score: first.score });
  });

  test("a malformed input is refused naming the field, and nothing is written", async () => {
    const userId = await buyer(10);
    await expect(assessPayment(ctx, payment(userId, { amountMinor: 12.5 }))).rejects.toMatchObject({ status: 422, errors: [{ path: "/amountMinor" }] });
    await expect(assessPayment(ctx, payment(userId, { currency: "euro" }))).rejects.toMatchObject({ status: 422, errors: [{ path: "/currency" }] });
    expect(await h.database.db.select().from(schema.fraudAssessment)).toEqual([]);
  });
});

describe("amounts in US dollars, through the stored exchange rates", () => {
  const assessed = async (result: { id: string }) => JSON.parse((await storedRow(result.id)).features);

  test("a new account paying ¥50,000 (≈ $323) is not large; ¥100,000 (≈ $647) is", async () => {
    const userId = await buyer(0);
    const under = await assessPayment(ctx, payment(userId, { amountMinor: 50_000, currency: "JPY" }));
    expect(codes(under.reasons)).not.toContain("NEW_ACCOUNT_LARGE");
    expect(await assessed(under)).toMatchObject({ amountUsd: 323.37, amountConverted: true });

    const over = await assessPayment(ctx, payment(userId, { amountMinor: 100_000, currency: "JPY" }));
    expect(over.reasons.find((r) => r.code === "NEW_ACCOUNT_LARGE")).toEqual({
      code: "NEW_ACCOUNT_LARGE",
      message: "An account less than a day old pays 646.75 USD",
      points: POINTS.NEW_ACCOUNT_LARGE,
    });
    expect(["review", "block"]).toContain(over.decision);
    expect(LIMITS.newAccountAmountUsd).toBe(500);
  });

  test("KWD counts in thousandths and is worth more than a dollar: 150.000 KWD is under $500, 160.000 KWD over", async () => {
    const userId = await buyer(0);
    const fils = await readFeatures(h.database, payment(userId, { amountMinor: 1_234, currency: "KWD" }), h.clock.now);
    expect(fils).toMatchObject({ amountUsd: 4.02, amountConverted: true });

    const under = await assessPayment(ctx, payment(userId, { amountMinor: 150_000, currency: "KWD" }));
    expect(codes(under.reasons)).not.toContain("NEW_ACCOUNT_LARGE");
    expect(await assessed(under)).toMatchObject({ amountUsd: 488.41 });
    // 160 in major units: under the limit by the exponent alone, over it in dollars
    const over = await assessPayment(ctx, payment(userId, { amountMinor: 160_000, currency: "KWD" }));
    expect(over.reasons.find((r) => r.code === "NEW_ACCOUNT_LARGE")?.message).toBe("An account less than a day old pays 520.97 USD");
  });

  test("a EUR history and a JPY payment compare in dollars: ¥15,000 (≈ $97) is no spike, ¥25,000 (≈ $162) is", async () => {
    const userId = await buyer(400);
    // 20.00, 25.00 and 30.00 EUR are $23.22, $29.03 and $34.84: median $29.03
    for (const [i, amountMinor] of [2000, 2500, 3000].entries())
      await paymentRow(userId, { amountMinor, currency: "EUR", status: "captured", at: h.clock.now - (i + 1) * DAY });

    // 15000 against 25 by the exponent alone would be a 600× spike
    const normal = await assessPayment(ctx, payment(userId, { amountMinor: 15_000, currency: "JPY" }));
    expect(codes(normal.reasons)).not.toContain("AMOUNT_SPIKE");
    const features = await assessed(normal);
    expect(features).toMatchObject({ amountUsd: 97.01, historyPayments: 3, historyMedianUsd: 29.03, amountConverted: true, historyConverted: true });
    expect(features.historyMeanUsd).toBeCloseTo(29.03, 9);
    expect(features.amountToMedian).toBeCloseTo(97.01 / 29.03, 9);

    const spike = await assessPayment(ctx, payment(userId, { amountMinor: 25_000, currency: "JPY" }));
    expect(spike.reasons.find((r) => r.code === "AMOUNT_SPIKE")?.message).toBe(
      "The amount (161.69 USD) is 5.6× this user's median payment of 29.03 USD (over 3 payments)",
    );
  });

  test("a currency no stored rate reaches falls back to its major units, flagged, and is still assessed", async () => {
    // the feed stopped quoting VND (exponent 0)
    await h.database.db.delete(schema.fxRate).where(and(eq(schema.fxRate.base, "USD"), eq(schema.fxRate.quote, "VND")));
    const userId = await buyer(0);
    const result = await assessPayment(ctx, payment(userId, { amountMinor: 500, currency: "VND" }));
    expect(await assessed(result)).toMatchObject({ amountUsd: 500, amountConverted: false, historyConverted: true });
    // the old behaviour, named as such: ₫500 is far from $500
    expect(result.reasons.find((r) => r.code === "NEW_ACCOUNT_LARGE")?.message).toBe(
      "An account less than a day old pays 500 (its currency's major units: no exchange rate)",
    );

    // a currency fx does not support at all, in the history and in the payment
    const old = await buyer(300);
    await paymentRow(old, { amountMinor: 2500, currency: "XAU", status: "captured", at: h.clock.now - DAY });
    const features = await readFeatures(h.database, payment(old, { amountMinor: 2500, currency: "XAU" }), h.clock.now);
    expect(features).toMatchObject({ amountUsd: 25, amountConverted: false, historyMedianUsd: 25, historyConverted: false });
    const mixed = await readFeatures(h.database, payment(old, { amountMinor: 2500, currency: "EUR" }), h.clock.now);
    expect(mixed).toMatchObject({ amountUsd: 29.03, amountConverted: true, historyConverted: false });
    expect((await assessPayment(ctx, payment(old, { currency: "XAU" }))).decision).toBe("allow");
  });
});

describe("the score", () => {
  test("is round(1000 · p) plus the points of the rules that fired, capped at 1000; review from 500, block from 800", () => {
    expect(modelReason(0.1234).points).toBe(123);
    expect(scoreOf([modelReason(0.1234), { code: "X", message: "", points: 400 }])).toBe(523);
    expect(scoreOf([modelReason(0.9), { code: "X", message: "", points: 400 }])).toBe(1000);
    expect([0, 499, 500, 799, 800, 1000].map(decisionFor)).toEqual(["allow", "allow", "review", "review", "block", "block"]);
  });

  test("reasons list the rules strongest first, the model's share last", async () => {
    // 1000.00 EUR
    const features = await readFeatures(h.database, payment(await buyer(0), { amountMinor: 100_000, ipCountry: "BR" }), h.clock.now);
    const risk = riskOf(features, 0.25, "fraud-lr-test");
    expect(risk.reasons).toEqual([
      { code: "NEW_ACCOUNT_LARGE", message: "An account less than a day old pays 1161.17 USD", points: 500 },
      { code: "COUNTRY_MISMATCH", message: "Countries disagree: IP BR, billing PT, shipping PT, card PT", points: 150 },
      { code: "MODEL_RISK", message: "The model (fraud-lr-test) puts the chance of fraud at 25.0 %", points: 250 },
    ]);
    expect(risk).toMatchObject({ score: 900, decision: "block" });
  });
});
