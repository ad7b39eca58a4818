/** Which running process a scenario's path is sent to. */
export type Via = "raw" | "core" | "edge";

/** What the seed step left for scenarios to use. */
export interface Seed {
  email: string;
  password: string;
  accessToken: string;
}

export interface Scenario {
  /** Short kebab-case name for BENCH_SCENARIOS. */
  id: string;
  /** The row label in the results table. */
  name: string;
  via: Via;
  path: string;
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  headers?: (seed: Seed) => Record<string, string>;
  body?: (seed: Seed) => string;
}

export const RAW_SCENARIO_ID = "raw";

const json = { "content-type": "application/json" };

/** Add a scenario here; run.ts starts whatever processes the selected ones are `via`. */
export const SCENARIOS: Scenario[] = [
  { id: RAW_SCENARIO_ID, name: "raw Bun.serve hello-world", via: "raw", path: "/" },
  { id: "health", name: "GET /health", via: "core", path: "/health" },
  { id: "jwks", name: "GET /.well-known/jwks.json", via: "core", path: "/.well-known/jwks.json" },
  {
    id: "login",
    name: "POST /v1/auth/login",
    via: "core",
    path: "/v1/auth/login",
    method: "POST",
    headers: () => json,
    body: (seed) => JSON.stringify({ email: seed.email, password: seed.password }),
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
