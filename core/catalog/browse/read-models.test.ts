// The catalog's database-maintained read models (migration 0005): stored product pages, the catalog epoch,
// the list's serialised entries, and the in-process EpochCache over them. Every change is made the way the
// rest of the app makes it (through this process's `Database` handle) unless a test plays another process.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createIdGenerator, type IdGenerator, MAX_PAGE_LIMIT, PublicProductDetail, PublicProductPage, PublicProductSummary } from "@bazaar/contracts";
import { createDatabase, type Db, schema } from "@bazaar/db";
import { Value } from "@sinclair/typebox/value";
import { and, eq, sql } from "drizzle-orm";
import { createHarness, type Harness } from "../../testing/harness.ts";
import { cacheableBody } from "./http-cache.ts";
import * as repo from "./repo.ts";
import { CATALOG_RECHECK_MS } from "./routes.ts";
import { getPublicProduct } from "./service.ts";
import { catalogFixtures, type ProductFixture } from "./test-fixtures.ts";

let h: Harness;
let fixtures: ReturnType<typeof catalogFixtures>;
let ids: IdGenerator;
let seller: string;
let otherSeller: string;
let brand: string;
let otherBrand: string;
/** where most products live: knives (a leaf) under kitchen under home */
let shop: Tree;
/** a category outside `shop`'s tree */
let garden: string;

interface Tree {
  root: string;
  mid: string;
  leaf: string;
  slugs: { root: string; mid: string; leaf: string };
}
type Made = Awaited<ReturnType<ReturnType<typeof catalogFixtures>["product"]>>;
type ProductRow = typeof schema.product.$inferInsert;

beforeAll(async () => {
  h = await createHarness();
  fixtures = catalogFixtures(h.database, () => h.clock.now);
  ids = createIdGenerator(() => h.clock.now);
  seller = await fixtures.seller("Blade & Co");
  otherSeller = await fixtures.seller("Green Thumb");
  brand = await fixtures.brand("sharpco", "SharpCo");
  otherBrand = await fixtures.brand("leafy", "Leafy");
  shop = await newTree();
  garden = await fixtures.category("garden", { name: "Garden" });
});
afterAll(() => h.destroy());

// ---- fixtures ----

let trees = 0;
/** A fresh three-level category tree with an attribute defined at each of its upper levels, so tests that rename or move categories stay apart. */
async function newTree(): Promise<Tree> {
  trees++;
  const slugs = { root: `root-${trees}`, mid: `mid-${trees}`, leaf: `leaf-${trees}` };
  const root = await fixtures.category(slugs.root, { name: `Root ${trees}` });
  const mid = await fixtures.category(slugs.mid, { name: `Mid ${trees}`, parentId: root });
  const leaf = await fixtures.category(slugs.leaf, { name: `Leaf ${trees}`, parentId: mid });
  await fixtures.attribute(root, { key: "warranty_years", type: "number", label: "Warranty", unit: "years" });
  await fixtures.attribute(mid, { key: "material", type: "text", label: "Material" });
  return { root, mid, leaf, slugs };
}

/** An active product with two variants (the cheaper one on offer), stock at one location, a two-image gallery and two attributes. */
function make(overrides: Partial<ProductFixture> = {}): Promise<Made> {
  return fixtures.product({
    sellerId: seller,
    categoryId: shop.leaf,
    brandId: brand,
    title: "Chef's knife",
    description: "Forged steel",
    variants: [
      { price: 1000, compareAt: 1500, options: { size: "S" }, stock: [{ onHand: 50, threshold: 5 }] },
      { price: 2000, options: { size: "L" }, stock: [{ onHand: 50, threshold: 5 }] },
    ],
    images: [{ alt: "front" }, { alt: "back" }],
    attributes: { warranty_years: 2, material: "steel" },
    ...overrides,
  });
}

