import { afterEach, describe, expect, test } from "bun:test";
import SwaggerParser from "@apidevtools/swagger-parser";
import type { Problem } from "@bazaar/contracts";
import { createEvent, outboxInsert, userRegistered } from "@bazaar/events";
import { createHarness, type Harness, TEST_EVENTS_SECRET } from "../testing/harness.ts";

let h: Harness;
afterEach(() => h.destroy());

describe("probes", () => {
  test("/health and /ready answer on a migrated database", async () => {
    h = await createHarness();
    expect(await (await h.request("GET", "/health")).json()).toEqual({ status: "ok" });
    const ready = await h.request("GET", "/ready");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", checks: { database: "ok", migrations: "ok" }, draining: false });
  });

  test("on an unmigrated database the core refuses to serve and /ready says why; after migrating it serves", async () => {
    h = await createHarness({}, { migrate: false });
    const ready = await h.request("GET", "/ready");
    expect(ready.status).toBe(503);
    const report = (await ready.json()) as { status: string; checks: { migrations: string } };
    expect(report.status).toBe("not_ready");
    expect(report.checks.migrations).toMatch(/pending migration.*0000_init.*db:migrate/);
    const refused = await h.request("POST", "/v1/auth/login", { body: { email: "a@b.co", password: "whatever-long" } });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as Problem).detail).toContain("pending migration");
    expect((await h.request("GET", "/health")).status).toBe(200);

    const { migrateDatabase } = await import("@bazaar/db");
    await migrateDatabase(h.database);
    await Bun.sleep(1_050); // a failed check is repeated at most once a second
    expect((await h.request("GET", "/ready")).status).toBe(200);
    expect((await h.request("POST", "/v1/auth/login", { body: { email: "a@b.co", password: "whatever-long" } })).status).toBe(401);
  });
});

describe("draining", () => {
  test("once shutdown begins /ready answers 503 (so traffic moves away) while requests are still served", async () => {
    h = await createHarness();
    h.deps.readiness.draining = true;
    const ready = await h.request("GET", "/ready");
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: "not_ready", draining: true });
    expect((await h.request("GET", "/health")).status).toBe(200);
  });
});

describe("request ids and logs", () => {
  test("every response carries a request id: ours when none (or a hostile one) is sent, the caller's when sane", async () => {
    h = await createHarness();
    const generated = await h.request("GET", "/health");
    expect(generated.headers.get("x-request-id")).toMatch(/^req_[0-9A-Z]{26}$/);
    const passed = await h.request("GET", "/health", { headers: { "x-request-id": "req_from-the-edge-123" } });
    expect(passed.headers.get("x-request-id")).toBe("req_from-the-edge-123");
    const hostile = await h.request("GET", "/health", { headers: { "x-request-id": 'x"} {"level":"forged' } });
    expect(hostile.headers.get("x-request-id")).toMatch(/^req_[0-9A-Z]{26}$/);
    const failed = await h.request("POST", "/v1/auth/login", {
      rawBody: "{",
      headers: { "content-type": "application/json", "x-request-id": "req_broken-body-0001" },
    });
    expect(((await failed.json()) as Problem).requestId).toBe("req_broken-body-0001");
  });
});

