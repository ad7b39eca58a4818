import { CategoryIdParams, CommissionRateList, CommissionRateView, SellerBalanceView, SetCommissionRateBody } from "@bazaar/contracts";
import { authentication } from "../../http/authentication.ts";
import { plugin } from "../../http/plugin.ts";
import { problems } from "../../http/problems.ts";
import { requestContext } from "../../http/request-context.ts";
import type { Deps } from "../../platform/deps.ts";
import { getSellerBalance, listCommissionRates, setCommissionRate } from "./service.ts";

/** Sellers' balances and the admins' commission rates per category. */
export function settlementRoutes(deps: Deps) {
  return plugin("payments/settlement")
    .use(requestContext(deps))
    .use(authentication(deps))
    .get("/v1/seller/balance", ({ ctx, actor }) => getSellerBalance(ctx, actor.userId), {
      auth: ["seller"],
      response: { 200: SellerBalanceView, ...problems(401, 403) },
      detail: {
        operationId: "getSellerBalance",
        tags: ["seller/payments"],
        summary: "Your balances per currency: pending (return windows open), available, and owed back",
        description:
          "A sale's proceeds, less the platform's commission frozen at the sale, wait in `pending` until the sub-order's return window closes, then move to `available`. A refund after that takes them back from `available`, and what that cannot cover is `owed`, repaid from your next releases.",
      },
    })
    .get(
      "/v1/admin/commission-rates",
      async ({ ctx }) => ({ defaultRateBps: deps.config.payments.defaultCommissionBps, ...(await listCommissionRates(ctx)) }),
      {
        auth: ["admin"],
        response: { 200: CommissionRateList, ...problems(401, 403) },
        detail: { operationId: "adminListCommissionRates", tags: ["admin"], summary: "The platform's commission per category (and the default for the rest)" },
      },
    )
    .put("/v1/admin/commission-rates/:id", ({ ctx, params, body }) => setCommissionRate(ctx, params.id, body.rateBps), {
      auth: ["admin"],
      params: CategoryIdParams,
      body: SetCommissionRateBody,
      response: { 200: CommissionRateView, ...problems(400, 401, 403, 404, 413, 415, 422) },
      detail: {
        operationId: "adminSetCommissionRate",
        tags: ["admin"],
        summary: "Set a category's commission rate",
        description: "Applies to sales captured from now on: each sale froze its commission when it was made, so past money never changes.",
      },
    });
}