function nth<T>(list: readonly T[], i: number): T {
  const item = list[i];
  if (item === undefined) throw new Error(`nothing at ${i}`);
  return item;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

// ---- writes, always through this process's handle ----

type Change = (db: Db) => Promise<unknown>;
const write = (change: Change) => h.database.write(change);
const updateProduct =
  (id: string, fields: Partial<ProductRow>): Change =>
  (db) =>
    db.update(schema.product).set(fields).where(eq(schema.product.id, id));
const setProduct = (id: string, fields: Partial<ProductRow>) => write(updateProduct(id, fields));
const updateVariant =
  (id: string, fields: Partial<typeof schema.variant.$inferInsert>): Change =>
  (db) =>
    db.update(schema.variant).set(fields).where(eq(schema.variant.id, id));
/** Sets the stock of every location of a variant at once (one statement). */
const updateStock =
  (variantId: string, fields: Partial<typeof schema.stockLevel.$inferInsert>): Change =>
  (db) =>
    db.update(schema.stockLevel).set(fields).where(eq(schema.stockLevel.variantId, variantId));

async function newLocation(sellerId: string): Promise<string> {
  const id = ids("location");
  await write((db) => db.insert(schema.stockLocation).values({ id, sellerId, name: "Shop floor", country: "PT", createdAt: h.clock.now }));
  return id;
}

// ---- reads ----

const get = (path: string) => h.request("GET", path);

interface Viewed {
  detail: PublicProductDetail;
  json: string;
  etag: string;
}

/** GET /v1/products/{idOrSlug}: 200 and a valid page. */
async function view(idOrSlug: string): Promise<Viewed> {
  const response = await get(`/v1/products/${idOrSlug}`);
  const json = await response.text();
  expect(response.status, json).toBe(200);
  const detail = JSON.parse(json) as PublicProductDetail;
  expect(Value.Check(PublicProductDetail, detail)).toBe(true);
  return { detail, json, etag: response.headers.get("etag") ?? "" };
}

async function storedPage(productId: string) {
  const [row] = await h.database.db.select().from(schema.productPage).where(eq(schema.productPage.productId, productId));
  return row;
}

async function epoch(): Promise<number> {
  const [row] = await h.database.db.select().from(schema.catalogEpoch);
  if (!row) throw new Error("no catalog_epoch row");
  return row.value;
}

/** What a page build gives right now, from the catalog tables (the oracle every served page must equal). */
function freshDetail(productId: string): Promise<PublicProductDetail> {
  return getPublicProduct({ database: h.database }, productId, "id");
}

/** Views a page and checks the stored row is exactly what was served. */
async function viewStored(productId: string): Promise<Viewed> {
  const viewed = await view(productId);
  const row = await storedPage(productId);
  expect(row?.document).toBe(viewed.json);
  expect(row?.etag).toBe(viewed.etag);
  return viewed;
}

/**
 * The dependency check: with the page stored, `change` (one write) must delete the stored row and advance the
 * epoch by itself; the next view is a new page equal to a fresh build. Returns that page.
 */
async function changeShows(productId: string, change: Change): Promise<PublicProductDetail> {
  const before = await viewStored(productId);
  const epochBefore = await epoch();
  await write(change);
  expect(await storedPage(productId)).toBeUndefined();
  expect(await epoch()).toBeGreaterThan(epochBefore);
  const after = await viewStored(productId);
  expect(after.etag).not.toBe(before.etag);
  expect(after.detail).toEqual(await freshDetail(productId));
  return after.detail;
}

/** The stored row of a page `change` must leave alone: the same row (not rebuilt: the clock moved, so a rebuild would show in built_at). */
async function expectPageKept(productId: string, change: () => Promise<unknown>): Promise<void> {
  await viewStored(productId);
  const row = await storedPage(productId);
  h.clock.advance(1);
  await change();
  expect(await storedPage(productId)).toEqual(row);
}

async function listPage(query: URLSearchParams): Promise<PublicProductPage> {
  const response = await get(`/v1/products?${query}`);
  const text = await response.text();
  expect(response.status, text).toBe(200);
  const body = JSON.parse(text) as PublicProductPage;
  expect(Value.Check(PublicProductPage, body)).toBe(true);
  return body;
}

/** Every item of a list, following its cursors. */
async function listAll(filters: Record<string, string> = {}): Promise<PublicProductSummary[]> {
  const items: PublicProductSummary[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ ...filters, limit: String(MAX_PAGE_LIMIT) });
    if (cursor) query.set("cursor", cursor);
    const body = await listPage(query);
    items.push(...body.items);
    cursor = body.nextCursor;
  } while (cursor);
  return items;
}

async function listedItem(productId: string, filters: Record<string, string> = {}): Promise<PublicProductSummary | undefined> {
  return (await listAll(filters)).find((item) => item.id === productId);
}

async function storedSummary(productId: string): Promise<PublicProductSummary> {
  const [row] = await h.database.db.select({ summary: schema.product.listSummary }).from(schema.product).where(eq(schema.product.id, productId));
  if (!row?.summary) throw new Error(`no list_summary for ${productId}`);
  return JSON.parse(row.summary) as PublicProductSummary;
}

/** The view the triggers copy from, computed now: what list_summary must always equal. */
async function computedSummary(productId: string): Promise<PublicProductSummary> {
  const result = await h.database.client.execute({ sql: "SELECT summary FROM product_list_summary WHERE product_id = ?", args: [productId] });
  const summary = result.rows[0]?.summary;
  if (typeof summary !== "string") throw new Error(`no summary computed for ${productId}`);
  return JSON.parse(summary) as PublicProductSummary;
}

/** What the list must say of a product, taken from its page: the two are built by different code (SQL view, TypeScript). */
function summaryFromDetail(detail: PublicProductDetail): PublicProductSummary {
  if (!detail.price) throw new Error(`${detail.id} has no price: it cannot be listed`);
  return {
    id: detail.id,
    slug: detail.slug,
    title: detail.title,
    brand: detail.brand,
    category: detail.category,
    price: detail.price,
    ...(detail.compareAt === undefined ? {} : { compareAt: detail.compareAt }),
    inStock: detail.inStock,
    thumbnailUrl: detail.thumbnailUrl,
    rating: detail.rating,
  };
}

/** list_summary equals a fresh computation, the list's item, and the page's fields. */
async function expectSummaryTrue(productId: string): Promise<PublicProductSummary> {
  const stored = await storedSummary(productId);
  expect(Value.Check(PublicProductSummary, stored)).toBe(true);
  expect(stored).toEqual(await computedSummary(productId));
  expect(stored).toEqual(summaryFromDetail(await freshDetail(productId)));
  expect(await listedItem(productId)).toEqual(stored);
  return stored;
}

// ---- the tests ----

