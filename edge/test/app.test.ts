import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { EVENTS_SECRET_HEADER } from "@bazaar/events/envelope";
import { edgeProofFor } from "../../core/http/client-info.ts";
import { createApp } from "../src/app.ts";
import { edgeProof, GEO_CITY_HEADER, GEO_COUNTRY_HEADER, geoCity, geoCountry, originHeaders } from "../src/gateway/forward-to-core.ts";
import { captureLogs, envelope, fakeEnv, stubFetch, TEST_SECRET } from "./support/fakes.ts";

// The Hono app under Bun with a stubbed origin: exact header and routing rules, no wrangler needed.
const app = createApp();
let fetchStub: ReturnType<typeof stubFetch> | undefined;
let logs: ReturnType<typeof captureLogs>;
beforeAll(() => {
  logs = captureLogs();
});
afterAll(() => logs.restore());
afterEach(() => fetchStub?.restore());

function echoOrigin() {
  fetchStub = stubFetch(
    () =>
      new Response(JSON.stringify({ ok: true }), {
        status: 201,
        headers: { "content-type": "application/json", connection: "keep-alive", "keep-alive": "timeout=5", "x-origin": "core" },
      }),
  );
  return fetchStub;
}

describe("forwarding to the core", () => {
  test("keeps method, path, query, body and end-to-end headers; rewrites the forwarding headers", async () => {
    const { calls } = echoOrigin();
    const response = await app.request(
      "http://edge.test/v1/things/thg_1?expand=owner&limit=5",
      {
        method: "PUT",
        body: JSON.stringify({ name: "lamp" }),
        headers: {
          "content-type": "application/json",
          "x-request-id": "trace-abc.123",
          "x-forwarded-for": "6.6.6.6",
          "cf-connecting-ip": "203.0.113.7",
          connection: "x-private-hop",
          "x-private-hop": "1",
          te: "trailers",
          [EVENTS_SECRET_HEADER]: "client-guess",
          "accept-language": "fr",
        },
      },
      fakeEnv(),
    );

    expect(response.status).toBe(201);
    expect(response.headers.get("x-request-id")).toBe("trace-abc.123");
    expect(response.headers.get("x-origin")).toBe("core");
    expect(response.headers.get("keep-alive")).toBeNull();
    expect(calls).toHaveLength(1);
    const [call] = calls;
    if (call === undefined) throw new Error("the core was not called");
    expect(call.url).toBe("http://core.test:3000/v1/things/thg_1?expand=owner&limit=5");
    expect(call.method).toBe("PUT");
    expect(call.body).toBe('{"name":"lamp"}');
    expect(call.headers.get("content-type")).toBe("application/json");
    expect(call.headers.get("accept-language")).toBe("fr");
    expect(call.headers.get("x-request-id")).toBe("trace-abc.123");
    expect(call.headers.get("x-forwarded-for")).toBe("203.0.113.7");
    expect(call.headers.get("x-forwarded-host")).toBe("edge.test");
    expect(call.headers.get("x-forwarded-proto")).toBe("http");
    expect(call.headers.get("x-private-hop")).toBeNull();
    expect(call.headers.get("te")).toBeNull();
    expect(call.headers.get(EVENTS_SECRET_HEADER)).toBeNull();
  });

  test("client-sent geo headers never reach the core", async () => {
    const { calls } = echoOrigin();
    await app.request("/v1/me", { headers: { [GEO_COUNTRY_HEADER]: "XX", [GEO_CITY_HEADER]: "Atlantis" } }, fakeEnv());
    expect(calls[0]?.headers.get(GEO_COUNTRY_HEADER)).toBeNull();
    expect(calls[0]?.headers.get(GEO_CITY_HEADER)).toBeNull();
  });

  test("the core is told the request came through the edge by the shared secret, never by a client's copy", async () => {
    const { calls } = echoOrigin();
    const env = fakeEnv();
    await app.request("/v1/me", { headers: { "x-bazaar-edge-proof": "forged-by-a-client" } }, env);
    // derived from the secret, never the secret itself, and what the core computes from the same secret
    expect(calls[0]?.headers.get("x-bazaar-edge-proof")).toBe(await edgeProof(env.EVENTS_SECRET ?? ""));
    expect(calls[0]?.headers.get("x-bazaar-edge-proof")).toBe(edgeProofFor(env.EVENTS_SECRET) ?? "");
    expect(calls[0]?.headers.get("x-bazaar-edge-proof")).not.toBe(env.EVENTS_SECRET ?? "");
    const headers = originHeaders(new Headers({ "x-bazaar-edge-proof": "forged" }), "req_1", new URL("https://edge.test/v1/me"));
    expect(headers.get("x-bazaar-edge-proof")).toBeNull();
  });

  test("geo comes from request.cf only, replacing whatever the client sent", () => {
    const url = new URL("https://edge.test/v1/me");
    const spoofed = new Headers({ [GEO_COUNTRY_HEADER]: "AQ", [GEO_CITY_HEADER]: "Atlantis" });
    const headers = originHeaders(spoofed, "req_1", url, { country: "PT", city: "Lisbon" });
    expect([headers.get(GEO_COUNTRY_HEADER), headers.get(GEO_CITY_HEADER)]).toEqual(["PT", "Lisbon"]);
    const cityOnly = originHeaders(spoofed, "req_1", url, { city: "Lisbon" });
    expect([cityOnly.get(GEO_COUNTRY_HEADER), cityOnly.get(GEO_CITY_HEADER)]).toEqual([null, "Lisbon"]);
  });

  test("geo values are made safe for a header: odd countries dropped, non-ASCII cities percent-encoded", () => {
    expect(["PT", "XX", "T1", "pt", "", 42, undefined].map(geoCountry)).toEqual(["PT", undefined, undefined, undefined, undefined, undefined, undefined]);
    expect(geoCity("São Paulo")).toBe("S%C3%A3o Paulo");
    expect(decodeURIComponent(geoCity("Łódź 100%") ?? "")).toBe("Łódź 100%");
    expect(geoCity("Saint-Denis\r\nx-evil: 1")).toBe("Saint-Denis%0D%0Ax-evil: 1");
    expect([geoCity("  "), geoCity(7), geoCity("\ud800")]).toEqual([undefined, undefined, undefined]);
    // every result is a valid header value
    for (const city of ["São Paulo", "東京", "Zürich", "Ho Chi Minh City"]) new Headers({ [GEO_CITY_HEADER]: geoCity(city) ?? "" });
  });

  test("generates a req_ id when the caller sends none or an unusable one", async () => {
    const { calls } = echoOrigin();
    for (const sent of [undefined, "has spaces in it", "x".repeat(101)]) {
      const response = await app.request("/docs", { headers: sent === undefined ? {} : { "x-request-id": sent } }, fakeEnv());
      const id = response.headers.get("x-request-id");
      expect(id).toMatch(/^req_[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(calls.at(-1)?.headers.get("x-request-id")).toBe(id);
    }
  });

  test("forwards /.well-known/*, /docs and /docs/*; never /internal/*", async () => {
    const { calls } = echoOrigin();
    for (const path of ["/.well-known/jwks.json", "/docs", "/docs/json"]) expect((await app.request(path, {}, fakeEnv())).status).toBe(201);
    for (const path of ["/internal/events", "/internal", "/v1/../internal/events", "/metrics", "/ready"]) {
      const response = await app.request(path, { method: "POST" }, fakeEnv());
      expect(response.status).toBe(404);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
    }
    expect(calls.map((c) => new URL(c.url).pathname)).toEqual(["/.well-known/jwks.json", "/docs", "/docs/json"]);
  });

  test("an unreachable core is a 502 problem", async () => {
    fetchStub = stubFetch(() => {
      throw new TypeError("connection refused");
    });
    const response = await app.request("/v1/me", {}, fakeEnv());
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ code: "BAD_GATEWAY", requestId: response.headers.get("x-request-id") });
  });
});

