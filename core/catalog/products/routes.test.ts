import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { DeleteProductResult, Problem, ProductPage, ProductView, VariantView } from "@bazaar/contracts";
import { createDatabase, schema } from "@bazaar/db";
import { createApp } from "../../app.ts";
import { createDeps } from "../../platform/boot.ts";
import { createHarness, type Harness } from "../../testing/harness.ts";
import { type Catalog, count, createProduct, createVariant, json, outbox, type Person, seedCatalog, signUp, tshirt } from "./test-fixtures.ts";

let h: Harness;
let catalog: Catalog;
let seller: Person;
beforeEach(async () => {
  h = await createHarness();
  catalog = await seedCatalog(h);
  seller = await signUp(h, "seller");
});
afterEach(() => h.destroy());

const problem = async (response: Response) => {
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return json<Problem>(response);
};
const paths = (body: Problem) => body.errors?.map((e) => e.path) ?? [];
const product = (id: string) => `/v1/seller/products/${id}`;
const get = async (id: string, token = seller.token) => json<ProductView>(await h.request("GET", product(id), { token }));
const patch = (id: string, body: Record<string, unknown>, headers: Record<string, string> = {}, token = seller.token) =>
  h.request("PATCH", product(id), { token, body, headers });
const post = (id: string, action: string, token = seller.token, headers: Record<string, string> = {}) =>
  h.request("POST", `${product(id)}/${action}`, { token, headers });
const book = (overrides: Record<string, unknown> = {}) => ({
  title: "A Book",
  categoryId: catalog.books,
  currency: "EUR",
  variants: [{ sku: `BOOK-${crypto.randomUUID()}`, priceMinor: 1500 }],
  ...overrides,
});

