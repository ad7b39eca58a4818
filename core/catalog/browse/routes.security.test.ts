import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Problem, PublicProductPage } from "@bazaar/contracts";
import { createHarness, type Harness } from "../../testing/harness.ts";
import { catalogFixtures } from "./test-fixtures.ts";

// The public read API has no roles: what matters is that it shows the same public data to everyone, never
// more to a signed-in caller or an owner, and that no query string reaches the database as anything but a value.
let h: Harness;
let sellerToken: string;
let activeId: string;
let draftId: string;
const count = async (table: string) => Number((await h.database.client.execute(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n);

beforeAll(async () => {
  h = await createHarness();
  const f = catalogFixtures(h.database, () => h.clock.now);
  const seller = await h.register({ name: "Owner Seller" });
  await h.grantRole(seller.user.id, "seller");
  sellerToken = seller.accessToken;
  const phones = await f.category("phones", { name: "Phones" });
  await f.attribute(phones, { key: "colour", type: "text", label: "Colour" });
  const acme = await f.brand("acme", "Acme");
  activeId = (
    await f.product({
      sellerId: seller.user.id,
      categoryId: phones,
      brandId: acme,
      slug: "owned-phone",
      description: "secret-free description",
      variants: [{ price: 1000, stock: [{ onHand: 7, reserved: 2, threshold: 1 }] }],
      attributes: { colour: "black" },
    })
  ).id;
  draftId = (await f.product({ sellerId: seller.user.id, categoryId: phones, slug: "owned-draft", status: "draft" })).id;
});
afterAll(() => h.destroy());

const get = (path: string, token?: string) => h.request("GET", path, token ? { token } : {});

describe("the same public answer for everyone", () => {
  test("a signed-in caller gets exactly what an anonymous one gets (same body, same ETag)", async () => {
    for (const path of ["/v1/products?category=phones", `/v1/products/${activeId}`]) {
      const anonymous = await get(path);
      const signedIn = await get(path, sellerToken);
      expect(signedIn.status).toBe(200);
      expect(await signedIn.text()).toBe(await anonymous.text());
      expect(signedIn.headers.get("etag")).toBe(anonymous.headers.get("etag"));
    }
  });

  test("the owner cannot see their own draft here either: 404, like anyone", async () => {
    expect((await get(`/v1/products/${draftId}`, sellerToken)).status).toBe(404);
    expect((await get("/v1/products/owned-draft", sellerToken)).status).toBe(404);
    const list = (await (await get("/v1/products", sellerToken)).json()) as PublicProductPage;
    expect(list.items.map((i) => i.id)).toEqual([activeId]);
  });

  test("nothing private leaks: no stock counts, seller email, status, version or raw Markdown", async () => {
    const text = await (await get(`/v1/products/${activeId}`)).text();
    for (const secret of ["onHand", "reserved", "threshold", "@example.com", '"status"', '"version"', '"description"', "sellerId"]) {
      expect(text).not.toContain(secret);
    }
    expect(JSON.parse(text)).toMatchObject({ seller: { name: "Owner Seller" }, variants: [{ stock: "in_stock" }] });
  });
});

describe("hostile query strings", () => {
  const HOSTILE = [
    "' OR '1'='1",
    "1; DROP TABLE product; --",
    '"); DELETE FROM product; --',
    "<script>alert(1)</script>",
    "%' OR 1=1 --",
    "*",
    "\u0000",
    "café ☕ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "x".repeat(10_000),
  ];

  test("in every value: a 4xx naming the parameter or a plain empty result, never a 500, and nothing changes", async () => {
    const before = await count("product");
    for (const value of HOSTILE) {
      const v = encodeURIComponent(value);
      for (const query of [
        `category=${v}`,
        `brand=${v}`,
        `seller=${v}`,
        `sort=${v}`,
        `limit=${v}`,
        `price_max=${v}`,
        `cursor=${v}`,
        `in_stock=${v}`,
        `attr.colour=${v}`,
      ]) {
        const response = await get(`/v1/products?${query}`);
        const parameter = query.slice(0, query.indexOf("="));
        if (response.status === 200) {
          // only a text attribute may hold any string: it matches nothing
          expect(parameter, value.slice(0, 20)).toBe("attr.colour");
          expect(((await response.json()) as PublicProductPage).items).toEqual([]);
          continue;
        }
        expect(response.status, `${query.slice(0, 60)}`).toBe(422);
        const problem = (await response.json()) as Problem;
        expect(problem.errors?.map((e) => e.path)).toEqual([`/${parameter}`]);
      }
    }
    expect(await count("product")).toBe(before);
  });

  test("in attribute keys: refused by name before any lookup, with the name escaped as a JSON pointer", async () => {
    const keys = ["colour) OR 1=1 --", "colour' OR '1'='1", 'x"];DROP TABLE product;--', "COLOUR", "a b", "a/b~c", "../../etc", "colour\u0000"];
    for (const key of keys) {
      const response = await get(`/v1/products?${encodeURIComponent(`attr.${key}`)}=black`);
      expect(response.status, key).toBe(422);
      const problem = (await response.json()) as Problem;
      expect(problem.errors?.map((e) => e.path)).toEqual([`/attr.${key.replaceAll("~", "~0").replaceAll("/", "~1")}`]);
    }
    expect(await count("product")).toBeGreaterThan(0);
  });

  test("a parameter name thousands of characters long is named, cut short", async () => {
    const response = await get(`/v1/products?attr.${"a".repeat(5000)}=1`);
    expect(response.status).toBe(422);
    const [error] = ((await response.json()) as Problem).errors ?? [];
    expect(error?.path).toStartWith("/attr.aaaa");
    expect(error?.path.length).toBeLessThan(100);
  });

  test("too many parameters are refused before any is read", async () => {
    const query = Array.from({ length: 41 }, (_, i) => `brand=b${i}`).join("&");
    const response = await get(`/v1/products?${query}`);
    expect(response.status).toBe(422);
  });

  test("in the product page's id or slug: 404, or 422 when too long; never a 500", async () => {
    for (const key of ["' OR '1'='1", "owned-phone' --", "%2e%2e%2f%2e%2e%2fetc", "prd_' OR 1=1", "%00", "*", encodeURIComponent("<script>")]) {
      const response = await get(`/v1/products/${key}`);
      expect(response.status, key).toBe(404);
    }
    expect((await get(`/v1/products/${"x".repeat(201)}`)).status).toBe(422);
  });
});
