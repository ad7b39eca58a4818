import { Hono } from "hono";
import { ingestDevEvents } from "./events/dev-ingest.ts";
import { bearerAuth } from "./gateway/bearer-auth.ts";
import { CATALOG_CACHE_PATHS, type CatalogCacheOptions, catalogCache } from "./gateway/catalog-cache.ts";
import { forwardToCore } from "./gateway/forward-to-core.ts";
import { handleError, routeNotFound } from "./problem.ts";
import { type AppEnv, requestContext, withConfig } from "./request-context.ts";

/** Paths the core serves to the public; everything else stays at the edge. */
// /account/* are the pages emailed links open (verify an email, reset a password)
export const CORE_ROUTES = ["/v1/*", "/.well-known/*", "/account/*", "/docs", "/docs/*"] as const;

export function createApp(options: { catalogCache?: CatalogCacheOptions } = {}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requestContext, withConfig);

  app.get("/edge/health", (c) => c.json({ status: "ok" }));
  app.post("/edge/dev/events", ingestDevEvents);
  // explicit, so a future catch-all route can never expose the core's internal endpoints
  app.all("/internal/*", routeNotFound);
  // before the forwarding routes: a cached anonymous read is answered here and never reaches the core
  const publicCatalogCache = catalogCache(options.catalogCache);
  for (const path of CATALOG_CACHE_PATHS) app.use(path, publicCatalogCache);
  for (const path of CORE_ROUTES) app.all(path, bearerAuth, forwardToCore);

  app.notFound(routeNotFound);
  app.onError(handleError);
  return app;
}
