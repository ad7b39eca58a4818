import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { AttributeView, BrandView, CategoryView, Problem, TokenPair } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import { createHarness, type Harness } from "../../testing/harness.ts";

let h: Harness;
let admin: TokenPair;
let electronics: CategoryView;
let phones: CategoryView;
let colour: AttributeView;
let acme: BrandView;
beforeEach(async () => {
  h = await createHarness();
  admin = await h.register({ email: "catalog-admin@example.com" });
  await h.grantRole(admin.user.id, "admin");
  electronics = await json<CategoryView>(await asAdmin("POST", "/v1/admin/categories", { name: "Electronics" }));
  phones = await json<CategoryView>(await asAdmin("POST", "/v1/admin/categories", { name: "Phones", parentId: electronics.id }));
  colour = await json<AttributeView>(
    await asAdmin("POST", `/v1/admin/categories/${phones.id}/attributes`, { key: "colour", label: "Colour", type: "enum", options: ["black"] }),
  );
  acme = await json<BrandView>(await asAdmin("POST", "/v1/admin/brands", { name: "Acme" }));
});
afterEach(() => h.destroy());

const json = async <T>(response: Response) => (await response.json()) as T;
const asAdmin = (method: string, path: string, body?: unknown) => h.request(method, path, { token: admin.accessToken, body });
const problem = async (response: Response, status: number, context = "") => {
  expect(response.status, context).toBe(status);
  expect(response.headers.get("content-type"), context).toBe("application/problem+json");
  return json<Problem>(response);
};
const fieldsOf = (p: Problem) => (p.errors ?? []).map((e) => e.path);
/** Everything this part stores, to prove a refused request wrote nothing. */
const everything = async () => ({
  categories: await h.database.db.select().from(schema.category).orderBy(schema.category.id),
  attributes: await h.database.db.select().from(schema.categoryAttribute).orderBy(schema.categoryAttribute.id),
  brands: await h.database.db.select().from(schema.brand).orderBy(schema.brand.id),
});

/** Every admin route, with a body it would accept from an admin. */
const adminRoutes = (): [string, string, unknown?][] => [
  ["POST", "/v1/admin/categories", { name: "Garden" }],
  ["PATCH", `/v1/admin/categories/${phones.id}`, { name: "Mobiles" }],
  ["POST", `/v1/admin/categories/${phones.id}/move`, { parentId: null }],
  ["DELETE", `/v1/admin/categories/${phones.id}`],
  ["GET", `/v1/admin/categories/${phones.id}/attributes`],
  ["POST", `/v1/admin/categories/${phones.id}/attributes`, { key: "dual_sim", label: "Dual SIM", type: "boolean" }],
  ["PATCH", `/v1/admin/categories/${phones.id}/attributes/${colour.id}`, { label: "Color" }],
  ["DELETE", `/v1/admin/categories/${phones.id}/attributes/${colour.id}`],
  ["POST", "/v1/admin/brands", { name: "Globex" }],
  ["PATCH", `/v1/admin/brands/${acme.id}`, { name: "Acme Corp" }],
  ["DELETE", `/v1/admin/brands/${acme.id}`],
];

describe("who may call", () => {
  test("buyers, sellers and support staff get 403 on every admin route, and nothing changes", async () => {
    const buyer = await h.register();
    const seller = await h.register();
    await h.grantRole(seller.user.id, "seller");
    const support = await h.register();
    await h.grantRole(support.user.id, "support");
    const before = await everything();
    for (const [who, token] of [
      ["buyer", buyer.accessToken],
      ["seller", seller.accessToken],
      ["support", support.accessToken],
    ]) {
      for (const [method, path, body] of adminRoutes()) {
        const refused = await problem(await h.request(method, path, { token, body }), 403, `${who} ${method} ${path}`);
        expect(refused.code).toBe("FORBIDDEN");
      }
    }
    expect(await everything()).toEqual(before);
  });

  test("no token, or a token that is not ours, is 401 on every admin route", async () => {
    for (const [method, path, body] of adminRoutes()) {
      expect((await problem(await h.request(method, path, { body }), 401, `${method} ${path}`)).code).toBe("UNAUTHENTICATED");
      expect((await h.request(method, path, { body, token: "not.a.token" })).status, `${method} ${path}`).toBe(401);
    }
  });

  test("a suspended admin is refused at once", async () => {
    const other = await h.register();
    await h.grantRole(other.user.id, "admin");
    await h.request("PUT", `/v1/admin/users/${other.user.id}/status`, { token: admin.accessToken, body: { status: "suspended", reason: "Testing" } });
    // suspension ends the sessions (401); were one still live, the account check would say 403
    expect([401, 403]).toContain((await h.request("POST", "/v1/admin/brands", { token: other.accessToken, body: { name: "Initech" } })).status);
    expect((await json<{ items: unknown[] }>(await h.request("GET", "/v1/brands?q=init"))).items).toEqual([]);
  });

  test("the public reads need no token", async () => {
    for (const path of ["/v1/categories", "/v1/categories/phones", "/v1/brands"]) expect((await h.request("GET", path)).status, path).toBe(200);
  });
});

