import { authentication } from "../../http/authentication.ts";
import { plugin } from "../../http/plugin.ts";
import { problems } from "../../http/problems.ts";
import { requestContext } from "../../http/request-context.ts";
import type { Ctx, Deps } from "../../platform/deps.ts";
import { FraudAssessmentView, FraudReviewDecisionBody, FraudReviewIdParams, FraudReviewPage, FraudReviewQuery } from "./contracts.ts";
import * as fraud from "./service.ts";

const TAGS = ["admin"];

export interface FraudRoutesOptions {
  /**
   * Called after a decision is stored, with the decided assessment: the payments service captures an approved
   * payment and cancels a rejected one here. The decision stands even if this throws (the error reaches the
   * caller), so it must be safe to run again for the same assessment.
   */
  onReviewDecided?: (ctx: Ctx, assessment: FraudAssessmentView) => Promise<void>;
}

/** The admin review queue of payments the fraud check held. */
export function fraudRoutes(deps: Deps, options: FraudRoutesOptions = {}) {
  return plugin("payments/fraud")
    .use(requestContext(deps))
    .use(authentication(deps))
    .group("/v1/admin/fraud/reviews", (app) =>
      app
        .get("", ({ ctx, query }) => fraud.listReviews(ctx, query), {
          auth: ["admin"],
          query: FraudReviewQuery,
          response: { 200: FraudReviewPage, ...problems(400, 401, 403, 422) },
          detail: {
            operationId: "adminListFraudReviews",
            tags: TAGS,
            summary: "Payments held by the fraud check: pending first (oldest first), then decided ones (newest first)",
            description: "Each shows its score (0–1000), the reasons (rules that fired and the model's share) and the features they saw.",
          },
        })
        .post(
          "/:id/decision",
          async ({ ctx, actor, params, body }) => {
            const assessment = await fraud.decideReview(ctx, actor, params.id, body);
            await options.onReviewDecided?.(ctx, assessment);
            return assessment;
          },
          {
            auth: ["admin"],
            params: FraudReviewIdParams,
            body: FraudReviewDecisionBody,
            response: { 200: FraudAssessmentView, ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
            detail: {
              operationId: "adminDecideFraudReview",
              tags: TAGS,
              summary: "Approve (the payment goes through) or reject (it is cancelled) a held payment, once",
              description: "A second decision on the same review is a 409; an assessment that was never held for review is a 404.",
            },
          },
        ),
    );
}