describe("lifecycle", () => {
  test("create → get → list → patch → publish → archive → unarchive → publish → delete (archives) — and a draft is deleted for good", async () => {
    const created = await h.request("POST", "/v1/seller/products", { token: seller.token, body: tshirt(catalog) });
    expect(created.status).toBe(201);
    expect(created.headers.get("etag")).toBe('"1"');
    const view = await json<ProductView>(created);
    expect(created.headers.get("location")).toBe(product(view.id));
    expect(view).toMatchObject({
      sellerId: seller.userId,
      slug: "organic-cotton-t-shirt",
      title: "Organic cotton T-shirt",
      description: "**Soft** organic cotton.",
      descriptionHtml: "<p><strong>Soft</strong> organic cotton.</p>\n",
      brandId: catalog.brand,
      categoryId: catalog.tshirts,
      status: "draft",
      version: 1,
      currency: "EUR",
      attributes: { material: "cotton", organic: true, fabric_weight: 180, fit: "regular" },
      minPriceMinor: 1999,
      maxPriceMinor: 2199,
      inStock: false,
      publishedAt: null,
    });
    expect(view.variants.map((v) => [v.sku, v.options, v.priceMinor, v.currency, v.position])).toEqual([
      ["TEE-RED-M", { colour: "red", size: "M" }, 1999, "EUR", 0],
      ["TEE-BLUE-L", { colour: "blue", size: "L" }, 2199, "EUR", 1],
    ]);
    expect(await get(view.id)).toEqual(view);

    const page = await json<ProductPage>(await h.request("GET", "/v1/seller/products", { token: seller.token }));
    expect(page.items.map((p) => [p.id, p.variantCount])).toEqual([[view.id, 2]]);

    const patched = await patch(view.id, { title: "Organic cotton tee, relaxed", attributes: { material: "cotton", fit: "relaxed" } }, { "if-match": '"1"' });
    expect(patched.status).toBe(200);
    expect(patched.headers.get("etag")).toBe('"2"');
    const v2 = await json<ProductView>(patched);
    expect(v2).toMatchObject({
      title: "Organic cotton tee, relaxed",
      slug: "organic-cotton-t-shirt",
      version: 2,
      attributes: { material: "cotton", fit: "relaxed" },
    });

    const published = await json<ProductView>(await post(view.id, "publish"));
    expect(published).toMatchObject({ status: "active", version: 3 });
    expect(published.publishedAt).toBe(new Date(h.clock.now).toISOString());
    const firstPublishedAt = published.publishedAt;

    h.clock.advance(60_000);
    expect(await json<ProductView>(await post(view.id, "archive"))).toMatchObject({ status: "archived", version: 4 });
    expect(await json<ProductView>(await post(view.id, "unarchive"))).toMatchObject({ status: "draft", version: 5 });
    const republished = await json<ProductView>(await post(view.id, "publish"));
    expect(republished).toMatchObject({ status: "active", version: 6, publishedAt: firstPublishedAt });

    // an active product is archived by DELETE, not deleted
    const deleted = await h.request("DELETE", product(view.id), { token: seller.token });
    expect(deleted.status).toBe(200);
    expect(deleted.headers.get("etag")).toBe('"7"');
    expect(await json<DeleteProductResult>(deleted)).toMatchObject({ outcome: "archived", product: { status: "archived", version: 7 } });
    const again = await h.request("DELETE", product(view.id), { token: seller.token });
    expect(await json<DeleteProductResult>(again)).toMatchObject({ outcome: "archived", product: { version: 7 } });

    // a draft goes for good, with its variants and attribute values
    const draft = await createProduct(
      h,
      seller.token,
      tshirt(catalog, { variants: [{ sku: "DRAFT-1", options: { colour: "red", size: "S" }, priceMinor: 100 }] }),
    );
    const gone = await h.request("DELETE", product(draft.id), { token: seller.token });
    expect(gone.status).toBe(200);
    expect(await json<DeleteProductResult>(gone)).toEqual({ outcome: "deleted", product: null });
    expect((await h.request("GET", product(draft.id), { token: seller.token })).status).toBe(404);
    expect(await count(h, "product")).toBe(1);
    expect(await count(h, "variant")).toBe(2);
    expect(await count(h, "product_attribute")).toBe(2);
  });

  test("deleting a draft deletes its image rows, then their files", async () => {
    const draft = await createProduct(h, seller.token, tshirt(catalog));
    const imageId = h.deps.ids("image");
    const prefix = `products/${draft.id}/${imageId}`;
    for (const size of ["original", "medium", "thumb"]) await h.deps.files.put(`${prefix}/${size}`, new Uint8Array([1, 2, 3]), "image/png");
    await h.database.db.insert(schema.productImage).values({
      id: imageId,
      productId: draft.id,
      variantId: draft.variants[0]?.id ?? null,
      key: `${prefix}/original`,
      contentType: "image/png",
      width: 1,
      height: 1,
      createdAt: h.clock.now,
    });
    expect(await json<DeleteProductResult>(await h.request("DELETE", product(draft.id), { token: seller.token }))).toMatchObject({ outcome: "deleted" });
    expect(await count(h, "product_image")).toBe(0);
    for (const size of ["original", "medium", "thumb"]) expect(await h.deps.files.get(`${prefix}/${size}`)).toBeUndefined();
  });

  test("publishing needs a variant with a price; a variant added later makes it publishable", async () => {
    const draft = await createProduct(h, seller.token, tshirt(catalog, { variants: [] }));
    expect(draft).toMatchObject({ minPriceMinor: null, maxPriceMinor: null, variants: [] });
    const refused = await post(draft.id, "publish");
    expect(refused.status).toBe(409);
    expect(paths(await problem(refused))).toEqual(["/variants"]);
    await createVariant(h, seller.token, draft.id, { sku: "LATE-1", options: { colour: "black", size: "S" }, priceMinor: 990 });
    expect(await json<ProductView>(await post(draft.id, "publish"))).toMatchObject({ status: "active", minPriceMinor: 990, maxPriceMinor: 990 });
  });

  test("transitions the machine does not have are 409; repeating one changes nothing", async () => {
    const view = await createProduct(h, seller.token, tshirt(catalog));
    expect(await json<ProductView>(await post(view.id, "unarchive"))).toMatchObject({ status: "draft", version: 1 }); // already a draft
    await post(view.id, "publish");
    const twice = await json<ProductView>(await post(view.id, "publish"));
    expect(twice).toMatchObject({ status: "active", version: 2 });
    expect((await post(view.id, "unarchive")).status).toBe(409);
    expect(await outbox(h, "product.updated")).toHaveLength(1);
  });

  test("the list is the seller's own, newest first, filtered by status, in cursor pages", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await createProduct(h, seller.token, book({ title: `Book ${i}` }))).id);
      h.clock.advance(1000);
    }
    await post(ids[1] ?? "", "publish");
    await post(ids[3] ?? "", "publish");
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : "?limit=2";
      const page = await json<ProductPage>(await h.request("GET", `/v1/seller/products${query}`, { token: seller.token }));
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((p) => p.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const active = await json<ProductPage>(await h.request("GET", "/v1/seller/products?status=active", { token: seller.token }));
    expect(active.items.map((p) => p.id)).toEqual([ids[3] ?? "", ids[1] ?? ""]);
    expect((await h.request("GET", "/v1/seller/products?status=gone", { token: seller.token })).status).toBe(422);
    expect((await h.request("GET", "/v1/seller/products?cursor=bm90LWEtY3Vyc29y", { token: seller.token })).status).toBe(400);
  });

  test("variant writes keep the price range current; the last variant of an active product stays", async () => {
    const view = await createProduct(h, seller.token, tshirt(catalog));
    const [red, blue] = view.variants;
    const cheap = await createVariant(h, seller.token, view.id, { sku: "TEE-BLACK-S", options: { colour: "black", size: "S" }, priceMinor: 500 });
    expect(await get(view.id)).toMatchObject({ minPriceMinor: 500, maxPriceMinor: 2199, version: 2 });

    const repriced = await h.request("PATCH", `${product(view.id)}/variants/${blue?.id}`, { token: seller.token, body: { priceMinor: 9999 } });
    expect(repriced.status).toBe(200);
    expect(await json<VariantView>(repriced)).toMatchObject({ priceMinor: 9999, version: 2 });
    expect(await get(view.id)).toMatchObject({ minPriceMinor: 500, maxPriceMinor: 9999, version: 3 });

    expect((await h.request("DELETE", `${product(view.id)}/variants/${cheap.id}`, { token: seller.token })).status).toBe(204);
    expect(await get(view.id)).toMatchObject({ minPriceMinor: 1999, maxPriceMinor: 9999, version: 4 });

    await post(view.id, "publish");
    expect((await h.request("DELETE", `${product(view.id)}/variants/${blue?.id}`, { token: seller.token })).status).toBe(204);
    const last = await h.request("DELETE", `${product(view.id)}/variants/${red?.id}`, { token: seller.token });
    expect(last.status).toBe(409);
    expect(await get(view.id)).toMatchObject({ minPriceMinor: 1999, maxPriceMinor: 1999, status: "active" });
  });

  test("a variant with stock levels is deleted with them; one with units held for checkouts is not", async () => {
    const view = await createProduct(h, seller.token, tshirt(catalog));
    const [red, blue] = view.variants;
    const location = h.deps.ids("location");
    const now = h.clock.now;
    await h.database.client.execute({
      sql: "INSERT INTO stock_location (id, seller_id, name, country, created_at) VALUES (?, ?, 'Main', 'PT', ?)",
      args: [location, seller.userId, now],
    });
    await h.database.client.batch([
      { sql: "INSERT INTO stock_level (variant_id, location_id, on_hand, reserved, updated_at) VALUES (?, ?, 5, 0, ?)", args: [red?.id ?? "", location, now] },
      { sql: "INSERT INTO stock_level (variant_id, location_id, on_hand, reserved, updated_at) VALUES (?, ?, 5, 2, ?)", args: [blue?.id ?? "", location, now] },
    ]);
    const held = await h.request("DELETE", `${product(view.id)}/variants/${blue?.id}`, { token: seller.token });
    expect(held.status).toBe(409);
    expect((await h.request("DELETE", `${product(view.id)}/variants/${red?.id}`, { token: seller.token })).status).toBe(204);
    expect(await count(h, "stock_level")).toBe(1);
    expect(await get(view.id)).toMatchObject({ inStock: true, minPriceMinor: 2199 });
  });

  test("the currency changes only while there are no variants", async () => {
    const withVariants = await createProduct(h, seller.token, tshirt(catalog));
    const refused = await patch(withVariants.id, { currency: "USD", version: 1 });
    expect(refused.status).toBe(409);
    expect(paths(await problem(refused))).toEqual(["/currency"]);
    const bare = await createProduct(h, seller.token, tshirt(catalog, { variants: [] }));
    expect(await json<ProductView>(await patch(bare.id, { currency: "JPY", version: 1 }))).toMatchObject({ currency: "JPY", version: 2 });
    expect((await createVariant(h, seller.token, bare.id, { sku: "YEN-1", options: { colour: "red", size: "S" }, priceMinor: 2000 })).currency).toBe("JPY");
  });

  test("moving to another category: attributes and variant options must fit it", async () => {
    const view = await createProduct(h, seller.token, tshirt(catalog));
    const misfit = await patch(view.id, { categoryId: catalog.books, version: 1 });
    expect(misfit.status).toBe(422);
    const body = await problem(misfit);
    expect(paths(body)).toContain("/attributes/material");
    expect(paths(body)).toContain("/categoryId");
    // to the parent: the attributes it defines fit, but the variants' colour and size are not defined there
    const parent = await patch(view.id, { categoryId: catalog.apparel, attributes: { material: "linen" }, version: 1 });
    expect(parent.status).toBe(422);
    expect(paths(await problem(parent))).toEqual(["/categoryId"]);

    const bare = await createProduct(h, seller.token, tshirt(catalog, { variants: [], attributes: { material: "wool" } }));
    const moved = await json<ProductView>(await patch(bare.id, { categoryId: catalog.apparel, version: 1 }));
    expect(moved).toMatchObject({ categoryId: catalog.apparel, attributes: { material: "wool" }, version: 2 });
  });

  test("a PATCH that changes nothing writes nothing", async () => {
    const view = await createProduct(h, seller.token, tshirt(catalog));
    const same = await patch(view.id, { title: view.title, attributes: view.attributes, brandId: catalog.brand, version: 1 });
    expect(same.status).toBe(200);
    expect((await json<ProductView>(same)).version).toBe(1);
    expect(await outbox(h, "product.updated")).toEqual([]);
  });

  test("brandId null clears the brand", async () => {
    const view = await createProduct(h, seller.token, tshirt(catalog));
    expect(await json<ProductView>(await patch(view.id, { brandId: null, version: 1 }))).toMatchObject({ brandId: null, version: 2 });
  });
});

