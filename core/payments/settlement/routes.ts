import { SellerBalanceView } from "@bazaar/contracts";
import { authentication } from "../../http/authentication.ts";
import { plugin } from "../../http/plugin.ts";
import { problems } from "../../http/problems.ts";
import { requestContext } from "../../http/request-context.ts";
import type { Deps } from "../../platform/deps.ts";
import { getSellerBalance } from "./service.ts";

/** Sellers' balances. (Commission rates are set on the categories: PATCH /v1/admin/categories/{id}.) */
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
    });
}
