import {
  CreateStockAdjustmentBody,
  CreateStockLocationBody,
  SetVariantStockBody,
  StockAdjustmentPage,
  StockAdjustmentQuery,
  StockAdjustmentResult,
  StockLocationIdParams,
  StockLocationPage,
  StockLocationView,
  StockPageQuery,
  UpdateStockLocationBody,
  VariantStockParams,
  VariantStockView,
} from "@bazaar/contracts";
import { authentication } from "../../http/authentication.ts";
import { plugin } from "../../http/plugin.ts";
import { problems } from "../../http/problems.ts";
import { requestContext } from "../../http/request-context.ts";
import type { Deps } from "../../platform/deps.ts";
import * as inventory from "./service.ts";

const TAGS = ["inventory"];
/** Sellers manage their own stock; admins anyone's (another seller's object is a 404 for a seller). */
const SELLERS = ["seller", "admin"] as ("seller" | "admin")[];

/** The seller API of stock: locations, levels per location, and audited adjustments. Reservations are functions (service.ts), not routes. */
export function inventoryRoutes(deps: Deps) {
  return plugin("catalog/inventory")
    .use(requestContext(deps))
    .use(authentication(deps))
    .group("/v1/seller/stock-locations", (app) =>
      app
        .post(
          "",
          async ({ ctx, actor, body, set }) => {
            set.status = 201;
            return inventory.createLocation(ctx, actor, body);
          },
          {
            auth: SELLERS,
            body: CreateStockLocationBody,
            response: { 201: StockLocationView, ...problems(400, 401, 403, 413, 415, 422) },
            detail: { operationId: "createStockLocation", tags: TAGS, summary: "Add a place where you keep stock (a warehouse, a shop)" },
          },
        )
        .get("", ({ ctx, actor, query }) => inventory.listLocations(ctx, actor, query), {
          auth: SELLERS,
          query: StockPageQuery,
          response: { 200: StockLocationPage, ...problems(400, 401, 403, 422) },
          detail: { operationId: "listStockLocations", tags: TAGS, summary: "Your stock locations, oldest first" },
        })
        .get("/:id", ({ ctx, actor, params }) => inventory.getLocation(ctx, actor, params.id), {
          auth: SELLERS,
          params: StockLocationIdParams,
          response: { 200: StockLocationView, ...problems(401, 403, 404, 422) },
          detail: { operationId: "getStockLocation", tags: TAGS, summary: "One of your stock locations" },
        })
        .patch("/:id", ({ ctx, actor, params, body }) => inventory.updateLocation(ctx, actor, params.id, body), {
          auth: SELLERS,
          params: StockLocationIdParams,
          body: UpdateStockLocationBody,
          response: { 200: StockLocationView, ...problems(400, 401, 403, 404, 413, 415, 422) },
          detail: { operationId: "updateStockLocation", tags: TAGS, summary: "Rename a stock location or change its country" },
        })
        .delete(
          "/:id",
          async ({ ctx, actor, params, set }) => {
            await inventory.deleteLocation(ctx, actor, params.id);
            set.status = 204;
          },
          {
            auth: SELLERS,
            params: StockLocationIdParams,
            response: problems(401, 403, 404, 409, 422),
            detail: {
              operationId: "deleteStockLocation",
              tags: TAGS,
              summary: "Delete an empty stock location",
              description: "Refused (409) while any stock is on hand or reserved there; its adjustment history is kept.",
            },
          },
        ),
    )
    .group("/v1/seller/variants/:id/stock", (app) =>
      app
        .get("", ({ ctx, actor, params }) => inventory.getVariantStock(ctx, actor, params.id), {
          auth: SELLERS,
          params: VariantStockParams,
          response: { 200: VariantStockView, ...problems(401, 403, 404, 422) },
          detail: {
            operationId: "getVariantStock",
            tags: TAGS,
            summary: "A variant's stock at each location: on hand, reserved, available, low-stock threshold",
          },
        })
        .put("", ({ ctx, actor, params, body }) => inventory.setVariantStock(ctx, actor, params.id, body), {
          auth: SELLERS,
          params: VariantStockParams,
          body: SetVariantStockBody,
          response: { 200: VariantStockView, ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
          detail: {
            operationId: "setVariantStock",
            tags: TAGS,
            summary: "Set counted stock and low-stock thresholds at the listed locations (all or none)",
            description:
              "Locations not listed keep their stock. Each change of on-hand is recorded as a `correction` adjustment. On-hand cannot be set below what is reserved there (409 naming the field).",
          },
        })
        .post(
          "/adjustments",
          async ({ ctx, actor, params, body, set }) => {
            const result = await inventory.adjustStock(ctx, actor, params.id, body);
            set.status = 201;
            return result;
          },
          {
            auth: SELLERS,
            params: VariantStockParams,
            body: CreateStockAdjustmentBody,
            response: { 201: StockAdjustmentResult, ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
            detail: {
              operationId: "adjustVariantStock",
              tags: TAGS,
              summary: "Add or remove stock at a location, with a reason (audited)",
              description:
                "`delta` is a non-zero whole number. On-hand after the change must stay at or above what is reserved there (and so at or above 0), else 409 naming `/delta`. Emits `inventory.changed`, and `inventory.low_stock` when available drops to the threshold or below.",
            },
          },
        )
        .get("/adjustments", ({ ctx, actor, params, query }) => inventory.listAdjustments(ctx, actor, params.id, query), {
          auth: SELLERS,
          params: VariantStockParams,
          query: StockAdjustmentQuery,
          response: { 200: StockAdjustmentPage, ...problems(400, 401, 403, 404, 422) },
          detail: {
            operationId: "listVariantStockAdjustments",
            tags: TAGS,
            summary: "The variant's adjustment trail, newest first (optionally at one location)",
          },
        }),
    );
}
