import {
  CreateShippingRateBody,
  ShippingEstimateBody,
  ShippingEstimateView,
  ShippingRateIdParams,
  ShippingRatePage,
  ShippingRateQuery,
  ShippingRateView,
  UpdateShippingRateBody,
} from "@bazaar/contracts";
import { authentication } from "../http/authentication.ts";
import { plugin } from "../http/plugin.ts";
import { problems } from "../http/problems.ts";
import { requestContext } from "../http/request-context.ts";
import type { Deps } from "../platform/deps.ts";
import * as shipping from "./service.ts";

const TAGS = ["shipping"];
/** Sellers manage their own rates; admins anyone's (another seller's rate is a 404 for a seller). */
const SELLERS = ["seller", "admin"] as ("seller" | "admin")[];

const RULES =
  "`countries` is the zone (distinct ISO 3166-1 alpha-2 codes, at most 250; empty = every country no other rate of yours names). " +
  "`flat` charges `baseMinor` per shipment; `weight` charges `baseMinor` plus `perKgMinor` per started kilogram (`perKgMinor` must be 0 or absent on a flat rate). " +
  "Items worth at least `freeOverMinor` ship free (null: never). `minDays` ≤ `maxDays` ≤ 365. Amounts are minor units of `currency`.";

/** The seller API of shipping rates, and the public shipping estimate. */
export function shippingRoutes(deps: Deps) {
  return plugin("shipping/routes")
    .use(requestContext(deps))
    .use(authentication(deps))
    .group("/v1/seller/shipping-rates", (app) =>
      app
        .post(
          "",
          async ({ ctx, actor, body, set }) => {
            set.status = 201;
            return shipping.createShippingRate(ctx, actor, body);
          },
          {
            auth: SELLERS,
            body: CreateShippingRateBody,
            response: { 201: ShippingRateView, ...problems(400, 401, 403, 409, 413, 415, 422) },
            detail: {
              operationId: "createShippingRate",
              tags: TAGS,
              summary: "Add a shipping rate for a zone of destination countries",
              description: `${RULES} A seller holds at most 200 rates (409 beyond).`,
            },
          },
        )
        .get("", ({ ctx, actor, query }) => shipping.listShippingRates(ctx, actor, query), {
          auth: SELLERS,
          query: ShippingRateQuery,
          response: { 200: ShippingRatePage, ...problems(400, 401, 403, 422) },
          detail: {
            operationId: "listShippingRates",
            tags: TAGS,
            summary: "Your shipping rates, oldest first",
            description: "Admins may pass `sellerId` to list another seller's; for anyone else it must be their own id (403).",
          },
        })
        .get("/:id", ({ ctx, actor, params }) => shipping.getShippingRate(ctx, actor, params.id), {
          auth: SELLERS,
          params: ShippingRateIdParams,
          response: { 200: ShippingRateView, ...problems(401, 403, 404, 422) },
          detail: { operationId: "getShippingRate", tags: TAGS, summary: "One of your shipping rates" },
        })
        .patch("/:id", ({ ctx, actor, params, body }) => shipping.updateShippingRate(ctx, actor, params.id, body), {
          auth: SELLERS,
          params: ShippingRateIdParams,
          body: UpdateShippingRateBody,
          response: { 200: ShippingRateView, ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
          detail: {
            operationId: "updateShippingRate",
            tags: TAGS,
            summary: "Change some fields of a shipping rate",
            description: `Fields not sent keep their value; the rules hold for the rate as changed. Turning a rate \`flat\` without sending \`perKgMinor\` drops its per-kg charge. ${RULES}`,
          },
        })
        .delete(
          "/:id",
          async ({ ctx, actor, params, set }) => {
            await shipping.deleteShippingRate(ctx, actor, params.id);
            set.status = 204;
          },
          {
            auth: SELLERS,
            params: ShippingRateIdParams,
            response: problems(401, 403, 404, 422),
            detail: {
              operationId: "deleteShippingRate",
              tags: TAGS,
              summary: "Delete a shipping rate",
              description: "Orders already placed keep the shipping they were charged. A seller left with no rates ships everywhere at no charge.",
            },
          },
        ),
    )
    .post("/v1/shipping/estimates", ({ ctx, body }) => shipping.estimate(ctx, body), {
      body: ShippingEstimateBody,
      response: { 200: ShippingEstimateView, ...problems(400, 413, 415, 422) },
      detail: {
        operationId: "estimateShipping",
        tags: TAGS,
        summary: "What a seller charges to ship a shipment to a country (public)",
        description:
          "No sign-in needed: storefronts and guest carts ask before anyone signs in. Among the seller's rates in `currency`, those whose zone names `country` win over catch-all rates (an empty zone); of those the cheapest wins (then the fastest, then the oldest). " +
          "A seller with no rates at all ships everywhere at no charge (`rateId` null, 5 to 20 days). A seller whose rates reach neither the country nor, through a catch-all, everywhere else in that currency does not ship there: 422 naming `/country`.",
      },
    });
}
