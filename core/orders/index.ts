import { plugin } from "../http/plugin.ts";
import type { Deps } from "../platform/deps.ts";

/** The orders service as the app composes it: checkout, orders and their lifecycle. */
export const ordersModule = {
  routes(_deps: Deps) {
    return plugin("orders");
  },
  subscribe(_deps: Deps) {},
};
