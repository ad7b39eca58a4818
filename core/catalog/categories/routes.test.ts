import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { AttributeList, AttributeView, BrandPage, BrandView, CategoryDetail, CategoryTree, CategoryView, Problem, TokenPair } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import { createHarness, type Harness } from "../../testing/harness.ts";

let h: Harness;
let admin: TokenPair;
beforeEach(async () => {
  h = await createHarness();
  admin = await h.register({ email: "catalog-admin@example.com" });
  await h.grantRole(admin.user.id, "admin");
});
afterEach(() => h.destroy());

const json = async <T>(response: Response) => (await response.json()) as T;
const asAdmin = (method: string, path: string, body?: unknown) => h.request(method, path, { token: admin.accessToken, body });
const problem = async (response: Response, status: number) => {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return json<Problem>(response);
};
const fieldsOf = (p: Problem) => (p.errors ?? []).map((e) => e.path);

async function category(
  name: string,
  extra: { parentId?: string | null; slug?: string; sortOrder?: number; commissionBps?: number } = {},
): Promise<CategoryView> {
  const response = await asAdmin("POST", "/v1/admin/categories", { name, ...extra });
  if (response.status !== 201) throw new Error(`create ${name}: ${response.status} ${await response.text()}`);
  return json<CategoryView>(response);
}
async function attribute(categoryId: string, body: Record<string, unknown>): Promise<AttributeView> {
  const response = await asAdmin("POST", `/v1/admin/categories/${categoryId}/attributes`, body);
  if (response.status !== 201) throw new Error(`attribute ${JSON.stringify(body)}: ${response.status} ${await response.text()}`);
  return json<AttributeView>(response);
}
const move = (id: string, parentId: string | null, sortOrder?: number) => asAdmin("POST", `/v1/admin/categories/${id}/move`, { parentId, sortOrder });
const tree = async () => json<CategoryTree>(await h.request("GET", "/v1/categories"));
const detail = async (slug: string) => json<CategoryDetail>(await h.request("GET", `/v1/categories/${slug}`));
const allRows = () => h.database.db.select().from(schema.category).orderBy(schema.category.path);

/** A product row in `categoryId` (and of `brandId`), inserted directly: the products part owns its own API. */
async function productIn(categoryId: string, options: { brandId?: string; attributes?: Record<string, string> } = {}) {
  const id = h.deps.ids("product");
  await h.database.db.insert(schema.product).values({
    id,
    sellerId: "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C",
    slug: id.toLowerCase().replace("_", "-"),
    title: "A product",
    categoryId,
    brandId: options.brandId ?? null,
    currency: "EUR",
    createdAt: h.clock.now,
    updatedAt: h.clock.now,
  });
  for (const [key, valueText] of Object.entries(options.attributes ?? {})) {
    await h.database.db.insert(schema.productAttribute).values({ productId: id, key, valueText });
  }
  return id;
}

describe("the tree", () => {
  test("is nested, roots and siblings ordered by sortOrder then name (case-insensitive)", async () => {
    const home = await category("Home", { sortOrder: 2 });
    const electronics = await category("Électronique", { sortOrder: 1 });
    const phones = await category("Phones", { parentId: electronics.id, sortOrder: 1 });
    await category("Zed cables", { parentId: electronics.id, sortOrder: 0 });
    await category("audio", { parentId: electronics.id, sortOrder: 1 });
    await category("Smartphones", { parentId: phones.id });
    await category("Garden", { parentId: home.id });

    const { items } = await tree();
    const outline = (nodes: CategoryTree["items"]): unknown[] =>
      nodes.map((n) => [n.slug, n.depth, n.path, ...(n.children.length ? [outline(n.children)] : [])]);
    expect(outline(items)).toEqual([
      [
        "electronique",
        1,
        "/electronique/",
        [
          ["zed-cables", 2, "/electronique/zed-cables/"],
          ["audio", 2, "/electronique/audio/"],
          ["phones", 2, "/electronique/phones/", [["smartphones", 3, "/electronique/phones/smartphones/"]]],
        ],
      ],
      ["home", 1, "/home/", [["garden", 2, "/home/garden/"]]],
    ]);
    expect(items[0]?.name).toBe("Électronique");
  });

  test("a category's page: breadcrumbs root→self, children in order, 404 for an unknown slug", async () => {
    const electronics = await category("Electronics");
    const phones = await category("Phones", { parentId: electronics.id });
    const smart = await category("Smartphones", { parentId: phones.id });
    await category("Rugged phones", { parentId: phones.id, sortOrder: 5 });
    await category("Feature phones", { parentId: phones.id, sortOrder: 5 });
    await category("Android", { parentId: smart.id });

    const page = await detail("phones");
    expect(page).toMatchObject({ id: phones.id, parentId: electronics.id, slug: "phones", path: "/electronics/phones/", depth: 2 });
    expect(page.breadcrumbs.map((c) => c.slug)).toEqual(["electronics", "phones"]);
    expect(page.children.map((c) => c.slug)).toEqual(["smartphones", "feature-phones", "rugged-phones"]);
    expect((await detail("android")).breadcrumbs.map((c) => c.name)).toEqual(["Electronics", "Phones", "Smartphones", "Android"]);
    expect((await detail("electronics")).breadcrumbs).toEqual([{ id: electronics.id, slug: "electronics", name: "Electronics" }]);
    expect((await problem(await h.request("GET", "/v1/categories/no-such-thing"), 404)).code).toBe("NOT_FOUND");
  });
});

