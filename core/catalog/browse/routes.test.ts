import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Problem, PublicProductDetail, PublicProductPage, type PublicProductSummary } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import { Value } from "@sinclair/typebox/value";
import { eq } from "drizzle-orm";
import { createHarness, type Harness } from "../../testing/harness.ts";
import { catalogFixtures, type ProductFixture } from "./test-fixtures.ts";

let h: Harness;
let fixtures: ReturnType<typeof catalogFixtures>;
const T0 = Date.UTC(2026, 10, 1);

/** What the tests know about each product they created. */
interface Made {
  name: string;
  id: string;
  slug: string;
  fixture: ProductFixture;
  variantIds: string[];
  imageIds: string[];
}
const made = new Map<string, Made>();
const product = (name: string): Made => {
  const p = made.get(name);
  if (!p) throw new Error(`no product ${name}`);
  return p;
};
let gadgets: string;
let cotton: string;
const category = {} as Record<"electronics" | "phones" | "android" | "laptops" | "clothing" | "tshirts", string>;
const brand = {} as Record<"acme" | "globex" | "initech", string>;

async function make(name: string, fixture: ProductFixture): Promise<Made> {
  const created = await fixtures.product({ slug: name, title: name, ...fixture });
  const entry = { name, ...created, fixture };
  made.set(name, entry);
  return entry;
}
const inStock = [{ onHand: 10 }];
const soldOut = [{ onHand: 2, reserved: 2 }];

beforeAll(async () => {
  h = await createHarness();
  fixtures = catalogFixtures(h.database, () => h.clock.now);
  gadgets = await fixtures.seller("Gadget Hub");
  cotton = await fixtures.seller("Cotton & Co");
  category.electronics = await fixtures.category("electronics", { name: "Electronics" });
  category.phones = await fixtures.category("phones", { name: "Phones", parentId: category.electronics });
  category.android = await fixtures.category("android", { name: "Android phones", parentId: category.phones });
  category.laptops = await fixtures.category("laptops", { name: "Laptops", parentId: category.electronics });
  category.clothing = await fixtures.category("clothing", { name: "Clothing" });
  category.tshirts = await fixtures.category("t-shirts", { name: "T-shirts", parentId: category.clothing });
  await fixtures.attribute(category.electronics, { key: "warranty_years", type: "number", label: "Warranty", unit: "years" });
  await fixtures.attribute(category.phones, { key: "colour", type: "enum", label: "Colour", options: ["black", "white", "blue"], sortOrder: 0 });
  await fixtures.attribute(category.phones, { key: "screen_size", type: "number", label: "Screen size", unit: "in", sortOrder: 1 });
  await fixtures.attribute(category.phones, { key: "waterproof", type: "boolean", label: "Waterproof", sortOrder: 2 });
  await fixtures.attribute(category.clothing, { key: "material", type: "text", label: "Material" });
  await fixtures.attribute(category.tshirts, { key: "fit", type: "text", label: "Fit", filterable: false });
  brand.acme = await fixtures.brand("acme", "Acme");
  brand.globex = await fixtures.brand("globex", "Globex");
  brand.initech = await fixtures.brand("initech", "Initech");

  const at = (n: number) => T0 + n * 60_000;
  await make("phone-a", {
    sellerId: gadgets,
    categoryId: category.android,
    brandId: brand.acme,
    publishedAt: at(1),
    popularity: 50,
    rating: { averageX100: 437, count: 12 },
    variants: [{ price: 19900, stock: inStock }],
    attributes: { colour: "black", screen_size: 6, waterproof: true, warranty_years: 2 },
  });
  await make("phone-b", {
    sellerId: gadgets,
    categoryId: category.phones,
    brandId: brand.globex,
    publishedAt: at(2),
    popularity: 80,
    variants: [
      { price: 34900, stock: inStock },
      { price: 29900, stock: inStock },
    ],
    attributes: { colour: "white", screen_size: 7, waterproof: false },
  });
  await make("phone-c", {
    sellerId: gadgets,
    categoryId: category.android,
    brandId: brand.acme,
    publishedAt: at(3),
    popularity: 50,
    variants: [{ price: 9900, stock: soldOut }],
    attributes: { colour: "blue", screen_size: 5, waterproof: true },
  });
  await make("laptop-a", {
    sellerId: gadgets,
    categoryId: category.laptops,
    brandId: brand.initech,
    publishedAt: at(4),
    popularity: 10,
    variants: [{ price: 99900, stock: inStock }],
    attributes: { warranty_years: 3 },
  });
  await make("laptop-b", {
    sellerId: gadgets,
    categoryId: category.laptops,
    brandId: brand.acme,
    publishedAt: at(5),
    variants: [{ price: 149900, stock: inStock }],
    attributes: { warranty_years: 1 },
  });
  await make("tee-a", {
    sellerId: cotton,
    categoryId: category.tshirts,
    publishedAt: at(6),
    popularity: 30,
    variants: [{ price: 1999, stock: inStock }],
    images: [{ alt: "front" }],
    attributes: { material: "cotton", fit: "slim" },
  });
  await make("tee-b", {
    sellerId: cotton,
    categoryId: category.tshirts,
    brandId: brand.globex,
    publishedAt: at(7),
    variants: [{ price: 2499, compareAt: 2999, stock: soldOut }],
    attributes: { material: "linen" },
  });
  await make("hoodie", {
    sellerId: cotton,
    categoryId: category.clothing,
    brandId: brand.acme,
    publishedAt: at(8),
    popularity: 5,
    variants: [{ price: 4999, stock: inStock }],
    attributes: { material: "cotton" },
  });
  await make("phone-d", {
    sellerId: gadgets,
    categoryId: category.android,
    brandId: brand.globex,
    publishedAt: at(9),
    variants: [{ price: 19900, stock: inStock }],
    attributes: { colour: "black", screen_size: 6, waterproof: false },
  });
  // never listed, never shown
  await make("draft-phone", {
    sellerId: gadgets,
    categoryId: category.android,
    brandId: brand.acme,
    status: "draft",
    variants: [{ price: 100, stock: inStock }],
  });
  await make("archived-tee", {
    sellerId: cotton,
    categoryId: category.tshirts,
    status: "archived",
    publishedAt: at(10),
    variants: [{ price: 500, stock: inStock }],
  });
  await make("suspended-laptop", {
    sellerId: gadgets,
    categoryId: category.laptops,
    status: "suspended",
    publishedAt: at(11),
    variants: [{ price: 700, stock: inStock }],
  });
});
afterAll(() => h.destroy());