describe("optimistic concurrency", () => {
  test("PATCH without a version is 422 naming /version; a stale one is 409 VERSION_CONFLICT", async () => {
    const view = await createProduct(h, seller.token, tshirt(catalog));
    const missing = await patch(view.id, { title: "New" });
    expect(missing.status).toBe(422);
    expect(paths(await problem(missing))).toEqual(["/version"]);

    expect((await patch(view.id, { title: "New", version: 1 })).status).toBe(200);
    for (const [body, headers] of [
      [{ title: "Stale" }, { "if-match": '"1"' }],
      [{ title: "Stale", version: 1 }, {}],
      [{ title: "Stale" }, { "if-match": 'W/"1"' }],
    ] as const) {
      const stale = await patch(view.id, body, headers);
      expect(stale.status).toBe(409);
      const conflict = await problem(stale);
      expect(conflict.code).toBe("VERSION_CONFLICT");
      expect(paths(conflict)).toEqual(["/version"]);
    }
    expect(await get(view.id)).toMatchObject({ title: "New", version: 2 });
  });

  test("If-Match and a body version that disagree, or a malformed If-Match, are 422", async () => {
    const view = await createProduct(h, seller.token, tshirt(catalog));
    expect((await patch(view.id, { title: "X", version: 1 }, { "if-match": '"2"' })).status).toBe(422);
    for (const bad of ["*", "abc", '"1", "2"', '"-1"']) {
      const response = await patch(view.id, { title: "X" }, { "if-match": bad });
      expect(response.status).toBe(422);
      expect(paths(await problem(response))).toEqual(["/if-match"]);
    }
  });

  test("two concurrent PATCHes of the same version: exactly one wins, the other is 409", async () => {
    const view = await createProduct(h, seller.token, tshirt(catalog));
    for (let round = 0; round < 5; round++) {
      const version = round + 1;
      const responses = await Promise.all(["left", "right"].map((side) => patch(view.id, { title: `${side} ${round}` }, { "if-match": `"${version}"` })));
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 409]);
      const winner = await json<ProductView>(responses.find((r) => r.status === 200) as Response);
      expect(await get(view.id)).toMatchObject({ title: winner.title, version: version + 1 });
    }
    expect(await outbox(h, "product.updated")).toHaveLength(5);
  });

  test("ten concurrent PATCHes of one version: one winner", async () => {
    const view = await createProduct(h, seller.token, tshirt(catalog));
    const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => patch(view.id, { title: `Writer ${i}`, version: 1 })));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 409)).toHaveLength(9);
    expect((await get(view.id)).version).toBe(2);
  });

  test("a variant PATCH with a stale variant version is 409; status changes honour If-Match", async () => {
    const view = await createProduct(h, seller.token, tshirt(catalog));
    const variantPath = `${product(view.id)}/variants/${view.variants[0]?.id}`;
    expect((await h.request("PATCH", variantPath, { token: seller.token, body: { priceMinor: 1000, version: 1 } })).status).toBe(200);
    const stale = await h.request("PATCH", variantPath, { token: seller.token, body: { priceMinor: 900 }, headers: { "if-match": '"1"' } });
    expect(stale.status).toBe(409);
    expect((await problem(stale)).code).toBe("VERSION_CONFLICT");
    // the variant write moved the product to version 2
    expect((await post(view.id, "publish", seller.token, { "if-match": '"1"' })).status).toBe(409);
    expect((await post(view.id, "publish", seller.token, { "if-match": '"2"' })).status).toBe(200);
  });
});

