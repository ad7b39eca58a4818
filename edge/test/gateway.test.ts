import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER, generateSigningKey, signAccessToken } from "@bazaar/auth";
import { SignJWT } from "jose";
import { metric, type Stack, startStack, TEST_CF } from "./support/stack.ts";

// The gateway against a real `wrangler dev` and a real core: forwarding, request ids, bearer checks.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ eventsTransport: "inprocess" });
}, 60_000);
afterAll(() => stack?.stop(), 20_000);

const edge = (path: string, init?: RequestInit) => fetch(`${stack.edge.url}${path}`, init);
const json = (body: unknown) => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const REQUEST_ID = /^req_[0-9A-HJKMNP-TV-Z]{26}$/;
const claims = { sub: "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", sid: "ses_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", roles: ["buyer" as const] };

test("GET /edge/health answers ok", async () => {
  const response = await edge("/edge/health");
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ status: "ok" });
  expect(response.headers.get("x-request-id")).toMatch(REQUEST_ID);
});

describe("request ids", () => {
  test("one is generated when absent, reaches the core and comes back on the response", async () => {
    const response = await edge("/v1/me");
    const id = response.headers.get("x-request-id");
    expect(id).toMatch(REQUEST_ID);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { requestId?: string }).requestId).toBe(id ?? "");
  });

  test("the caller's id is passed through to the core", async () => {
    const response = await edge("/v1/me", { headers: { "x-request-id": "trace-edge-test-1" } });
    expect(response.headers.get("x-request-id")).toBe("trace-edge-test-1");
    expect(((await response.json()) as { requestId?: string }).requestId).toBe("trace-edge-test-1");
  });
});

test("/internal/* is never forwarded, even with the right secret", async () => {
  const before = await metric(stack.core.url, "bazaar_http_requests_total", { route: "/internal/events" });
  const response = await edge("/internal/events", { ...json({ events: [] }), headers: { "x-bazaar-events-secret": "edge-test-events-secret-0123456789" } });
  expect(response.status).toBe(404);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  expect(await metric(stack.core.url, "bazaar_http_requests_total", { route: "/internal/events" })).toBe(before);
});

test("unknown routes are 404 problems", async () => {
  const response = await edge("/nowhere");
  expect(response.status).toBe(404);
  expect(await response.json()).toMatchObject({ code: "NOT_FOUND", requestId: response.headers.get("x-request-id") ?? "" });
});