const ACTIVE = ["phone-a", "phone-b", "phone-c", "laptop-a", "laptop-b", "tee-a", "tee-b", "hoodie", "phone-d"];

const get = (path: string, headers: Record<string, string> = {}) => h.request("GET", path, { headers });
async function page(query: string): Promise<{ items: PublicProductSummary[]; nextCursor: string | null }> {
  const response = await get(`/v1/products?${query}`);
  expect(response.status, `${query}: ${response.status === 200 ? "" : await response.clone().text()}`).toBe(200);
  const body = (await response.json()) as PublicProductPage;
  expect(Value.Check(PublicProductPage, body)).toBe(true);
  return body;
}
/** The names of the products one page lists, in its order. */
async function names(query: string): Promise<string[]> {
  const { items } = await page(`${query}${query ? "&" : ""}limit=100`);
  return items.map((item) => item.slug);
}
const sorted = (list: string[]) => [...list].sort();
async function problemOf(response: Response): Promise<Problem> {
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return (await response.json()) as Problem;
}
/** The 422 a query gets, and the parameters it names. */
async function refusedParameters(query: string): Promise<string[]> {
  const response = await get(`/v1/products?${query}`);
  expect(response.status, query).toBe(422);
  const problem = await problemOf(response);
  expect(problem.code).toBe("VALIDATION_FAILED");
  return (problem.errors ?? []).map((e) => e.path);
}

