import { deadLetterCount, outboxBacklog, pruneEvents } from "@bazaar/events";
import { openapi } from "@elysiajs/openapi";
import type { AnyElysia } from "elysia";
import { accountsModule } from "./accounts/index.ts";
import { cartModule } from "./cart/index.ts";
import { catalogModule } from "./catalog/index.ts";
import { SERVICE_NAMES, type ServiceName } from "./config.ts";
import { bodyGuard } from "./http/body-guard.ts";
import { plugin } from "./http/plugin.ts";
import { problemHandler } from "./http/problem.ts";
import { requestContext } from "./http/request-context.ts";
import { ordersModule } from "./orders/index.ts";
import { paymentsModule } from "./payments/index.ts";
import type { Deps } from "./platform/deps.ts";
import { devMailboxEnabled, devMailboxRoutes } from "./platform/dev-mailbox-routes.ts";
import type { Job } from "./platform/jobs.ts";
import { platformRoutes } from "./platform/routes.ts";
import { shippingModule } from "./shipping/index.ts";

interface ServiceModule {
  routes(deps: Deps): AnyElysia;
  subscribe(deps: Deps): void;
  /** periodic upkeep, run by every process that serves the service's routes */
  jobs?: Job[];
}

/** Each service by name. SERVICES picks whose routes this process serves. */
const SERVICES: Record<ServiceName, ServiceModule> = {
  accounts: accountsModule,
  catalog: catalogModule,
  payments: paymentsModule,
  shipping: shippingModule,
  cart: cartModule,
  orders: ordersModule,
};

/** The root app: cross-cutting plugins, the platform routes, then each chosen service. No I/O here. */
export function createApp(deps: Deps) {
  // every process consumes every event, whatever routes it serves: an event delivered to a
  // process without its subscribers would otherwise be marked delivered and lost
  for (const name of SERVICE_NAMES) SERVICES[name].subscribe(deps);
  deps.bus.onConsumed((event, outcome) => deps.metrics.eventsConsumed.inc({ type: event.type, outcome }));
  deps.metrics.gauge("bazaar_outbox_pending", "Outbox events not yet delivered", () => outboxBacklog(deps.database));
  deps.metrics.gauge("bazaar_events_dead_letters", "Events that exhausted their retries", () => deadLetterCount(deps.database));

  const app = plugin("bazaar-core")
    .use(requestContext(deps))
    .use(problemHandler(deps.log))
    .use(bodyGuard(deps.config.maxBodyBytes))
    .use(
      openapi({
        path: "/docs",
        specPath: "/docs/json",
        provider: "swagger-ui",
        // jwks.json ends in .json: without staticFile false it would be hidden as a "static file"
        exclude: { paths: ["/docs", "/docs/json"], staticFile: false },
        documentation: {
          info: {
            title: "Bazaar API",
            version: "0.1.0",
            description: "The Bazaar marketplace core. Errors are application/problem+json (RFC 9457) with a stable `code` and per-field `errors`.",
          },
          tags: [
            { name: "auth", description: "Sign-up, sign-in, tokens, sessions, email verification, password reset" },
            { name: "two-factor", description: "TOTP, recovery codes and passkeys" },
            { name: "oauth", description: "Social login and SSO (OAuth 2.0 / OpenID Connect)" },
            { name: "profile", description: "Name, avatar, locale, currency, addresses, account deletion" },
            { name: "admin", description: "Staff only: roles, account status, audit" },
            { name: "catalog", description: "Public catalog: products, categories, brands" },
            { name: "seller", description: "Sellers' own products, variants, images, stock and imports" },
            { name: "inventory", description: "Stock levels, reservations and adjustments" },
            { name: "payments", description: "Wallet, top-ups, payment provider webhooks, refunds" },
            { name: "shipping", description: "Sellers' shipping rates and shipping estimates" },
            { name: "cart", description: "Carts (guest and signed-in) and wishlists" },
            { name: "orders", description: "Checkout, orders, sub-orders per seller, returns" },
            { name: "platform", description: "Health, readiness, metrics" },
            { name: "internal", description: "Service-to-service; not for clients" },
            { name: "development", description: "Only in BAZAAR_ENV=development" },
          ],
          components: { securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" } } },
        },
      }),
    )
    .use(platformRoutes(deps));

  if (devMailboxEnabled(deps)) app.use(devMailboxRoutes(deps));
  for (const name of deps.config.services) app.use(SERVICES[name].routes(deps));
  return app;
}

export type App = ReturnType<typeof createApp>;

/** Upkeep of the platform itself, run by every process. */
const PLATFORM_JOBS: Job[] = [{ name: "events.prune", everyMs: 3_600_000, run: ({ database, clock }) => pruneEvents(database, clock()) }];

/** The platform's jobs and those of the services this process serves (main.ts starts them once the database is ready). */
export function serviceJobs(deps: Deps): Job[] {
  return [...PLATFORM_JOBS, ...deps.config.services.flatMap((name) => SERVICES[name].jobs ?? [])];
}
