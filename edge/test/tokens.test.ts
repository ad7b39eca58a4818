import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { generateSigningKey, localKeyResolver, verifyAccessToken } from "@bazaar/auth";
import { createIdGenerator, type Jwks } from "@bazaar/contracts";
import { EVENTS_SECRET_HEADER } from "@bazaar/events/envelope";
import { decodeProtectedHeader } from "jose";
import { EVENTS_SECRET, eventually, metric, type Stack, startStack } from "./support/stack.ts";

// Tokens at the edge through a real `wrangler dev` (local KV and queue) and a real core whose outbox
// relay posts to the edge: the revocation list, then key rotation (which restarts the core, so it runs last).
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ eventsTransport: "edge", edgeVars: { JWKS_REFETCH_COOLDOWN_SECONDS: "1" } });
}, 60_000);
afterAll(() => stack?.stop(), 20_000);

const PASSWORD = "correct horse battery";
const EDGE_REFUSAL = "The access token is invalid or expired";
const ids = createIdGenerator();

const edge = (path: string, init?: RequestInit) => fetch(`${stack.edge.url}${path}`, init);
const json = (body: unknown) => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const me = async (token: string) => (await edge("/v1/me", bearer(token))).status;

interface Signed {
  accessToken: string;
  refreshToken: string;
  user: { id: string; email: string };
}

async function register(name: string): Promise<Signed> {
  const response = await edge("/v1/auth/register", json({ email: `${name}.${crypto.randomUUID().slice(0, 8)}@example.com`, password: PASSWORD, name }));
  expect(response.status).toBe(201);
  return (await response.json()) as Signed;
}

async function login(email: string): Promise<Signed> {
  // after restartCore() the edge may still hold a pooled connection to the stopped core: using it is a 502 once
  let response: Response | undefined;
  await expectEventually("a login through the edge is answered by the core", async () => {
    response = await edge("/v1/auth/login", json({ email, password: PASSWORD }));
    return response.status !== 502;
  });
  expect(response?.status).toBe(200);
  return (await response?.json()) as Signed;
}

/** One GET /v1/me through the edge: was it the edge's own 401, with the core never seeing the request? */
async function refusedByEdge(token: string): Promise<boolean> {
  const before = await metric(stack.core.url, "bazaar_http_requests_total", { route: "/v1/me" });
  const response = await edge("/v1/me", bearer(token));
  const body = (await response.json()) as { detail?: string };
  const after = await metric(stack.core.url, "bazaar_http_requests_total", { route: "/v1/me" });
  return response.status === 401 && body.detail === EDGE_REFUSAL && response.headers.has("www-authenticate") && after === before;
}

const ingest = (events: unknown[]) =>
  edge("/edge/dev/events", { ...json({ events }), headers: { "content-type": "application/json", [EVENTS_SECRET_HEADER]: EVENTS_SECRET } });

function statusChanged(userId: string, status: string, occurredAt: Date) {
  return {
    id: ids("event"),
    type: "user.status_changed",
    version: 1,
    occurredAt: occurredAt.toISOString(),
    payload: { userId, status, actorId: "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", reason: "edge test" },
  };
}

const edgeLogged = (text: string | RegExp) => async () => (typeof text === "string" ? stack.edge.logs().includes(text) : text.test(stack.edge.logs()));

/** Polls `check` for up to 10 s; on failure says what was awaited and shows the edge's recent log. */
async function expectEventually(what: string, check: () => Promise<boolean>): Promise<void> {
  if (await eventually(check, 10_000)) return;
  const lines = stack.edge
    .logs()
    .split("\n")
    .filter((line) => line.includes('{"time"'));
  throw new Error(`not within 10 s: ${what}\n--- edge ---\n${lines.slice(-40).join("\n")}\n--- core ---\n${stack.core.logs().slice(-3_000)}`);
}