describe("slugs", () => {
  test("transliterated from the title, cut to 80, suffixed when taken", async () => {
    expect((await createProduct(h, seller.token, book({ title: "Café Crème — Édition Spéciale" }))).slug).toBe("cafe-creme-edition-speciale");
    expect((await createProduct(h, seller.token, book({ title: "Café Crème: édition spéciale!" }))).slug).toBe("cafe-creme-edition-speciale-2");
    expect((await createProduct(h, seller.token, book({ title: "特价商品" }))).slug).toBe("product");
    const long = `${"Extraordinarily ".repeat(10)}long title`;
    const first = await createProduct(h, seller.token, book({ title: long }));
    const second = await createProduct(h, seller.token, book({ title: long }));
    expect(first.slug.length).toBeLessThanOrEqual(80);
    expect(second.slug.length).toBeLessThanOrEqual(80);
    expect(second.slug).toEndWith("-2");
    expect(second.slug).not.toBe(first.slug);
  });

  test("30 concurrent creates with the same title get 30 distinct slugs", async () => {
    const sellers = [seller, await signUp(h, "seller"), await signUp(h, "seller")];
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, i) => h.request("POST", "/v1/seller/products", { token: sellers[i % 3]?.token, body: book({ title: "Same Title" }) })),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(30).fill(201));
    const slugs = (await Promise.all(responses.map((r) => json<ProductView>(r)))).map((p) => p.slug);
    expect(new Set(slugs).size).toBe(30);
    expect(new Set(slugs)).toEqual(new Set(["same-title", ...Array.from({ length: 29 }, (_, i) => `same-title-${i + 2}`)]));
    expect(await count(h, "product")).toBe(30);
    expect(await outbox(h, "product.created")).toHaveLength(30);
  });

  test("two processes (two connections, two write lanes) creating the same title and SKUs at once: distinct slugs, one SKU owner", async () => {
    // a second core process on the same database file: its own client, write lane and app
    const otherDatabase = createDatabase({ url: h.database.url });
    const other = createApp(await createDeps(h.deps.config, { database: otherDatabase, clock: () => h.clock.now, startRelay: false }));
    const send = (app: typeof other, body: unknown) =>
      app.handle(
        new Request("http://localhost/v1/seller/products", {
          method: "POST",
          headers: {
            authorization: `Bearer ${seller.token}`,
            "content-type": "application/json",
            "content-length": String(Buffer.byteLength(JSON.stringify(body))),
          },
          body: JSON.stringify(body),
        }),
      );
    try {
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) => send(i % 2 ? other : h.app, book({ title: "Twin Title", variants: [{ sku: `TWIN-${i % 4}`, priceMinor: 100 }] }))),
      );
      const created = responses.filter((r) => r.status === 201);
      expect(created).toHaveLength(4); // one per SKU
      expect(responses.filter((r) => r.status === 409)).toHaveLength(16);
      const slugs = (await Promise.all(created.map((r) => json<ProductView>(r)))).map((p) => p.slug).sort();
      expect(slugs).toEqual(["twin-title", "twin-title-2", "twin-title-3", "twin-title-4"]);
      expect(await count(h, "product")).toBe(4);
    } finally {
      await otherDatabase.close();
    }
  });
});

