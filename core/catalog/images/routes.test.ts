import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { ProductImageList, ProductImageView, TokenPair } from "@bazaar/contracts";
import sharp from "sharp";
import { createHarness, type Harness } from "../../testing/harness.ts";
import {
  colourAt,
  imageRows,
  insertProduct,
  insertVariant,
  json,
  problem,
  productUpdates,
  seller,
  setProductStatus,
  storedFiles,
  twoTone,
  upload,
  uploaded,
} from "./test-fixtures.ts";

let h: Harness;
let alice: TokenPair;
let productId: string;
beforeEach(async () => {
  h = await createHarness();
  alice = await seller(h, "alice-seller@example.com");
  productId = await insertProduct(h, alice.user.id);
});
afterEach(() => h.destroy());

const asAlice = (method: string, path: string, body?: unknown) => h.request(method, path, { token: alice.accessToken, body });
const images = (suffix = "") => `/v1/seller/products/${productId}/images${suffix}`;
const gallery = async (query = "") => (await json<ProductImageList>(await asAlice("GET", images(query)))).items;
const ids = (items: ProductImageView[]) => items.map((i) => i.id);
const fileOf = async (imageId: string, size: string) => {
  const response = await asAlice("GET", images(`/${imageId}/${size}`));
  expect(response.status).toBe(200);
  return { type: response.headers.get("content-type"), bytes: new Uint8Array(await response.arrayBuffer()) };
};

describe("upload: re-encoded, upright, without metadata, with two WebP sizes", () => {
  test("a PNG: original stays PNG at full size; medium 800 and thumb 200 on the longest side, WebP, same picture", async () => {
    const view = await uploaded(h, alice.accessToken, productId, await twoTone(1200, 900, "png"), "image/png", "?alt=Red%20and%20blue%20mug");
    expect(view).toMatchObject({ productId, variantId: null, alt: "Red and blue mug", position: 0, contentType: "image/png", width: 1200, height: 900 });
    expect(view.id).toMatch(/^img_/);
    expect(view.urls).toEqual({ original: `/v1/images/${view.id}/original`, medium: `/v1/images/${view.id}/medium`, thumb: `/v1/images/${view.id}/thumb` });

    const expected: [string, string, string, number, number][] = [
      ["original", "image/png", "png", 1200, 900],
      ["medium", "image/webp", "webp", 800, 600],
      ["thumb", "image/webp", "webp", 200, 150],
    ];
    for (const [size, type, format, width, height] of expected) {
      const file = await fileOf(view.id, size);
      expect(file.type).toBe(type);
      const meta = await sharp(file.bytes).metadata();
      expect([size, meta.format, meta.width, meta.height]).toEqual([size, format, width, height]);
      // the same picture, scaled: red on the left, blue on the right
      expect(await colourAt(file.bytes, 2, Math.floor(height / 2))).toBe("red");
      expect(await colourAt(file.bytes, width - 3, Math.floor(height / 2))).toBe("blue");
    }
    expect(storedFiles(h)).toEqual([`${productId}/${view.id}/medium`, `${productId}/${view.id}/original`, `${productId}/${view.id}/thumb`]);
    const [row] = await imageRows(h);
    expect(row).toMatchObject({ id: view.id, key: `products/${productId}/${view.id}/original`, contentType: "image/png", width: 1200, height: 900 });
  });

  test("a JPEG from a phone: turned upright by its EXIF orientation; EXIF (GPS, camera) gone from every size", async () => {
    // stored 400×200 (red left, blue right) with orientation 6: shown rotated 90° clockwise, so 200×400, red on top
    const photo = await twoTone(400, 200, "jpeg", { orientation: 6, gps: true });
    const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1");
    expect(latin1(photo)).toContain("WGS-84");
    expect(latin1(photo)).toContain("SpyCam");
    expect((await sharp(photo).metadata()).orientation).toBe(6);

    const view = await uploaded(h, alice.accessToken, productId, photo, "image/jpeg");
    expect([view.contentType, view.width, view.height]).toEqual(["image/jpeg", 200, 400]);
    for (const [size, width, height] of [
      ["original", 200, 400],
      ["medium", 200, 400],
      ["thumb", 100, 200],
    ] as const) {
      const file = await fileOf(view.id, size);
      const meta = await sharp(file.bytes).metadata();
      expect([size, meta.width, meta.height, meta.exif, meta.orientation]).toEqual([size, width, height, undefined, undefined]);
      expect(latin1(file.bytes)).not.toContain("WGS-84");
      expect(latin1(file.bytes)).not.toContain("SpyCam");
      expect(await colourAt(file.bytes, Math.floor(width / 2), 3)).toBe("red");
      expect(await colourAt(file.bytes, Math.floor(width / 2), height - 4)).toBe("blue");
    }
  });

  test("a WebP: original stays WebP; small images are never enlarged", async () => {
    const big = await uploaded(h, alice.accessToken, productId, await twoTone(1000, 1000, "webp"), "image/webp");
    expect([big.contentType, big.width, big.height]).toEqual(["image/webp", 1000, 1000]);
    expect((await sharp((await fileOf(big.id, "medium")).bytes).metadata()).width).toBe(800);
    expect((await sharp((await fileOf(big.id, "thumb")).bytes).metadata()).width).toBe(200);

    const small = await uploaded(h, alice.accessToken, productId, await twoTone(120, 60, "png"), "image/png");
    for (const size of ["original", "medium", "thumb"]) {
      const meta = await sharp((await fileOf(small.id, size)).bytes).metadata();
      expect([size, meta.width, meta.height]).toEqual([size, 120, 60]);
    }
  });

  test('every gallery change announces product.updated with changed ["images"], in the same transaction', async () => {
    const a = await uploaded(h, alice.accessToken, productId, await twoTone(10, 10, "png"), "image/png");
    const b = await uploaded(h, alice.accessToken, productId, await twoTone(10, 10, "png"), "image/png");
    expect((await asAlice("PATCH", images(`/${a.id}`), { alt: "Side" })).status).toBe(200);
    expect((await asAlice("POST", images("/reorder"), { imageIds: [b.id, a.id] })).status).toBe(200);
    expect((await asAlice("DELETE", images(`/${a.id}`))).status).toBe(204);
    expect(await productUpdates(h, productId)).toEqual([["images"], ["images"], ["images"], ["images"], ["images"]]);
  });
});

