import { plugin } from "../http/plugin.ts";
import type { Deps } from "../platform/deps.ts";

/** The shipping service as the app composes it: sellers' rates per destination zone, and shipping estimates. */
export const shippingModule = {
  routes(_deps: Deps) {
    return plugin("shipping");
  },
  subscribe(_deps: Deps) {},
};