describe("SKUs", () => {
  test("unique per seller: the same seller gets 409 naming /sku, another seller may reuse it", async () => {
    await createProduct(h, seller.token, tshirt(catalog));
    const other = await createProduct(h, seller.token, tshirt(catalog, { variants: [] }));
    const clash = await h.request("POST", `${product(other.id)}/variants`, {
      token: seller.token,
      body: { sku: "TEE-RED-M", options: { colour: "black", size: "S" }, priceMinor: 100 },
    });
    expect(clash.status).toBe(409);
    expect(paths(await problem(clash))).toEqual(["/sku"]);

    const rival = await signUp(h, "seller");
    const reused = await createProduct(h, rival.token, tshirt(catalog));
    expect(reused.variants.map((v) => v.sku)).toEqual(["TEE-RED-M", "TEE-BLUE-L"]);

    const rename = await h.request("PATCH", `${product(reused.id)}/variants/${reused.variants[1]?.id}`, { token: rival.token, body: { sku: "TEE-RED-M" } });
    expect(rename.status).toBe(409);
    expect(paths(await problem(rename))).toEqual(["/sku"]);
  });

  test("concurrent variants with one SKU: exactly one is created", async () => {
    const products = await Promise.all([0, 1, 2, 3, 4].map(() => createProduct(h, seller.token, tshirt(catalog, { variants: [] }))));
    const responses = await Promise.all(
      products.flatMap((p) =>
        [0, 1].map((i) =>
          h.request("POST", `${product(p.id)}/variants`, {
            token: seller.token,
            body: { sku: "RACE-1", options: { colour: "red", size: i ? "S" : "M" }, priceMinor: 100 },
          }),
        ),
      ),
    );
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 409)).toHaveLength(9);
    expect(await count(h, "variant")).toBe(1);
  });

  test("concurrent product creates carrying one SKU: exactly one product exists afterwards", async () => {
    const responses = await Promise.all(
      Array.from({ length: 8 }, () =>
        h.request("POST", "/v1/seller/products", {
          token: seller.token,
          body: tshirt(catalog, { variants: [{ sku: "RACE-2", options: { colour: "red", size: "S" }, priceMinor: 100 }] }),
        }),
      ),
    );
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of responses.filter((r) => r.status !== 201)) {
      expect(r.status).toBe(409);
      expect(paths(await problem(r))).toEqual(["/variants/0/sku"]);
    }
    expect(await count(h, "product")).toBe(1);
    expect(await outbox(h, "product.created")).toHaveLength(1);
  });

  test("a duplicate SKU in a multi-variant create leaves no product, no variant and no event", async () => {
    const twice = await h.request("POST", "/v1/seller/products", {
      token: seller.token,
      body: tshirt(catalog, {
        variants: [
          { sku: "DUP", options: { colour: "red", size: "S" }, priceMinor: 100 },
          { sku: "DUP", options: { colour: "red", size: "M" }, priceMinor: 100 },
        ],
      }),
    });
    expect(twice.status).toBe(409);
    expect(paths(await problem(twice))).toEqual(["/variants/1/sku"]);

    await createProduct(h, seller.token, book({ variants: [{ sku: "TAKEN", priceMinor: 100 }] }));
    const clash = await h.request("POST", "/v1/seller/products", {
      token: seller.token,
      body: tshirt(catalog, {
        variants: [
          { sku: "FRESH-1", options: { colour: "red", size: "S" }, priceMinor: 100 },
          { sku: "FRESH-2", options: { colour: "red", size: "M" }, priceMinor: 100 },
          { sku: "TAKEN", options: { colour: "red", size: "L" }, priceMinor: 100 },
        ],
      }),
    });
    expect(clash.status).toBe(409);
    expect(paths(await problem(clash))).toEqual(["/variants/2/sku"]);
    expect(await count(h, "product")).toBe(1);
    expect(await count(h, "variant")).toBe(1);
    expect(await count(h, "product_attribute")).toBe(0);
    expect(await outbox(h, "product.created")).toHaveLength(1);
  });

  test("a SKU that another process takes mid-transaction is still named: the UNIQUE index decides", async () => {
    const view = await createProduct(h, seller.token, tshirt(catalog, { variants: [] }));
    await h.database.client.execute(
      "CREATE TRIGGER steal_sku BEFORE INSERT ON variant WHEN NEW.sku = 'STOLEN' BEGIN SELECT RAISE(ABORT, 'UNIQUE constraint failed: variant.seller_id, variant.sku'); END",
    );
    const response = await h.request("POST", `${product(view.id)}/variants`, {
      token: seller.token,
      body: { sku: "STOLEN", options: { colour: "red", size: "S" }, priceMinor: 100 },
    });
    expect(response.status).toBe(409);
    expect(paths(await problem(response))).toEqual(["/sku"]);
  });
});