describe("galleries: one per product and one per variant, each ordered 0…n-1", () => {
  test("uploads go last in their gallery; the list shows the product's gallery, then each variant's; variantId filters", async () => {
    const red = await insertVariant(h, productId, alice.user.id);
    const tile = await twoTone(10, 10, "png");
    const a = await uploaded(h, alice.accessToken, productId, tile, "image/png");
    const v1 = await uploaded(h, alice.accessToken, productId, tile, "image/png", `?variantId=${red}`);
    const b = await uploaded(h, alice.accessToken, productId, tile, "image/png");
    const v2 = await uploaded(h, alice.accessToken, productId, tile, "image/png", `?variantId=${red}&alt=Red`);
    expect([a.position, b.position, v1.position, v2.position]).toEqual([0, 1, 0, 1]);
    expect([v1.variantId, v2.alt]).toEqual([red, "Red"]);
    expect(ids(await gallery())).toEqual([a.id, b.id, v1.id, v2.id]);
    expect(ids(await gallery(`?variantId=${red}`))).toEqual([v1.id, v2.id]);

    // a variant of another product is no gallery of this one
    const otherProduct = await insertProduct(h, alice.user.id);
    const foreignVariant = await insertVariant(h, otherProduct, alice.user.id);
    const refused = await problem(await upload(h, alice.accessToken, productId, tile, "image/png", `?variantId=${foreignVariant}`), 422);
    expect(refused.errors).toEqual([{ path: "/variantId", message: "is not a variant of this product" }]);
    expect((await problem(await asAlice("GET", images(`?variantId=${foreignVariant}`)), 422)).errors?.[0]?.path).toBe("/variantId");
    expect(await imageRows(h)).toHaveLength(4);
  });

  test("PATCH: position moves within the gallery (others shift), variantId moves between galleries (both close up), alt null clears", async () => {
    const red = await insertVariant(h, productId, alice.user.id);
    const tile = await twoTone(10, 10, "png");
    const [a, b, c] = [
      await uploaded(h, alice.accessToken, productId, tile, "image/png", "?alt=A"),
      await uploaded(h, alice.accessToken, productId, tile, "image/png"),
      await uploaded(h, alice.accessToken, productId, tile, "image/png"),
    ];
    const moved = await json<ProductImageView>(await asAlice("PATCH", images(`/${c.id}`), { position: 0 }));
    expect(moved.position).toBe(0);
    expect((await gallery()).map((i) => [i.id, i.position])).toEqual([
      [c.id, 0],
      [a.id, 1],
      [b.id, 2],
    ]);

    // past the end means last
    await asAlice("PATCH", images(`/${c.id}`), { position: 19 });
    expect(ids(await gallery())).toEqual([a.id, b.id, c.id]);

    const toVariant = await json<ProductImageView>(await asAlice("PATCH", images(`/${a.id}`), { variantId: red, alt: null }));
    expect(toVariant).toMatchObject({ variantId: red, position: 0, alt: null });
    expect((await gallery()).map((i) => [i.id, i.variantId, i.position])).toEqual([
      [b.id, null, 0],
      [c.id, null, 1],
      [a.id, red, 0],
    ]);
    const back = await json<ProductImageView>(await asAlice("PATCH", images(`/${a.id}`), { variantId: null, position: 1 }));
    expect(back).toMatchObject({ variantId: null, position: 1 });
    expect(ids(await gallery())).toEqual([b.id, a.id, c.id]);

    const empty = await problem(await asAlice("PATCH", images(`/${a.id}`), {}), 422);
    expect(empty.errors?.[0]?.message).toContain("at least one of alt, position, variantId");
    expect((await problem(await asAlice("PATCH", images(`/${a.id}`), { alt: "x".repeat(301) }), 422)).errors?.[0]?.path).toBe("/alt");
    expect((await problem(await asAlice("PATCH", images(`/${a.id}`), { alt: "two\nlines" }), 422)).errors?.[0]?.path).toBe("/alt");
    expect((await problem(await asAlice("PATCH", images(`/${a.id}`), { position: -1 }), 422)).errors?.[0]?.path).toBe("/position");
    expect((await problem(await asAlice("PATCH", images(`/${a.id}`), { colour: "red" }), 422)).errors?.[0]?.path).toBe("/colour");
  });

  test("reorder must name exactly the gallery's images: none missing, none foreign, none twice", async () => {
    const red = await insertVariant(h, productId, alice.user.id);
    const tile = await twoTone(10, 10, "png");
    const [a, b, c] = [
      await uploaded(h, alice.accessToken, productId, tile, "image/png"),
      await uploaded(h, alice.accessToken, productId, tile, "image/png"),
      await uploaded(h, alice.accessToken, productId, tile, "image/png"),
    ];
    const v = await uploaded(h, alice.accessToken, productId, tile, "image/png", `?variantId=${red}`);

    const reordered = await json<ProductImageList>(await asAlice("POST", images("/reorder"), { imageIds: [c.id, a.id, b.id] }));
    expect(reordered.items.map((i) => [i.id, i.position])).toEqual([
      [c.id, 0],
      [a.id, 1],
      [b.id, 2],
    ]);
    expect(ids(await gallery())).toEqual([c.id, a.id, b.id, v.id]);

    const refusals: [unknown, string][] = [
      [{ imageIds: [c.id, a.id] }, `leaves out ${b.id}`],
      [{ imageIds: [c.id, a.id, b.id, v.id] }, `names ${v.id}, not in it`],
      [{ imageIds: [a.id, a.id, b.id, c.id] }, `lists ${a.id} more than once`],
      [{ imageIds: [v.id] }, "leaves out"],
    ];
    for (const [body, message] of refusals) {
      const refused = await problem(await asAlice("POST", images("/reorder"), body), 422);
      expect(refused.errors?.[0]?.path).toBe("/imageIds");
      expect(refused.errors?.[0]?.message).toContain(message);
    }
    expect((await problem(await asAlice("POST", images("/reorder"), { imageIds: [] }), 422)).errors?.[0]?.path).toBe("/imageIds");
    expect((await problem(await asAlice("POST", images("/reorder"), { imageIds: ["img_nope"] }), 422)).errors?.[0]?.path).toBe("/imageIds/0");
    // nothing moved
    expect(ids(await gallery())).toEqual([c.id, a.id, b.id, v.id]);

    // the variant's gallery is reordered by naming it
    const v2 = await uploaded(h, alice.accessToken, productId, tile, "image/png", `?variantId=${red}`);
    const variantOrder = await json<ProductImageList>(await asAlice("POST", images("/reorder"), { imageIds: [v2.id, v.id], variantId: red }));
    expect(ids(variantOrder.items)).toEqual([v2.id, v.id]);
    expect(ids(await gallery(`?variantId=${red}`))).toEqual([v2.id, v.id]);
  });

  test("DELETE removes the row, then the files; the gallery closes up", async () => {
    const tile = await twoTone(10, 10, "png");
    const [a, b, c] = [
      await uploaded(h, alice.accessToken, productId, tile, "image/png"),
      await uploaded(h, alice.accessToken, productId, tile, "image/png"),
      await uploaded(h, alice.accessToken, productId, tile, "image/png"),
    ];
    expect(storedFiles(h)).toHaveLength(9);
    expect((await asAlice("DELETE", images(`/${b.id}`))).status).toBe(204);
    expect((await gallery()).map((i) => [i.id, i.position])).toEqual([
      [a.id, 0],
      [c.id, 1],
    ]);
    expect(storedFiles(h).filter((f) => f.includes(b.id))).toEqual([]);
    expect(storedFiles(h)).toHaveLength(6);
    expect((await asAlice("DELETE", images(`/${b.id}`))).status).toBe(404);
    expect((await asAlice("GET", images(`/${b.id}/thumb`))).status).toBe(404);
  });

  test(`at most 20 images per product, even under 25 concurrent uploads: 20 stored, 5 refused with 409, no stray files`, async () => {
    const tile = await twoTone(64, 48, "jpeg");
    const responses = await Promise.all(Array.from({ length: 25 }, () => upload(h, alice.accessToken, productId, tile, "image/jpeg")));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(20).fill(201), ...Array(5).fill(409)]);
    const rows = await imageRows(h);
    expect(rows).toHaveLength(20);
    expect(rows.map((r) => r.position).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    // every refused upload took its files back out of the store
    expect(storedFiles(h)).toHaveLength(60);
    expect(new Set(storedFiles(h).map((f) => f.split("/")[1]))).toEqual(new Set(rows.map((r) => r.id)));
    expect(await productUpdates(h, productId)).toHaveLength(20);
    const full = await problem(await upload(h, alice.accessToken, productId, tile, "image/jpeg"), 409);
    expect(full.detail).toContain("at most 20 images");
  });
});

