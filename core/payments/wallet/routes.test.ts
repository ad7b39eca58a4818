// The wallet end to end over real HTTP: top-ups through the sandbox gateway, whose signed webhooks come back to our
// own endpoint on a real server, as a gateway's would; refunds; replays, reordering, forgeries and other people's ids.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { PaymentView, Problem, RefundView, WalletView } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import { eq, sql } from "drizzle-orm";
import { freePort } from "../../../scripts/lib/start-edge.ts";
import { json, type Person, signUp } from "../../catalog/products/test-fixtures.ts";
import { createHarness, type Harness } from "../../testing/harness.ts";
import { seedRatesIfEmpty } from "../fx/service.ts";
import { paymentProviders } from "../index.ts";
import { reconcile } from "../ledger/service.ts";
import { SANDBOX_CARDS, type SandboxProvider } from "../providers/sandbox.ts";

let h: Harness;
let server: ReturnType<typeof Bun.serve>;
let sandbox: SandboxProvider;
let buyer: Person;
let other: Person;
let admin: Person;

beforeAll(async () => {
  const port = await freePort();
  h = await createHarness({ PAYMENTS_SANDBOX_WEBHOOK_URL: `http://127.0.0.1:${port}/v1/payments/webhooks/sandbox` });
  server = Bun.serve({ hostname: "127.0.0.1", port, fetch: (request) => h.app.handle(request) });
  sandbox = paymentProviders(h.deps).byName.sandbox as SandboxProvider;
  // as the rates job does at boot: the fraud check compares amounts in USD
  await seedRatesIfEmpty(h.database, h.clock.now);
  buyer = await signUp(h);
  other = await signUp(h);
  admin = await signUp(h, "admin");
});
afterAll(async () => {
  await sandbox.settled();
  server.stop(true);
  await h.destroy();
});

/** Webhooks arrive on their own: wait for the sandbox to send them, then deliver the outbox to the subscriber. */
async function webhooksArrive(): Promise<void> {
  await sandbox.settled();
  await h.deliverEvents();
}

const topUp = (person: Person, body: Record<string, unknown>, key?: string) =>
  h.request("POST", "/v1/me/wallet/top-ups", { token: person.token, body, ...(key ? { headers: { "idempotency-key": key } } : {}) });
const wallet = async (person: Person, query = "") => json<WalletView>(await h.request("GET", `/v1/me/wallet${query}`, { token: person.token }));
const balance = async (person: Person, currency = "EUR") => (await wallet(person)).balances.find((b) => b.currency === currency)?.amount ?? 0;
const paymentOf = async (person: Person, id: string) => json<PaymentView>(await h.request("GET", `/v1/me/payments/${id}`, { token: person.token }));