describe("malformed and hostile input is a 4xx naming the field, and writes nothing", () => {
  test("category bodies", async () => {
    const before = await everything();
    const cases: [unknown, string][] = [
      [{}, "/name"],
      [{ name: "" }, "/name"],
      [{ name: "   " }, "/name"],
      [{ name: "Ada\u0000Phones" }, "/name"],
      [{ name: "Two\nlines" }, "/name"],
      [{ name: "x".repeat(121) }, "/name"],
      [{ name: 42 }, "/name"],
      [{ name: "Ok", slug: "<script>" }, "/slug"],
      [{ name: "Ok", slug: "phones%" }, "/slug"],
      [{ name: "Ok", slug: "a*" }, "/slug"],
      [{ name: "Ok", parentId: "'; DROP TABLE category; --" }, "/parentId"],
      [{ name: "Ok", parentId: "prd_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C" }, "/parentId"],
      [{ name: "Ok", parentId: { $ne: null } }, "/parentId"],
      [{ name: "Ok", sortOrder: 1.5 }, "/sortOrder"],
      [{ name: "Ok", sortOrder: 1e12 }, "/sortOrder"],
      [{ name: "Ok", sortOrder: "1" }, "/sortOrder"],
      [{ name: "Ok", commissionBps: 10_001 }, "/commissionBps"],
      [{ name: "Ok", commissionBps: -1 }, "/commissionBps"],
      [{ name: "Ok", commissionBps: 12.5 }, "/commissionBps"],
      [{ name: "Ok", isAdmin: true }, "/isAdmin"],
      [{ name: "Ok", path: "/hacked/" }, "/path"],
      [{ name: "Ok", depth: 0 }, "/depth"],
    ];
    for (const [body, field] of cases) {
      const refused = await problem(await asAdmin("POST", "/v1/admin/categories", body), 422, JSON.stringify(body));
      expect(fieldsOf(refused), JSON.stringify(body)).toContain(field);
    }
    for (const [body, field] of [
      [{ slug: "UPPER" }, "/slug"],
      [{ parentId: electronics.id }, "/parentId"],
      [{ path: "/x/" }, "/path"],
    ] as [unknown, string][]) {
      expect(fieldsOf(await problem(await asAdmin("PATCH", `/v1/admin/categories/${phones.id}`, body), 422)), JSON.stringify(body)).toContain(field);
    }
    for (const [body, field] of [
      [{}, "/parentId"],
      [{ parentId: "electronics" }, "/parentId"],
      [{ parentId: null, sortOrder: "first" }, "/sortOrder"],
      [{ parentId: null, depth: 1 }, "/depth"],
    ] as [unknown, string][]) {
      expect(fieldsOf(await problem(await asAdmin("POST", `/v1/admin/categories/${phones.id}/move`, body), 422)), JSON.stringify(body)).toContain(field);
    }
    expect(await everything()).toEqual(before);
  });

  test("attribute and brand bodies", async () => {
    const before = await everything();
    const attributes = `/v1/admin/categories/${electronics.id}/attributes`;
    for (const [body, field] of [
      [{ key: "Screen Size", label: "Screen", type: "number" }, "/key"],
      [{ key: "1st", label: "First", type: "text" }, "/key"],
      [{ key: "k".repeat(65), label: "K", type: "text" }, "/key"],
      [{ key: "ok", label: "\u0007bell", type: "text" }, "/label"],
      [{ key: "ok", label: "Ok", type: "date" }, "/type"],
      [{ key: "ok", label: "Ok", type: "enum", options: "red,green" }, "/options"],
      [{ key: "ok", label: "Ok", type: "enum", options: [1, 2] }, "/options/0"],
      [{ key: "ok", label: "Ok", type: "enum", options: Array.from({ length: 201 }, (_, i) => `v${i}`) }, "/options"],
      [{ key: "ok", label: "Ok", type: "enum", options: ["a\u0000b"] }, "/options/0"],
      [{ key: "ok", label: "Ok", type: "number", unit: "x".repeat(21) }, "/unit"],
      [{ key: "ok", label: "Ok", type: "boolean", filterable: "yes" }, "/filterable"],
      [{ key: "ok", label: "Ok", type: "text", categoryId: phones.id }, "/categoryId"],
    ] as [unknown, string][]) {
      expect(fieldsOf(await problem(await asAdmin("POST", attributes, body), 422, JSON.stringify(body))), JSON.stringify(body)).toContain(field);
    }
    const colourPath = `/v1/admin/categories/${phones.id}/attributes/${colour.id}`;
    expect(fieldsOf(await problem(await asAdmin("PATCH", colourPath, { options: [] }), 422))).toContain("/options");
    expect(fieldsOf(await problem(await asAdmin("PATCH", colourPath, { sortOrder: null }), 422))).toContain("/sortOrder");

    for (const [body, field] of [
      [{}, "/name"],
      [{ name: "x".repeat(121) }, "/name"],
      [{ name: "Acme\u0000Evil" }, "/name"],
      [{ name: "Ok", slug: "Ok" }, "/slug"],
      [{ name: "Ok", id: "brd_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C" }, "/id"],
    ] as [unknown, string][]) {
      expect(fieldsOf(await problem(await asAdmin("POST", "/v1/admin/brands", body), 422)), JSON.stringify(body)).toContain(field);
    }
    expect(await everything()).toEqual(before);
  });

  test("ids, slugs and query parameters in the URL", async () => {
    for (const [method, path, field] of [
      ["PATCH", "/v1/admin/categories/electronics", "/id"],
      ["POST", "/v1/admin/categories/1%20OR%201=1/move", "/id"],
      ["DELETE", `/v1/admin/categories/${phones.id}/attributes/colour`, "/attributeId"],
      ["DELETE", `/v1/admin/brands/${electronics.id}`, "/id"],
      ["GET", "/v1/categories/Phones", "/slug"],
      ["GET", "/v1/categories/phones%27%20OR%201=1", "/slug"],
      ["GET", `/v1/categories/${"a".repeat(81)}`, "/slug"],
      ["GET", "/v1/brands?limit=0", "/limit"],
      ["GET", "/v1/brands?limit=101", "/limit"],
      ["GET", "/v1/brands?limit=1e2", "/limit"],
      ["GET", "/v1/brands?q=", "/q"],
      ["GET", "/v1/brands?q=a%00b", "/q"],
      ["GET", `/v1/brands?q=${"a".repeat(121)}`, "/q"],
      ["GET", "/v1/brands?sort=name", "/sort"],
    ] as [string, string, string][]) {
      const body = method === "PATCH" ? { name: "x" } : method === "POST" ? { parentId: null } : undefined;
      const refused = await problem(await asAdmin(method, path, body), 422, `${method} ${path}`);
      expect(fieldsOf(refused), `${method} ${path}`).toContain(field);
    }
    for (const cursor of ["garbage", btoa('{"n":1,"id":2}'), btoa("[1,2]"), "x".repeat(600)]) {
      const refused = await h.request("GET", `/v1/brands?cursor=${encodeURIComponent(cursor)}`);
      expect(refused.status, cursor).toBeGreaterThanOrEqual(400);
      expect(refused.status, cursor).toBeLessThan(500);
      expect(fieldsOf(await json<Problem>(refused)), cursor).toEqual(["/cursor"]);
    }
  });

  test("bodies that are not JSON objects", async () => {
    const before = await everything();
    const raw = (rawBody: string, contentType = "application/json") =>
      h.request("POST", "/v1/admin/categories", { token: admin.accessToken, rawBody, headers: { "content-type": contentType } });
    expect((await problem(await raw("{not json"), 400)).code).toBe("MALFORMED_JSON");
    expect((await problem(await raw("name=Garden", "application/x-www-form-urlencoded"), 415)).code).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect((await raw('["Garden"]')).status).toBe(422);
    expect((await raw("null")).status).toBeGreaterThanOrEqual(400);
    expect((await raw(`${"[".repeat(1000)}${"]".repeat(1000)}`)).status).toBe(422);
    const polluted = await raw('{"name":"Garden","__proto__":{"isAdmin":true}}');
    expect(polluted.status).toBe(422);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(await everything()).toEqual(before);
  });
});
