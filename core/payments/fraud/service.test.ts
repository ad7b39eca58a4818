import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { schema } from "@bazaar/db";
import { eq } from "drizzle-orm";
import { createHarness, type Harness } from "../../testing/harness.ts";
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
    expect(features).toMatchObject({ firstPayment: true, userPayments24h: 0, cardUsers24h: 1, countryMismatches: 0, amountMajor: 25, declines24h: 0 });
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
    const features = await readFeatures(h.database.read, payment(other), h.clock.now);
    expect(features.userPayments10m).toBe(6);
    // an hour later the 10-minute window is empty but the day still counts them
    const later = await readFeatures(h.database.read, payment(other), h.clock.now + 60 * MINUTE);
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
    const features = await readFeatures(h.database.read, payment(users[0] as string, ip), h.clock.now);
    expect(features.ipPayments1h).toBe(LIMITS.ipPayments1h);
    h.clock.advance(MINUTE);
    expect((await readFeatures(h.database.read, payment(users[0] as string, ip), h.clock.now)).ipPayments1h).toBe(LIMITS.ipPayments1h - 1);
  });

  test("a new account paying a large amount goes to review (pending in the queue) or is blocked", async () => {
    const userId = await buyer(0);
    const result = await assessPayment(ctx, payment(userId, { amountMinor: 150_000, currency: "USD" }));
    expect(["review", "block"]).toContain(result.decision);
    expect(result.score).toBeGreaterThanOrEqual(REVIEW_THRESHOLD);
    expect(result.reasons[0]).toEqual({
      code: "NEW_ACCOUNT_LARGE",
      message: "An account less than a day old pays 1500 (major units)",
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

  test("an amount far above the user's captured history: AMOUNT_SPIKE; amounts compare across currencies by minor-unit exponent", async () => {
    const userId = await buyer(400);
    // 20.00 EUR, 30.00 USD and ¥25 (exponent 0) are 20, 30 and 25 in major units: median 25
    await paymentRow(userId, { amountMinor: 2000, status: "captured", at: h.clock.now - 3 * DAY });
    await paymentRow(userId, { amountMinor: 3000, currency: "USD", status: "captured", at: h.clock.now - 2 * DAY });
    await paymentRow(userId, { amountMinor: 25, currency: "JPY", status: "captured", at: h.clock.now - DAY - 1 });
    // neither counted as history: nothing was captured
    await paymentRow(userId, { amountMinor: 999_999, status: "canceled", at: h.clock.now - 2 * DAY });

    const normal = await assessPayment(ctx, payment(userId, { amountMinor: 30_000, currency: "KWD" })); // 30.000 KWD = 30
    expect(codes(normal.reasons)).not.toContain("AMOUNT_SPIKE");
    expect(JSON.parse((await storedRow(normal.id)).features)).toMatchObject({
      historyPayments: 3,
      historyMedianMajor: 25,
      historyMeanMajor: 25,
      amountMajor: 30,
      amountToMedian: 1.2,
      firstPayment: false,
    });

    const spike = await assessPayment(ctx, payment(userId, { amountMinor: 20_000, currency: "EUR" }));
    expect(spike.reasons.find((r) => r.code === "AMOUNT_SPIKE")?.message).toBe("The amount is 8× this user's median payment (over 3 payments)");
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

describe("the score", () => {
  test("is round(1000 · p) plus the points of the rules that fired, capped at 1000; review from 500, block from 800", () => {
    expect(modelReason(0.1234).points).toBe(123);
    expect(scoreOf([modelReason(0.1234), { code: "X", message: "", points: 400 }])).toBe(523);
    expect(scoreOf([modelReason(0.9), { code: "X", message: "", points: 400 }])).toBe(1000);
    expect([0, 499, 500, 799, 800, 1000].map(decisionFor)).toEqual(["allow", "allow", "review", "review", "block", "block"]);
  });

  test("reasons list the rules strongest first, the model's share last", async () => {
    const features = await readFeatures(h.database.read, payment(await buyer(0), { amountMinor: 100_000, ipCountry: "BR" }), h.clock.now);
    const risk = riskOf(features, 0.25, "fraud-lr-test");
    expect(risk.reasons).toEqual([
      { code: "NEW_ACCOUNT_LARGE", message: "An account less than a day old pays 1000 (major units)", points: 500 },
      { code: "COUNTRY_MISMATCH", message: "Countries disagree: IP BR, billing PT, shipping PT, card PT", points: 150 },
      { code: "MODEL_RISK", message: "The model (fraud-lr-test) puts the chance of fraud at 25.0 %", points: 250 },
    ]);
    expect(risk).toMatchObject({ score: 900, decision: "block" });
  });
});