describe("public reads are cacheable", () => {
  const CACHE = "public, s-maxage=300, stale-while-revalidate=60";

  test("tree, category and brands carry Cache-Control and a strong ETag; If-None-Match answers 304 until the content changes", async () => {
    const electronics = await category("Electronics");
    await asAdmin("POST", "/v1/admin/brands", { name: "Acme" });
    for (const path of ["/v1/categories", "/v1/categories/electronics", "/v1/brands", "/v1/brands?q=ac&limit=5"]) {
      const first = await h.request("GET", path);
      expect(first.status, path).toBe(200);
      expect(first.headers.get("cache-control"), path).toBe(CACHE);
      expect(first.headers.get("content-type"), path).toStartWith("application/json");
      const etag = first.headers.get("etag") ?? "";
      expect(etag, path).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
      // the same content, the same tag: it comes from the bytes, not from the request
      expect((await h.request("GET", path)).headers.get("etag"), path).toBe(etag);

      const notModified = await h.request("GET", path, { headers: { "if-none-match": etag } });
      expect(notModified.status, path).toBe(304);
      expect(await notModified.text(), path).toBe("");
      expect(notModified.headers.get("etag"), path).toBe(etag);
      expect(notModified.headers.get("cache-control"), path).toBe(CACHE);
      // a list of tags and a weak form of ours both match (If-None-Match compares weakly)
      expect((await h.request("GET", path, { headers: { "if-none-match": `"other", W/${etag}` } })).status, path).toBe(304);
      expect((await h.request("GET", path, { headers: { "if-none-match": '"something-else"' } })).status, path).toBe(200);
    }

    const before = (await h.request("GET", "/v1/categories")).headers.get("etag") ?? "";
    await asAdmin("PATCH", `/v1/admin/categories/${electronics.id}`, { name: "Consumer electronics" });
    const after = await h.request("GET", "/v1/categories", { headers: { "if-none-match": before } });
    expect(after.status).toBe(200);
    expect(after.headers.get("etag")).not.toBe(before);
    expect((await json<CategoryTree>(after)).items[0]?.name).toBe("Consumer electronics");
  });
});