describe("product_page: each change to what a page shows deletes it in the change's own write; the next view rebuilds it", () => {
  const PRODUCT_COLUMNS: { column: string; set: (p: Made) => Partial<ProductRow>; shows: (d: PublicProductDetail, p: Made) => void }[] = [
    { column: "title", set: () => ({ title: "Santoku" }), shows: (d) => expect(d.title).toBe("Santoku") },
    {
      column: "slug",
      set: (p) => ({ slug: `renamed-${p.id.slice(-8).toLowerCase()}` }),
      shows: (d, p) => expect(d.slug).toBe(`renamed-${p.id.slice(-8).toLowerCase()}`),
    },
    {
      column: "description",
      set: () => ({ description: "Forged **carbon** steel" }),
      shows: (d) => expect(d.descriptionHtml).toContain("<strong>carbon</strong>"),
    },
    {
      column: "min and max price",
      set: () => ({ minPriceMinor: 900, maxPriceMinor: 2100 }),
      shows: (d) => expect(d.price).toEqual({ currency: "EUR", min: 900, max: 2100 }),
    },
    { column: "currency", set: () => ({ currency: "USD" }), shows: (d) => expect(d.price?.currency).toBe("USD") },
    { column: "in_stock", set: () => ({ inStock: false }), shows: (d) => expect(d.inStock).toBe(false) },
    {
      column: "rating",
      set: () => ({ ratingAverageX100: 450, ratingCount: 2 }),
      shows: (d) => expect(d.rating).toEqual({ average: 4.5, count: 2 }),
    },
    {
      column: "published_at",
      set: () => ({ publishedAt: Date.UTC(2026, 0, 2) }),
      shows: (d) => expect(d.publishedAt).toBe(new Date(Date.UTC(2026, 0, 2)).toISOString()),
    },
    {
      column: "updated_at",
      set: () => ({ updatedAt: Date.UTC(2026, 0, 3) }),
      shows: (d) => expect(d.updatedAt).toBe(new Date(Date.UTC(2026, 0, 3)).toISOString()),
    },
    { column: "brand_id", set: () => ({ brandId: otherBrand }), shows: (d) => expect(d.brand).toEqual({ slug: "leafy", name: "Leafy" }) },
    { column: "brand_id to none", set: () => ({ brandId: null }), shows: (d) => expect(d.brand).toBeNull() },
    {
      column: "category_id",
      set: () => ({ categoryId: garden }),
      shows: (d) => expect(d.breadcrumbs).toEqual([{ slug: "garden", name: "Garden" }]),
    },
    { column: "seller_id", set: () => ({ sellerId: otherSeller }), shows: (d) => expect(d.seller).toEqual({ id: otherSeller, name: "Green Thumb" }) },
  ];
  for (const { column, set, shows } of PRODUCT_COLUMNS) {
    test(`product ${column}`, async () => {
      const p = await make();
      shows(await changeShows(p.id, updateProduct(p.id, set(p))), p);
    });
  }

  test("a new slug serves the page by it; the old slug is a 404 at once", async () => {
    const p = await make();
    await view(p.slug);
    await setProduct(p.id, { slug: `moved-${p.slug}` });
    expect((await get(`/v1/products/${p.slug}`)).status).toBe(404);
    expect((await view(`moved-${p.slug}`)).detail.id).toBe(p.id);
  });

  test("a change rolled back leaves the page and the epoch as they were (the trigger runs in the change's transaction)", async () => {
    const p = await make();
    const before = await viewStored(p.id);
    const epochBefore = await epoch();
    const row = await storedPage(p.id);
    const refused = h.database.transaction(async (tx) => {
      await tx.update(schema.product).set({ title: "Never committed" }).where(eq(schema.product.id, p.id));
      throw new Error("rolled back");
    });
    await expect(refused).rejects.toThrow("rolled back");
    expect(await storedPage(p.id)).toEqual(row);
    expect(await epoch()).toBe(epochBefore);
    expect((await view(p.id)).etag).toBe(before.etag);
  });

  test("popularity is not on the page: the stored page stays, but the epoch moves (it orders lists)", async () => {
    const p = await make();
    await viewStored(p.id);
    const epochBefore = await epoch();
    await expectPageKept(p.id, () => setProduct(p.id, { popularity: 999 }));
    expect(await epoch()).toBeGreaterThan(epochBefore);
  });

  for (const status of ["archived", "suspended", "draft"] as const) {
    test(`product ${status}: its page is a 404 at once, its stored row gone, and lists drop it`, async () => {
      const p = await make();
      await viewStored(p.id);
      expect(await listedItem(p.id)).toBeDefined();
      await setProduct(p.id, { status });
      expect(await storedPage(p.id)).toBeUndefined();
      expect((await get(`/v1/products/${p.id}`)).status).toBe(404);
      expect((await get(`/v1/products/${p.slug}`)).status).toBe(404);
      expect(await listedItem(p.id)).toBeUndefined();
      // still 404 once it has had the chance to be stored again
      expect((await get(`/v1/products/${p.id}`)).status).toBe(404);
      expect(await storedPage(p.id)).toBeUndefined();
    });
  }

  test("product deleted: its stored row goes with it and its page is a 404", async () => {
    // no variants, images or attributes: only the product's own delete trigger can remove the page
    const p = await make({ variants: [], images: [], attributes: {} });
    await viewStored(p.id);
    const epochBefore = await epoch();
    await write((db) => db.delete(schema.product).where(eq(schema.product.id, p.id)));
    expect(await storedPage(p.id)).toBeUndefined();
    expect(await epoch()).toBeGreaterThan(epochBefore);
    expect((await get(`/v1/products/${p.id}`)).status).toBe(404);
  });

  describe("variants", () => {
    test("a variant's price", async () => {
      const p = await make();
      const detail = await changeShows(p.id, updateVariant(nth(p.variantIds, 1), { priceMinor: 2500 }));
      expect(detail.variants.map((v) => v.price)).toEqual([1000, 2500]);
    });

    test("a variant's compare-at price", async () => {
      const p = await make();
      const detail = await changeShows(p.id, updateVariant(nth(p.variantIds, 0), { compareAtMinor: 1800 }));
      expect(nth(detail.variants, 0).compareAt).toBe(1800);
      expect(detail.compareAt).toBe(1800);
    });

    test("a variant's sku and options", async () => {
      const p = await make();
      const detail = await changeShows(p.id, updateVariant(nth(p.variantIds, 0), { sku: "KNIFE-XS", options: { size: "XS" } }));
      expect(nth(detail.variants, 0)).toMatchObject({ sku: "KNIFE-XS", options: { size: "XS" } });
    });

    test("a variant added", async () => {
      const p = await make();
      const id = ids("variant");
      const detail = await changeShows(p.id, (db) =>
        db.insert(schema.variant).values({
          id,
          productId: p.id,
          sellerId: seller,
          sku: "KNIFE-XL",
          options: { size: "XL" },
          priceMinor: 3000,
          currency: "EUR",
          position: 2,
          createdAt: h.clock.now,
          updatedAt: h.clock.now,
        }),
      );
      expect(detail.variants.map((v) => v.id)).toEqual([...p.variantIds, id]);
      expect(nth(detail.variants, 2).stock).toBe("out");
    });

    test("a variant deleted", async () => {
      const p = await make({ variants: [{ price: 1000, stock: [{ onHand: 5 }] }, { price: 1200 }] });
      const gone = nth(p.variantIds, 1);
      const detail = await changeShows(p.id, (db) => db.delete(schema.variant).where(eq(schema.variant.id, gone)));
      expect(detail.variants.map((v) => v.id)).toEqual([nth(p.variantIds, 0)]);
    });
  });

  describe("gallery", () => {
    test("an image added", async () => {
      const p = await make();
      const id = ids("image");
      const detail = await changeShows(p.id, (db) =>
        db.insert(schema.productImage).values({
          id,
          productId: p.id,
          key: `products/${p.id}/${id}`,
          contentType: "image/webp",
          width: 800,
          height: 600,
          alt: "side",
          position: 2,
          createdAt: h.clock.now,
        }),
      );
      expect(detail.images.map((i) => i.alt)).toEqual(["front", "back", "side"]);
    });

    test("images reordered: the gallery order and the thumbnail follow", async () => {
      const p = await make();
      const [front, back] = [nth(p.imageIds, 0), nth(p.imageIds, 1)];
      const detail = await changeShows(p.id, async (db) => {
        await db.update(schema.productImage).set({ position: 5 }).where(eq(schema.productImage.id, front));
        await db.update(schema.productImage).set({ position: 0 }).where(eq(schema.productImage.id, back));
      });
      expect(detail.images.map((i) => i.id)).toEqual([back, front]);
      expect(detail.thumbnailUrl).toBe(`/v1/images/${back}/thumb`);
    });

    test("an image's alt text", async () => {
      const p = await make();
      const detail = await changeShows(p.id, (db) =>
        db
          .update(schema.productImage)
          .set({ alt: "blade, close up" })
          .where(eq(schema.productImage.id, nth(p.imageIds, 0))),
      );
      expect(nth(detail.images, 0).alt).toBe("blade, close up");
    });

    test("an image deleted", async () => {
      const p = await make();
      const detail = await changeShows(p.id, (db) => db.delete(schema.productImage).where(eq(schema.productImage.id, nth(p.imageIds, 0))));
      expect(detail.images.map((i) => i.alt)).toEqual(["back"]);
      expect(detail.thumbnailUrl).toBe(`/v1/images/${nth(p.imageIds, 1)}/thumb`);
    });
  });

  describe("attributes", () => {
    const attribute = (productId: string, key: string) => and(eq(schema.productAttribute.productId, productId), eq(schema.productAttribute.key, key));

    test("an attribute's value", async () => {
      const p = await make();
      const detail = await changeShows(p.id, (db) => db.update(schema.productAttribute).set({ valueText: "ceramic" }).where(attribute(p.id, "material")));
      expect(detail.attributes.find((a) => a.key === "material")?.value).toBe("ceramic");
    });

    test("an attribute added", async () => {
      const p = await make();
      const detail = await changeShows(p.id, (db) => db.insert(schema.productAttribute).values({ productId: p.id, key: "origin", valueText: "Seki" }));
      expect(detail.attributes.find((a) => a.key === "origin")).toEqual({ key: "origin", label: "origin", unit: null, value: "Seki" });
    });

    test("an attribute deleted", async () => {
      const p = await make();
      const detail = await changeShows(p.id, (db) => db.delete(schema.productAttribute).where(attribute(p.id, "warranty_years")));
      expect(detail.attributes.map((a) => a.key)).toEqual(["material"]);
    });
  });

  describe("the category chain (breadcrumbs, attribute labels), for the whole subtree only", () => {
    test("an ancestor renamed: breadcrumbs of products below it; a product in another tree keeps its page", async () => {
      const tree = await newTree();
      const p = await make({ categoryId: tree.leaf });
      const bystander = await make({ categoryId: shop.leaf });
      await viewStored(bystander.id);
      const kept = await storedPage(bystander.id);
      const detail = await changeShows(p.id, (db) => db.update(schema.category).set({ name: "Renamed root" }).where(eq(schema.category.id, tree.root)));
      expect(detail.breadcrumbs.map((c) => c.name)).toEqual(["Renamed root", `Mid ${trees}`, `Leaf ${trees}`]);
      expect(await storedPage(bystander.id)).toEqual(kept);
    });

    test("an ancestor's slug", async () => {
      const tree = await newTree();
      const p = await make({ categoryId: tree.leaf });
      const detail = await changeShows(p.id, (db) =>
        db
          .update(schema.category)
          .set({ slug: `${tree.slugs.mid}-x` })
          .where(eq(schema.category.id, tree.mid)),
      );
      expect(nth(detail.breadcrumbs, 1).slug).toBe(`${tree.slugs.mid}-x`);
    });

    test("a subtree moved under another root: breadcrumbs and inherited labels follow", async () => {
      const from = await newTree();
      const to = await newTree();
      await write((db) => db.update(schema.categoryAttribute).set({ label: "Guarantee" }).where(eq(schema.categoryAttribute.categoryId, to.root)));
      const p = await make({ categoryId: from.leaf });
      // as the categories part moves a subtree: the moved category and the paths under it, in one transaction
      const detail = await changeShows(p.id, async (db) => {
        await db
          .update(schema.category)
          .set({ parentId: to.root, path: `/${to.slugs.root}/${from.slugs.mid}/` })
          .where(eq(schema.category.id, from.mid));
        await db
          .update(schema.category)
          .set({ path: `/${to.slugs.root}/${from.slugs.mid}/${from.slugs.leaf}/` })
          .where(eq(schema.category.id, from.leaf));
      });
      expect(detail.breadcrumbs.map((c) => c.slug)).toEqual([to.slugs.root, from.slugs.mid, from.slugs.leaf]);
      expect(detail.attributes.find((a) => a.key === "warranty_years")?.label).toBe("Guarantee");
    });

    test("an ancestor's attribute label changed", async () => {
      const tree = await newTree();
      const p = await make({ categoryId: tree.leaf });
      const bystander = await make({ categoryId: shop.leaf });
      await viewStored(bystander.id);
      const kept = await storedPage(bystander.id);
      const detail = await changeShows(p.id, (db) =>
        db.update(schema.categoryAttribute).set({ label: "Guarantee", unit: "yr" }).where(eq(schema.categoryAttribute.categoryId, tree.root)),
      );
      expect(detail.attributes.find((a) => a.key === "warranty_years")).toEqual({ key: "warranty_years", label: "Guarantee", unit: "yr", value: 2 });
      expect(await storedPage(bystander.id)).toEqual(kept);
    });

    test("an attribute defined on an ancestor: the value gets its label", async () => {
      const tree = await newTree();
      const p = await make({ categoryId: tree.leaf, attributes: { origin: "Seki" } });
      expect((await view(p.id)).detail.attributes).toEqual([{ key: "origin", label: "origin", unit: null, value: "Seki" }]);
      const detail = await changeShows(p.id, (db) =>
        db
          .insert(schema.categoryAttribute)
          .values({ id: ids("attribute"), categoryId: tree.mid, key: "origin", label: "Made in", type: "text", filterable: false }),
      );
      expect(detail.attributes).toEqual([{ key: "origin", label: "Made in", unit: null, value: "Seki" }]);
    });

    test("an ancestor's attribute deleted: the value falls back to its key", async () => {
      const tree = await newTree();
      const p = await make({ categoryId: tree.leaf });
      const detail = await changeShows(p.id, (db) => db.delete(schema.categoryAttribute).where(eq(schema.categoryAttribute.categoryId, tree.mid)));
      expect(detail.attributes.find((a) => a.key === "material")).toEqual({ key: "material", label: "material", unit: null, value: "steel" });
    });
  });

  test("brand renamed: its products' pages; another brand's product keeps its page", async () => {
    const renamed = await fixtures.brand("edgeworks", "Edgeworks");
    const p = await make({ brandId: renamed });
    const bystander = await make({ brandId: otherBrand });
    await viewStored(bystander.id);
    const kept = await storedPage(bystander.id);
    const detail = await changeShows(p.id, (db) =>
      db.update(schema.brand).set({ name: "EdgeWorks Ltd", slug: "edgeworks-ltd" }).where(eq(schema.brand.id, renamed)),
    );
    expect(detail.brand).toEqual({ slug: "edgeworks-ltd", name: "EdgeWorks Ltd" });
    expect(await storedPage(bystander.id)).toEqual(kept);
  });

  test("seller renamed (accounts' user.name): their products' pages; another seller's product keeps its page", async () => {
    const renamed = await fixtures.seller("Old Forge");
    const p = await make({ sellerId: renamed });
    const bystander = await make({ sellerId: otherSeller });
    await viewStored(bystander.id);
    const kept = await storedPage(bystander.id);
    const detail = await changeShows(p.id, (db) => db.update(schema.user).set({ name: "New Forge" }).where(eq(schema.user.id, renamed)));
    expect(detail.seller).toEqual({ id: renamed, name: "New Forge" });
    expect(await storedPage(bystander.id)).toEqual(kept);
  });
});