describe("GET /v1/products: filters", () => {
  test("without filters: every active product, newest first; drafts, archived and suspended ones never", async () => {
    expect(await names("")).toEqual([...ACTIVE].reverse());
  });

  test("an item says what a list shows: brand, category, price range, compare-at, stock, thumbnail, rating", async () => {
    const { items } = await page("limit=100");
    const bySlug = new Map(items.map((item) => [item.slug, item]));
    expect(bySlug.get("phone-b")).toEqual({
      id: product("phone-b").id,
      slug: "phone-b",
      title: "phone-b",
      brand: { slug: "globex", name: "Globex" },
      category: { slug: "phones", name: "Phones" },
      price: { currency: "EUR", min: 29900, max: 34900 },
      inStock: true,
      thumbnailUrl: null,
      rating: { average: null, count: 0 },
    });
    expect(bySlug.get("tee-a")).toMatchObject({ brand: null, thumbnailUrl: `/v1/images/${product("tee-a").imageIds[0]}/thumb` });
    expect(bySlug.get("tee-b")).toMatchObject({ compareAt: 2999, inStock: false, price: { currency: "EUR", min: 2499, max: 2499 } });
    expect(bySlug.get("phone-a")?.rating).toEqual({ average: 4.37, count: 12 });
    expect(bySlug.get("phone-b")).not.toHaveProperty("compareAt");
  });

  test("category: the category and every category under it", async () => {
    expect(sorted(await names("category=electronics"))).toEqual(sorted(["phone-a", "phone-b", "phone-c", "laptop-a", "laptop-b", "phone-d"]));
    expect(sorted(await names("category=phones"))).toEqual(sorted(["phone-a", "phone-b", "phone-c", "phone-d"]));
    expect(sorted(await names("category=android"))).toEqual(sorted(["phone-a", "phone-c", "phone-d"]));
    expect(sorted(await names("category=clothing"))).toEqual(sorted(["tee-a", "tee-b", "hoodie"]));
    expect(await names("category=t-shirts")).toEqual(["tee-b", "tee-a"]);
  });

  test("a category whose slug starts like another's is not under it", async () => {
    const phonesCases = await fixtures.category("phones-cases", { name: "Phone cases", parentId: category.electronics });
    const cse = await fixtures.product({ sellerId: gadgets, categoryId: phonesCases, slug: "case-x", publishedAt: T0 });
    try {
      expect(await names("category=phones")).not.toContain("case-x");
      expect(await names("category=phones-cases")).toEqual(["case-x"]);
    } finally {
      await h.database.write((db) => db.update(schema.product).set({ status: "archived" }).where(eq(schema.product.id, cse.id)));
    }
  });

  test("brand: one, or any of several (repeated)", async () => {
    expect(sorted(await names("brand=acme"))).toEqual(sorted(["phone-a", "phone-c", "laptop-b", "hoodie"]));
    expect(sorted(await names("brand=initech&brand=globex"))).toEqual(sorted(["phone-b", "laptop-a", "tee-b", "phone-d"]));
  });

  test("seller", async () => {
    expect(sorted(await names(`seller=${cotton}`))).toEqual(sorted(["tee-a", "tee-b", "hoodie"]));
    expect(await names("seller=usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C")).toEqual([]);
  });

  test("price_min and price_max: on the lowest variant price, both ends included", async () => {
    expect(sorted(await names("price_max=19900"))).toEqual(sorted(["phone-a", "phone-c", "tee-a", "tee-b", "hoodie", "phone-d"]));
    expect(sorted(await names("price_min=29900"))).toEqual(sorted(["phone-b", "laptop-a", "laptop-b"]));
    expect(sorted(await names("price_min=4999&price_max=29900"))).toEqual(sorted(["phone-a", "phone-b", "phone-c", "hoodie", "phone-d"]));
  });

  test("in_stock=true: only products someone can buy now", async () => {
    expect(sorted(await names("in_stock=true"))).toEqual(sorted(ACTIVE.filter((n) => n !== "phone-c" && n !== "tee-b")));
  });

  test("attributes: enum, boolean and text equality; number ranges with _min and _max", async () => {
    expect(sorted(await names("attr.colour=black"))).toEqual(["phone-a", "phone-d"]);
    expect(sorted(await names("attr.waterproof=true"))).toEqual(["phone-a", "phone-c"]);
    expect(sorted(await names("attr.material=cotton"))).toEqual(["hoodie", "tee-a"]);
    expect(sorted(await names("attr.screen_size_min=6"))).toEqual(["phone-a", "phone-b", "phone-d"]);
    expect(sorted(await names("attr.screen_size_max=6"))).toEqual(["phone-a", "phone-c", "phone-d"]);
    expect(sorted(await names("attr.screen_size_min=6&attr.screen_size_max=6"))).toEqual(["phone-a", "phone-d"]);
    expect(sorted(await names("attr.warranty_years_min=2"))).toEqual(["laptop-a", "phone-a"]);
    expect(sorted(await names("attr.colour=black&attr.waterproof=false"))).toEqual(["phone-d"]);
  });

  test("filters combine: all must hold", async () => {
    expect(await names("category=electronics&brand=acme&price_max=20000&in_stock=true")).toEqual(["phone-a"]);
    expect(await names("category=phones&brand=acme&brand=globex&attr.colour=black&attr.screen_size_min=5&sort=price_asc")).toEqual(["phone-a", "phone-d"]);
    expect(await names(`category=clothing&seller=${cotton}&attr.material=cotton&price_min=2000`)).toEqual(["hoodie"]);
    expect(await names("category=clothing&brand=initech")).toEqual([]);
  });
});

