// A test harness for the payments service: the app over a fresh database, listening on 127.0.0.1 so the sandbox
// gateway's signed webhooks reach our own endpoint over real HTTP, with the seeded FX table, and helpers to fund
// wallets, read balances and prove the ledger. Stop it with destroy().
import type { PaymentView } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import { eq } from "drizzle-orm";
import { freePort } from "../../../scripts/lib/start-edge.ts";
import { json, type Person, signUp } from "../../catalog/products/test-fixtures.ts";
import type { Ctx } from "../../platform/deps.ts";
import { createHarness, type Harness, TEST_PASSWORD } from "../../testing/harness.ts";
import type { PaymentsCtx, Providers } from "../charges/service.ts";
import { seedRatesIfEmpty } from "../fx/service.ts";
import { paymentProviders } from "../index.ts";
import { type AccountKind, PLATFORM, reconcile } from "../ledger/service.ts";
import { SANDBOX_CARDS, type SandboxProvider } from "../providers/sandbox.ts";

const DAY_MS = 86_400_000;

export interface PaymentsHarness {
  h: Harness;
  providers: Providers;
  sandbox: SandboxProvider;
  /** where the app listens (the sandbox posts its webhooks here) */
  webhookOrigin: string;
  /** a service ctx as a request would have it */
  ctx: PaymentsCtx & Pick<Ctx, "log" | "client">;
  /** a signed-up person whose account is a year old (so the fraud check's new-account rule stays out of the way) */
  person(role?: "seller" | "admin"): Promise<Person>;
  /**
   * a category row as the catalog stores it (its own API owns them), with its commission rate (null: its parent's,
   * up to the default); under `parentId` when given. Returns its id.
   */
  category(slug: string, commissionBps: number | null, parentId?: string): Promise<string>;
  /** signs a person in again (after the clock jumps weeks, their first access token has long expired) */
  signInAgain(person: Person): Promise<Person>;
  /** credits a wallet through a real sandbox top-up */
  fund(person: Person, amountMinor: number, currency?: string): Promise<PaymentView>;
  /** the cached balance of one ledger account (0 when it does not exist) */
  balance(kind: AccountKind, ownerId: string, currency: string): Promise<number>;
  /** the platform's own account of `kind` */
  platform(kind: AccountKind, currency: string): Promise<number>;
  /** waits for the sandbox's webhooks and delivers the outbox to the subscribers */
  settle(): Promise<void>;
  /** the ledger's mismatches: always [] */
  reconcile(): ReturnType<typeof reconcile>;
  destroy(): Promise<void>;
}

export async function createPaymentsHarness(env: Record<string, string> = {}): Promise<PaymentsHarness> {
  const port = await freePort();
  const h = await createHarness({ PAYMENTS_SANDBOX_WEBHOOK_URL: `http://127.0.0.1:${port}/v1/payments/webhooks/sandbox`, ...env });
  const server = Bun.serve({ hostname: "127.0.0.1", port, fetch: (request) => h.app.handle(request) });
  const providers = paymentProviders(h.deps);
  const sandbox = providers.byName.sandbox as SandboxProvider;
  await seedRatesIfEmpty(h.database, h.clock.now);
  const ctx = {
    database: h.database,
    clock: () => h.clock.now,
    ids: h.deps.ids,
    log: h.deps.log,
    eventsWritten: () => undefined,
    requestId: "req_test",
    client: { ip: null, network: "unknown", userAgent: null, location: null },
  };
  const balance = async (kind: AccountKind, ownerId: string, currency: string) => {
    const rows = await h.database.db.select().from(schema.ledgerAccount).where(eq(schema.ledgerAccount.ownerId, ownerId));
    return rows.find((r) => r.kind === kind && r.currency === currency)?.balanceMinor ?? 0;
  };
  return {
    h,
    providers,
    sandbox,
    webhookOrigin: `http://127.0.0.1:${port}`,
    ctx,
    async person(role) {
      const person = role ? await signUp(h, role) : await signUp(h);
      await h.database.db
        .update(schema.user)
        .set({ createdAt: h.clock.now - 365 * DAY_MS })
        .where(eq(schema.user.id, person.userId));
      return person;
    },
    async category(slug, commissionBps, parentId) {
      const [parent] = parentId ? await h.database.db.select().from(schema.category).where(eq(schema.category.id, parentId)) : [];
      const id = h.deps.ids("category");
      const now = h.clock.now;
      await h.database.db.insert(schema.category).values({
        id,
        parentId: parent?.id ?? null,
        slug,
        name: slug,
        path: `${parent?.path ?? "/"}${slug}/`,
        depth: (parent?.depth ?? 0) + 1,
        commissionBps,
        createdAt: now,
        updatedAt: now,
      });
      return id;
    },
    async signInAgain(person) {
      const [user] = await h.database.db.select({ email: schema.user.email }).from(schema.user).where(eq(schema.user.id, person.userId));
      const response = await h.request("POST", "/v1/auth/login", { body: { email: user?.email, password: TEST_PASSWORD } });
      if (response.status !== 200) throw new Error(`sign-in failed: ${response.status} ${await response.text()}`);
      return { userId: person.userId, token: (await json<{ accessToken: string }>(response)).accessToken };
    },
    async fund(person, amountMinor, currency = "EUR") {
      const response = await h.request("POST", "/v1/me/wallet/top-ups", {
        token: person.token,
        body: { amount: amountMinor, currency, paymentMethod: SANDBOX_CARDS.success },
      });
      const payment = await json<PaymentView>(response);
      if (payment.status !== "captured") throw new Error(`funding ${person.userId} did not capture: ${JSON.stringify(payment)}`);
      return payment;
    },
    balance,
    platform: (kind, currency) => balance(kind, PLATFORM, currency),
    async settle() {
      await sandbox.settled();
      await h.deliverEvents();
    },
    reconcile: () => reconcile(h.database),
    async destroy() {
      await sandbox.settled();
      server.stop(true);
      await h.destroy();
    },
  };
}