describe("/metrics", () => {
  test("counts requests by route and status, and reports the outbox backlog", async () => {
    h = await createHarness();
    await h.request("GET", "/health");
    await h.request("GET", "/v1/me");
    await h.register();
    await Bun.sleep(20); // request metrics are recorded after the response is sent
    const text = await (await h.request("GET", "/metrics")).text();
    expect(text).toContain('bazaar_http_requests_total{method="GET",route="/health",status="200"} 1');
    expect(text).toContain('bazaar_http_requests_total{method="GET",route="/v1/me",status="401"} 1');
    expect(text).toContain('bazaar_http_request_duration_seconds_count{method="POST",route="/v1/auth/register"} 1');
    expect(text).toMatch(/bazaar_outbox_pending 1\n/);
    expect(text).toMatch(/bazaar_events_dead_letters 0\n/);
  });

  test("refusals count with their real status, including ones made before routing", async () => {
    h = await createHarness();
    await h.request("GET", "/no-such-route");
    await h.request("POST", "/v1/auth/login", { rawBody: "x=1", headers: { "content-type": "text/plain" } });
    await h.request("POST", "/internal/events", { body: {} });
    await Bun.sleep(20);
    const text = await (await h.request("GET", "/metrics")).text();
    expect(text).toContain('bazaar_http_requests_total{method="GET",route="unmatched",status="404"} 1');
    expect(text).toMatch(/bazaar_http_requests_total\{method="POST",route="[^"]*",status="415"\} 1/);
    expect(text).toMatch(/bazaar_http_requests_total\{method="POST",route="[^"]*",status="401"\} 1/);
    expect(text).toMatch(/bazaar_events_dead_letters 0\n/);
  });
});

const event = (h: Harness) =>
  createEvent(userRegistered, { userId: "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", email: "a@b.co", name: "A" }, { ids: h.deps.ids, now: h.clock.now });

describe("/internal/events", () => {
  test("needs the events secret", async () => {
    h = await createHarness();
    const body = { events: [event(h)] };
    expect((await h.request("POST", "/internal/events", { body })).status).toBe(401);
    expect((await h.request("POST", "/internal/events", { body, headers: { "x-bazaar-events-secret": "wrong-secret-wrong-secret" } })).status).toBe(401);
  });

  test("dispatches to local subscribers exactly once per event, however often it arrives", async () => {
    h = await createHarness();
    const seen: string[] = [];
    h.deps.bus.subscribe("test.audit", userRegistered, async (payload) => {
      seen.push(payload.userId);
      return undefined;
    });
    const body = { events: [event(h)] };
    const headers = { "x-bazaar-events-secret": TEST_EVENTS_SECRET };
    // our test subscriber, the accounts security log and the verification mailer
    expect(await (await h.request("POST", "/internal/events", { body, headers })).json()).toEqual({ handled: 3, skipped: 0 });
    expect(await (await h.request("POST", "/internal/events", { body, headers })).json()).toEqual({ handled: 0, skipped: 3 });
    expect(seen).toHaveLength(1);
    expect(await (await h.request("GET", "/metrics")).text()).toContain('bazaar_events_consumed_total{type="user.registered",outcome="handled"} 3');
  });

  test("a malformed batch → 422 naming the field", async () => {
    h = await createHarness();
    const response = await h.request("POST", "/internal/events", {
      body: { events: [{ id: "nope", type: "x" }] },
      headers: { "x-bazaar-events-secret": TEST_EVENTS_SECRET },
    });
    expect(response.status).toBe(422);
    expect(((await response.json()) as Problem).errors?.[0]?.path).toStartWith("/events/0");
  });

  test("is disabled without EVENTS_SECRET", async () => {
    h = await createHarness({ EVENTS_SECRET: "" });
    expect((await h.request("POST", "/internal/events", { body: { events: [event(h)] }, headers: { "x-bazaar-events-secret": "" } })).status).toBe(404);
  });
});

describe("in-process delivery", () => {
  test("the relay delivers what a request wrote to the outbox", async () => {
    h = await createHarness();
    const seen: string[] = [];
    h.deps.bus.subscribe("test.welcome", userRegistered, async (payload) => {
      seen.push(payload.email);
      return undefined;
    });
    await h.register({ email: "welcome@example.com" });
    await h.deliverEvents();
    expect(seen).toEqual(["welcome@example.com"]);
    await h.database.batch([outboxInsert(h.database.db, event(h))]);
    await h.deliverEvents();
    expect(seen).toHaveLength(2);
  });
});

describe("OpenAPI", () => {
  test("/docs/json is a valid OpenAPI 3 document; every operation has an id, tags, request and response schemas with examples", async () => {
    h = await createHarness();
    const document = (await (await h.request("GET", "/docs/json")).json()) as {
      openapi: string;
      paths: Record<string, Record<string, OperationObject>>;
    };
    expect(document.openapi).toStartWith("3.");
    await SwaggerParser.validate(structuredClone(document) as never);

    // every route the app serves is documented (under its OpenAPI path), and nothing else is
    const served = h.app.routes
      .filter((route) => !route.path.startsWith("/docs") && route.method !== "OPTIONS")
      .map((route) => `${route.method.toLowerCase()} ${route.path.replace(/:(\w+)/g, "{$1}")}`);
    const documented = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`));
    expect(documented.sort()).toEqual([...new Set(served)].sort());
    for (const core of [
      "get /health",
      "get /ready",
      "get /metrics",
      "post /internal/events",
      "get /.well-known/jwks.json",
      "post /v1/auth/login",
      "get /v1/me",
    ]) {
      expect(documented).toContain(core);
    }
    const operationIds = new Set<string>();
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(operation.operationId, where).toBeString();
        expect(operationIds.has(operation.operationId ?? ""), `${where} reuses an operationId`).toBe(false);
        operationIds.add(operation.operationId ?? "");
        expect(operation.tags?.length, where).toBeGreaterThan(0);
        if (operation.requestBody) {
          const content = Object.entries(operation.requestBody.content ?? {});
          expect(content.length, `${where} request schema`).toBeGreaterThan(0);
          for (const [mediaType, { schema }] of content) {
            expect(schema, `${where} ${mediaType} request schema`).toBeDefined();
            // raw uploads (an avatar) are described as binary; there is no example to give
            if (schema?.format !== "binary") expect(schema?.example, `${where} ${mediaType} request example`).toBeDefined();
          }
        }
        const success = Object.entries(operation.responses ?? {}).filter(([status]) => status.startsWith("2") && status !== "204");
        for (const [status, response] of success) {
          const images = Object.entries(response.content ?? {}).filter(([mediaType]) => mediaType.startsWith("image/"));
          for (const [mediaType, { schema }] of images) expect(schema?.format, `${where} ${status} ${mediaType}`).toBe("binary");
          if (images.length) continue;
          const schema = response.content?.["application/json"]?.schema ?? response.content?.["text/plain"]?.schema ?? response.content?.["text/csv"]?.schema;
          expect(schema, `${where} ${status} schema`).toBeDefined();
          expect(schema?.example, `${where} ${status} example`).toBeDefined();
        }
      }
    }
  });

  test("/docs serves Swagger UI", async () => {
    h = await createHarness();
    const page = await h.request("GET", "/docs");
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("swagger-ui");
  });
});

interface OperationObject {
  operationId?: string;
  tags?: string[];
  requestBody?: { content?: Record<string, { schema?: { example?: unknown; format?: string } }> };
  responses?: Record<string, { content?: Record<string, { schema?: { example?: unknown; format?: string } }> }>;
}

describe("/internal/events ordering", () => {
  test("an unauthenticated caller learns nothing about the body's shape: 401 before validation", async () => {
    h = await createHarness();
    const response = await h.request("POST", "/internal/events", { body: {} });
    expect(response.status).toBe(401);
  });
});

describe("SERVICES", () => {
  test("a process started with SERVICES=none serves the platform routes but no service's", async () => {
    h = await createHarness({ SERVICES: "none" });
    expect((await h.request("GET", "/health")).status).toBe(200);
    expect((await h.request("GET", "/ready")).status).toBe(200);
    expect((await h.request("POST", "/v1/auth/login", { body: { email: "a@b.co", password: "whatever-long" } })).status).toBe(404);
    const document = (await (await h.request("GET", "/docs/json")).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths).some((p) => p.startsWith("/v1/"))).toBe(false);
  });
});

describe("development mailbox", () => {
  test("in development it lists what was mailed, filtered by recipient; in any other environment it does not exist", async () => {
    h = await createHarness({ BAZAAR_ENV: "development" });
    await h.register({ email: "dev-mail@example.com" });
    await h.register({ email: "other-mail@example.com" });
    await h.deliverEvents();
    const listed = (await (await h.request("GET", "/dev/mailbox?to=DEV-MAIL@example.com")).json()) as { messages: { to: string; subject: string }[] };
    expect(listed.messages.map((m) => [m.to, m.subject])).toEqual([["dev-mail@example.com", "Confirm your email address"]]);
    expect((await h.request("GET", "/dev/mailbox?limit=0")).status).toBe(422);
    await h.destroy();

    h = await createHarness({ BAZAAR_ENV: "test" });
    expect((await h.request("GET", "/dev/mailbox")).status).toBe(404);
    await h.destroy();
    // development by default, but listening on a public address: a production box that forgot BAZAAR_ENV
    h = await createHarness({ BAZAAR_ENV: "development", HOST: "0.0.0.0" });
    expect((await h.request("GET", "/dev/mailbox")).status).toBe(404);
  });
});