describe("GET /v1/products: sorts and cursor pages", () => {
  const fixtureOf = (name: string) => product(name).fixture;
  const keyOf: Record<string, (name: string) => number> = {
    newest: (n) => fixtureOf(n).publishedAt ?? 0,
    price_asc: (n) => Math.min(...(fixtureOf(n).variants ?? []).map((v) => v.price)),
    price_desc: (n) => Math.min(...(fixtureOf(n).variants ?? []).map((v) => v.price)),
    popular: (n) => fixtureOf(n).popularity ?? 0,
  };
  function expectedOrder(sort: string, list: string[]): string[] {
    const key = keyOf[sort] ?? (() => 0);
    const direction = sort === "price_asc" ? 1 : -1;
    return [...list].sort((a, b) => direction * (key(a) - key(b) || (product(a).id < product(b).id ? -1 : 1)));
  }
  async function walk(query: string, limit: number): Promise<string[]> {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 50; pages++) {
      const result = await page(`${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`);
      expect(result.items.length).toBeLessThanOrEqual(limit);
      seen.push(...result.items.map((item) => item.slug));
      cursor = result.nextCursor;
      if (cursor === null) return seen;
    }
    throw new Error("paging did not end");
  }

  for (const sort of ["newest", "price_asc", "price_desc", "popular"]) {
    test(`${sort}: pages of 2 visit every product exactly once, in order (ties broken by id)`, async () => {
      const expected = expectedOrder(sort, ACTIVE);
      expect(await walk(`sort=${sort}`, 2)).toEqual(expected);
      expect(await walk(`sort=${sort}`, 1)).toEqual(expected);
      expect(await walk(`sort=${sort}`, 100)).toEqual(expected);
    });
  }

  test("a filtered list pages the same way", async () => {
    expect(await walk("sort=price_asc&category=electronics", 2)).toEqual(
      expectedOrder("price_asc", ["phone-a", "phone-b", "phone-c", "laptop-a", "laptop-b", "phone-d"]),
    );
  });

  test("the last page says so; a page's nextCursor is null exactly when nothing follows", async () => {
    expect((await page(`sort=newest&limit=${ACTIVE.length}`)).nextCursor).toBeNull();
    expect((await page(`sort=newest&limit=${ACTIVE.length - 1}`)).nextCursor).toBeString();
  });

  test("stable under inserts: products added while paging never make one repeat or go missing", async () => {
    const before = expectedOrder("popular", ACTIVE);
    const first = await page("sort=popular&limit=3");
    expect(first.items.map((i) => i.slug)).toEqual(before.slice(0, 3));
    // one above the cursor, one tied with it, one below: only the ones after the cursor may show up
    const added = ["late-top", "late-tie", "late-low"];
    const top = await fixtures.product({ sellerId: gadgets, categoryId: category.laptops, slug: "late-top", popularity: 1000, publishedAt: T0 });
    const tie = await fixtures.product({
      sellerId: gadgets,
      categoryId: category.laptops,
      slug: "late-tie",
      popularity: keyOf.popular?.(before[2] ?? "") ?? 0,
      publishedAt: T0,
    });
    const low = await fixtures.product({ sellerId: gadgets, categoryId: category.laptops, slug: "late-low", popularity: -1, publishedAt: T0 });
    try {
      const rest: string[] = [];
      let cursor = first.nextCursor;
      while (cursor) {
        const next = await page(`sort=popular&limit=2&cursor=${cursor}`);
        rest.push(...next.items.map((i) => i.slug));
        cursor = next.nextCursor;
      }
      const all = [...first.items.map((i) => i.slug), ...rest];
      expect(new Set(all).size).toBe(all.length);
      expect(all.filter((n) => !added.includes(n))).toEqual(before);
      expect(all).not.toContain("late-top");
      expect(all).toContain("late-low");
    } finally {
      for (const p of [top, tie, low]) await h.database.write((db) => db.update(schema.product).set({ status: "archived" }).where(eq(schema.product.id, p.id)));
    }
  });

  test("a cursor belongs to its sort; a forged or mangled one is a 422 naming cursor", async () => {
    const { nextCursor } = await page("sort=newest&limit=2");
    expect(await refusedParameters(`sort=price_asc&cursor=${nextCursor}`)).toEqual(["/cursor"]);
    expect(await refusedParameters("cursor=not-a-cursor")).toEqual(["/cursor"]);
    const forged = Buffer.from(JSON.stringify({ s: "newest", k: "1 OR 1=1", i: "prd_x" })).toString("base64url");
    expect(await refusedParameters(`cursor=${forged}`)).toEqual(["/cursor"]);
    const nested = Buffer.from(JSON.stringify({ s: "newest", k: { $gt: 0 }, i: product("phone-a").id })).toString("base64url");
    expect(await refusedParameters(`cursor=${nested}`)).toEqual(["/cursor"]);
  });
});