describe("errors", () => {
  test("an invalid configuration is a generic 500; the cause is logged with the request id, never sent", async () => {
    const response = await app.request("/edge/health", {}, fakeEnv({ CORE_ORIGIN: "core:3000/api", EVENTS_SECRET: "short" }));
    expect(response.status).toBe(500);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ code: "INTERNAL", detail: "An unexpected error occurred" });
    expect(JSON.stringify(body)).not.toContain("EVENTS_SECRET");
    const logged = logs.lines.find((line) => line.msg === "unhandled error" && line.requestId === body.requestId);
    expect(String(logged?.cause)).toContain("CORE_ORIGIN");
    expect(String(logged?.cause)).toContain("EVENTS_SECRET");
  });

  test("unknown routes are 404 problems", async () => {
    const response = await app.request("/nope?x=1", {}, fakeEnv());
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: "NOT_FOUND", status: 404 });
  });
});

describe("dev event ingest", () => {
  const post = (body: string, headers: Record<string, string> = { [EVENTS_SECRET_HEADER]: TEST_SECRET }, env = fakeEnv()) =>
    app.request("/edge/dev/events", { method: "POST", body, headers: { "content-type": "application/json", ...headers } }, env);

  test("queues each envelope as its own JSON message", async () => {
    const env = fakeEnv();
    const events = [envelope(), envelope("user.logged_in")];
    const response = await post(JSON.stringify({ events }), undefined, env);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ queued: 2 });
    expect(env.EVENTS.sent).toEqual(events.map((body) => ({ body, contentType: "json" })));
  });

  test("a queue that refuses is a 503 the relay will retry", async () => {
    const env = fakeEnv();
    env.EVENTS.failWith = new Error("queue down");
    const response = await post(JSON.stringify({ events: [envelope()] }), undefined, env);
    expect(response.status).toBe(503);
  });

  test("an event over the 128 KB queue message limit is a 413 naming it", async () => {
    const big = envelope("user.registered", { blob: "x".repeat(130 * 1024) });
    const response = await post(JSON.stringify({ events: [envelope(), big] }));
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ code: "PAYLOAD_TOO_LARGE", errors: [{ path: "/events/1" }] });
  });

  test("malformed JSON is a 400", async () => {
    const response = await post("{nope");
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "MALFORMED_JSON" });
  });
});