describe("top-ups", () => {
  test("a good card: captured at once, the wallet credited exactly once even when the gateway's webhook arrives too", async () => {
    const before = await balance(buyer);
    const response = await topUp(buyer, { amount: 2500, currency: "EUR", paymentMethod: SANDBOX_CARDS.success });
    expect(response.status).toBe(201);
    const payment = await json<PaymentView>(response);
    expect(payment).toMatchObject({ status: "captured", amount: 2500, captured: 2500, provider: "sandbox" });
    expect(await balance(buyer)).toBe(before + 2500);
    await webhooksArrive();
    expect(await balance(buyer)).toBe(before + 2500);
    const entries = (await wallet(buyer)).entries.filter((e) => e.reference === payment.id);
    expect(entries).toHaveLength(1);
  });

  test("a declined card: failed with the reason, nothing credited", async () => {
    const before = await balance(buyer);
    const payment = await json<PaymentView>(await topUp(buyer, { amount: 999, currency: "EUR", paymentMethod: SANDBOX_CARDS.declined }));
    expect(payment).toMatchObject({ status: "failed", failureReason: "Your card was declined." });
    await webhooksArrive();
    expect(await balance(buyer)).toBe(before);
  });

  test("a card that needs authentication: requires_action with where to go; approving it credits the wallet", async () => {
    const before = await balance(buyer);
    const payment = await json<PaymentView>(await topUp(buyer, { amount: 700, currency: "EUR", paymentMethod: SANDBOX_CARDS.authenticationRequired }));
    expect(payment.status).toBe("requires_action");
    expect(payment.nextAction?.url).toContain(`/v1/me/payments/${payment.id}/sandbox-authentication`);
    expect(await balance(buyer)).toBe(before);
    // another buyer cannot answer it: their view of it is a 404
    const stranger = await h.request("POST", `/v1/me/payments/${payment.id}/sandbox-authentication`, { token: other.token, body: { result: "approve" } });
    expect(stranger.status).toBe(404);
    const approved = await h.request("POST", `/v1/me/payments/${payment.id}/sandbox-authentication`, { token: buyer.token, body: { result: "approve" } });
    expect((await json<PaymentView>(approved)).status).toBe("captured");
    await webhooksArrive();
    expect(await balance(buyer)).toBe(before + 700);
  });

  test("a payment that fails later: processing at first, then the gateway's webhook fails it", async () => {
    const payment = await json<PaymentView>(await topUp(buyer, { amount: 500, currency: "EUR", paymentMethod: SANDBOX_CARDS.asyncFailure }));
    expect(payment.status).toBe("processing");
    await webhooksArrive();
    await webhooksArrive();
    expect(await paymentOf(buyer, payment.id)).toMatchObject({ status: "failed", failureReason: "The bank declined the payment after review." });
  });

  test("an Idempotency-Key replayed: the first payment again, charged once; a different request under it is a 409", async () => {
    const before = await balance(buyer);
    const body = { amount: 1200, currency: "EUR", paymentMethod: SANDBOX_CARDS.success };
    const answers = await Promise.all(Array.from({ length: 10 }, () => topUp(buyer, body, "topup-key-1")));
    const payments = await Promise.all(answers.map((r) => json<PaymentView>(r)));
    expect(new Set(payments.map((p) => p.id)).size).toBe(1);
    expect(await balance(buyer)).toBe(before + 1200);
    const changed = await topUp(buyer, { ...body, amount: 1300 }, "topup-key-1");
    expect(changed.status).toBe(409);
    // the same key from another buyer is theirs, not a replay of this one
    expect((await json<PaymentView>(await topUp(other, body, "topup-key-1"))).id).not.toBe(payments[0]?.id);
  });

  test("bad input: 422 naming the field, nothing charged", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ amount: -5, currency: "EUR", paymentMethod: SANDBOX_CARDS.success }, "/amount"],
      [{ amount: 10.5, currency: "EUR", paymentMethod: SANDBOX_CARDS.success }, "/amount"],
      [{ amount: 100, currency: "XXX", paymentMethod: SANDBOX_CARDS.success }, "/currency"],
      [{ amount: 100, currency: "EUR", paymentMethod: "1111222233334444" }, "/paymentMethod"],
      [{ amount: 100, currency: "EUR", paymentMethod: SANDBOX_CARDS.success, provider: "bitcoin" }, "/provider"],
      [{ amount: 100, currency: "EUR", paymentMethod: SANDBOX_CARDS.success, extra: 1 }, "/extra"],
    ];
    const payments = await h.database.db.select({ n: sql<number>`count(*)` }).from(schema.payment);
    for (const [body, field] of cases) {
      const response = await topUp(buyer, body);
      expect(response.status, JSON.stringify(body)).toBe(422);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      expect(
        (await json<Problem>(response)).errors?.map((e) => e.path),
        JSON.stringify(body),
      ).toContain(field);
    }
    // none was recorded: the gateway refused the unknown card when asked about it, before any charge
    const after = await h.database.db.select({ n: sql<number>`count(*)` }).from(schema.payment);
    expect((after[0]?.n ?? 0) - (payments[0]?.n ?? 0)).toBe(0);
  });

  test("without a token: 401; another buyer's payment: 404, as an unknown one", async () => {
    expect((await h.request("POST", "/v1/me/wallet/top-ups", { body: { amount: 1, currency: "EUR", paymentMethod: SANDBOX_CARDS.success } })).status).toBe(401);
    expect((await h.request("GET", "/v1/me/wallet")).status).toBe(401);
    const mine = await json<PaymentView>(await topUp(buyer, { amount: 100, currency: "EUR", paymentMethod: SANDBOX_CARDS.success }));
    expect((await h.request("GET", `/v1/me/payments/${mine.id}`, { token: other.token })).status).toBe(404);
    expect((await h.request("GET", "/v1/me/payments/pay_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", { token: buyer.token })).status).toBe(404);
    expect((await h.request("GET", "/v1/me/payments/not-an-id", { token: buyer.token })).status).toBe(422);
  });
});

