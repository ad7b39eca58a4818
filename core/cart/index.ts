import { plugin } from "../http/plugin.ts";
import type { Deps } from "../platform/deps.ts";
import type { Job } from "../platform/jobs.ts";
import { cartRoutes } from "./routes.ts";
import { pruneGuestCarts } from "./service.ts";
import { subscribeCart } from "./subscribers.ts";
import { wishlistRoutes } from "./wishlist/routes.ts";

/** A guest cart nobody touched for this long is deleted (its guest never came back). */
const GUEST_CART_MAX_AGE_MS = 30 * 86_400_000;

const jobs: Job[] = [
  {
    name: "cart.prune_guest_carts",
    everyMs: 3_600_000,
    run: (deps) => pruneGuestCarts({ database: deps.database, clock: deps.clock, ids: deps.ids }, GUEST_CART_MAX_AGE_MS),
  },
];

/** The cart service as the app composes it: carts (guest and signed-in) and wishlists. */
export const cartModule = {
  routes(deps: Deps) {
    return plugin("cart").use(cartRoutes(deps)).use(wishlistRoutes(deps));
  },
  subscribe(deps: Deps) {
    subscribeCart(deps);
  },
  jobs,
};

// The interface checkout (orders) calls: the cart priced and re-validated now, whose cart it is, taking bought
// lines off after an order, and adding a line (wishlist's move-to-cart uses the same path).
export type { LineProblem, PricedCart, PricedLine, PricedSellerGroup, PricedShipping } from "./priced-cart.ts";
export { type PriceCartOptions, priceCart } from "./pricing.ts";
export { DEFAULT_PRICING_HOOKS, type PricingHookInput, type PricingHooks } from "./pricing-hooks.ts";
export { addToCart, type CartOwner, cartIdOfUser, removeCheckedOutLines } from "./service.ts";
