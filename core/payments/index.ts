import { paymentProviderEventReceived } from "@bazaar/events";
import { plugin } from "../http/plugin.ts";
import type { Deps } from "../platform/deps.ts";
import { applyProviderEvent, type Providers } from "./charges/service.ts";
import { fraudRoutes } from "./fraud/routes.ts";
import { fxRoutes } from "./fx/routes.ts";
import { HttpRateProvider, refreshRates, seedRatesIfEmpty } from "./fx/service.ts";
import { ledgerReconciliationJob } from "./ledger/jobs.ts";
import { PayPalProvider } from "./providers/paypal.ts";
import type { PaymentProvider } from "./providers/provider.ts";
import { RazorpayProvider } from "./providers/razorpay.ts";
import { SandboxProvider } from "./providers/sandbox.ts";
import { StripeProvider } from "./providers/stripe.ts";
import { walletRoutes } from "./wallet/routes.ts";
import { webhookRoutes } from "./webhooks/routes.ts";

/** One set of gateways per process (the sandbox keeps its test payments in memory, so routes and subscribers share it). */
const providersOf = new WeakMap<Deps, Providers>();

/** The gateways this process can use: the sandbox always, the others when configured. */
export function paymentProviders(deps: Deps): Providers {
  let providers = providersOf.get(deps);
  if (providers) return providers;
  const { payments } = deps.config;
  const sandbox = new SandboxProvider({
    webhookSecret: deps.secrets.hmac("payments:sandbox-webhooks", "v1"),
    deliver: async (body, headers) => {
      await fetch(payments.sandboxWebhookUrl, { method: "POST", body, headers });
    },
    authenticationUrl: (paymentId) => `${deps.config.publicUrl}/v1/me/payments/${paymentId}/sandbox-authentication`,
    clock: deps.clock,
  });
  const byName: Partial<Record<PaymentProvider["name"], PaymentProvider>> = { sandbox };
  if (payments.stripe) byName.stripe = new StripeProvider(payments.stripe);
  if (payments.razorpay) byName.razorpay = new RazorpayProvider(payments.razorpay);
  if (payments.paypal) byName.paypal = new PayPalProvider(payments.paypal);
  providers = { byName, defaultProvider: payments.defaultProvider };
  providersOf.set(deps, providers);
  return providers;
}

/** The payments service as the app composes it: wallet and top-ups, gateway webhooks, refunds. */
export const paymentsModule = {
  routes(deps: Deps) {
    const providers = paymentProviders(deps);
    return (
      plugin("payments")
        .use(walletRoutes(deps, providers))
        .use(webhookRoutes(deps, providers))
        .use(fxRoutes(deps))
        // the review queue; payments are not yet held for review (issue 5 is in progress), so no hook acts on a decision
        .use(fraudRoutes(deps))
    );
  },
  subscribe(deps: Deps) {
    const ctx = { database: deps.database, clock: deps.clock, ids: deps.ids, eventsWritten: () => deps.relay?.kick() };
    deps.bus.subscribe("payments.apply-provider-event", paymentProviderEventReceived, (p) => applyProviderEvent(ctx, p.provider, p.eventId));
  },
  jobs: [
    ledgerReconciliationJob,
    {
      // the seeded table until a rate feed is configured, then the feed's rates, refreshed
      name: "payments.fx_rates",
      everyMs: 6 * 3_600_000,
      run: (deps: Deps) =>
        deps.config.payments.fxRatesUrl
          ? refreshRates(deps, new HttpRateProvider({ url: deps.config.payments.fxRatesUrl }))
          : seedRatesIfEmpty(deps.database, deps.clock()),
    },
  ],
};
