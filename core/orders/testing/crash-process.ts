// A core process that dies in the middle of a checkout, for the crash test: it runs the real checkout against the
// test's database file and is killed (SIGKILL, no clean-up of any kind) the moment the payment would go to the
// gateway, after the order is written and its stock held.
import { createIdGenerator } from "@bazaar/contracts";
import { createDatabase } from "@bazaar/db";
import type { CreatePaymentInput, ProviderPayment } from "../../payments/providers/provider.ts";
import { SANDBOX_CARDS, SandboxProvider } from "../../payments/providers/sandbox.ts";
import { checkout } from "../checkout.ts";

export interface CrashCommand {
  url: string;
  now: number;
  buyerId: string;
  addressId: string;
  idempotencyKey: string;
}

/** The sandbox gateway, but the process is killed as the payment reaches it: the gateway never hears of it. */
class GatewayThatKillsTheCaller extends SandboxProvider {
  override async createPayment(_input: CreatePaymentInput): Promise<ProviderPayment> {
    process.kill(process.pid, "SIGKILL");
    return new Promise(() => {});
  }
}

/** Runs the checkout in a fresh Bun process; resolves with how that process ended. */
export async function checkoutInAProcessThatDies(command: CrashCommand): Promise<{ signal: string | null; stderr: string }> {
  const child = Bun.spawn([process.execPath, "--no-env-file", import.meta.path, JSON.stringify(command)], { stdout: "pipe", stderr: "pipe" });
  const [stderr] = await Promise.all([new Response(child.stderr).text(), child.exited]);
  return { signal: child.signalCode === null ? null : String(child.signalCode), stderr };
}

async function run(command: CrashCommand): Promise<void> {
  const database = createDatabase({ url: command.url });
  const ctx = { database, clock: () => command.now, ids: createIdGenerator(), eventsWritten: () => {}, requestId: "req_crashing_process" };
  const gateway = new GatewayThatKillsTheCaller({ webhookSecret: "unused", deliver: async () => {}, authenticationUrl: () => "http://127.0.0.1:9/" });
  const providers = {
    byName: { sandbox: gateway },
    defaultProvider: "sandbox" as const,
    policy: { defaultCommissionBps: 1000, settlementHoldMs: 30 * 86_400_000, authorizationMs: 7 * 86_400_000 },
  };
  await checkout(
    ctx,
    { providers },
    { userId: command.buyerId, sessionId: "ses_crash", roles: ["buyer"] },
    {
      body: { addressId: command.addressId, paymentMethod: SANDBOX_CARDS.success },
      idempotencyKey: command.idempotencyKey,
    },
  );
  throw new Error("the checkout finished: the process should have died at the gateway");
}

if (import.meta.main) await run(JSON.parse(process.argv[2] ?? "{}") as CrashCommand);
