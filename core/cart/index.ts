import { plugin } from "../http/plugin.ts";
import type { Deps } from "../platform/deps.ts";

/** The cart service as the app composes it: carts (guest and signed-in) and wishlists. */
export const cartModule = {
  routes(_deps: Deps) {
    return plugin("cart");
  },
  subscribe(_deps: Deps) {},
};