test("the core's JWKS and docs are served through the edge", async () => {
  const jwks = await edge("/.well-known/jwks.json");
  expect(jwks.status).toBe(200);
  expect(((await jwks.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid)).toContain(stack.signingKey.kid);
  expect((await edge("/docs/json")).status).toBe(200);
});

test("the pages emailed links open are served through the edge, with their security headers", async () => {
  for (const path of ["/account/verify-email", "/account/reset-password"]) {
    const page = await edge(`${path}?token=ev_abc`);
    expect(page.status, path).toBe(200);
    expect(page.headers.get("content-type")).toStartWith("text/html");
    expect(page.headers.get("content-security-policy")).toContain("script-src 'sha256-");
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
  }
});

test("register → login → GET /v1/me through the edge", async () => {
  const email = `ada.${Date.now()}@example.com`;
  const registered = await edge("/v1/auth/register", json({ email, password: "correct horse battery", name: "Ada Lovelace" }));
  expect(registered.status).toBe(201);
  const login = await edge("/v1/auth/login?source=edge-test", json({ email, password: "correct horse battery" }));
  expect(login.status).toBe(200);
  const { accessToken, user } = (await login.json()) as { accessToken: string; user: { id: string } };

  const seenByCore = () => metric(stack.core.url, "bazaar_http_requests_total", { route: "/v1/me" });
  const before = await seenByCore();
  const me = await edge("/v1/me", bearer(accessToken));
  expect(me.status).toBe(200);
  expect(await me.json()).toMatchObject({ id: user.id, email });
  // also proves the metric the refusal tests below rely on does count /v1/me
  expect(await seenByCore()).toBe(before + 1);
});

test("the core hears where Cloudflare places the client (request.cf), never where the client claims to be", async () => {
  const spoofed = { "content-type": "application/json", "x-bazaar-geo-country": "AQ", "x-bazaar-geo-city": "Atlantis" };
  const sessionLocations = async (origin: string) => {
    const body = JSON.stringify({ email: `geo.${crypto.randomUUID().slice(0, 8)}@example.com`, password: "correct horse battery", name: "Geo" });
    const registered = await fetch(`${origin}/v1/auth/register`, { method: "POST", headers: spoofed, body });
    expect(registered.status).toBe(201);
    const { accessToken } = (await registered.json()) as { accessToken: string };
    const sessions = await edge("/v1/me/sessions", { headers: { ...spoofed, authorization: `Bearer ${accessToken}` } });
    expect(sessions.status).toBe(200);
    return ((await sessions.json()) as { sessions: { location: string | null }[] }).sessions.map((session) => session.location);
  };
  // TEST_CF is Lisbon, PT; the spoofed headers are dropped at the edge
  expect(await sessionLocations(stack.edge.url)).toEqual([`${TEST_CF.city}, ${TEST_CF.country}`]);
  // the control: the core does believe these headers from a trusted proxy (this test runs on one), so stripping them matters
  expect(await sessionLocations(stack.core.url)).toEqual(["Atlantis, AQ"]);
});

describe("bad bearer tokens are refused at the edge", async () => {
  const { key: impostorKey } = await generateSigningKey("key_edge_test");
  const { key: unknownKey } = await generateSigningKey("key_nobody_published");
  const now = Date.now();
  const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const payload = { ...claims, iss: ACCESS_TOKEN_ISSUER, aud: ACCESS_TOKEN_AUDIENCE, iat: Math.floor(now / 1000), exp: Math.floor(now / 1000) + 600 };

  const cases: [string, () => Promise<string>][] = [
    ["signed by another key under the core's kid", () => signAccessToken(impostorKey, claims, now, 600)],
    ["signed by a key the core never published", () => signAccessToken(unknownKey, claims, now, 600)],
    ["expired", () => signAccessToken(stack.signingKey, claims, now - 3_600_000, 600)],
    ["meant to outlive the revocation list (lifetime over the edge's ACCESS_TOKEN_TTL_SECONDS)", () => signAccessToken(stack.signingKey, claims, now, 3600)],
    [
      "from another issuer",
      () =>
        new SignJWT({ sid: claims.sid, roles: claims.roles })
          .setProtectedHeader({ alg: "EdDSA", kid: stack.signingKey.kid })
          .setSubject(claims.sub)
          .setIssuer("evil")
          .setAudience(ACCESS_TOKEN_AUDIENCE)
          .setIssuedAt()
          .setExpirationTime("10m")
          .sign(stack.signingKey.privateKey),
    ],
    ["alg none", async () => `${base64url({ alg: "none", typ: "JWT", kid: stack.signingKey.kid })}.${base64url(payload)}.`],
    [
      "HS256 keyed with the public key (alg confusion)",
      () =>
        new SignJWT(payload)
          .setProtectedHeader({ alg: "HS256", kid: stack.signingKey.kid })
          .sign(new TextEncoder().encode(String(stack.signingKey.publicJwk.x))),
    ],
    ["garbage", async () => "not-a-token"],
    ["three garbage segments", async () => "a.b.c"],
    ["empty", async () => ""],
  ];

  test.each(cases)("%s → 401 problem with www-authenticate, and the core never sees it", async (_, mint) => {
    const before = await metric(stack.core.url, "bazaar_http_requests_total", { route: "/v1/me" });
    const response = await edge("/v1/me", bearer(await mint()));
    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(response.headers.get("www-authenticate")).toStartWith("Bearer");
    expect(await response.json()).toMatchObject({ code: "UNAUTHENTICATED", status: 401, requestId: response.headers.get("x-request-id") ?? "" });
    expect(await metric(stack.core.url, "bazaar_http_requests_total", { route: "/v1/me" })).toBe(before);
  });

  test("a flood of unknown kids costs the core at most one JWKS fetch", async () => {
    const jwksFetches = () => metric(stack.core.url, "bazaar_http_requests_total", { route: "/.well-known/jwks.json" });
    await edge("/v1/me", bearer(await signAccessToken(unknownKey, claims, now, 600)));
    const before = await jwksFetches();
    expect(before).toBeGreaterThanOrEqual(1);
    const tokens = await Promise.all(
      Array.from({ length: 25 }, async (_, i) => signAccessToken((await generateSigningKey(`bogus_${i}`)).key, claims, now, 600)),
    );
    const statuses = await Promise.all(tokens.map(async (token) => (await edge("/v1/me", bearer(token))).status));
    expect(new Set(statuses)).toEqual(new Set([401]));
    expect((await jwksFetches()) - before).toBeLessThanOrEqual(1);
  });
});
