// Re-uploads as one transaction per product, the stock column, JSON/NDJSON uploads.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { CreateProductBody, Problem } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import { asc, eq } from "drizzle-orm";
import { createHarness, type Harness } from "../../testing/harness.ts";
import { createLocation, getVariantStock, reserve } from "../inventory/service.ts";
import { count, json, type Person, signUp } from "../products/test-fixtures.ts";
import { IMPORT_LEASE_MS, runNextImport } from "./service.ts";
import { csv, drain, type ImportCatalog, importView, reportOf, seedImportCatalog, TSHIRT_HEADER, tshirtRow, upload, uploadOk } from "./test-fixtures.ts";

let h: Harness;
let seller: Person;
let catalog: ImportCatalog;
beforeEach(async () => {
  h = await createHarness();
  catalog = await seedImportCatalog(h);
  seller = await signUp(h, "seller");
});
afterEach(() => h.destroy());

const THREE = (overrides: Record<string, string> = {}) =>
  csv(TSHIRT_HEADER, [
    tshirtRow("TEE-S", "tee", "red", "S", overrides),
    tshirtRow("TEE-M", "tee", "red", "M", overrides),
    tshirtRow("TEE-L", "tee", "red", "L", overrides),
  ]);

const ctxOf = () => ({ database: h.deps.database, clock: h.deps.clock, ids: h.deps.ids, log: h.deps.log, eventsWritten: () => {} }) as never;
const actorOf = (p: Person) => ({ userId: p.userId, sessionId: "test", roles: ["seller"] }) as never;

/** Everything a product write touches, to compare before and after. */
async function snapshot() {
  const db = h.database.db;
  return {
    products: await db.select().from(schema.product),
    variants: await db.select().from(schema.variant).orderBy(asc(schema.variant.sku)),
    attributes: await db.select().from(schema.productAttribute),
    events: await count(h, "outbox_event"),
  };
}

async function eventsOf(type: string): Promise<Record<string, unknown>[]> {
  const rows = await h.database.db.select().from(schema.outboxEvent).where(eq(schema.outboxEvent.type, type));
  return rows.map((r) => JSON.parse(r.payload) as Record<string, unknown>);
}

describe("a re-upload is one transaction per product", () => {
  test("a failure on the 3rd variant's write leaves the product, its variants, attributes and events exactly as before", async () => {
    await uploadOk(h, seller.token, THREE());
    await drain(h);
    const before = await snapshot();
    expect(before.variants).toHaveLength(3);

    // a real write failure inside the transaction, after the product and two variants were written
    await h.database.client.execute(
      "CREATE TRIGGER crash_third BEFORE UPDATE ON variant WHEN NEW.sku = 'TEE-L' BEGIN SELECT RAISE(ABORT, 'injected crash'); END",
    );
    const id = await uploadOk(h, seller.token, THREE({ title: "Renamed tee", price_minor: "2500", "attr.material": "linen" }));
    const crash = await runNextImport(h.deps).catch((error: unknown) => error);
    expect(String((crash as { cause?: unknown }).cause)).toContain("injected crash");
    expect(await snapshot()).toEqual(before);

    // the import is not lost: once the cause is gone, the next run (after the lease) applies it whole
    await h.database.client.execute("DROP TRIGGER crash_third");
    h.clock.advance(IMPORT_LEASE_MS + 1);
    await drain(h);
    expect(await importView(h, seller.token, id)).toMatchObject({ status: "succeeded", rowsDone: 3, rowsFailed: 0 });
    const [product] = await h.database.db.select().from(schema.product);
    expect(product).toMatchObject({ title: "Renamed tee", minPriceMinor: 2500, maxPriceMinor: 2500 });
    // one version step for the product's fields, one for its variants
    expect(product?.version).toBe((before.products[0]?.version ?? 0) + 2);
  });

  test("the re-upload's events: one product.updated naming what changed, a variant.price_changed per repriced variant", async () => {
    await uploadOk(h, seller.token, THREE());
    await drain(h);
    await uploadOk(
      h,
      seller.token,
      csv(TSHIRT_HEADER, [
        tshirtRow("TEE-S", "tee", "red", "S", { title: "New title", price_minor: "2500" }),
        tshirtRow("TEE-M", "tee", "red", "M", { title: "New title" }),
        tshirtRow("TEE-L", "tee", "red", "L", { title: "New title" }),
        tshirtRow("TEE-XL", "tee", "blue", "L", { title: "New title", price_minor: "999" }),
      ]),
    );
    await drain(h);
    const updated = await eventsOf("product.updated");
    expect(updated).toHaveLength(1);
    expect(updated[0]?.changed).toEqual(["title", "variants", "minPriceMinor", "maxPriceMinor"]);
    const priced = await eventsOf("variant.price_changed");
    expect(priced.map((e) => [e.oldPriceMinor, e.newPriceMinor])).toEqual([[1999, 2500]]);
    const [product] = await h.database.db.select().from(schema.product);
    expect(product).toMatchObject({ minPriceMinor: 999, maxPriceMinor: 2500 });
    expect(await count(h, "variant")).toBe(4);
  });

  test("SKUs of one product_ref that belong to two products: the strays are per-row errors, the rest updates", async () => {
    await uploadOk(h, seller.token, csv(TSHIRT_HEADER, [tshirtRow("A-1", "a", "red", "S"), tshirtRow("B-1", "b", "red", "S")]));
    await drain(h);
    const id = await uploadOk(
      h,
      seller.token,
      csv(TSHIRT_HEADER, [tshirtRow("A-1", "a", "red", "S", { price_minor: "500" }), tshirtRow("B-1", "a", "red", "M", { price_minor: "500" })]),
    );
    await drain(h);
    expect(await importView(h, seller.token, id)).toMatchObject({ status: "succeeded", rowsDone: 1, rowsFailed: 1 });
    const lines = (await reportOf(h, seller.token, id)).slice(1);
    expect(lines.map((l) => [l[0], l[1], l[2]])).toEqual([["3", "B-1", "sku"]]);
    const prices = await h.database.db
      .select({ sku: schema.variant.sku, price: schema.variant.priceMinor })
      .from(schema.variant)
      .orderBy(asc(schema.variant.sku));
    expect(prices).toEqual([
      { sku: "A-1", price: 500 },
      { sku: "B-1", price: 1999 },
    ]);
  });
});

