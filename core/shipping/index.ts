import type { Deps } from "../platform/deps.ts";
import { shippingRoutes } from "./routes.ts";

/** The shipping service as the app composes it: sellers' rates per destination zone, and shipping estimates. */
export const shippingModule = {
  routes(deps: Deps) {
    return shippingRoutes(deps);
  },
  subscribe(_deps: Deps) {},
};

/** What cart and checkout call: the shipping a seller charges for a shipment to a country. */
export { DEFAULT_SHIPPING, estimateShipping, type ShipmentInput, type ShippingCtx, type ShippingEstimate } from "./estimate.ts";
