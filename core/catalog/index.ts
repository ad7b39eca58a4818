import { plugin } from "../http/plugin.ts";
import type { Deps } from "../platform/deps.ts";
import { browseRoutes } from "./browse/routes.ts";
import { categoriesRoutes } from "./categories/routes.ts";
import { imagesRoutes } from "./images/routes.ts";
import { catalogImportJob } from "./imports/jobs.ts";
import { importsRoutes } from "./imports/routes.ts";
import { releaseExpiredReservationsJob } from "./inventory/jobs.ts";
import { inventoryRoutes } from "./inventory/routes.ts";
import { productsRoutes } from "./products/routes.ts";

/** The catalog service as the app composes it: categories and brands, products, the public read API, images and stock. */
export const catalogModule = {
  routes(deps: Deps) {
    return plugin("catalog")
      .use(categoriesRoutes(deps))
      .use(productsRoutes(deps))
      .use(browseRoutes(deps))
      .use(imagesRoutes(deps))
      .use(inventoryRoutes(deps))
      .use(importsRoutes(deps));
  },
  subscribe(_deps: Deps) {},
  jobs: [releaseExpiredReservationsJob, catalogImportJob],
};

/** What other services (checkout) may call: stock reservations, all-or-nothing and idempotent per holder. */
export { commit, OutOfStockError, ReservationExpiredError, ReservationReleasedError, release, reserve } from "./inventory/service.ts";
/** What the cart service reads: variants with their current price, whether they are for sale, and available stock. */
export { type CartVariant, variantsForCart } from "./variants-for-cart.ts";