describe("the stock column", () => {
  const HEADER = `${TSHIRT_HEADER},stock`;
  const rows = (stock: string[]) =>
    csv(HEADER, [`${tshirtRow("TEE-S", "tee", "red", "S")},${stock[0]}`, `${tshirtRow("TEE-M", "tee", "red", "M")},${stock[1]}`]);

  test("without a stock location, rows with stock are per-row errors and are not imported; rows without stock are", async () => {
    const id = await uploadOk(h, seller.token, rows(["5", ""]));
    await drain(h);
    expect(await importView(h, seller.token, id)).toMatchObject({ status: "succeeded", rowsDone: 1, rowsFailed: 1 });
    const lines = (await reportOf(h, seller.token, id)).slice(1);
    expect(lines.map((l) => [l[0], l[1], l[2]])).toEqual([["2", "TEE-S", "stock"]]);
    expect(lines[0]?.join(",")).toContain("create a stock location first");
    expect((await h.database.db.select({ sku: schema.variant.sku }).from(schema.variant)).map((v) => v.sku)).toEqual(["TEE-M"]);
  });

  test("sets on-hand at the seller's first location through the inventory service; a re-upload recounts it", async () => {
    const location = await createLocation(ctxOf(), actorOf(seller), { name: "Main", country: "PT" });
    await uploadOk(h, seller.token, rows(["5", "-1"]));
    await drain(h);
    const variants = await h.database.db.select().from(schema.variant).orderBy(asc(schema.variant.sku));
    expect(variants.map((v) => v.sku)).toEqual(["TEE-S"]); // -1 is refused before anything is written
    const teeS = variants[0]?.id ?? "";
    const stock = await getVariantStock(ctxOf(), actorOf(seller), teeS);
    expect(stock.levels).toMatchObject([{ locationId: location.id, onHand: 5 }]);
    expect(await eventsOf("inventory.changed")).toHaveLength(1);

    await uploadOk(h, seller.token, rows(["12", "3"]));
    await drain(h);
    expect((await getVariantStock(ctxOf(), actorOf(seller), teeS)).onHand).toBe(12);
    // the correction trail sums to on-hand: +5, then +7
    const adjustments = await h.database.db.select().from(schema.stockAdjustment).where(eq(schema.stockAdjustment.variantId, teeS));
    expect(adjustments.map((a) => a.delta).sort()).toEqual([5, 7]);
  });

  test("a product is written with its stock or not at all: stock below what checkout holds refuses the row, and its product update with it", async () => {
    await createLocation(ctxOf(), actorOf(seller), { name: "Main", country: "PT" });
    await uploadOk(h, seller.token, rows(["5", "5"]));
    await drain(h);
    const teeS = (await h.database.db.select().from(schema.variant).where(eq(schema.variant.sku, "TEE-S")))[0]?.id ?? "";
    await reserve(ctxOf(), { holder: "checkout-1", lines: [{ variantId: teeS, quantity: 4 }], ttlMs: 60_000 });
    const before = await snapshot();
    const events = await count(h, "outbox_event");

    // TEE-S recounted to 2 while 4 are held: the inventory refuses it inside the product's transaction
    const oneRow = csv(HEADER, [`${tshirtRow("TEE-S", "tee", "red", "S", { price_minor: "2999" })},2`]);
    const id = await uploadOk(h, seller.token, oneRow);
    await drain(h);
    expect(await importView(h, seller.token, id)).toMatchObject({ status: "succeeded", rowsDone: 0, rowsFailed: 1 });
    const [line] = (await reportOf(h, seller.token, id)).slice(1);
    expect([line?.[0], line?.[1], line?.[2]]).toEqual(["2", "TEE-S", "stock"]);
    expect(line?.join(",")).toContain("reserved");
    // the price change rolled back with the stock: nothing of the product moved, and no event went out
    expect(await snapshot()).toEqual({ ...before, events });
    expect((await getVariantStock(ctxOf(), actorOf(seller), teeS)).onHand).toBe(5);
  });
});