describe("product_page and stock: only a change of a variant's stock status (summed over its locations) rebuilds the page", () => {
  const stockOf = (detail: PublicProductDetail) => nth(detail.variants, 0).stock;
  const oneVariant = (stock: NonNullable<ProductFixture["variants"]>[number]["stock"]) => make({ variants: [{ price: 1000, stock }] });

  test("sales and reservations that keep every status keep the stored page and the epoch", async () => {
    const p = await oneVariant([{ onHand: 50, threshold: 5 }]);
    const variant = nth(p.variantIds, 0);
    const epochBefore = await epoch();
    await expectPageKept(p.id, () => write(updateStock(variant, { onHand: 49 })));
    await expectPageKept(p.id, () => write(updateStock(variant, { reserved: 10 })));
    await expectPageKept(p.id, () => write(updateStock(variant, { lowStockThreshold: 6, updatedAt: h.clock.now })));
    expect(await epoch()).toBe(epochBefore);
    expect(stockOf((await view(p.id)).detail)).toBe("in_stock");
  });

  test("into low, within low (kept), into out, and back to in stock: each crossing rebuilds with the right status", async () => {
    const p = await oneVariant([{ onHand: 50, threshold: 5 }]);
    const variant = nth(p.variantIds, 0);
    expect(stockOf(await changeShows(p.id, updateStock(variant, { onHand: 5 })))).toBe("low");
    await expectPageKept(p.id, () => write(updateStock(variant, { onHand: 4 })));
    expect(stockOf(await changeShows(p.id, updateStock(variant, { reserved: 4 })))).toBe("out");
    expect(stockOf(await changeShows(p.id, updateStock(variant, { onHand: 50, reserved: 0 })))).toBe("in_stock");
    expect(stockOf(await changeShows(p.id, updateStock(variant, { onHand: 0 })))).toBe("out");
    expect(stockOf(await changeShows(p.id, updateStock(variant, { onHand: 3 })))).toBe("low");
  });

  test("a threshold raised over what is available makes it low", async () => {
    const p = await oneVariant([{ onHand: 50, threshold: 5 }]);
    expect(stockOf(await changeShows(p.id, updateStock(nth(p.variantIds, 0), { lowStockThreshold: 60 })))).toBe("low");
  });

  test("two locations: the sums cross though neither row crosses its own threshold", async () => {
    // A: 10 available, threshold 5; B: 3 available, threshold 5 → 13 > 10, in stock. A to 6: 9 ≤ 10, low.
    const p = await oneVariant([
      { onHand: 10, threshold: 5 },
      { onHand: 3, threshold: 5 },
    ]);
    const variant = nth(p.variantIds, 0);
    expect(stockOf((await view(p.id)).detail)).toBe("in_stock");
    const detail = await changeShows(p.id, (db) =>
      db
        .update(schema.stockLevel)
        .set({ onHand: 6 })
        .where(and(eq(schema.stockLevel.variantId, variant), eq(schema.stockLevel.onHand, 10))),
    );
    expect(stockOf(detail)).toBe("low");
    // B sells out: 6 left in all, still low: the page stays
    await expectPageKept(p.id, () =>
      write((db) =>
        db
          .update(schema.stockLevel)
          .set({ reserved: 3 })
          .where(and(eq(schema.stockLevel.variantId, variant), eq(schema.stockLevel.onHand, 3))),
      ),
    );
  });

  test("one statement updating both locations of a variant", async () => {
    const p = await oneVariant([
      { onHand: 10, threshold: 5 },
      { onHand: 3, threshold: 5 },
    ]);
    const detail = await changeShows(p.id, (db) =>
      db
        .update(schema.stockLevel)
        .set({ onHand: sql`${schema.stockLevel.onHand} - 2` })
        .where(eq(schema.stockLevel.variantId, nth(p.variantIds, 0))),
    );
    expect(stockOf(detail)).toBe("low");
  });

  test("stock at a new location added, then a location's stock deleted", async () => {
    const p = await oneVariant([]);
    const variant = nth(p.variantIds, 0);
    expect(stockOf((await view(p.id)).detail)).toBe("out");
    const location = await newLocation(seller);
    const added = await changeShows(p.id, (db) =>
      db.insert(schema.stockLevel).values({ variantId: variant, locationId: location, onHand: 20, lowStockThreshold: 2, updatedAt: h.clock.now }),
    );
    expect(stockOf(added)).toBe("in_stock");
    const deleted = await changeShows(p.id, (db) => db.delete(schema.stockLevel).where(eq(schema.stockLevel.variantId, variant)));
    expect(stockOf(deleted)).toBe("out");
  });
});