describe("attributes and options against the category", () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ["an unknown key", { attributes: { colour_code: "x" } }, "/attributes/colour_code", /not an attribute/],
    ["a string for a number", { attributes: { fabric_weight: "180" } }, "/attributes/fabric_weight", /whole number \(in g\/m²\)/],
    ["a fraction for a number", { attributes: { fabric_weight: 180.5 } }, "/attributes/fabric_weight", /whole number/],
    ["a string for a boolean", { attributes: { organic: "yes" } }, "/attributes/organic", /true or false/],
    ["a number for text", { attributes: { material: 42 } }, "/attributes/material", /text/],
    ["an enum value not allowed", { attributes: { fit: "baggy" } }, "/attributes/fit", /one of "regular", "slim", "relaxed"/],
    ["a key of another category", { attributes: { isbn: "978-3-16-148410-0" } }, "/attributes/isbn", /not an attribute/],
    [
      "an option missing",
      { variants: [{ sku: "A", options: { colour: "red" }, priceMinor: 1 }] },
      "/variants/0/options/size",
      /required: variants in this category differ by it/,
    ],
    [
      "an option that does not define variants",
      { variants: [{ sku: "A", options: { colour: "red", size: "S", fit: "slim" }, priceMinor: 1 }] },
      "/variants/0/options/fit",
      /not a variant-defining attribute/,
    ],
    [
      "an option value not allowed",
      { variants: [{ sku: "A", options: { colour: "purple", size: "S" }, priceMinor: 1 }] },
      "/variants/0/options/colour",
      /one of "red", "blue", "black"/,
    ],
  ];
  for (const [name, overrides, path, message] of cases) {
    test(`${name} → 422 naming ${path}, nothing written`, async () => {
      const response = await h.request("POST", "/v1/seller/products", { token: seller.token, body: tshirt(catalog, overrides) });
      expect(response.status).toBe(422);
      const body = await problem(response);
      const error = body.errors?.find((e) => e.path === path);
      expect(error?.message).toMatch(message);
      expect(await count(h, "product")).toBe(0);
      expect(await count(h, "outbox_event")).toBe(1); // user.registered only
    });
  }

  test("every problem is named at once", async () => {
    const response = await h.request("POST", "/v1/seller/products", {
      token: seller.token,
      body: tshirt(catalog, { attributes: { nope: 1, fit: "baggy" }, variants: [{ sku: "A", options: {}, priceMinor: 5, compareAtMinor: 5 }] }),
    });
    expect(paths(await problem(response)).sort()).toEqual(
      ["/attributes/fit", "/attributes/nope", "/variants/0/compareAtMinor", "/variants/0/options/colour", "/variants/0/options/size"].sort(),
    );
  });

  test("inherited attributes are accepted; a category without variant-defining attributes allows one variant", async () => {
    const view = await createProduct(h, seller.token, book({ attributes: { isbn: "978-3-16-148410-0" } }));
    expect(view.attributes).toEqual({ isbn: "978-3-16-148410-0" });
    const second = await h.request("POST", `${product(view.id)}/variants`, { token: seller.token, body: { sku: "BOOK-2", priceMinor: 100 } });
    expect(second.status).toBe(409);
    expect(paths(await problem(second))).toEqual(["/options"]);
  });

  test("two variants with the same options are one too many (409), in one request or later", async () => {
    const inRequest = await h.request("POST", "/v1/seller/products", {
      token: seller.token,
      body: tshirt(catalog, {
        variants: [
          { sku: "A", options: { colour: "red", size: "S" }, priceMinor: 1 },
          { sku: "B", options: { size: "S", colour: "red" }, priceMinor: 2 },
        ],
      }),
    });
    expect(inRequest.status).toBe(409);
    expect(paths(await problem(inRequest))).toEqual(["/variants/1/options"]);
    const view = await createProduct(h, seller.token, tshirt(catalog));
    const later = await h.request("POST", `${product(view.id)}/variants`, {
      token: seller.token,
      body: { sku: "C", options: { colour: "red", size: "M" }, priceMinor: 1 },
    });
    expect(later.status).toBe(409);
    const moved = await h.request("PATCH", `${product(view.id)}/variants/${view.variants[1]?.id}`, {
      token: seller.token,
      body: { options: { colour: "red", size: "M" } },
    });
    expect(moved.status).toBe(409);
    expect(paths(await problem(moved))).toEqual(["/options"]);
  });
});

describe("prices and measures", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["a negative price", { priceMinor: -1 }, "/priceMinor"],
    ["a fractional price", { priceMinor: 19.99 }, "/priceMinor"],
    ["a price as a string", { priceMinor: "1999" }, "/priceMinor"],
    ["a price of 10^13", { priceMinor: 10_000_000_000_000 }, "/priceMinor"],
    ["no price", { priceMinor: undefined }, "/priceMinor"],
    ["a compare-at price not above the price", { priceMinor: 1000, compareAtMinor: 1000 }, "/compareAtMinor"],
    ["a zero weight", { weightGrams: 0 }, "/weightGrams"],
    ["a negative length", { lengthMm: -5 }, "/lengthMm"],
    ["a fractional width", { widthMm: 2.5 }, "/widthMm"],
    ["a barcode with a wrong check digit", { barcode: "4006381333932" }, "/barcode"],
    ["a barcode of the wrong length", { barcode: "123456789" }, "/barcode"],
  ];
  for (const [name, overrides, path] of cases) {
    test(`${name} → 422 naming ${path}`, async () => {
      const view = await createProduct(h, seller.token, tshirt(catalog, { variants: [] }));
      const response = await h.request("POST", `${product(view.id)}/variants`, {
        token: seller.token,
        body: { sku: "P-1", options: { colour: "red", size: "S" }, priceMinor: 1000, ...overrides },
      });
      expect(response.status).toBe(422);
      expect(paths(await problem(response))).toContain(path);
      expect(await count(h, "variant")).toBe(0);
    });
  }

  test("0 and 10^12 are prices; GTIN-8, -12, -13 and -14 are barcodes", async () => {
    const view = await createProduct(h, seller.token, tshirt(catalog, { variants: [] }));
    const combos = [
      ["red", "S", 0, "96385074"],
      ["red", "M", 1_000_000_000_000, "036000291452"],
      ["red", "L", 1, "4006381333931"],
      ["blue", "S", 2, "10614141000415"],
    ] as const;
    for (const [colour, size, priceMinor, barcode] of combos) {
      const variant = await createVariant(h, seller.token, view.id, { sku: `${colour}-${size}`, options: { colour, size }, priceMinor, barcode });
      expect(variant).toMatchObject({ priceMinor, barcode });
    }
    expect(await get(view.id)).toMatchObject({ minPriceMinor: 0, maxPriceMinor: 1_000_000_000_000 });
  });

  test("a PATCH that would put the price at or above the compare-at price names the field it sent", async () => {
    const view = await createProduct(h, seller.token, tshirt(catalog));
    const variantPath = `${product(view.id)}/variants/${view.variants[0]?.id}`; // 1999, compare-at 2499
    const price = await h.request("PATCH", variantPath, { token: seller.token, body: { priceMinor: 2499 } });
    expect(paths(await problem(price))).toEqual(["/priceMinor"]);
    const compareAt = await h.request("PATCH", variantPath, { token: seller.token, body: { compareAtMinor: 1000 } });
    expect(paths(await problem(compareAt))).toEqual(["/compareAtMinor"]);
    const both = await h.request("PATCH", variantPath, { token: seller.token, body: { priceMinor: 2499, compareAtMinor: null, weightGrams: null } });
    expect(await json<VariantView>(both)).toMatchObject({ priceMinor: 2499, compareAtMinor: null, weightGrams: null });
  });
});