describe("moving a subtree", () => {
  test("rewrites the path and depth of every descendant; the tree and breadcrumbs follow", async () => {
    const electronics = await category("Electronics");
    const home = await category("Home");
    const kitchen = await category("Kitchen", { parentId: home.id });
    const appliances = await category("Appliances", { parentId: kitchen.id });
    const coffee = await category("Coffee machines", { parentId: appliances.id });
    await category("Espresso", { parentId: coffee.id });
    await category("Kettles", { parentId: appliances.id });

    const moved = await move(appliances.id, electronics.id, 7);
    expect(moved.status).toBe(200);
    expect(await json<CategoryView>(moved)).toMatchObject({ parentId: electronics.id, path: "/electronics/appliances/", depth: 2, sortOrder: 7 });
    expect((await allRows()).map((r) => [r.path, r.depth])).toEqual([
      ["/electronics/", 1],
      ["/electronics/appliances/", 2],
      ["/electronics/appliances/coffee-machines/", 3],
      ["/electronics/appliances/coffee-machines/espresso/", 4],
      ["/electronics/appliances/kettles/", 3],
      ["/home/", 1],
      ["/home/kitchen/", 2],
    ]);
    expect((await detail("espresso")).breadcrumbs.map((c) => c.slug)).toEqual(["electronics", "appliances", "coffee-machines", "espresso"]);
    expect((await detail("kitchen")).children).toEqual([]);

    // to the root and back keeps its own sortOrder when none is given
    const rooted = await json<CategoryView>(await move(appliances.id, null));
    expect(rooted).toMatchObject({ parentId: null, path: "/appliances/", depth: 1, sortOrder: 7 });
    expect((await detail("espresso")).path).toBe("/appliances/coffee-machines/espresso/");
    expect((await tree()).items.map((n) => n.slug)).toEqual(["electronics", "home", "appliances"]);
  });

  test("under itself or any descendant is refused with 409, and nothing changes", async () => {
    const a = await category("A");
    const b = await category("B", { parentId: a.id });
    const c = await category("C", { parentId: b.id });
    const before = await allRows();
    for (const target of [a.id, b.id, c.id]) {
      const refused = await problem(await move(a.id, target), 409);
      expect(fieldsOf(refused)).toEqual(["/parentId"]);
    }
    expect((await problem(await move(b.id, c.id), 409)).detail).toContain("under itself or one of its descendants");
    expect(await allRows()).toEqual(before);
  });

  test("at most five levels: a move or a create that would go deeper is 409; unknown ids are 404 and 422", async () => {
    let parent: CategoryView | undefined;
    const chain: CategoryView[] = [];
    for (const name of ["L1", "L2", "L3", "L4", "L5"]) {
      parent = await category(name, { parentId: parent?.id ?? null });
      chain.push(parent);
    }
    const l5 = chain[4] as CategoryView;
    expect(l5.depth).toBe(5);
    expect(fieldsOf(await problem(await asAdmin("POST", "/v1/admin/categories", { name: "L6", parentId: l5.id }), 409))).toEqual(["/parentId"]);

    const other = await category("Other");
    await category("Other child", { parentId: other.id });
    // Other (2 levels) under L4 would put its child at depth 6
    await problem(await move(other.id, (chain[3] as CategoryView).id), 409);
    expect((await json<CategoryView>(await move(other.id, (chain[2] as CategoryView).id))).depth).toBe(4);

    expect((await problem(await move("cat_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", null), 404)).code).toBe("NOT_FOUND");
    expect(fieldsOf(await problem(await move(other.id, "cat_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C"), 422))).toEqual(["/parentId"]);
    expect(fieldsOf(await problem(await asAdmin("POST", "/v1/admin/categories", { name: "X", parentId: "cat_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C" }), 422))).toEqual([
      "/parentId",
    ]);
  });
});

describe("updating a category", () => {
  test("a new slug rewrites the paths of its whole subtree; name, sortOrder and commission change in place", async () => {
    const electronics = await category("Electronics", { commissionBps: 900 });
    const phones = await category("Phones", { parentId: electronics.id });
    await category("Android", { parentId: phones.id });
    const updated = await json<CategoryView>(
      await asAdmin("PATCH", `/v1/admin/categories/${electronics.id}`, { slug: "tech", name: "Tech", sortOrder: 3, commissionBps: null }),
    );
    expect(updated).toMatchObject({ slug: "tech", name: "Tech", path: "/tech/", sortOrder: 3, commissionBps: null, depth: 1 });
    expect((await allRows()).map((r) => r.path)).toEqual(["/tech/", "/tech/phones/", "/tech/phones/android/"]);
    expect((await detail("android")).breadcrumbs.map((c) => c.slug)).toEqual(["tech", "phones", "android"]);
    expect((await h.request("GET", "/v1/categories/electronics")).status).toBe(404);

    // an empty change changes nothing
    const same = await json<CategoryView>(await asAdmin("PATCH", `/v1/admin/categories/${phones.id}`, {}));
    expect(same).toMatchObject({ slug: "phones", path: "/tech/phones/" });
  });
});