describe("GET /v1/products: refused parameters (422 naming each)", () => {
  const CASES: [string, string[]][] = [
    ["limit=0", ["/limit"]],
    ["limit=101", ["/limit"]],
    ["limit=ten", ["/limit"]],
    ["limit=1.5", ["/limit"]],
    ["limit=-1", ["/limit"]],
    ["limit=5&limit=6", ["/limit"]],
    ["sort=cheapest", ["/sort"]],
    ["category=Not%20a%20slug", ["/category"]],
    ["category=nowhere", ["/category"]],
    ["category=phones&category=laptops", ["/category"]],
    ["brand=nobody", ["/brand"]],
    ["brand=acme&brand=nobody", ["/brand"]],
    ["brand=", ["/brand"]],
    ["seller=gadgets", ["/seller"]],
    ["price_min=-1", ["/price_min"]],
    ["price_max=1e3", ["/price_max"]],
    ["price_max=12.50", ["/price_max"]],
    ["price_min=500&price_max=100", ["/price_max"]],
    ["in_stock=false", ["/in_stock"]],
    ["in_stock=1", ["/in_stock"]],
    ["attr.colour=purple", ["/attr.colour"]],
    ["attr.waterproof=yes", ["/attr.waterproof"]],
    ["attr.screen_size=6", ["/attr.screen_size"]],
    ["attr.screen_size_min=big", ["/attr.screen_size_min"]],
    ["attr.screen_size_min=7&attr.screen_size_max=5", ["/attr.screen_size_max"]],
    ["attr.colour_min=1", ["/attr.colour_min"]],
    ["attr.fit=slim", ["/attr.fit"]],
    ["attr.nothing=x", ["/attr.nothing"]],
    ["attr.=x", ["/attr."]],
    ["attr.Colour=black", ["/attr.Colour"]],
    ["attr.colour=black&attr.colour=white", ["/attr.colour"]],
    ["colour=black", ["/colour"]],
    ["Limit=5", ["/Limit"]],
    ["q=phone", ["/q"]],
    // every malformed parameter at once; names are looked up only in a well-formed query
    ["limit=0&sort=up&foo=1&attr.nothing=x", ["/foo", "/limit", "/sort"]],
    ["category=nowhere&brand=nobody&attr.nothing=x", ["/category", "/brand", "/attr.nothing"]],
  ];
  for (const [query, paths] of CASES) {
    test(`${decodeURIComponent(query)} → ${paths.join(", ")}`, async () => {
      expect(sorted(await refusedParameters(query))).toEqual(sorted(paths));
    });
  }

  test("refusals are never cacheable", async () => {
    const response = await get("/v1/products?limit=0");
    expect(response.headers.get("cache-control")).toBeNull();
    expect(response.headers.get("etag")).toBeNull();
  });
});