describe("references", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["an unsupported currency", { currency: "XYZ" }, "/currency"],
    ["a lowercase currency", { currency: "eur" }, "/currency"],
    ["an unknown category", { categoryId: "cat_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C" }, "/categoryId"],
    ["a malformed category id", { categoryId: "electronics" }, "/categoryId"],
    ["an unknown brand", { brandId: "brd_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C" }, "/brandId"],
    ["a product id as the brand", { brandId: "prd_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C" }, "/brandId"],
    ["an unknown field", { sellerId: "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C" }, "/sellerId"],
    ["a description over 20,000 characters", { description: "x".repeat(20_001) }, "/description"],
    ["a title with a NUL", { title: "Tee\u0000shirt" }, "/title"],
    ["a blank title", { title: "   " }, "/title"],
  ];
  for (const [name, overrides, path] of cases) {
    test(`${name} → 422 naming ${path}`, async () => {
      const response = await h.request("POST", "/v1/seller/products", { token: seller.token, body: tshirt(catalog, overrides) });
      expect(response.status).toBe(422);
      expect(paths(await problem(response))).toContain(path);
      expect(await count(h, "product")).toBe(0);
    });
  }

  test("PATCH to an unknown category or brand → 422 naming it", async () => {
    const view = await createProduct(h, seller.token, tshirt(catalog));
    expect(paths(await problem(await patch(view.id, { categoryId: "cat_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", version: 1 })))).toEqual(["/categoryId"]);
    expect(paths(await problem(await patch(view.id, { brandId: "brd_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", version: 1 })))).toEqual(["/brandId"]);
  });

  test("a 20,000-character description is accepted", async () => {
    const view = await createProduct(h, seller.token, tshirt(catalog, { description: "x".repeat(20_000) }));
    expect(view.description.length).toBe(20_000);
  });
});

describe("suspension", () => {
  test("an admin suspends; the seller can neither publish, archive nor delete it; the admin lifts it", async () => {
    const admin = await signUp(h, "admin");
    const view = await createProduct(h, seller.token, tshirt(catalog));
    await post(view.id, "publish");
    const byAdmin = (status: string) =>
      h.request("PUT", `/v1/admin/products/${view.id}/status`, { token: admin.token, body: { status, reason: "Counterfeit report" } });

    const suspended = await byAdmin("suspended");
    expect(suspended.status).toBe(200);
    expect(await json<ProductView>(suspended)).toMatchObject({ status: "suspended", version: 3 });
    for (const action of ["publish", "archive", "unarchive"]) {
      const refused = await post(view.id, action);
      expect(refused.status).toBe(409);
      expect((await problem(refused)).detail).toMatch(/suspended/);
    }
    expect((await h.request("DELETE", product(view.id), { token: seller.token })).status).toBe(409);
    expect((await h.request("PUT", `/v1/admin/products/${view.id}/status`, { token: seller.token, body: { status: "active", reason: "mine" } })).status).toBe(
      403,
    );
    // the seller may still fix the listing
    expect((await patch(view.id, { title: "Genuine tee", version: 3 })).status).toBe(200);
    expect((await get(view.id)).status).toBe("suspended");

    expect(await json<ProductView>(await byAdmin("draft"))).toMatchObject({ status: "draft" });
    expect(await json<ProductView>(await post(view.id, "publish"))).toMatchObject({ status: "active" });
    expect((await outbox(h, "product.updated")).map((e) => e.payload.changed)).toEqual([["status"], ["status"], ["title"], ["status"], ["status"]]);
  });

  test("an admin cannot make a product without variants active; an unknown product is 404", async () => {
    const admin = await signUp(h, "admin");
    const view = await createProduct(h, seller.token, tshirt(catalog, { variants: [] }));
    const refused = await h.request("PUT", `/v1/admin/products/${view.id}/status`, { token: admin.token, body: { status: "active", reason: "go" } });
    expect(refused.status).toBe(409);
    const missing = await h.request("PUT", "/v1/admin/products/prd_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C/status", {
      token: admin.token,
      body: { status: "suspended", reason: "x" },
    });
    expect(missing.status).toBe(404);
    const noReason = await h.request("PUT", `/v1/admin/products/${view.id}/status`, { token: admin.token, body: { status: "suspended" } });
    expect(paths(await problem(noReason))).toEqual(["/reason"]);
  });

  test("an admin may act on any seller's product through the seller routes", async () => {
    const admin = await signUp(h, "admin");
    const view = await createProduct(h, seller.token, tshirt(catalog));
    expect((await get(view.id, admin.token)).id).toBe(view.id);
    expect((await patch(view.id, { title: "Edited by staff", version: 1 }, {}, admin.token)).status).toBe(200);
    const variant = await createVariant(h, admin.token, view.id, { sku: "STAFF-1", options: { colour: "black", size: "L" }, priceMinor: 1 });
    const [row] = (await h.database.client.execute({ sql: "SELECT seller_id FROM variant WHERE id = ?", args: [variant.id] })).rows;
    expect(row?.seller_id).toBe(seller.userId); // the product's seller's SKU space, not the admin's
  });
});

