import { expect, test } from "bun:test";
import { Elysia } from "elysia";
import { bodyGuard, nestingDepth } from "./body-guard.ts";

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

test("nesting depth is counted without parsing; brackets inside strings do not count", () => {
  expect(nestingDepth('{"a":[1,{"b":2}]}')).toBe(3);
  expect(nestingDepth('{"a":"[[[[[[{{{{"}')).toBe(1);
  expect(nestingDepth('{"a":"\\\\"}')).toBe(1);
  expect(nestingDepth('"plain"')).toBe(0);
});

test("a JSON body nested past the limit is a 422 before it is parsed, even 100,000 deep; malformed JSON is a 400", async () => {
  const jsonApp = new Elysia()
    .onError(({ error, code }) => new Response((error as Error).message, { status: (error as { status?: number }).status ?? (code === "PARSE" ? 400 : 500) }))
    .use(bodyGuard(10_000_000, []))
    .post("/json", ({ body }) => JSON.stringify(body));
  const post = (body: string) =>
    jsonApp.handle(
      new Request("http://localhost/json", { method: "POST", body, headers: { "content-type": "application/json", "content-length": String(body.length) } }),
    );
  const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
  const refused = await post(`{"a":${deep}}`);
  expect(refused.status).toBe(422);
  expect(await refused.text()).toContain("nested more than 32 levels");
  expect((await post(`${"[".repeat(32)}${"]".repeat(32)}`)).status).toBe(200);
  expect((await post('{"a": 1,')).status).toBe(400);
  expect(await (await post('{"a":[1,{"b":"x"}]}')).text()).toBe('{"a":[1,{"b":"x"}]}');
});
