import { generateProduct } from "../scripts/lib/catalog-seed/products.ts";
import { planSkeleton } from "../scripts/lib/catalog-seed/skeleton.ts";
import type { ConnectionScript, LoadSettings, Operation, RequestParts } from "./measure.ts";
import { BENCH_ORDERS, prepareCheckouts } from "./orders.ts";
import { preparePayments } from "./payments.ts";

/** Which running process a scenario's path is sent to. */
export type Via = "raw" | "core" | "edge";

/** A registered user with the session registering gave it. */
export interface SeedUser {
  email: string;
  password: string;
  refreshToken: string;
}

/** What the seed step left for scenarios to use. */
export interface Seed {
  email: string;
  password: string;
  accessToken: string;
  /** Login scenarios spread over these accounts; refresh chains start from their sessions, one each. */
  users: SeedUser[];
}

export interface Load {
  via: Via;
  path: string;
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  headers?: (seed: Seed) => Record<string, string>;
  body?: (seed: Seed) => string;
  /** GETs walking these paths in turn (the first one is `path`, which the probe sends); see Target.paths */
  paths?: string[];
  /** For requests that differ each time (see ConnectionScript); called once per connection. */
  perConnection?: (seed: Seed) => () => ConnectionScript;
  /** How many seeded users it needs for a run of these settings (logins: accounts; refresh: sessions). */
  users?: { kind: "accounts" | "sessions"; count: (settings: LoadSettings) => number };
}

interface Named {
  /** Short kebab-case name for BENCH_SCENARIOS. */
  id: string;
  /** The row label in the results table. */
  name: string;
}

/** Service calls in the bench's own process, for what has no route of its own (see measureOperations). */
export interface InProcessScenario extends Named {
  via: "in-process";
  /** Sets up what the operation needs (its own database); called just before it is measured. */
  prepare: () => Promise<Operation>;
}

export type Scenario = HttpScenario | InProcessScenario;

export interface HttpScenario extends Load, Named {
  /** Load run alongside the measured one, over the same seconds; its figures go in a note under the table. */
  background?: Load & { name: string };
  /** Products touched this many times a second, by another database handle, while it runs (see catalog-changes.ts) */
  catalogChangesPerSecond?: number;
}

export const RAW_SCENARIO_ID = "raw";

const json = { "content-type": "application/json" };

/**
 * Logins are throttled per account (50 attempts an hour, successes included) and per address (100 per
 * 15 min): a flood from one user on one address would measure the throttle, not the login. So each
 * login takes the next seeded account, round-robin over the whole run, and a random address in the
 * header that carries it to the core: X-Forwarded-For to the core (which believes it from 127.0.0.1),
 * CF-Connecting-IP to `wrangler dev` (which keeps a client's; Cloudflare itself never would).
 */
const LOGIN_ATTEMPTS_PER_ACCOUNT = 45;
/** Above what the core's argon2id pool completes on any machine this runs on (about 20/s on 2 cores). */
const LOGINS_PER_SECOND_CEILING = 50;
let nextAccount = 0;

function loggingIn(via: "core" | "edge"): Pick<Load, "via" | "path" | "method" | "headers" | "perConnection" | "users"> {
  const addressHeader = via === "core" ? "x-forwarded-for" : "cf-connecting-ip";
  return {
    via,
    path: "/v1/auth/login",
    method: "POST",
    headers: () => json,
    perConnection: (seed) => () => ({
      nextRequest: (defaults) => {
        const user = seed.users[nextAccount++ % seed.users.length];
        if (!user) throw new Error("login scenarios need seeded users");
        return { headers: { ...defaults.headers, [addressHeader]: randomAddress() }, body: JSON.stringify({ email: user.email, password: user.password }) };
      },
    }),
    users: {
      kind: "accounts",
      count: (s) => Math.ceil(((s.warmupSeconds + s.durationSeconds) * LOGINS_PER_SECOND_CEILING) / LOGIN_ATTEMPTS_PER_ACCOUNT),
    },
  };
}

/**
 * A refresh token works once, and presenting a used one revokes its session: each connection carries its
 * own chain, sending the token the previous response returned. A request that got no answer may have
 * spent its token, so the chain is dropped and the connection starts a fresh session from the pool.
 */