describe("JSON and NDJSON uploads", () => {
  const tee = (sku: string, extra: Record<string, unknown> = {}): CreateProductBody & Record<string, unknown> => ({
    title: `Tee ${sku}`,
    categoryId: catalog.tshirts,
    currency: "EUR",
    attributes: { material: "cotton" },
    variants: [{ sku, options: { colour: "red", size: "S" }, priceMinor: 1999, ...extra } as never],
  });
  const send = (body: string, type: string) => upload(h, seller.token, body, { "content-type": type });

  test("a JSON array: each object is a product; bad objects are reported by index (1-based) and field; stock is set", async () => {
    await createLocation(ctxOf(), actorOf(seller), { name: "Main", country: "PT" });
    const body = JSON.stringify([
      tee("J-1", { stock: 4 }),
      tee("J-2", { priceMinor: -5 }),
      { ...tee("J-3"), categoryId: "cat_nope" },
      "not an object",
      tee("J-5", { stock: 1.5 }),
    ]);
    const response = await send(body, "application/json");
    expect(response.status).toBe(202);
    const { id } = await json<{ id: string }>(response);
    await drain(h);
    const view = await importView(h, seller.token, id);
    expect(view).toMatchObject({ format: "json", status: "succeeded", rowsTotal: 5, rowsDone: 1, rowsFailed: 4 });
    const lines = (await reportOf(h, seller.token, id)).slice(1);
    expect(lines.map((l) => [l[0], l[1], l[2]])).toEqual([
      ["2", "J-2", "/variants/0/priceMinor"],
      ["3", "", "/categoryId"],
      ["4", "", "/"],
      ["5", "J-5", "/variants/0/stock"],
    ]);
    const [variant] = await h.database.db.select().from(schema.variant);
    expect(variant?.sku).toBe("J-1");
    expect((await getVariantStock(ctxOf(), actorOf(seller), variant?.id ?? "")).onHand).toBe(4);
  });

  test("NDJSON: line by line, a line that is not JSON is that object's error, and a crash resumes after the saved objects", async () => {
    const lines = [JSON.stringify(tee("N-1")), "{oops", "", JSON.stringify(tee("N-3")), JSON.stringify(tee("N-4"))];
    const response = await send(`${lines.join("\n")}\n`, "application/x-ndjson");
    expect(response.status).toBe(202);
    const { id } = await json<{ id: string }>(response);
    expect(await runNextImport(h.deps, { maxProducts: 2 })).toBe(2);
    expect(await importView(h, seller.token, id)).toMatchObject({ status: "running", rowsDone: 1, rowsFailed: 1 });
    await drain(h);
    expect(await importView(h, seller.token, id)).toMatchObject({ format: "ndjson", status: "succeeded", rowsTotal: 4, rowsDone: 3, rowsFailed: 1 });
    const report = (await reportOf(h, seller.token, id)).slice(1);
    expect(report.map((l) => [l[0], l[2]])).toEqual([["2", "/"]]);
    expect(report[0]?.join(",")).toContain("not valid JSON");
    expect(await count(h, "product")).toBe(3);
  });

  test("a JSON array over 10 MiB is 413 pointing to NDJSON (nothing kept); a body of the wrong shape is 422", async () => {
    const big = `[${" ".repeat(10 * 1024 * 1024)}]`;
    const response = await send(big, "application/json");
    expect(response.status).toBe(413);
    expect((await json<Problem>(response)).detail).toContain("application/x-ndjson");
    expect((await send(JSON.stringify({ not: "an array" }), "application/json")).status).toBe(422);
    expect((await send("[1]\n", "application/x-ndjson")).status).toBe(422);
    expect(await count(h, "catalog_import")).toBe(0);
  });
});
