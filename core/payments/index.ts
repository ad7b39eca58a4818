import { paymentProviderEventReceived } from "@bazaar/events";
import { plugin } from "../http/plugin.ts";
import type { Deps } from "../platform/deps.ts";
import type { Job } from "../platform/jobs.ts";
import { actOnReview, followUpOpenPayments, type PaymentsCtx, type Providers } from "./charges/service.ts";
import { fraudRoutes } from "./fraud/routes.ts";
import { fxRoutes } from "./fx/routes.ts";
import { HttpRateProvider, refreshRates, seedRatesIfEmpty } from "./fx/service.ts";
import { ledgerReconciliationJob } from "./ledger/jobs.ts";
import { PayPalProvider } from "./providers/paypal.ts";
import type { PaymentProvider } from "./providers/provider.ts";
import { RazorpayProvider } from "./providers/razorpay.ts";
import { SandboxProvider } from "./providers/sandbox.ts";
import { StripeProvider } from "./providers/stripe.ts";
import { followUpPendingRefunds } from "./refunds/service.ts";
import { settlementRoutes } from "./settlement/routes.ts";
import { releaseDueHolds } from "./settlement/service.ts";
import { walletRoutes } from "./wallet/routes.ts";
import { webhookRoutes } from "./webhooks/routes.ts";
import { applyStoredEvent } from "./webhooks/service.ts";

// The interface other services (checkout and orders) call: pay for an order, capture or cancel it later, refund a
// sub-order, set when a sub-order's proceeds become available, and convert prices for display and charging.
export { cancelPayment, capturePayment, countryOfLocation, findOrderPayment, findPayment, type Providers, view as paymentView } from "./charges/service.ts";
export { convert, formatRate } from "./fx/convert.ts";
export { quote, type ResolvedRate, rateFor } from "./fx/service.ts";
export { type OrderPaymentInput, payOrder, type SubOrderPayment } from "./order-payments/service.ts";
export { refundPayment, refundsOf } from "./refunds/service.ts";
export { scheduleSettlement } from "./settlement/service.ts";

const DAY_MS = 86_400_000;

/** One set of gateways per process (the sandbox keeps its test payments in memory, so routes and subscribers share it). */
const providersOf = new WeakMap<Deps, Providers>();

/** The gateways this process can use (the sandbox always, the others when configured) and the money rules. */
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
  providers = {
    byName,
    defaultProvider: payments.defaultProvider,
    policy: {
      defaultCommissionBps: payments.defaultCommissionBps,
      settlementHoldMs: payments.settlementHoldDays * DAY_MS,
      authorizationMs: payments.authorizationDays * DAY_MS,
    },
  };
  providersOf.set(deps, providers);
  return providers;
}

/** What jobs and subscribers use for a ctx: no request behind them. */
function backgroundCtx(deps: Deps): PaymentsCtx {
  return { database: deps.database, clock: deps.clock, ids: deps.ids, eventsWritten: () => deps.relay?.kick() };
}

const jobs: Job[] = [
  ledgerReconciliationJob,
  {
    // the seeded table until a rate feed is configured, then the feed's rates, refreshed
    name: "payments.fx_rates",
    everyMs: 6 * 3_600_000,
    run: (deps) =>
      deps.config.payments.fxRatesUrl
        ? refreshRates(deps, new HttpRateProvider({ url: deps.config.payments.fxRatesUrl }))
        : seedRatesIfEmpty(deps.database, deps.clock()),
  },
  // sellers' proceeds whose return window closed: pending → available
  { name: "payments.settlement_release", everyMs: 5 * 60_000, run: (deps) => releaseDueHolds(backgroundCtx(deps)) },
  // decided reviews still open, lapsed authorisations, buyer steps nobody finished
  { name: "payments.follow_up", everyMs: 60_000, run: (deps) => followUpOpenPayments(backgroundCtx(deps), paymentProviders(deps)) },
  // card refunds whose gateway never answered, or whose webhook never came
  { name: "payments.refund_follow_up", everyMs: 5 * 60_000, run: (deps) => followUpPendingRefunds(backgroundCtx(deps), paymentProviders(deps)) },
];

/** The payments service as the app composes it: wallet and top-ups, gateway webhooks, refunds, review queue, sellers' balances. */
export const paymentsModule = {
  routes(deps: Deps) {
    const providers = paymentProviders(deps);
    return plugin("payments")
      .use(walletRoutes(deps, providers))
      .use(webhookRoutes(deps, providers))
      .use(fxRoutes(deps))
      .use(settlementRoutes(deps))
      .use(
        fraudRoutes(deps, {
          onReviewDecided: async (ctx, assessment) => {
            if (assessment.reviewStatus === "approved" || assessment.reviewStatus === "rejected") {
              await actOnReview(ctx, providers, assessment.paymentId, assessment.reviewStatus);
            }
          },
        }),
      );
  },
  subscribe(deps: Deps) {
    deps.bus.subscribe("payments.apply-provider-event", paymentProviderEventReceived, async (p) => {
      await applyStoredEvent(backgroundCtx(deps), paymentProviders(deps), p.provider, p.eventId);
      return undefined;
    });
  },
  jobs,
};
