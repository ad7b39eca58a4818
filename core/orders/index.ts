import type { PaymentView } from "@bazaar/contracts";
import { paymentRefundSettled, paymentStatusChanged } from "@bazaar/events";
import { plugin } from "../http/plugin.ts";
import { paymentProviders } from "../payments/index.ts";
import type { Deps } from "../platform/deps.ts";
import type { Job } from "../platform/jobs.ts";
import { applyPayment, expireCheckouts } from "./checkout.ts";
import { orderRoutes, sellerOrderRoutes } from "./routes.ts";
import { followUpRefunds, type OrdersCtx, recordRefundSettled } from "./service.ts";

/** What jobs and subscribers use for a ctx: no request behind them. */
function backgroundCtx(deps: Deps): OrdersCtx {
  return { database: deps.database, clock: deps.clock, ids: deps.ids, eventsWritten: () => deps.relay?.kick() };
}

const jobs: Job[] = [
  // checkouts nobody finished (the buyer left, the process died): settled by their payment, or failed and released
  { name: "orders.expire_checkouts", everyMs: 60_000, run: (deps) => expireCheckouts(backgroundCtx(deps), { providers: paymentProviders(deps) }) },
  // cancelled or returned sub-orders whose refund did not go through: asked again under the same key
  { name: "orders.refund_follow_up", everyMs: 5 * 60_000, run: (deps) => followUpRefunds(backgroundCtx(deps), { providers: paymentProviders(deps) }) },
];

/** The orders service as the app composes it: checkout, orders and their lifecycle. */
export const ordersModule = {
  routes(deps: Deps) {
    const providers = paymentProviders(deps);
    return plugin("orders").use(orderRoutes(deps, providers)).use(sellerOrderRoutes(deps, providers));
  },
  subscribe(deps: Deps) {
    // a payment that finished later (authentication, the gateway's webhook, a review): its order follows
    deps.bus.subscribe("orders.payment-status", paymentStatusChanged, async (p) => {
      if (p.purpose !== "order" || !p.reference) return undefined;
      await applyPayment(backgroundCtx(deps), { providers: paymentProviders(deps) }, p.reference, {
        id: p.paymentId,
        status: p.status as PaymentView["status"],
        nextAction: null,
        failureReason: null,
      });
      return undefined;
    });
    deps.bus.subscribe("orders.refund-timeline", paymentRefundSettled, async (p) => {
      await recordRefundSettled(backgroundCtx(deps), p);
      return undefined;
    });
  },
  jobs,
};
