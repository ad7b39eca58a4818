import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { ProductImageList, ProductImageView, TokenPair } from "@bazaar/contracts";
import { PRODUCT_IMAGE_MAX_BYTES } from "@bazaar/contracts";
import { concatBytes, gif, jpeg, jpegSegment, png, pngCarrying, pngChunk } from "../../../packages/files/test/fixtures/images.ts";
import { createHarness, type Harness } from "../../testing/harness.ts";
import { imageRows, insertProduct, insertVariant, json, problem, productUpdates, seller, storedFiles, twoTone, upload, uploaded } from "./test-fixtures.ts";

let h: Harness;
let alice: TokenPair;
let productId: string;
beforeEach(async () => {
  h = await createHarness();
  alice = await seller(h, "alice-seller@example.com");
  productId = await insertProduct(h, alice.user.id);
});
afterEach(() => h.destroy());

const text = (s: string) => new TextEncoder().encode(s);

/** Nothing of a refused upload is left: no file, no row, no event. */
async function expectNothingStored() {
  expect(storedFiles(h)).toEqual([]);
  expect(await imageRows(h)).toEqual([]);
  expect(await productUpdates(h, productId)).toEqual([]);
}

describe("hostile uploads are refused with a 4xx and leave nothing behind", () => {
  test("an executable renamed .jpg (ELF, Windows MZ) → 415: the bytes are no image", async () => {
    const elf = concatBytes([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], new Uint8Array(120));
    const mz = concatBytes(text("MZ\x90\x00\x03\x00\x00\x00"), new Uint8Array(56), text("This program cannot be run in DOS mode."));
    for (const bytes of [elf, mz]) {
      const refused = await problem(await upload(h, alice.accessToken, productId, bytes, "image/jpeg"), 415);
      expect(refused.detail).toBe("The body is not a PNG, JPEG or WebP image");
    }
    await expectNothingStored();
  });

  test("SVG and HTML → 415, whether declared as what they are or as an image", async () => {
    const svg = text('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"><rect width="10" height="10"/></svg>');
    const html = text("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>");
    for (const [bytes, type] of [
      [svg, "image/svg+xml"],
      [html, "text/html"],
      [svg, "image/png"],
      [html, "image/webp"],
    ] as const) {
      await problem(await upload(h, alice.accessToken, productId, bytes, type), 415);
    }
    await expectNothingStored();
  });

  test("a GIF, or a real image mislabelled, → 415 naming both types", async () => {
    await problem(await upload(h, alice.accessToken, productId, gif(), "image/gif"), 415);
    const mislabelled = await problem(await upload(h, alice.accessToken, productId, await twoTone(10, 10, "png"), "image/jpeg"), 415);
    expect(mislabelled.detail).toBe("The body is image/png but was sent as image/jpeg");
    await expectNothingStored();
  });

  test("HTML polyglots (a real image carrying markup in a comment, a text chunk, its pixels or after its end) → 422", async () => {
    const photo = await twoTone(20, 20, "jpeg");
    const polyglots: [Uint8Array, string][] = [
      [concatBytes(photo.subarray(0, 2), jpegSegment(0xfe, text("<html><script>alert(1)</script></html>")), photo.subarray(2)), "image/jpeg"],
      [concatBytes(photo, text("<!DOCTYPE html><p>served as a page?")), "image/jpeg"],
      [png({ extra: [pngChunk("tEXt", text("c\0<svg onload=alert(1)>"))] }), "image/png"],
      [pngCarrying("<script>alert(document.cookie)</script>"), "image/png"],
    ];
    for (const [bytes, type] of polyglots) {
      const refused = await problem(await upload(h, alice.accessToken, productId, bytes, type), 422);
      expect(refused.errors?.[0]?.message).toContain("markup");
    }
    await expectNothingStored();
  });

  test("decompression bombs: a 30000×30000 PNG header → 422 before decoding; 8000×8000 passes the side check and the decoder's pixel limit refuses it", async () => {
    const bomb = png({ declared: [30_000, 30_000] });
    expect(bomb.length).toBeLessThan(200);
    const refused = await problem(await upload(h, alice.accessToken, productId, bomb, "image/png"), 422);
    expect(refused.errors?.[0]?.message).toBe("the image is 30000×30000 pixels; the limit is 8192×8192");
    for (const declared of [
      [65_000, 65_000],
      [10_000, 10],
    ] as [number, number][]) {
      await problem(await upload(h, alice.accessToken, productId, jpeg({ declared }), "image/jpeg"), 422);
    }

    const underSide = await problem(await upload(h, alice.accessToken, productId, png({ declared: [8000, 8000] }), "image/png"), 422);
    expect(underSide.errors?.[0]?.message).toBe("the image has more than 40,000,000 pixels");
    await expectNothingStored();
  });

  test("a corrupt image the headers could not tell → 422 from the decoder, nothing stored", async () => {
    // structurally whole (valid chunks and checksums) but its pixel data is not a zlib stream
    const corrupt = png({ width: 4, height: 4 });
    const idat = Buffer.from(corrupt).indexOf("IDAT");
    const broken = concatBytes(corrupt.subarray(0, idat - 4), pngChunk("IDAT", text("not deflate data at all")), pngChunk("IEND"));
    const refused = await problem(await upload(h, alice.accessToken, productId, broken, "image/png"), 422);
    expect(refused.errors?.[0]?.message).toContain("could not be decoded");
    await expectNothingStored();
  });

  test("an animated image → 422: product photos are stills", async () => {
    const apng = png({ extra: [pngChunk("acTL", [0, 0, 0, 2, 0, 0, 0, 0])] });
    expect((await problem(await upload(h, alice.accessToken, productId, apng, "image/png"), 422)).errors?.[0]?.message).toBe(
      "the image has 2 frames; the limit is 1",
    );
    await expectNothingStored();
  });

  test("over 10 MiB → 413: by its declared length before reading, or counted while reading a chunked body", async () => {
    const photo = await twoTone(20, 20, "png");
    const oversized = concatBytes(photo, new Uint8Array(PRODUCT_IMAGE_MAX_BYTES + 1 - photo.length));
    const declared = await problem(await upload(h, alice.accessToken, productId, oversized, "image/png"), 413);
    expect(declared.errors?.[0]?.message).toBe(`must be at most ${PRODUCT_IMAGE_MAX_BYTES} bytes`);

    const chunks = [oversized.subarray(0, 6 * 1024 * 1024), oversized.subarray(6 * 1024 * 1024)];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const chunk = chunks.shift();
        if (chunk) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const chunked = await h.app.handle(
      new Request(`http://localhost/v1/seller/products/${productId}/images`, {
        method: "POST",
        headers: { authorization: `Bearer ${alice.accessToken}`, "content-type": "image/png" },
        body: stream,
      }),
    );
    await problem(chunked, 413);
    await problem(await upload(h, alice.accessToken, productId, new Uint8Array(), "image/png"), 422);
    await expectNothingStored();
  });

  test("an alt text that is too long or not one line → 422 before anything is decoded", async () => {
    const photo = await twoTone(10, 10, "png");
    for (const alt of ["x".repeat(301), "line%0Abreak", "%20%20"]) {
      expect((await problem(await upload(h, alice.accessToken, productId, photo, "image/png", `?alt=${alt}`), 422)).errors?.[0]?.path).toBe("/alt");
    }
    await expectNothingStored();
  });
});