describe("events", () => {
  test("each write puts its event in the outbox with the right payload", async () => {
    const view = await createProduct(h, seller.token, tshirt(catalog));
    const ref = { productId: view.id, sellerId: seller.userId, slug: view.slug, categoryId: catalog.tshirts };
    const created = await outbox(h, "product.created");
    expect(created.map((e) => e.payload)).toEqual([{ ...ref, status: "draft" }]);
    expect(created[0]?.requestId).toStartWith("req_");

    await patch(view.id, { title: "New title", description: "New", attributes: { material: "hemp" }, version: 1 });
    const [blue] = view.variants.slice(1);
    await h.request("PATCH", `${product(view.id)}/variants/${blue?.id}`, { token: seller.token, body: { priceMinor: 2599 } });
    await h.request("PATCH", `${product(view.id)}/variants/${blue?.id}`, { token: seller.token, body: { weightGrams: 200 } });
    await createVariant(h, seller.token, view.id, { sku: "CHEAP", options: { colour: "black", size: "S" }, priceMinor: 10 });
    await post(view.id, "publish");

    expect((await outbox(h, "product.updated")).map((e) => e.payload)).toEqual([
      { ...ref, status: "draft", changed: ["title", "description", "attributes"] },
      { ...ref, status: "draft", changed: ["variants", "maxPriceMinor"] },
      { ...ref, status: "draft", changed: ["variants"] },
      { ...ref, status: "draft", changed: ["variants", "minPriceMinor"] },
      { ...ref, status: "active", changed: ["status"] },
    ]);
    expect((await outbox(h, "variant.price_changed")).map((e) => e.payload)).toEqual([
      { productId: view.id, variantId: blue?.id, currency: "EUR", oldPriceMinor: 2199, newPriceMinor: 2599 },
    ]);

    const draft = await createProduct(h, seller.token, book());
    await h.request("DELETE", product(draft.id), { token: seller.token });
    expect((await outbox(h, "product.deleted")).map((e) => e.payload)).toEqual([
      { productId: draft.id, sellerId: seller.userId, slug: draft.slug, categoryId: catalog.books },
    ]);
  });

  test("a refused write leaves no event", async () => {
    const view = await createProduct(h, seller.token, tshirt(catalog));
    const before = await count(h, "outbox_event");
    await patch(view.id, { title: "X", version: 9 });
    await patch(view.id, { attributes: { nope: 1 }, version: 1 });
    await h.request("POST", `${product(view.id)}/variants`, {
      token: seller.token,
      body: { sku: "TEE-RED-M", options: { colour: "black", size: "S" }, priceMinor: 1 },
    });
    await h.request("PATCH", `${product(view.id)}/variants/${view.variants[0]?.id}`, { token: seller.token, body: { priceMinor: 5000 } });
    expect(await count(h, "outbox_event")).toBe(before);
    expect(await get(view.id)).toMatchObject({ version: 1, minPriceMinor: 1999 });
  });
});

describe("hostile input", () => {
  const hostile = [
    "Robert'); DROP TABLE product;--",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{constructor.constructor('alert(1)')()}}",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, on purpose
    "${7*7} %s %n",
    "\u202egnp.exe",
    "👨‍👩‍👧‍👦 Ω ﷽",
  ];

  test("every text field stores hostile strings as data and returns them unchanged", async () => {
    for (const [i, text] of hostile.entries()) {
      const view = await createProduct(
        h,
        seller.token,
        tshirt(catalog, {
          title: text,
          description: text,
          attributes: { material: text },
          variants: [{ sku: `${text} ${i}`, options: { colour: "red", size: "S" }, priceMinor: 1 }],
        }),
      );
      expect(view).toMatchObject({ title: text, description: text, attributes: { material: text } });
      expect(view.variants[0]?.sku).toBe(`${text} ${i}`);
      expect(view.slug).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
      expect(view.descriptionHtml).not.toContain("<script");
      expect(view.descriptionHtml).not.toContain("<img");
      expect(await get(view.id)).toEqual(view);
    }
    expect(await count(h, "product")).toBe(hostile.length);
  });

  test("XSS in the description is stored as written and rendered inert", async () => {
    const description = "<script>alert(1)</script>\n\n[x](javascript:alert(1))\n\n<b onmouseover=alert(1)>raw</b>\n\n<img src=x onerror=alert(1)>";
    const view = await createProduct(h, seller.token, tshirt(catalog, { description }));
    expect(view.description).toBe(description);
    expect(view.descriptionHtml).toBe(
      "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n<p>[x](javascript:alert(1))</p>\n<p>&lt;b onmouseover=alert(1)&gt;raw&lt;/b&gt;</p>\n<p>&lt;img src=x onerror=alert(1)&gt;</p>\n",
    );
  });

  test("malformed bodies are 4xx problems, never 500, never a write", async () => {
    for (const options of [
      { rawBody: '{"title": "x",' },
      { rawBody: "null" },
      { body: [tshirt(catalog)] },
      { body: tshirt(catalog, { attributes: { ["a".repeat(65)]: 1 } }) },
      { rawBody: JSON.stringify(tshirt(catalog, { attributes: {} })).replace('"attributes":{}', '"attributes":{"__proto__":{"isAdmin":true}}') },
      { rawBody: JSON.stringify(tshirt(catalog, { attributes: {} })).replace('"attributes":{}', '"attributes":{"__proto__":"x"}') },
      { body: tshirt(catalog, { variants: Array.from({ length: 101 }, (_, i) => ({ sku: `S${i}`, priceMinor: 1 })) }) },
    ]) {
      const response = await h.request("POST", "/v1/seller/products", { token: seller.token, ...options });
      expect([400, 409, 422]).toContain(response.status);
      await problem(response);
    }
    expect(await count(h, "product")).toBe(0);
  });
});
