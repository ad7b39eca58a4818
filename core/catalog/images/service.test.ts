import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { AppError, type TokenPair } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import type { FileStore } from "@bazaar/files";
import { eq } from "drizzle-orm";
import type { Actor, Ctx } from "../../platform/deps.ts";
import { createHarness, type Harness } from "../../testing/harness.ts";
import { createImagesService, imageFilesOfProduct } from "./service.ts";
import { imageRows, insertProduct, productUpdates, seller, storedFiles, twoTone } from "./test-fixtures.ts";

let h: Harness;
let alice: TokenPair;
let actor: Actor;
let productId: string;
beforeEach(async () => {
  h = await createHarness();
  alice = await seller(h, "alice-seller@example.com");
  actor = { userId: alice.user.id, sessionId: "ses_test", roles: ["buyer", "seller"] };
  productId = await insertProduct(h, alice.user.id);
});
afterEach(() => h.destroy());

function ctx(): Ctx {
  return {
    database: h.database,
    clock: h.deps.clock,
    ids: h.deps.ids,
    log: h.deps.log,
    requestId: "req_test",
    client: { ip: null, network: "unknown", userAgent: null, location: null },
    eventsWritten: () => {},
  };
}

async function refusal(run: Promise<unknown>): Promise<AppError> {
  try {
    await run;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

/** The real local store, with something happening just before each put: a fault, or a concurrent change. */
function storeWith(beforePut: (key: string) => Promise<void>): FileStore {
  const real = h.deps.files;
  return {
    name: real.name,
    get: (key) => real.get(key),
    delete: (key) => real.delete(key),
    put: async (key, bytes, type) => {
      await beforePut(key);
      await real.put(key, bytes, type);
    },
  };
}

describe("files first, then the row; a failure on either side leaves nothing behind", () => {
  test("a file write that fails takes the files already written back out; no row, no event", async () => {
    const images = createImagesService({ files: storeWith(async (key) => (key.endsWith("/thumb") ? Promise.reject(new Error("disk full")) : undefined)) });
    const photo = await twoTone(300, 200, "png");
    await expect(images.uploadImage(ctx(), actor, productId, { bytes: photo, contentType: "image/png" })).rejects.toThrow("disk full");
    expect(storedFiles(h)).toEqual([]);
    expect(await imageRows(h)).toEqual([]);
  });

  test("a row write that fails (the product went while the image was encoded) deletes the stored files", async () => {
    // the product goes after the ownership check, while the files are being written
    const images = createImagesService({
      files: storeWith(async (key) => {
        if (key.endsWith("/original")) await h.database.db.delete(schema.product).where(eq(schema.product.id, productId));
      }),
    });
    const photo = await twoTone(300, 200, "png");
    const error = await refusal(images.uploadImage(ctx(), actor, productId, { bytes: photo, contentType: "image/png" }));
    expect([error.status, error.detail]).toEqual([404, "No such product"]);
    expect(storedFiles(h)).toEqual([]);
    expect(await imageRows(h)).toEqual([]);
    expect(await productUpdates(h, productId)).toEqual([]);
  });
});

describe("encoding is bounded per process", () => {
  test("past the encoders and their queue, an upload gets 429 before any work; the others complete", async () => {
    const images = createImagesService({ files: h.deps.files, encodeConcurrency: 1, encodeQueue: 1 });
    const photo = await twoTone(1600, 1200, "jpeg");
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, () => images.uploadImage(ctx(), actor, productId, { bytes: photo, contentType: "image/jpeg" })),
    );
    const refused = results.filter((r) => r.status === "rejected").map((r) => (r.reason as AppError).status);
    expect(refused).toEqual([429, 429]);
    expect(await imageRows(h)).toHaveLength(2);
    expect(storedFiles(h)).toHaveLength(6);
  });
});

test("imageFilesOfProduct names every file of every image of a product (for whoever deletes the product)", async () => {
  const images = createImagesService({ files: h.deps.files });
  const photo = await twoTone(20, 20, "png");
  const a = await images.uploadImage(ctx(), actor, productId, { bytes: photo, contentType: "image/png" });
  const b = await images.uploadImage(ctx(), actor, productId, { bytes: photo, contentType: "image/png" });
  const keys = await imageFilesOfProduct(h.database.db, productId);
  expect(keys.sort()).toEqual(storedFiles(h).map((f) => `products/${f}`));
  expect(keys.filter((k) => k.includes(a.id) || k.includes(b.id))).toHaveLength(6);
});