describe("who may touch a gallery", () => {
  let image: ProductImageView;
  let bob: TokenPair;
  beforeEach(async () => {
    image = await uploaded(h, alice.accessToken, productId, await twoTone(30, 30, "png"), "image/png");
    bob = await seller(h, "bob-seller@example.com");
  });

  /** Every seller route on Alice's product and image. */
  const routes = (photo: Uint8Array) => [
    (token?: string) => upload(h, token, productId, photo, "image/png"),
    (token?: string) => h.request("GET", `/v1/seller/products/${productId}/images`, { token }),
    (token?: string) => h.request("PATCH", `/v1/seller/products/${productId}/images/${image.id}`, { token, body: { alt: "Mine now" } }),
    (token?: string) => h.request("POST", `/v1/seller/products/${productId}/images/reorder`, { token, body: { imageIds: [image.id] } }),
    (token?: string) => h.request("DELETE", `/v1/seller/products/${productId}/images/${image.id}`, { token }),
    (token?: string) => h.request("GET", `/v1/seller/products/${productId}/images/${image.id}/original`, { token }),
  ];

  test("another seller: 404 on every route, as if the product did not exist; nothing changes", async () => {
    const photo = await twoTone(10, 10, "png");
    const unknownProduct = h.deps.ids("product");
    for (const route of routes(photo)) {
      const refused = await problem(await route(bob.accessToken), 404);
      expect(refused.detail).toBe("No such product");
    }
    // the same answer as for a product that does not exist at all
    expect((await problem(await h.request("GET", `/v1/seller/products/${unknownProduct}/images`, { token: bob.accessToken }), 404)).detail).toBe(
      "No such product",
    );
    // and Bob's own product cannot reach Alice's image through its id
    const bobsProduct = await insertProduct(h, bob.user.id);
    await problem(await h.request("PATCH", `/v1/seller/products/${bobsProduct}/images/${image.id}`, { token: bob.accessToken, body: { alt: "x" } }), 404);
    await problem(await h.request("DELETE", `/v1/seller/products/${bobsProduct}/images/${image.id}`, { token: bob.accessToken }), 404);
    await problem(await h.request("GET", `/v1/seller/products/${bobsProduct}/images/${image.id}/thumb`, { token: bob.accessToken }), 404);
    const bobsVariant = await insertVariant(h, bobsProduct, bob.user.id);
    await problem(
      await h.request("PATCH", `/v1/seller/products/${productId}/images/${image.id}`, { token: alice.accessToken, body: { variantId: bobsVariant } }),
      422,
    );

    const [row] = await imageRows(h);
    expect(await imageRows(h)).toHaveLength(1);
    expect(row).toMatchObject({ id: image.id, alt: "", position: 0, variantId: null });
    expect(storedFiles(h)).toHaveLength(3);
  });

  test("a buyer: 403 on every route; no token: 401", async () => {
    const buyer = await h.register();
    for (const route of routes(await twoTone(10, 10, "png"))) {
      await problem(await route(buyer.accessToken), 403);
      await problem(await route(undefined), 401);
    }
    expect(await imageRows(h)).toHaveLength(1);
  });

  test("an admin may manage any seller's gallery (moderation)", async () => {
    const admin = await h.register();
    await h.grantRole(admin.user.id, "admin");
    const listed = await json<ProductImageList>(await h.request("GET", `/v1/seller/products/${productId}/images`, { token: admin.accessToken }));
    expect(listed.items.map((i) => i.id)).toEqual([image.id]);
    expect((await h.request("DELETE", `/v1/seller/products/${productId}/images/${image.id}`, { token: admin.accessToken })).status).toBe(204);
    expect(storedFiles(h)).toEqual([]);
  });

  test("a seller whose role is revoked loses access at once", async () => {
    await h.database.client.execute({ sql: "UPDATE user SET roles = json('[\"buyer\"]') WHERE id = ?", args: [alice.user.id] });
    await problem(await h.request("GET", `/v1/seller/products/${productId}/images`, { token: alice.accessToken }), 403);
  });
});