describe("GET /v1/products/{idOrSlug}", () => {
  test("by id and by slug: the same page", async () => {
    const byId = await get(`/v1/products/${product("phone-b").id}`);
    const bySlug = await get("/v1/products/phone-b");
    expect(byId.status).toBe(200);
    expect(bySlug.status).toBe(200);
    const body = await byId.text();
    expect(await bySlug.text()).toBe(body);
    expect(bySlug.headers.get("etag")).toBe(byId.headers.get("etag"));
    expect(Value.Check(PublicProductDetail, JSON.parse(body))).toBe(true);
  });

  test("everything the page shows: variants with a stock status, gallery, labelled attributes, seller, breadcrumbs", async () => {
    const made = await make("detail-phone", {
      sellerId: gadgets,
      categoryId: category.android,
      brandId: brand.acme,
      publishedAt: T0,
      popularity: 1,
      rating: { averageX100: 450, count: 2 },
      description: "**Fast** phone.\n\n<script>alert('x')</script>\n\n[specs](https://example.com/specs) [bad](javascript:alert(1))",
      variants: [
        { price: 25000, compareAt: 30000, options: { colour: "black" }, sku: "DP-BLACK", stock: [{ onHand: 8, reserved: 1, threshold: 3 }, { onHand: 2 }] },
        {
          price: 25000,
          compareAt: 20000,
          options: { colour: "white" },
          sku: "DP-WHITE",
          stock: [
            { onHand: 4, reserved: 1, threshold: 2 },
            { onHand: 0, threshold: 2 },
          ],
        },
        { price: 27000, options: { colour: "blue" }, sku: "DP-BLUE", stock: [{ onHand: 3, reserved: 3 }] },
        { price: 28000, options: { colour: "red" }, sku: "DP-RED" },
      ],
      images: [
        { alt: "blue back", position: 0, variant: 2 },
        { alt: "side", position: 1 },
        { alt: "front", position: 0 },
      ],
      attributes: { waterproof: true, screen_size: 6, colour: "black", warranty_years: 2, legacy_key: "kept" },
    });
    try {
      const response = await get(`/v1/products/${made.id}`);
      expect(response.status).toBe(200);
      const page = (await response.json()) as PublicProductDetail;
      expect(Value.Check(PublicProductDetail, page)).toBe(true);
      const [black = "", white = "", blue = "", red = ""] = made.variantIds;
      const [blueBack = "", side = "", front = ""] = made.imageIds;
      expect(page).toMatchObject({
        id: made.id,
        slug: "detail-phone",
        title: "detail-phone",
        brand: { slug: "acme", name: "Acme" },
        category: { slug: "android", name: "Android phones" },
        breadcrumbs: [
          { slug: "electronics", name: "Electronics" },
          { slug: "phones", name: "Phones" },
          { slug: "android", name: "Android phones" },
        ],
        seller: { id: gadgets, name: "Gadget Hub" },
        price: { currency: "EUR", min: 25000, max: 28000 },
        compareAt: 30000,
        inStock: true,
        rating: { average: 4.5, count: 2 },
        thumbnailUrl: `/v1/images/${front}/thumb`,
        publishedAt: new Date(T0).toISOString(),
      });
      expect(page.variants).toEqual([
        // 9 available over two locations, above the threshold of 3
        { id: black, sku: "DP-BLACK", options: { colour: "black" }, price: 25000, compareAt: 30000, stock: "in_stock" },
        // 3 available, thresholds sum to 4: low; a compare-at below the price is no "was" price
        { id: white, sku: "DP-WHITE", options: { colour: "white" }, price: 25000, stock: "low" },
        { id: blue, sku: "DP-BLUE", options: { colour: "blue" }, price: 27000, stock: "out" },
        // stocked nowhere
        { id: red, sku: "DP-RED", options: { colour: "red" }, price: 28000, stock: "out" },
      ]);
      expect(JSON.stringify(page)).not.toMatch(/onHand|reserved|threshold/i);
      expect(page.images.map((i) => [i.id, i.alt, i.variantId])).toEqual([
        [front, "front", null],
        [side, "side", null],
        [blueBack, "blue back", blue],
      ]);
      expect(page.images[0]).toEqual({
        id: front,
        alt: "front",
        width: 1600,
        height: 1200,
        variantId: null,
        thumbUrl: `/v1/images/${front}/thumb`,
        mediumUrl: `/v1/images/${front}/medium`,
        originalUrl: `/v1/images/${front}/original`,
      });
      // inherited first (electronics, then phones in their order), then what no category defines any more
      expect(page.attributes).toEqual([
        { key: "warranty_years", label: "Warranty", unit: "years", value: 2 },
        { key: "colour", label: "Colour", unit: null, value: "black" },
        { key: "screen_size", label: "Screen size", unit: "in", value: 6 },
        { key: "waterproof", label: "Waterproof", unit: null, value: true },
        { key: "legacy_key", label: "legacy_key", unit: null, value: "kept" },
      ]);
      expect(page.descriptionHtml).toContain("<strong>Fast</strong>");
      expect(page.descriptionHtml).not.toContain("<script");
      expect(page.descriptionHtml).toContain("&lt;script&gt;");
      expect(page.descriptionHtml).toContain('href="https://example.com/specs"');
      expect(page.descriptionHtml).not.toContain('javascript:alert(1)"');
      expect(page.descriptionHtml).not.toMatch(/href="javascript/i);
    } finally {
      await h.database.write((db) => db.update(schema.product).set({ status: "archived" }).where(eq(schema.product.id, made.id)));
    }
  });

  test("a product without brand, images or attributes", async () => {
    const page = (await (await get("/v1/products/tee-b")).json()) as PublicProductDetail;
    expect(page).toMatchObject({ brand: { slug: "globex" }, images: [], thumbnailUrl: null, compareAt: 2999, inStock: false });
    const teeA = (await (await get("/v1/products/tee-a")).json()) as PublicProductDetail;
    expect(teeA.brand).toBeNull();
    expect(teeA.breadcrumbs.map((b) => b.slug)).toEqual(["clothing", "t-shirts"]);
  });

  test("only active products exist here: draft, archived, suspended and unknown are 404, by id or slug", async () => {
    for (const name of ["draft-phone", "archived-tee", "suspended-laptop"]) {
      for (const key of [product(name).id, name]) {
        const response = await get(`/v1/products/${key}`);
        expect(response.status, key).toBe(404);
        expect((await problemOf(response)).code).toBe("NOT_FOUND");
      }
    }
    expect((await get("/v1/products/prd_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C")).status).toBe(404);
    expect((await get("/v1/products/no-such-product")).status).toBe(404);
  });

  test("a product that stops being active disappears from lists and its page at once", async () => {
    const p = await make("short-lived", { sellerId: cotton, categoryId: category.tshirts, publishedAt: T0 });
    expect((await get("/v1/products/short-lived")).status).toBe(200);
    expect(await names("category=t-shirts")).toContain("short-lived");
    await h.database.write((db) => db.update(schema.product).set({ status: "suspended" }).where(eq(schema.product.id, p.id)));
    expect((await get("/v1/products/short-lived")).status).toBe(404);
    expect(await names("category=t-shirts")).not.toContain("short-lived");
  });

  test("the page takes no query parameters", async () => {
    const response = await get("/v1/products/phone-a?expand=seller");
    expect(response.status).toBe(422);
    expect((await problemOf(response)).errors).toEqual([{ path: "/expand", message: "is not a parameter of this endpoint" }]);
  });
});

describe("HTTP caching", () => {
  test("both are public and cacheable with a strong ETag; If-None-Match gives 304 without a body", async () => {
    for (const path of ["/v1/products?category=phones&price_max=30000", "/v1/products/phone-a"]) {
      const first = await get(path);
      expect(first.status).toBe(200);
      expect(first.headers.get("cache-control")).toBe("public, s-maxage=60, stale-while-revalidate=300");
      const etag = first.headers.get("etag") ?? "";
      expect(etag).toMatch(/^"[0-9a-z-]+"$/);
      expect(first.headers.get("content-type")).toStartWith("application/json");

      const again = await get(path, { "if-none-match": etag });
      expect(again.status, path).toBe(304);
      expect(await again.text()).toBe("");
      expect(again.headers.get("etag")).toBe(etag);
      expect(again.headers.get("cache-control")).toBe("public, s-maxage=60, stale-while-revalidate=300");
      expect((await get(path, { "if-none-match": `W/${etag}` })).status).toBe(304);
      expect((await get(path, { "if-none-match": `"other", ${etag}` })).status).toBe(304);
      expect((await get(path, { "if-none-match": "*" })).status).toBe(304);
      expect((await get(path, { "if-none-match": '"stale"' })).status).toBe(200);
    }
  });

  test("the ETag is the body's: a change makes a new one, and the old one no longer matches", async () => {
    const p = await make("etag-tee", { sellerId: cotton, categoryId: category.tshirts, publishedAt: T0 });
    const first = await get("/v1/products/etag-tee");
    const etag = first.headers.get("etag") ?? "";
    expect((await get("/v1/products/etag-tee")).headers.get("etag")).toBe(etag);
    await h.database.write((db) => db.update(schema.product).set({ title: "etag-tee, relaxed fit" }).where(eq(schema.product.id, p.id)));
    const changed = await get("/v1/products/etag-tee", { "if-none-match": etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).not.toBe(etag);
    expect(((await changed.json()) as PublicProductDetail).title).toBe("etag-tee, relaxed fit");
    await h.database.write((db) => db.update(schema.product).set({ status: "archived" }).where(eq(schema.product.id, p.id)));
  });

  test("parameters in any order, and brands in any order or repeated, give the same response", async () => {
    const orders = [
      "category=electronics&brand=acme&brand=globex&price_max=40000&sort=price_asc&limit=2&in_stock=true&attr.screen_size_min=5",
      "attr.screen_size_min=5&in_stock=true&limit=2&sort=price_asc&price_max=40000&brand=globex&brand=acme&category=electronics",
      "brand=globex&limit=2&brand=acme&category=electronics&brand=globex&attr.screen_size_min=5&sort=price_asc&in_stock=true&price_max=40000",
      "sort=price_asc&limit=2&price_max=40000&in_stock=true&category=electronics&attr.screen_size_min=5&brand=acme&brand=globex",
    ];
    const responses = await Promise.all(orders.map((q) => get(`/v1/products?${q}`)));
    const bodies = await Promise.all(responses.map((r) => r.text()));
    expect(new Set(bodies).size).toBe(1);
    expect(new Set(responses.map((r) => r.headers.get("etag"))).size).toBe(1);
    const body = JSON.parse(bodies[0] ?? "") as PublicProductPage;
    expect(body.items.map((i) => i.slug)).toEqual(["phone-a", "phone-d"]);
    expect(body.nextCursor).toBeString();
  });

  test("a change shows on the very next read, page and list alike", async () => {
    const p = await make("fresh-tee", { sellerId: cotton, categoryId: category.tshirts, publishedAt: T0 });
    const first = await get("/v1/products/fresh-tee");
    expect((await get("/v1/products/fresh-tee")).headers.get("etag")).toBe(first.headers.get("etag"));
    await page("category=t-shirts&limit=100");
    await h.database.write((db) => db.update(schema.product).set({ title: "fresh-tee v2" }).where(eq(schema.product.id, p.id)));
    expect(((await (await get("/v1/products/fresh-tee")).json()) as PublicProductDetail).title).toBe("fresh-tee v2");
    expect((await page("category=t-shirts&limit=100")).items.find((i) => i.slug === "fresh-tee")?.title).toBe("fresh-tee v2");
    await h.database.write((db) => db.update(schema.product).set({ status: "archived" }).where(eq(schema.product.id, p.id)));
  });

  test("refusals and 404s are never stored: each is decided afresh", async () => {
    const p = await make("late-comer", { sellerId: cotton, categoryId: category.tshirts, status: "draft", publishedAt: null });
    expect((await get("/v1/products/late-comer")).status).toBe(404);
    await h.database.write((db) => db.update(schema.product).set({ status: "active", publishedAt: T0 }).where(eq(schema.product.id, p.id)));
    expect((await get("/v1/products/late-comer")).status).toBe(200);
    await h.database.write((db) => db.update(schema.product).set({ status: "archived" }).where(eq(schema.product.id, p.id)));
  });
});
