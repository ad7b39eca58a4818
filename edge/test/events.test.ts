import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { EVENTS_SECRET_HEADER } from "@bazaar/events/envelope";
import { type EdgeProcess, freePort, startEdge } from "../../scripts/lib/start-edge.ts";
import { EVENTS_SECRET, eventually, metric, type Stack, startStack } from "./support/stack.ts";

// Events through a real `wrangler dev`: the dev ingest endpoint, the local queue and its consumer.
let stack: Stack;
// a second edge with ingest switched off and an origin nobody listens on
let offline: EdgeProcess;
beforeAll(async () => {
  const deadOrigin = `http://127.0.0.1:${await freePort()}`;
  const started = await Promise.allSettled([
    startStack({ eventsTransport: "edge" }),
    startEdge({ coreOrigin: deadOrigin, vars: { EVENTS_SECRET, DEV_EVENTS_INGEST: "off", JWKS_CACHE_SECONDS: "300" } }),
  ]);
  if (started[0].status === "fulfilled") stack = started[0].value;
  if (started[1].status === "fulfilled") offline = started[1].value;
  for (const result of started) if (result.status === "rejected") throw result.reason;
}, 60_000);
afterAll(() => Promise.allSettled([stack?.stop(), offline?.stop()]), 20_000);

let counter = 0;
const envelope = (overrides: Record<string, unknown> = {}) => ({
  id: `evt_01JD4M3Z8Q5V7W9X1Y2Z3B${String(++counter).padStart(4, "0")}`,
  type: "edge_test.pinged",
  version: 1,
  occurredAt: new Date().toISOString(),
  payload: {},
  ...overrides,
});
const ingest = (url: string, body: string, headers: Record<string, string> = { [EVENTS_SECRET_HEADER]: EVENTS_SECRET }) =>
  fetch(`${url}/edge/dev/events`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

describe("POST /edge/dev/events", () => {
  test("is a 404 when DEV_EVENTS_INGEST is off, whatever the secret", async () => {
    const response = await ingest(offline.url, JSON.stringify({ events: [envelope()] }));
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: "NOT_FOUND" });
  });

  test.each([
    ["missing", {}],
    ["wrong", { [EVENTS_SECRET_HEADER]: "edge-test-events-secret-0123456780" }],
  ])("a %s secret is a 401", async (_, headers: Record<string, string>) => {
    const response = await ingest(stack.edge.url, JSON.stringify({ events: [envelope()] }), headers);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: "UNAUTHENTICATED" });
  });

  test("a bad batch is a 422 naming every bad field", async () => {
    const response = await ingest(stack.edge.url, JSON.stringify({ events: [envelope(), envelope({ id: "evt_nope", occurredAt: "yesterday", extra: 1 })] }));
    expect(response.status).toBe(422);
    const problem = (await response.json()) as { code: string; errors: { path: string }[] };
    expect(problem.code).toBe("VALIDATION_FAILED");
    expect(problem.errors.map((e) => e.path)).toEqual(expect.arrayContaining(["/events/1/id", "/events/1/occurredAt"]));

    const empty = await ingest(stack.edge.url, JSON.stringify({ events: [] }));
    expect(empty.status).toBe(422);
    expect(((await empty.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(["/events"]);
  });

  test("a body over the size cap is a 413", async () => {
    const response = await ingest(stack.edge.url, JSON.stringify({ events: [envelope({ payload: { blob: "x".repeat(300 * 1024) } })] }));
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
  });

  test("a valid batch is queued: 202 with the count", async () => {
    const response = await ingest(stack.edge.url, JSON.stringify({ events: [envelope(), envelope()] }));
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ queued: 2 });
  });
});

test("user.registered travels core outbox → edge ingest → local queue → consumer → core /internal/events", async () => {
  const registered = await fetch(`${stack.edge.url}/v1/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: `grace.${Date.now()}@example.com`, password: "correct horse battery", name: "Grace Hopper" }),
  });
  expect(registered.status).toBe(201);
  const delivered = () => metric(stack.core.url, "bazaar_http_requests_total", { route: "/internal/events", status: "200" });
  const consumed = () => metric(stack.core.url, "bazaar_events_consumed_total", { type: "user.registered" });
  // the edge logs "events delivered" after the core has answered, so that line is waited for too
  const loggedDelivery = () => /"msg":"events delivered".*"type":"user\.registered"/.test(stack.edge.logs());
  const arrived = await eventually(async () => (await delivered()) >= 1 && (await consumed()) >= 1 && loggedDelivery(), 10_000);
  if (!arrived) {
    const edgeEvents = stack.edge
      .logs()
      .split("\n")
      .filter((line) => line.includes('"msg":"event'));
    throw new Error(
      `user.registered not consumed within 10 s (core /internal/events 200s: ${await delivered()}, consumed: ${await consumed()})` +
        `\n--- edge ---\n${edgeEvents.join("\n")}\n--- core ---\n${stack.core.logs().slice(-4_000)}`,
    );
  }
  expect(loggedDelivery()).toBe(true);
}, 15_000);

test("an unreachable core is a 502 problem", async () => {
  const response = await fetch(`${offline.url}/v1/me`);
  expect(response.status).toBe(502);
  expect(await response.json()).toMatchObject({ code: "BAD_GATEWAY", requestId: response.headers.get("x-request-id") ?? "" });
});