describe("storing a page: the epoch guard", () => {
  test("a page built before a change committed is not stored; one built under the current epoch is", async () => {
    const p = await make();
    const epochBefore = await epoch();
    const stale = cacheableBody(await freshDetail(p.id));
    await setProduct(p.id, { title: "Changed during the build" });

    expect(await repo.storePage(h.database, p.id, stale, epochBefore, h.clock.now)).toBe(false);
    expect(await storedPage(p.id)).toBeUndefined();

    const current = await epoch();
    const fresh = cacheableBody(await freshDetail(p.id));
    expect(await repo.storePage(h.database, p.id, fresh, current, h.clock.now)).toBe(true);
    expect(await storedPage(p.id)).toEqual({ productId: p.id, document: fresh.json, etag: fresh.etag, builtAt: h.clock.now });
    expect((await view(p.id)).detail.title).toBe("Changed during the build");
  });
});

describe("concurrency", () => {
  test("50 concurrent first views (by id and by slug): all 200, one body, one ETag, one stored row", async () => {
    const p = await make();
    expect(await storedPage(p.id)).toBeUndefined();
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => get(`/v1/products/${i % 2 ? p.id : p.slug}`)));
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    const bodies = new Set(await Promise.all(responses.map((r) => r.text())));
    const etags = new Set(responses.map((r) => r.headers.get("etag")));
    expect(bodies.size).toBe(1);
    expect(etags.size).toBe(1);
    const rows = await h.database.db.select().from(schema.productPage).where(eq(schema.productPage.productId, p.id));
    expect(rows).toHaveLength(1);
    expect(nth(rows, 0).document).toBe([...bodies][0] ?? "");
  });

  test("a view that starts after a write has finished shows it, though a build begun before the write is still in flight", async () => {
    const p = await make();
    // Hold the write lane (as other writes in flight would) so that: the change waits; a first view builds the
    // page from the catalog before the change, and its store waits behind the change and one more write.
    const first = deferred();
    const second = deferred();
    const heldFirst = h.database.write(() => first.promise);
    const change = setProduct(p.id, { title: "Changed while a build was in flight" });
    const heldSecond = h.database.write(() => second.promise);
    const early = get(`/v1/products/${p.id}`);
    await Bun.sleep(50);
    first.resolve();
    await Promise.all([heldFirst, change]);
    // the change has committed (this process's own write): a view starting now must show it
    const late = get(`/v1/products/${p.id}`);
    await Bun.sleep(20);
    second.resolve();
    await heldSecond;
    const [earlyResponse, lateResponse] = await Promise.all([early, late]);
    // the race was set up: the early view was built before the change
    expect(((await earlyResponse.json()) as PublicProductDetail).title).toBe("Chef's knife");
    // sharing the early build (begun under the old epoch) would serve the title from before the change
    expect(((await lateResponse.json()) as PublicProductDetail).title).toBe("Changed while a build was in flight");
    // that build was not stored (the epoch moved), so the next view is right either way
    expect((await view(p.id)).detail.title).toBe("Changed while a build was in flight");
  });

  test("hammer: 20 writers and concurrent readers of the page and a list; once settled, nothing stale survives", async () => {
    const hammerSeller = await fixtures.seller("Hammer Time");
    const p = await make({ sellerId: hammerSeller });
    const variant = nth(p.variantIds, 0);
    const committed: number[] = [];
    const writers = Array.from({ length: 20 }, (_, i) =>
      h.database.transaction(async (tx) => {
        // as the products part changes a price: the variant, then the product's range, in one transaction
        await tx
          .update(schema.variant)
          .set({ priceMinor: 100 + i })
          .where(eq(schema.variant.id, variant));
        await tx
          .update(schema.product)
          .set({ title: `Hammered ${i}`, minPriceMinor: 100 + i, updatedAt: h.clock.now + i })
          .where(eq(schema.product.id, p.id));
        committed.push(i);
      }),
    );
    const readers = (async () => {
      for (let round = 0; round < 15; round++) {
        const responses = await Promise.all([
          get(`/v1/products/${p.id}`),
          get(`/v1/products/${p.slug}`),
          get(`/v1/products?seller=${hammerSeller}`),
          get(`/v1/products?seller=${hammerSeller}&sort=price_asc`),
        ]);
        expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
        await Bun.sleep(0);
      }
    })();
    await Promise.all([...writers, readers]);

    const last = committed.at(-1);
    expect(committed).toHaveLength(20);
    const fresh = await freshDetail(p.id);
    expect(fresh.title).toBe(`Hammered ${last}`);
    expect(fresh.price?.min).toBe(100 + (last ?? 0));
    const served = await view(p.id);
    expect(served.detail).toEqual(fresh);
    expect((await view(p.slug)).detail).toEqual(fresh);
    expect(await storedPage(p.id)).toMatchObject({ document: served.json });
    for (const sort of ["newest", "price_asc"]) {
      const { items } = await listPage(new URLSearchParams({ seller: hammerSeller, sort }));
      expect(items).toEqual([summaryFromDetail(fresh)]);
    }
    expect(await storedSummary(p.id)).toEqual(await computedSummary(p.id));
  });
});

