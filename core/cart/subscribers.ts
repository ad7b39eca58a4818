// The events the cart service consumes: catalog price and stock changes, for wishlist alerts. The bus records each
// event as handled per consumer; the handlers are idempotent on their own as well (they act on the stored "last
// told" state and the catalog as it is now), so a redelivery after a crash repeats nothing.
import { inventoryChanged, variantPriceChanged } from "@bazaar/events";
import type { Deps } from "../platform/deps.ts";
import { notifyBackInStock, notifyPriceDrops, type WishlistCtx } from "./wishlist/service.ts";

export function subscribeCart(deps: Deps): void {
  const ctx: WishlistCtx = { database: deps.database, clock: deps.clock, ids: deps.ids, eventsWritten: () => deps.relay?.kick() };
  deps.bus.subscribe("cart.wishlist-price-dropped", variantPriceChanged, async (payload, event) => {
    // a cut announces a drop to those told more; a rise only updates what they were told
    await notifyPriceDrops(ctx, payload.variantId, event.requestId);
    return undefined;
  });
  deps.bus.subscribe("cart.wishlist-back-in-stock", inventoryChanged, async (payload, event) => {
    // the stock over every location decides, not this one location's level in the payload
    await notifyBackInStock(ctx, payload.variantId, event.requestId);
    return undefined;
  });
}
