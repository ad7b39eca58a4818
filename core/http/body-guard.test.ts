import { expect, test } from "bun:test";
import { Elysia } from "elysia";
import { bodyGuard } from "./body-guard.ts";

const upload = { method: "PUT", path: /^\/files$/, types: ["image/png"], maxBytes: 100 };
const app = new Elysia()
  .onError(({ error }) => new Response((error as Error).message, { status: (error as { status?: number }).status ?? 500 }))
  .use(bodyGuard(50, [upload]))
  .put("/files", () => "stored")
  .post("/json", () => "ok");
const send = (method: string, path: string, body: string, type: string) =>
  app.handle(new Request(`http://localhost${path}`, { method, body, headers: { "content-type": type, "content-length": String(body.length) } }));

test("JSON routes take only application/json, up to the JSON limit", async () => {
  expect((await send("POST", "/json", "{}", "application/json")).status).toBe(200);
  expect((await send("POST", "/json", "{}", "image/png")).status).toBe(415);
  expect((await send("POST", "/json", JSON.stringify({ x: "y".repeat(60) }), "application/json")).status).toBe(413);
});

test("an upload route takes its own types, up to its own limit, and nothing else does", async () => {
  expect((await send("PUT", "/files", "x".repeat(80), "image/png")).status).toBe(200);
  expect((await send("PUT", "/files", "x".repeat(80), "image/PNG; charset=binary")).status).toBe(200);
  expect((await send("PUT", "/files", "x".repeat(101), "image/png")).status).toBe(413);
  expect((await send("PUT", "/files", "{}", "application/json")).status).toBe(415);
  expect((await send("PUT", "/files", "<svg/>", "image/svg+xml")).status).toBe(415);
  // the same path with another method is not an upload
  expect((await send("POST", "/files", "x", "image/png")).status).toBe(415);
});