function refreshing(via: "core" | "edge"): Pick<Load, "via" | "path" | "method" | "headers" | "perConnection" | "users"> {
  let pool: string[] | undefined;
  return {
    via,
    path: "/v1/auth/refresh",
    method: "POST",
    headers: () => json,
    perConnection: (seed) => {
      pool ??= seed.users.map((user) => user.refreshToken);
      const sessions = pool;
      return () => {
        let token: string | undefined;
        let awaitingAnswer = false;
        return {
          nextRequest: (defaults: RequestParts) => {
            if (awaitingAnswer || token === undefined) token = sessions.pop();
            awaitingAnswer = true;
            // an exhausted pool sends a token that cannot work: the 401s show up as non-2xx
            return { headers: defaults.headers, body: JSON.stringify({ refreshToken: token ?? "rt_pool_exhausted" }) };
          },
          onResponse: (status, body) => {
            awaitingAnswer = false;
            token = status >= 200 && status < 300 ? (JSON.parse(body) as { refreshToken?: string }).refreshToken : undefined;
          },
        };
      };
    },
    // one session per connection, as many again for chains that break, and one for the probe
    users: { kind: "sessions", count: (s) => 2 * s.connections + 1 },
  };
}

function randomAddress(): string {
  const octet = () => Math.floor(Math.random() * 256);
  return `10.${octet()}.${octet()}.${octet()}`;
}

/** Products in the demo catalogue the bench seeds (scripts/lib/catalog-seed): about 4,500 of them active, in ~100 categories. */
export const BENCH_CATALOG_PRODUCTS = 5_000;

/** How many product pages the core's detail scenario cycles through: a long tail, not one page read over and over. */
const BENCH_PRODUCT_PAGES = 1_000;

/** The demo catalogue is deterministic (its product n is the same on every run), so its active products are known before anything is seeded. */
function activeBenchProductIds(count: number): string[] {
  const skeleton = planSkeleton();
  const ids: string[] = [];
  for (let index = 0; index < BENCH_CATALOG_PRODUCTS && ids.length < count; index++) {
    const { product } = generateProduct(skeleton, index);
    if (product.status === "active") ids.push(product.id);
  }
  if (ids.length < count) throw new Error(`the demo catalogue has only ${ids.length} active products, not ${count}`);
  return ids;
}
export const BENCH_PRODUCT_IDS = activeBenchProductIds(BENCH_PRODUCT_PAGES);
const BENCH_PRODUCT_PATHS = BENCH_PRODUCT_IDS.map((id) => `/v1/products/${id}`);
/** Often enough that the core's in-memory responses rarely outlive a tenth of a second: what a busy catalog does to them. */
const CATALOG_CHANGES_PER_SECOND = 20;
/** The page the edge scenario reads: one URL, so after the warm-up every request is a cache hit. */
const BENCH_PRODUCT_PATH = BENCH_PRODUCT_PATHS[0] as string;

/** Two filters: a root category (its subtree: ~12 % of the catalogue) and a price cap; a full first page of 20. */
const BENCH_LIST_PATH = "/v1/products?category=electronics&price_max=20000";