describe("webhooks", () => {
  const send = (body: string, headers: Record<string, string>, provider = "sandbox") =>
    h.app.handle(
      new Request(`http://localhost/v1/payments/webhooks/${provider}`, {
        method: "POST",
        body,
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
      }),
    );

  test("a forged signature, an altered body or a stale timestamp: 400, nothing stored", async () => {
    const { body, headers } = sandbox.signedWebhook("payment.succeeded", { ref: "sbx_x", paymentId: "pay_x" });
    const stored = async () => (await h.database.db.select({ n: sql<number>`count(*)` }).from(schema.providerEvent))[0]?.n;
    const before = await stored();
    expect((await send(body, { ...headers, "bazaar-sandbox-signature": headers["bazaar-sandbox-signature"].replace(/v1=../, "v1=00") })).status).toBe(400);
    expect((await send(body.replace("pay_x", "pay_y"), headers)).status).toBe(400);
    const old = sandbox.signedWebhook("payment.succeeded", { ref: "sbx_x" }, Math.floor(Date.now() / 1000) - 3600);
    expect((await send(old.body, old.headers)).status).toBe(400);
    expect((await send(body, { "content-type": "application/json" })).status).toBe(400);
    expect(await stored()).toBe(before);
  });

  test("a redelivered event: 200 with duplicate true, applied once", async () => {
    const payment = await json<PaymentView>(await topUp(buyer, { amount: 300, currency: "EUR", paymentMethod: SANDBOX_CARDS.asyncFailure }));
    const ref = (await h.database.db.select().from(schema.payment).where(eq(schema.payment.id, payment.id)))[0]?.providerRef;
    const webhook = sandbox.signedWebhook("payment.succeeded", { ref, paymentId: payment.id, amountMinor: 300 });
    const before = await balance(buyer);
    const first = await json<{ duplicate: boolean }>(await send(webhook.body, webhook.headers));
    const again = await json<{ duplicate: boolean }>(await send(webhook.body, webhook.headers));
    expect([first.duplicate, again.duplicate]).toEqual([false, true]);
    await h.deliverEvents();
    expect(await balance(buyer)).toBe(before + 300);
    await webhooksArrive(); // the sandbox's own late failure arrives after the success: it changes nothing
    expect((await paymentOf(buyer, payment.id)).status).toBe("captured");
    expect(await balance(buyer)).toBe(before + 300);
  });

  test("out of order: older news arriving after newer changes nothing", async () => {
    // a buyer of its own: the shared one has paid often enough in these minutes for the fraud check's velocity rule
    const fresh = await signUp(h);
    const payment = await json<PaymentView>(await topUp(fresh, { amount: 400, currency: "EUR", paymentMethod: SANDBOX_CARDS.authenticationRequired }));
    const ref = (await h.database.db.select().from(schema.payment).where(eq(schema.payment.id, payment.id)))[0]?.providerRef;
    const now = Math.floor(Date.now() / 1000);
    const newer = sandbox.signedWebhook("payment.failed", { ref, paymentId: payment.id, failureReason: "expired" }, now);
    const older = sandbox.signedWebhook("payment.requires_action", { ref, paymentId: payment.id }, now - 60);
    await send(newer.body, newer.headers);
    await send(older.body, older.headers);
    await h.deliverEvents();
    expect(await paymentOf(fresh, payment.id)).toMatchObject({ status: "failed", failureReason: "expired" });
  });

  test("an oversized or non-JSON body is refused before its signature is even read (413, 415), nothing stored", async () => {
    const stored = async () => (await h.database.db.select({ n: sql<number>`count(*)` }).from(schema.providerEvent))[0]?.n;
    const before = await stored();
    const { body, headers } = sandbox.signedWebhook("payment.succeeded", { ref: "sbx_x", paymentId: "pay_x", padding: "x".repeat(2_000_000) });
    const tooLarge = await send(body, headers);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.headers.get("content-type")).toContain("application/problem+json");
    const small = sandbox.signedWebhook("payment.succeeded", { ref: "sbx_x", paymentId: "pay_x" });
    expect((await send(small.body, { ...small.headers, "content-type": "text/plain" })).status).toBe(415);
    expect(await stored()).toBe(before);
  });

  test("an unknown provider is a 422 naming it", async () => {
    const response = await send("{}", { "content-type": "application/json" }, "bitcoin");
    expect(response.status).toBe(422);
    expect((await json<Problem>(response)).errors?.[0]?.path).toBe("/provider");
  });
});