describe("product.list_summary: the list's entries, kept by the database", () => {
  test("on insert: the entry is valid, equal to the list item, a fresh computation and the page", async () => {
    const p = await make();
    const summary = await expectSummaryTrue(p.id);
    expect(summary).toMatchObject({
      title: "Chef's knife",
      brand: { slug: "sharpco", name: "SharpCo" },
      price: { currency: "EUR", min: 1000, max: 2000 },
      compareAt: 1500,
      thumbnailUrl: `/v1/images/${nth(p.imageIds, 0)}/thumb`,
    });
  });

  test("a product without brand, images, offer or rating: nulls, and no compareAt at all", async () => {
    const p = await make({ brandId: null, images: [], variants: [{ price: 700, stock: [{ onHand: 1 }] }] });
    const summary = await expectSummaryTrue(p.id);
    expect(summary).toEqual({
      id: p.id,
      slug: p.slug,
      title: "Chef's knife",
      brand: null,
      category: { slug: shop.slugs.leaf, name: "Leaf 1" },
      price: { currency: "EUR", min: 700, max: 700 },
      inStock: true,
      thumbnailUrl: null,
      rating: { average: null, count: 0 },
    });
  });

  test("brand renamed", async () => {
    const renamed = await fixtures.brand("honed", "Honed");
    const p = await make({ brandId: renamed });
    await write((db) => db.update(schema.brand).set({ name: "Honed & Co", slug: "honed-co" }).where(eq(schema.brand.id, renamed)));
    expect((await expectSummaryTrue(p.id)).brand).toEqual({ slug: "honed-co", name: "Honed & Co" });
  });

  test("the product's own category renamed", async () => {
    const tree = await newTree();
    const p = await make({ categoryId: tree.leaf });
    await write((db) =>
      db
        .update(schema.category)
        .set({ name: "Paring knives", slug: `${tree.slugs.leaf}-paring` })
        .where(eq(schema.category.id, tree.leaf)),
    );
    expect((await expectSummaryTrue(p.id)).category).toEqual({ slug: `${tree.slugs.leaf}-paring`, name: "Paring knives" });
  });

  test("compare-at: changed, dropped to the price (none), and set on a variant that becomes the cheapest", async () => {
    const p = await make();
    const [cheap, dear] = [nth(p.variantIds, 0), nth(p.variantIds, 1)];
    await write(updateVariant(cheap, { compareAtMinor: 1900 }));
    expect((await expectSummaryTrue(p.id)).compareAt).toBe(1900);
    await write(updateVariant(cheap, { compareAtMinor: 1000 }));
    expect(await expectSummaryTrue(p.id)).not.toHaveProperty("compareAt");
    // the dearer variant goes on offer below the cheaper one: the products part moves the range with it
    await h.database.transaction(async (tx) => {
      await tx.update(schema.variant).set({ priceMinor: 800, compareAtMinor: 2000 }).where(eq(schema.variant.id, dear));
      await tx.update(schema.product).set({ minPriceMinor: 800, maxPriceMinor: 1000 }).where(eq(schema.product.id, p.id));
    });
    const summary = await expectSummaryTrue(p.id);
    expect(summary.price).toEqual({ currency: "EUR", min: 800, max: 1000 });
    expect(summary.compareAt).toBe(2000);
  });

  test("compare-at: the variant on offer deleted, another at the same price left", async () => {
    // both at the lowest price, so the range stays and only the variant's own delete can clear the "was" price
    const p = await make({
      variants: [
        { price: 1000, compareAt: 1500 },
        { price: 1000, stock: [{ onHand: 5 }] },
      ],
    });
    expect((await expectSummaryTrue(p.id)).compareAt).toBe(1500);
    await write((db) => db.delete(schema.variant).where(eq(schema.variant.id, nth(p.variantIds, 0))));
    expect(await expectSummaryTrue(p.id)).not.toHaveProperty("compareAt");
  });

  test("images: one added before the first, reordered, deleted; a variant's image only when there is no other", async () => {
    const p = await make({ images: [{ alt: "front" }, { alt: "variant", variant: 0, position: 0 }] });
    const [front, variantImage] = [nth(p.imageIds, 0), nth(p.imageIds, 1)];
    expect((await expectSummaryTrue(p.id)).thumbnailUrl).toBe(`/v1/images/${front}/thumb`);
    const hero = ids("image");
    await write((db) =>
      db.insert(schema.productImage).values({
        id: hero,
        productId: p.id,
        key: `products/${p.id}/${hero}`,
        contentType: "image/webp",
        width: 800,
        height: 600,
        position: -1,
        createdAt: h.clock.now,
      }),
    );
    expect((await expectSummaryTrue(p.id)).thumbnailUrl).toBe(`/v1/images/${hero}/thumb`);
    await write((db) => db.update(schema.productImage).set({ position: 10 }).where(eq(schema.productImage.id, hero)));
    expect((await expectSummaryTrue(p.id)).thumbnailUrl).toBe(`/v1/images/${front}/thumb`);
    await write((db) => db.delete(schema.productImage).where(eq(schema.productImage.id, front)));
    expect((await expectSummaryTrue(p.id)).thumbnailUrl).toBe(`/v1/images/${hero}/thumb`);
    await write((db) => db.delete(schema.productImage).where(eq(schema.productImage.id, hero)));
    expect((await expectSummaryTrue(p.id)).thumbnailUrl).toBe(`/v1/images/${variantImage}/thumb`);
    await write((db) => db.delete(schema.productImage).where(eq(schema.productImage.id, variantImage)));
    expect((await expectSummaryTrue(p.id)).thumbnailUrl).toBeNull();
  });

  test("in_stock flips and rating changes", async () => {
    const p = await make();
    await setProduct(p.id, { inStock: false });
    expect((await expectSummaryTrue(p.id)).inStock).toBe(false);
    await setProduct(p.id, { ratingAverageX100: 433, ratingCount: 3 });
    expect((await expectSummaryTrue(p.id)).rating).toEqual({ average: 4.33, count: 3 });
    await setProduct(p.id, { inStock: true, ratingAverageX100: 500, ratingCount: 4 });
    const summary = await expectSummaryTrue(p.id);
    expect(summary).toMatchObject({ inStock: true, rating: { average: 5, count: 4 } });
  });

  test("title, slug and price range", async () => {
    const p = await make();
    await setProduct(p.id, { title: 'Knife "Pro" <b>é</b> 🔪', slug: `${p.slug}-pro`, minPriceMinor: 1000, maxPriceMinor: 9000 });
    expect(await expectSummaryTrue(p.id)).toMatchObject({ title: 'Knife "Pro" <b>é</b> 🔪', slug: `${p.slug}-pro`, price: { min: 1000, max: 9000 } });
  });

  test("every active product made by this suite: list_summary is the list item, a fresh computation, valid, and agrees with its page", async () => {
    const active = await h.database.db.select({ id: schema.product.id }).from(schema.product).where(eq(schema.product.status, "active"));
    const listed = new Map((await listAll()).map((item) => [item.id, item]));
    expect(active.length).toBeGreaterThan(40);
    for (const { id } of active) {
      const stored = await storedSummary(id);
      expect(Value.Check(PublicProductSummary, stored)).toBe(true);
      expect(stored).toEqual(await computedSummary(id));
      expect(listed.get(id)).toEqual(stored);
      expect(stored).toEqual(summaryFromDetail((await view(id)).detail));
    }
    // and nothing else is listed: no draft, archived, suspended or deleted product
    expect([...listed.keys()].sort()).toEqual(active.map(({ id }) => id).sort());
  });
});