/** Add a scenario here; run.ts starts whatever processes the selected ones are `via`. */
export const SCENARIOS: Scenario[] = [
  { id: RAW_SCENARIO_ID, name: "raw Bun.serve hello-world", via: "raw", path: "/" },
  { id: "health", name: "GET /health", via: "core", path: "/health" },
  { id: "jwks", name: "GET /.well-known/jwks.json", via: "core", path: "/.well-known/jwks.json" },
  { id: "login", name: "POST /v1/auth/login", ...loggingIn("core") },
  {
    id: "health-during-login-flood",
    name: "GET /health during a login flood",
    via: "core",
    path: "/health",
    background: { name: "the login flood (POST /v1/auth/login)", ...loggingIn("core") },
  },
  {
    id: "me",
    name: "GET /v1/me (core direct)",
    via: "core",
    path: "/v1/me",
    headers: (seed) => ({ authorization: `Bearer ${seed.accessToken}` }),
  },
  // the edge's own floor: wrangler dev + workerd answering without calling the core
  { id: "edge-health", name: "GET /edge/health (edge only)", via: "edge", path: "/edge/health" },
  {
    id: "me-via-edge",
    name: "GET /v1/me through the edge",
    via: "edge",
    path: "/v1/me",
    headers: (seed) => ({ authorization: `Bearer ${seed.accessToken}` }),
  },
  { id: "login-via-edge", name: "POST /v1/auth/login through the edge", ...loggingIn("edge") },
  { id: "refresh-via-edge", name: "POST /v1/auth/refresh through the edge", ...refreshing("edge") },
  {
    id: "product-detail",
    name: `GET /v1/products/{id} (core direct, ${BENCH_PRODUCT_PAGES.toLocaleString("en")} pages)`,
    via: "core",
    path: BENCH_PRODUCT_PATH,
    paths: BENCH_PRODUCT_PATHS,
  },
  { id: "product-list-filtered", name: "GET /v1/products?category&price_max (core direct)", via: "core", path: BENCH_LIST_PATH },
  {
    id: "product-detail-changing",
    name: `GET /v1/products/{id} (core direct, 1,000 pages, ${CATALOG_CHANGES_PER_SECOND} catalog changes/s)`,
    via: "core",
    path: BENCH_PRODUCT_PATH,
    paths: BENCH_PRODUCT_PATHS,
    catalogChangesPerSecond: CATALOG_CHANGES_PER_SECOND,
  },
  {
    id: "product-list-changing",
    name: `GET /v1/products?category&price_max (core direct, ${CATALOG_CHANGES_PER_SECOND} catalog changes/s)`,
    via: "core",
    path: BENCH_LIST_PATH,
    catalogChangesPerSecond: CATALOG_CHANGES_PER_SECOND,
  },
  // anonymous GETs: the probe and the warm-up fill the edge's cache, so these measure cache hits
  { id: "product-detail-via-edge", name: "GET /v1/products/{id} through the edge (cache hit)", via: "edge", path: BENCH_PRODUCT_PATH },
  // the same page through the edge to the core: a cookie makes the edge bypass its cache (x-cache: BYPASS)
  {
    id: "product-detail-via-edge-origin",
    name: "GET /v1/products/{id} through the edge to the core (cache bypassed)",
    via: "edge",
    path: BENCH_PRODUCT_PATH,
    headers: () => ({ cookie: "bench=1" }),
  },
  {
    id: "product-list-filtered-via-edge",
    name: "GET /v1/products?category&price_max through the edge (cache hit)",
    via: "edge",
    path: BENCH_LIST_PATH,
  },
  { id: "wallet-payment", name: "payOrder from the wallet (in-process, 2 sellers)", via: "in-process", prepare: () => preparePayments("wallet") },
  {
    id: "card-payment",
    name: "payOrder by sandbox card, authorise + capture (in-process, 2 sellers)",
    via: "in-process",
    prepare: () => preparePayments("card"),
  },
  {
    id: "checkout",
    name: "checkout: 3 lines from 2 sellers → paid order, sandbox card (in-process)",
    via: "in-process",
    prepare: prepareCheckouts,
  },
  {
    id: "orders-list",
    name: `GET /v1/orders?limit=${BENCH_ORDERS} (core direct, a buyer with ${BENCH_ORDERS} orders)`,
    via: "core",
    path: `/v1/orders?limit=${BENCH_ORDERS}`,
    headers: (seed) => ({ authorization: `Bearer ${seed.accessToken}` }),
  },
];

/** The scenarios BENCH_SCENARIOS names (ids or names, comma-separated), always with the raw ceiling first. */
export function selectScenarios(selection: string | undefined): Scenario[] {
  const wanted = (selection ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (wanted.length === 0) return SCENARIOS;
  const unknown = wanted.filter((w) => !SCENARIOS.some((s) => s.id === w || s.name === w));
  if (unknown.length) {
    throw new Error(`BENCH_SCENARIOS: unknown ${unknown.map((u) => `"${u}"`).join(", ")}; known: ${SCENARIOS.map((s) => s.id).join(", ")}`);
  }
  return SCENARIOS.filter((s) => s.id === RAW_SCENARIO_ID || wanted.includes(s.id) || wanted.includes(s.name));
}

/** Every HTTP load the scenarios run, background ones included. */
export function loadsOf(scenarios: Scenario[]): Load[] {
  return scenarios.flatMap((scenario) => (scenario.via === "in-process" ? [] : scenario.background ? [scenario, scenario.background] : [scenario]));
}

/**
 * How many users to seed. Logins share the accounts round-robin, so their needs add up; refresh chains
 * each spend their own sessions, which logins do not touch.
 */
export function seedUsersNeeded(scenarios: Scenario[], settings: LoadSettings): number {
  const total = (kind: "accounts" | "sessions") =>
    loadsOf(scenarios).reduce((sum, load) => sum + (load.users?.kind === kind ? load.users.count(settings) : 0), 0);
  return Math.max(total("accounts"), total("sessions"));
}