describe("the revocation list", () => {
  test("after logout, the session's still-unexpired token is refused by the edge; the user's other session is not", async () => {
    const ada = await register("ada");
    const otherDevice = await login(ada.user.email);
    expect(await me(ada.accessToken)).toBe(200);

    // session.revoked goes core outbox → edge dev ingest → local queue → consumer → KV (and on to the core)
    expect((await edge("/v1/auth/logout", json({ refreshToken: ada.refreshToken }))).status).toBe(204);
    const jwks = (await (await fetch(`${stack.core.url}/.well-known/jwks.json`)).json()) as Jwks;
    const claims = await verifyAccessToken(ada.accessToken, localKeyResolver(jwks));
    expect(claims.exp ?? 0).toBeGreaterThan(Date.now() / 1000 + 60);

    await expectEventually("the edge refuses the logged-out token", () => refusedByEdge(ada.accessToken));
    // wrangler prints the Worker's log lines a little after the response
    await expectEventually("the refusal is logged with its reason", edgeLogged(`"reason":"session revoked (logout)"`));
    expect(await me(otherDevice.accessToken)).toBe(200);
  }, 20_000);

  test("user.status_changed: suspended refuses the user's tokens at the edge, active lets them through again", async () => {
    const grace = await register("grace");
    const suspendedAt = new Date();
    // the core still has Grace active: only the edge's list can refuse her
    expect((await ingest([statusChanged(grace.user.id, "suspended", suspendedAt)])).status).toBe(202);
    await expectEventually("the edge refuses the suspended user's token", () => refusedByEdge(grace.accessToken));
    await expectEventually("the refusal is logged with its reason", edgeLogged(`"reason":"user is suspended"`));

    expect((await ingest([statusChanged(grace.user.id, "active", new Date(suspendedAt.getTime() + 1_000))])).status).toBe(202);
    await expectEventually("the reinstated user's token gets through again", async () => (await me(grace.accessToken)) === 200);

    // an older suspension delivered late (a retry, a replay) does not undo the reinstatement
    const late = statusChanged(grace.user.id, "suspended", new Date(suspendedAt.getTime() + 500));
    expect((await ingest([late])).status).toBe(202);
    await expectEventually(
      "the late suspension is recognised as stale",
      edgeLogged(new RegExp(`"msg":"revocation superseded by a newer one".*"id":"${late.id}"`)),
    );
    expect(await me(grace.accessToken)).toBe(200);
  }, 30_000);
});

describe("key rotation", () => {
  const jwksFetches = () => metric(stack.core.url, "bazaar_http_requests_total", { route: "/.well-known/jwks.json" });

  test("a rotated-in key is accepted after one refetch; the retired key works while published and is refused once it is not", async () => {
    const first = stack.signingKey;
    const early = await register("rotation");
    expect(decodeProtectedHeader(early.accessToken).kid).toBe(first.kid);
    expect(await me(early.accessToken)).toBe(200); // the edge has cached a JWKS holding only the first key

    const second = await generateSigningKey("key_rotation_second");
    await stack.restartCore({ AUTH_SIGNING_KEY: JSON.stringify(second.privateJwk), AUTH_PREVIOUS_SIGNING_KEYS: JSON.stringify([first.publicJwk]) });
    const fetchesBefore = await jwksFetches(); // a new core process: its counters start over
    const rotated = await login(early.user.email);
    expect(decodeProtectedHeader(rotated.accessToken).kid).toBe(second.key.kid);
    await expectEventually("the second key's token gets through", async () => (await me(rotated.accessToken)) === 200);
    expect((await jwksFetches()) - fetchesBefore).toBe(1);
    expect(await me(early.accessToken)).toBe(200);

    // the next rotation retires the first key: the refetch the third kid causes no longer lists it
    const third = await generateSigningKey("key_rotation_third");
    await stack.restartCore({ AUTH_SIGNING_KEY: JSON.stringify(third.privateJwk), AUTH_PREVIOUS_SIGNING_KEYS: JSON.stringify([second.key.publicJwk]) });
    const latest = await login(early.user.email);
    await expectEventually("the third key's token gets through", async () => (await me(latest.accessToken)) === 200);
    await expectEventually("the edge refuses the first key's token", () => refusedByEdge(early.accessToken));
    await expectEventually("the refusal is logged with its reason", edgeLogged(`"reason":"unknown kid"`));
    expect(await me(rotated.accessToken)).toBe(200);
  }, 40_000);
});