describe("the in-process cache (EpochCache) and the epoch", () => {
  test("another process's change shows here once CATALOG_RECHECK_MS has passed on the clock", async () => {
    const otherSellerId = await fixtures.seller("Elsewhere Ltd");
    const p = await make({ sellerId: otherSellerId });
    const list = new URLSearchParams({ seller: otherSellerId });
    await viewStored(p.id);
    await listPage(list);
    const other = createDatabase({ url: h.database.url });
    try {
      await other.write((db) => db.update(schema.product).set({ title: "Renamed elsewhere" }).where(eq(schema.product.id, p.id)));
      expect(await storedPage(p.id)).toBeUndefined();
      // until the recheck this process may still serve what it kept
      expect(["Chef's knife", "Renamed elsewhere"]).toContain((await view(p.id)).detail.title);
      h.clock.advance(CATALOG_RECHECK_MS);
      expect((await view(p.id)).detail.title).toBe("Renamed elsewhere");
      expect((await listPage(list)).items.map((item) => item.title)).toEqual(["Renamed elsewhere"]);
    } finally {
      await other.close();
    }
  });

  test("a product inserted already active (as a seed or import may) is listed at once", async () => {
    const importer = await fixtures.seller("Importer");
    await make({ sellerId: importer, publishedAt: Date.UTC(2026, 0, 1) });
    const list = new URLSearchParams({ seller: importer });
    expect((await listPage(list)).items).toHaveLength(1);
    const id = ids("product");
    const epochBefore = await epoch();
    await write((db) =>
      db.insert(schema.product).values({
        id,
        sellerId: importer,
        slug: `imported-${id.slice(-8).toLowerCase()}`,
        title: "Imported cleaver",
        categoryId: shop.leaf,
        status: "active",
        currency: "EUR",
        minPriceMinor: 4200,
        maxPriceMinor: 4200,
        inStock: true,
        createdAt: h.clock.now,
        updatedAt: h.clock.now,
        publishedAt: Date.UTC(2026, 5, 1),
      }),
    );
    expect(await epoch()).toBeGreaterThan(epochBefore);
    const { items } = await listPage(list);
    expect(items.map((item) => item.title)).toEqual(["Imported cleaver", "Chef's knife"]);
    expect(nth(items, 0)).toEqual(await storedSummary(id));
    expect(nth(items, 0)).toEqual(summaryFromDetail((await view(id)).detail));
  });

  test("a popularity change reorders sort=popular at once", async () => {
    const popular = await fixtures.seller("Popular Picks");
    const a = await make({ sellerId: popular, popularity: 10 });
    const b = await make({ sellerId: popular, popularity: 20 });
    const c = await make({ sellerId: popular, popularity: 30 });
    const list = new URLSearchParams({ seller: popular, sort: "popular" });
    expect((await listPage(list)).items.map((item) => item.id)).toEqual([c.id, b.id, a.id]);
    await setProduct(a.id, { popularity: 100 });
    expect((await listPage(list)).items.map((item) => item.id)).toEqual([a.id, c.id, b.id]);
  });

  // a list filtered by a slug that names nothing is a 422: deleting the brand or category changes the answer
  test("a brand deleted: a list filtering by it is refused at once, not served from the cache", async () => {
    const unused = await fixtures.brand("unused-brand", "Unused");
    const byBrand = new URLSearchParams({ brand: "unused-brand" });
    expect((await listPage(byBrand)).items).toEqual([]);
    await write((db) => db.delete(schema.brand).where(eq(schema.brand.id, unused)));
    expect((await get(`/v1/products?${byBrand}`)).status).toBe(422);
  });

  test("a category deleted: a list filtering by it is refused at once, not served from the cache", async () => {
    const unused = await fixtures.category("unused-category", { name: "Unused" });
    const byCategory = new URLSearchParams({ category: "unused-category" });
    expect((await listPage(byCategory)).items).toEqual([]);
    await write((db) => db.delete(schema.category).where(eq(schema.category.id, unused)));
    expect((await get(`/v1/products?${byCategory}`)).status).toBe(422);
  });
});