describe("refunds", () => {
  const refund = (paymentId: string, body: Record<string, unknown>, key: string, token = admin.token) =>
    h.request("POST", `/v1/admin/payments/${paymentId}/refunds`, { token, body, headers: { "idempotency-key": key } });

  test("partial then the rest: the wallet gives the money back to the card; never more than captured; replays refund once", async () => {
    const spender = await signUp(h);
    const payment = await json<PaymentView>(await topUp(spender, { amount: 1000, currency: "EUR", paymentMethod: SANDBOX_CARDS.success }));
    const first = await refund(payment.id, { amount: 400 }, "r-1");
    expect(first.status).toBe(201);
    expect(await json<RefundView>(first)).toMatchObject({ amount: 400, status: "succeeded", destination: "original" });
    expect((await json<RefundView>(await refund(payment.id, { amount: 400 }, "r-1"))).id).toBeDefined();
    expect(await balance(spender)).toBe(600);
    const tooMuch = await refund(payment.id, { amount: 601 }, "r-2");
    expect(tooMuch.status).toBe(422);
    expect((await json<Problem>(tooMuch)).errors?.[0]?.path).toBe("/amount");
    expect((await refund(payment.id, { amount: 600 }, "r-3")).status).toBe(201);
    expect(await balance(spender)).toBe(0);
    expect((await paymentOf(spender, payment.id)).refunded).toBe(1000);
    expect(await reconcile(h.database)).toEqual([]);
  });

  test("in parallel, 10 refunds of 200 on 1000 captured: at most 5 succeed and the total never exceeds it", async () => {
    const spender = await signUp(h);
    const payment = await json<PaymentView>(await topUp(spender, { amount: 1000, currency: "EUR", paymentMethod: SANDBOX_CARDS.success }));
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => refund(payment.id, { amount: 200 }, `par-${i}`)));
    expect(answers.filter((r) => r.status === 201)).toHaveLength(5);
    expect((await paymentOf(spender, payment.id)).refunded).toBe(1000);
    expect(await balance(spender)).toBe(0);
    expect(await reconcile(h.database)).toEqual([]);
  });

  test("a refund the bank refuses later: pending, then failed by its webhook, the money back in the wallet and refundable again", async () => {
    const spender = await signUp(h);
    const payment = await json<PaymentView>(await topUp(spender, { amount: 1000, currency: "EUR", paymentMethod: SANDBOX_CARDS.refundFails }));
    await webhooksArrive();
    const pending = await json<RefundView>(await refund(payment.id, { amount: 700 }, "r-refused"));
    expect(pending).toMatchObject({ status: "pending", amount: 700 });
    expect(await balance(spender)).toBe(300);
    await webhooksArrive();
    const refunds = await json<{ items: RefundView[] }>(await h.request("GET", `/v1/me/payments/${payment.id}/refunds`, { token: spender.token }));
    expect(refunds.items).toEqual([expect.objectContaining({ id: pending.id, status: "failed", failureReason: "The card's bank refused the refund." })]);
    expect(await balance(spender)).toBe(1000);
    expect((await paymentOf(spender, payment.id)).refunded).toBe(0);
    expect(await reconcile(h.database)).toEqual([]);
  });

  test("staff only, with an Idempotency-Key; a failed payment cannot be refunded", async () => {
    const payment = await json<PaymentView>(await topUp(buyer, { amount: 100, currency: "EUR", paymentMethod: SANDBOX_CARDS.success }));
    expect((await refund(payment.id, { amount: 50 }, "r-buyer", buyer.token)).status).toBe(403);
    const withoutKey = await h.request("POST", `/v1/admin/payments/${payment.id}/refunds`, { token: admin.token, body: { amount: 50 } });
    expect(withoutKey.status).toBe(422);
    const declined = await json<PaymentView>(await topUp(buyer, { amount: 100, currency: "EUR", paymentMethod: SANDBOX_CARDS.declined }));
    expect((await refund(declined.id, { amount: 50 }, "r-declined")).status).toBe(409);
  });
});

describe("the wallet", () => {
  test("balances per currency and entries newest first, in cursor pages", async () => {
    const person = await signUp(h);
    for (const amount of [100, 200, 300]) await topUp(person, { amount, currency: "EUR", paymentMethod: SANDBOX_CARDS.success });
    await topUp(person, { amount: 700, currency: "JPY", paymentMethod: SANDBOX_CARDS.success });
    const view = await wallet(person, "?limit=2");
    expect(view.balances).toEqual([
      { currency: "EUR", amount: 600 },
      { currency: "JPY", amount: 700 },
    ]);
    expect(view.entries.map((e) => e.amount)).toEqual([700, 300]);
    const next = await wallet(person, `?limit=2&cursor=${view.nextCursor}`);
    expect(next.entries.map((e) => e.amount)).toEqual([200, 100]);
    expect(next.nextCursor).toBeNull();
    expect((await wallet(person, "?currency=JPY")).entries.map((e) => e.amount)).toEqual([700]);
    expect((await h.request("GET", "/v1/me/wallet?limit=1000", { token: person.token })).status).toBe(422);
    expect((await h.request("GET", "/v1/me/wallet?cursor=garbage", { token: person.token })).status).toBe(400);
  });
});