describe("public serving: GET /v1/images/{imageId}/{size}", () => {
  test("an active product's image: its type, a year's immutable caching, an ETag (304 on a match), nosniff and a closed CSP", async () => {
    await setProductStatus(h, productId, "active");
    const view = await uploaded(h, alice.accessToken, productId, await twoTone(900, 300, "png"), "image/png");
    for (const [size, type] of [
      ["original", "image/png"],
      ["medium", "image/webp"],
      ["thumb", "image/webp"],
    ]) {
      const response = await h.request("GET", `/v1/images/${view.id}/${size}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe(type as string);
      expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("content-security-policy")).toBe("default-src 'none'; sandbox");
      const etag = response.headers.get("etag");
      expect(etag).toBe(`"${view.id}-${size}"`);
      expect((await sharp(new Uint8Array(await response.arrayBuffer())).metadata()).width).toBe(size === "original" ? 900 : size === "medium" ? 800 : 200);

      const again = await h.request("GET", `/v1/images/${view.id}/${size}`, { headers: { "if-none-match": `W/"other", ${etag}` } });
      expect(again.status).toBe(304);
      expect(await again.text()).toBe("");
    }
    expect((await problem(await h.request("GET", `/v1/images/${view.id}/huge`), 422)).errors?.[0]?.path).toBe("/size");
    expect((await problem(await h.request("GET", "/v1/images/not-an-id/thumb"), 422)).errors?.[0]?.path).toBe("/imageId");
    await problem(await h.request("GET", `/v1/images/${h.deps.ids("image")}/thumb`), 404);
  });

  test("a draft's images are not public (404, the same as none); its seller previews them; once active they are public", async () => {
    const view = await uploaded(h, alice.accessToken, productId, await twoTone(40, 40, "png"), "image/png");
    const missing = await problem(await h.request("GET", `/v1/images/${view.id}/medium`), 404);
    const none = await problem(await h.request("GET", `/v1/images/${h.deps.ids("image")}/medium`), 404);
    expect(missing.detail).toBe(none.detail);
    // a token does not open the public URL either: previews have their own
    await problem(await h.request("GET", `/v1/images/${view.id}/medium`, { token: alice.accessToken }), 404);

    const preview = await asAlice("GET", images(`/${view.id}/medium`));
    expect(preview.status).toBe(200);
    expect(preview.headers.get("cache-control")).toBe("private, no-cache");
    expect(preview.headers.get("x-content-type-options")).toBe("nosniff");

    for (const status of ["archived", "suspended"]) {
      await setProductStatus(h, productId, status);
      await problem(await h.request("GET", `/v1/images/${view.id}/thumb`), 404);
    }
    await setProductStatus(h, productId, "active");
    expect((await h.request("GET", `/v1/images/${view.id}/thumb`)).status).toBe(200);
  });
});