describe("slugs", () => {
  test("are made from the name, diacritics transliterated, when omitted", async () => {
    const cases: [string, string][] = [
      ["Électronique", "electronique"],
      ["Home & Garden", "home-garden"],
      ["  Çà et là  ", "ca-et-la"],
      ["Straße Œuvre Ærø", "strasse-oeuvre-aero"],
      ["Łódź — 2024!", "lodz-2024"],
      ["TV's & Hi-Fi", "tv-s-hi-fi"],
    ];
    for (const [name, slug] of cases) expect((await category(name)).slug, name).toBe(slug);
    const long = await category(`${"Ab ".repeat(39)}end`);
    expect(long.slug.length).toBeLessThanOrEqual(80);
    expect(long.slug).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  test("must be lowercase a-z, digits and single dashes, 1–80 long (422 naming /slug); a name with nothing to make one from needs one", async () => {
    for (const slug of ["Phones", "phones!", "-phones", "phones-", "pho--nes", "", "a".repeat(81), "../etc", "phönes", "pho nes", "pho_nes"]) {
      const refused = await problem(await asAdmin("POST", "/v1/admin/categories", { name: "Phones", slug }), 422);
      expect(fieldsOf(refused), JSON.stringify(slug)).toEqual(["/slug"]);
    }
    expect((await category("Eighty", { slug: "a".repeat(80) })).slug).toHaveLength(80);
    const chinese = await problem(await asAdmin("POST", "/v1/admin/categories", { name: "手机" }), 422);
    expect(fieldsOf(chinese)).toEqual(["/slug"]);
    expect((await category("手机", { slug: "shouji" })).path).toBe("/shouji/");
  });

  test("are unique: a taken slug is 409 naming /slug, given or generated, on create and on update; brands too", async () => {
    const phones = await category("Phones");
    const other = await category("Other");
    for (const body of [{ name: "Phones" }, { name: "Something", slug: "phones" }]) {
      const refused = await problem(await asAdmin("POST", "/v1/admin/categories", body), 409);
      expect(refused.code).toBe("CONFLICT");
      expect(fieldsOf(refused)).toEqual(["/slug"]);
    }
    expect(fieldsOf(await problem(await asAdmin("PATCH", `/v1/admin/categories/${other.id}`, { slug: "phones" }), 409))).toEqual(["/slug"]);
    expect((await detail("phones")).id).toBe(phones.id);

    await asAdmin("POST", "/v1/admin/brands", { name: "Acme" });
    const brand = await json<BrandView>(await asAdmin("POST", "/v1/admin/brands", { name: "Globex" }));
    expect(fieldsOf(await problem(await asAdmin("POST", "/v1/admin/brands", { name: "ACME" }), 409))).toEqual(["/slug"]);
    expect(fieldsOf(await problem(await asAdmin("PATCH", `/v1/admin/brands/${brand.id}`, { slug: "acme" }), 409))).toEqual(["/slug"]);
  });
});

describe("attributes", () => {
  test("are inherited: a category's effective attributes are its ancestors' (root first) and then its own", async () => {
    const electronics = await category("Electronics");
    const phones = await category("Phones", { parentId: electronics.id });
    const android = await category("Android", { parentId: phones.id });
    await category("Laptops", { parentId: electronics.id });
    await attribute(electronics.id, { key: "warranty_months", label: "Warranty", type: "number", unit: "months", filterable: true });
    await attribute(phones.id, { key: "colour", label: "Colour", type: "enum", options: ["black", "white"], variantDefining: true, sortOrder: 2 });
    await attribute(phones.id, { key: "dual_sim", label: "Dual SIM", type: "boolean", sortOrder: 1 });
    await attribute(android.id, { key: "android_version", label: "Android version", type: "text", searchable: true });

    const keysOf = (attributes: AttributeView[]) => attributes.map((a) => a.key);
    expect(keysOf((await detail("android")).attributes)).toEqual(["warranty_months", "dual_sim", "colour", "android_version"]);
    expect(keysOf((await detail("phones")).attributes)).toEqual(["warranty_months", "dual_sim", "colour"]);
    expect(keysOf((await detail("laptops")).attributes)).toEqual(["warranty_months"]);
    expect(keysOf((await detail("electronics")).attributes)).toEqual(["warranty_months"]);
    const inherited = (await detail("android")).attributes[0];
    expect(inherited).toMatchObject({ categoryId: electronics.id, type: "number", unit: "months", options: null, filterable: true, searchable: false });

    const listed = await json<AttributeList>(await asAdmin("GET", `/v1/admin/categories/${android.id}/attributes`));
    expect(listed.items.map((a) => [a.key, a.categoryId])).toEqual([
      ["warranty_months", electronics.id],
      ["dual_sim", phones.id],
      ["colour", phones.id],
      ["android_version", android.id],
    ]);
  });

  test("an enum needs options; a number may have a unit; text and boolean have neither (422 naming the field)", async () => {
    const c = await category("Things");
    const refuse = async (body: Record<string, unknown>, field: string) => {
      const refused = await problem(await asAdmin("POST", `/v1/admin/categories/${c.id}/attributes`, { key: "k", label: "K", ...body }), 422);
      expect(fieldsOf(refused), JSON.stringify(body)).toContain(field);
    };
    await refuse({ type: "enum" }, "/options");
    await refuse({ type: "enum", options: [] }, "/options");
    await refuse({ type: "enum", options: ["a", "a"] }, "/options");
    await refuse({ type: "enum", options: ["a"], unit: "cm" }, "/unit");
    await refuse({ type: "boolean", unit: "cm" }, "/unit");
    await refuse({ type: "text", unit: "cm" }, "/unit");
    await refuse({ type: "text", options: ["a"] }, "/options");
    await refuse({ type: "boolean", options: ["yes", "no"] }, "/options");
    await refuse({ type: "number", options: ["1"] }, "/options");
    await refuse({ type: "date" }, "/type");
    expect(await json<AttributeList>(await asAdmin("GET", `/v1/admin/categories/${c.id}/attributes`))).toEqual({ items: [] });

    expect((await attribute(c.id, { key: "weight", label: "Weight", type: "number", unit: "g" })).unit).toBe("g");
    expect((await attribute(c.id, { key: "pages", label: "Pages", type: "number" })).unit).toBeNull();
    expect((await attribute(c.id, { key: "size", label: "Size", type: "enum", options: ["S", "M", "L"] })).options).toEqual(["S", "M", "L"]);
    expect(await attribute(c.id, { key: "organic", label: "Organic", type: "boolean" })).toMatchObject({ unit: null, options: null });
  });

  test("updates keep the same rules; key and type cannot change", async () => {
    const c = await category("Things");
    const size = await attribute(c.id, { key: "size", label: "Size", type: "enum", options: ["S", "M"] });
    const note = await attribute(c.id, { key: "note", label: "Note", type: "text" });
    const path = (a: AttributeView) => `/v1/admin/categories/${c.id}/attributes/${a.id}`;

    const updated = await json<AttributeView>(await asAdmin("PATCH", path(size), { label: "Clothing size", options: ["S", "M", "L"], filterable: true }));
    expect(updated).toMatchObject({ key: "size", label: "Clothing size", options: ["S", "M", "L"], filterable: true, type: "enum" });
    expect(fieldsOf(await problem(await asAdmin("PATCH", path(size), { options: null }), 422))).toEqual(["/options"]);
    expect(fieldsOf(await problem(await asAdmin("PATCH", path(note), { unit: "cm" }), 422))).toEqual(["/unit"]);
    expect(fieldsOf(await problem(await asAdmin("PATCH", path(note), { type: "number" }), 422))).toEqual(["/type"]);
    expect(fieldsOf(await problem(await asAdmin("PATCH", path(note), { key: "remark" }), 422))).toEqual(["/key"]);
    // another category's attribute id is not found under this one
    const other = await category("Other");
    expect((await asAdmin("PATCH", `/v1/admin/categories/${other.id}/attributes/${size.id}`, { label: "x" })).status).toBe(404);
  });

  test("a key is unique along every path: not redefined below an ancestor that has it, nor above a descendant that has it", async () => {
    const electronics = await category("Electronics");
    const phones = await category("Phones", { parentId: electronics.id });
    const laptops = await category("Laptops", { parentId: electronics.id });
    await attribute(phones.id, { key: "colour", label: "Colour", type: "enum", options: ["black"] });
    await attribute(electronics.id, { key: "warranty", label: "Warranty", type: "number" });

    const colourAbove = await problem(
      await asAdmin("POST", `/v1/admin/categories/${electronics.id}/attributes`, { key: "colour", label: "C", type: "text" }),
      409,
    );
    expect(fieldsOf(colourAbove)).toEqual(["/key"]);
    expect(colourAbove.detail).toContain("/electronics/phones/");
    expect(
      fieldsOf(await problem(await asAdmin("POST", `/v1/admin/categories/${phones.id}/attributes`, { key: "warranty", label: "W", type: "text" }), 409)),
    ).toEqual(["/key"]);
    expect(
      fieldsOf(await problem(await asAdmin("POST", `/v1/admin/categories/${phones.id}/attributes`, { key: "colour", label: "C", type: "text" }), 409)),
    ).toEqual(["/key"]);
    // a sibling may use the same key
    await attribute(laptops.id, { key: "colour", label: "Colour", type: "text" });

    // and a move that would put two definitions of a key on one path is refused
    const accessories = await category("Accessories");
    await attribute(accessories.id, { key: "warranty", label: "Warranty", type: "number" });
    const clash = await problem(await move(accessories.id, electronics.id), 409);
    expect(clash.detail).toContain("warranty");
    expect((await detail("accessories")).path).toBe("/accessories/");
  });

  test("deleting one is refused while a product in the subtree has a value for it", async () => {
    const electronics = await category("Electronics");
    const phones = await category("Phones", { parentId: electronics.id });
    const colour = await attribute(electronics.id, { key: "colour", label: "Colour", type: "text" });
    const spare = await attribute(electronics.id, { key: "spare", label: "Spare", type: "boolean" });
    await productIn(phones.id, { attributes: { colour: "black" } });

    expect((await problem(await asAdmin("DELETE", `/v1/admin/categories/${electronics.id}/attributes/${colour.id}`), 409)).code).toBe("CONFLICT");
    expect((await asAdmin("DELETE", `/v1/admin/categories/${electronics.id}/attributes/${spare.id}`)).status).toBe(204);
    expect((await detail("phones")).attributes.map((a) => a.key)).toEqual(["colour"]);
    expect((await asAdmin("DELETE", `/v1/admin/categories/${electronics.id}/attributes/${spare.id}`)).status).toBe(404);
  });
});

describe("deleting a category", () => {
  test("only a leaf without products; its attribute definitions go with it", async () => {
    const electronics = await category("Electronics");
    const phones = await category("Phones", { parentId: electronics.id });
    const cables = await category("Cables", { parentId: electronics.id });
    await attribute(cables.id, { key: "length", label: "Length", type: "number", unit: "cm" });
    await productIn(phones.id);

    expect((await problem(await asAdmin("DELETE", `/v1/admin/categories/${electronics.id}`), 409)).detail).toContain("subcategories");
    expect((await problem(await asAdmin("DELETE", `/v1/admin/categories/${phones.id}`), 409)).detail).toContain("Products");
    expect((await asAdmin("DELETE", `/v1/admin/categories/${cables.id}`)).status).toBe(204);
    expect(await h.database.db.select().from(schema.categoryAttribute)).toEqual([]);
    expect((await asAdmin("DELETE", `/v1/admin/categories/${cables.id}`)).status).toBe(404);
    expect((await allRows()).map((r) => r.slug)).toEqual(["electronics", "phones"]);
  });
});

describe("brands", () => {
  test("listed alphabetically (case-insensitive) a page at a time; q filters by name or slug prefix", async () => {
    for (const name of ["delta", "Alpha", "charlie", "Bravo", "Échos", "alpine"]) await asAdmin("POST", "/v1/admin/brands", { name });
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const page: BrandPage = await json<BrandPage>(await h.request("GET", `/v1/brands?limit=4${cursor ? `&cursor=${cursor}` : ""}`));
      expect(page.items.length).toBeLessThanOrEqual(4);
      names.push(...page.items.map((b) => b.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(names).toEqual(["Alpha", "alpine", "Bravo", "charlie", "delta", "Échos"]);

    const search = async (q: string) => (await json<BrandPage>(await h.request("GET", `/v1/brands?q=${encodeURIComponent(q)}`))).items.map((b) => b.name);
    expect(await search("al")).toEqual(["Alpha", "alpine"]);
    expect(await search("ALP")).toEqual(["Alpha", "alpine"]);
    expect(await search("ech")).toEqual(["Échos"]);
    expect(await search("%")).toEqual([]);
    expect(await search("_lpha")).toEqual([]);
  });

  test("update, and delete refused while a product uses the brand", async () => {
    const acme = await json<BrandView>(await asAdmin("POST", "/v1/admin/brands", { name: "Acme" }));
    expect(acme.slug).toBe("acme");
    const renamed = await json<BrandView>(await asAdmin("PATCH", `/v1/admin/brands/${acme.id}`, { name: "Acme Corp", slug: "acme-corp" }));
    expect(renamed).toMatchObject({ id: acme.id, name: "Acme Corp", slug: "acme-corp" });
    const c = await category("Tools");
    const product = await productIn(c.id, { brandId: acme.id });
    expect((await problem(await asAdmin("DELETE", `/v1/admin/brands/${acme.id}`), 409)).detail).toContain("Products");
    await h.database.client.execute({ sql: "DELETE FROM product WHERE id = ?", args: [product] });
    expect((await asAdmin("DELETE", `/v1/admin/brands/${acme.id}`)).status).toBe(204);
    expect((await asAdmin("DELETE", `/v1/admin/brands/${acme.id}`)).status).toBe(404);
    expect((await asAdmin("PATCH", `/v1/admin/brands/${acme.id}`, { name: "x" })).status).toBe(404);
  });
});
