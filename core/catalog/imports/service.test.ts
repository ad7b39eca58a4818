import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { schema } from "@bazaar/db";
import { eq } from "drizzle-orm";
import { createHarness, type Harness } from "../../testing/harness.ts";
import { count, type Person, signUp } from "../products/test-fixtures.ts";
import { IMPORT_LEASE_MS, MAX_IMPORT_ATTEMPTS, runNextImport } from "./service.ts";
import { csv, drain, type ImportCatalog, importView, reportOf, seedImportCatalog, TSHIRT_HEADER, tshirtRow, uploadOk } from "./test-fixtures.ts";

let h: Harness;
let seller: Person;
let _catalog: ImportCatalog;
beforeEach(async () => {
  h = await createHarness();
  _catalog = await seedImportCatalog(h);
  seller = await signUp(h, "seller");
});
afterEach(() => h.destroy());

const COLOURS = ["red", "blue", "black"];
const SIZES = ["S", "M", "L"];

/** 20 t-shirts of 9 variants and 20 one-row books: 200 rows, with the bad ones the test names. */
function twoHundredRows(price = "1999"): { text: string; bad: Map<number, { sku: string; field: string }> } {
  const rows: string[] = [];
  const bad = new Map<number, { sku: string; field: string }>();
  const push = (row: string, problem?: { sku: string; field: string }) => {
    rows.push(row);
    if (problem) bad.set(rows.length + 1, problem);
  };
  for (let p = 0; p < 20; p++) {
    for (const [i, colour] of COLOURS.entries()) {
      for (const [j, size] of SIZES.entries()) {
        const sku = `TEE-${p}-${colour}-${size}`;
        const v = i * 3 + j;
        if (p === 3 && v === 4) push(tshirtRow(sku, `tee-${p}`, colour, size, { price_minor: "-5" }), { sku, field: "price_minor" });
        else if (p === 5 && v === 8) push(tshirtRow(sku, `tee-${p}`, colour, size, { price_minor: "12.50" }), { sku, field: "price_minor" });
        else if (p === 7 && v === 2) push(tshirtRow(sku, `tee-${p}`, colour, size, { compare_at_minor: "100" }), { sku, field: "compare_at_minor" });
        else if (p === 9 && v === 6) push(tshirtRow(sku, `tee-${p}`, colour, size, { "option.size": "XXL" }), { sku, field: "option.size" });
        else push(tshirtRow(sku, `tee-${p}`, colour, size, { price_minor: price }));
      }
    }
  }
  for (let b = 0; b < 20; b++) {
    const sku = `BOOK-${b}`;
    const book = { category: "books", "option.colour": "", "option.size": "", "attr.fabric_weight": "", "attr.material": "", price_minor: price };
    if (b === 2) push(tshirtRow(sku, `book-${b}`, "", "", { ...book, currency: "XXX" }), { sku, field: "currency" });
    else if (b === 4) push(tshirtRow(sku, `book-${b}`, "", "", { ...book, category: "no-such-category" }), { sku, field: "category" });
    else if (b === 6) push(tshirtRow("BOOK-1", `book-${b}`, "", "", book), { sku: "BOOK-1", field: "sku" });
    else push(tshirtRow(sku, `book-${b}`, "", "", book));
  }
  return { text: csv(TSHIRT_HEADER, rows), bad };
}

describe("a 200-row CSV", () => {
  test("imports the good rows, one product per product_ref, and the report lists exactly the bad rows", async () => {
    const { text, bad } = twoHundredRows();
    const id = await uploadOk(h, seller.token, text);
    expect((await importView(h, seller.token, id)).status).toBe("queued");
    expect(await runNextImport(h.deps)).toBe(200);

    const view = await importView(h, seller.token, id);
    expect(view).toMatchObject({
      status: "succeeded",
      rowsTotal: 200,
      rowsDone: 200 - bad.size,
      rowsFailed: bad.size,
      error: null,
      reportUrl: `/v1/seller/imports/${id}/report`,
    });
    expect(await count(h, "product")).toBe(20 + 17);
    expect(await count(h, "variant")).toBe(200 - bad.size);

    const [header, ...lines] = await reportOf(h, seller.token, id);
    expect(header).toEqual(["row", "sku", "field", "message"]);
    expect(lines.map(([row, sku, field]) => [Number(row), sku, field])).toEqual([...bad].map(([row, p]) => [row, p.sku, p.field]));
    // the duplicate says why
    expect(
      (await reportOf(h, seller.token, id))
        .find((l) => l[1] === "BOOK-1")
        ?.slice(3)
        .join(","),
    ).toContain("earlier row");
  });

  test("re-uploading updates the products and variants by SKU instead of creating them again", async () => {
    await uploadOk(h, seller.token, twoHundredRows().text);
    await drain(h);
    const before = { products: await count(h, "product"), variants: await count(h, "variant") };

    const id = await uploadOk(h, seller.token, twoHundredRows("2500").text);
    await drain(h);
    const view = await importView(h, seller.token, id);
    expect(view.status).toBe("succeeded");
    expect(view.rowsDone).toBe(193);
    expect({ products: await count(h, "product"), variants: await count(h, "variant") }).toEqual(before);
    const [tee] = await h.database.db.select().from(schema.variant).where(eq(schema.variant.sku, "TEE-0-red-S"));
    expect(tee?.priceMinor).toBe(2500);
  });
});

describe("a broken file", () => {
  test("broken quoting fails the import with the reason; nothing after it is imported", async () => {
    const text = csv(TSHIRT_HEADER, [tshirtRow("TEE-A", "a", "red", "S"), `TEE-B,b,"Tee b,oops,t-shirts,acme,EUR,1999,,red,S,cotton,180,200,`]);
    const id = await uploadOk(h, seller.token, text);
    await drain(h);
    const view = await importView(h, seller.token, id);
    expect(view.status).toBe("failed");
    expect(view.error).toContain("malformed");
    expect(view.finishedAt).not.toBeNull();
  });

  test("a header the first line shows to be wrong is refused at upload with 422", async () => {
    const response = await h.request("POST", "/v1/seller/imports", {
      token: seller.token,
      rawBody: "sku,title,price\nA,b,1\n",
      headers: { "content-type": "text/csv" },
    });
    expect(response.status).toBe(422);
    const problem = (await response.json()) as { detail: string };
    expect(problem.detail).toContain('missing columns "product_ref", "category", "currency", "price_minor"');
    expect(problem.detail).toContain('unknown column "price"');
    expect(await count(h, "catalog_import")).toBe(0);
  });

  test("a wrong header the upload could not read (quoted) fails the import with the reason", async () => {
    const id = await uploadOk(h, seller.token, '"sku","title"\nA,b\n');
    await drain(h);
    const view = await importView(h, seller.token, id);
    expect(view.status).toBe("failed");
    expect(view.error).toContain("missing columns");
  });
});

describe("a crash mid-import", () => {
  test("leaves only whole products, and another run resumes, redoing nothing twice", async () => {
    const { text, bad } = twoHundredRows();
    const id = await uploadOk(h, seller.token, text);
    expect(await runNextImport(h.deps, { maxProducts: 4 })).toBe(36);
    expect(await count(h, "product")).toBe(4);
    expect(await count(h, "variant")).toBe(35); // tee-3 lost its bad row, the others have all 9
    const partial = await importView(h, seller.token, id);
    expect(partial).toMatchObject({ status: "running", rowsDone: 35, rowsFailed: 1 });

    // a worker that died holding the lease, after writing two more products but before saving its count
    expect(await runNextImport(h.deps, { maxProducts: 2 })).toBe(18);
    await h.database.db
      .update(schema.catalogImport)
      .set({ rowsDone: 35, rowsFailed: 1, leaseUntil: h.clock.now + IMPORT_LEASE_MS })
      .where(eq(schema.catalogImport.id, id));
    expect(await runNextImport(h.deps)).toBe(0); // the lease still holds
    h.clock.advance(IMPORT_LEASE_MS + 1);
    await drain(h);

    const view = await importView(h, seller.token, id);
    expect(view).toMatchObject({ status: "succeeded", rowsDone: 200 - bad.size, rowsFailed: bad.size });
    expect(await count(h, "product")).toBe(37);
    expect(await count(h, "variant")).toBe(200 - bad.size);
    const lines = (await reportOf(h, seller.token, id)).slice(1);
    expect(lines.map((l) => Number(l[0]))).toEqual([...bad.keys()]);
  });
});

describe("a large file", () => {
  const ROWS = 100_000;
  test(`${ROWS.toLocaleString("en")} rows stream through the file store and import (100 variants per product)`, async () => {
    const encoder = new TextEncoder();
    let next = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (next === 0) controller.enqueue(encoder.encode("sku,product_ref,title,category,currency,price_minor,option.n\n"));
        let chunk = "";
        for (let i = 0; i < 2000 && next < ROWS; i++, next++)
          chunk += `S-${next},p-${Math.floor(next / 100)},Sheet ${Math.floor(next / 100)},sheets,EUR,${100 + (next % 100)},${next % 100}\n`;
        controller.enqueue(encoder.encode(chunk));
        if (next >= ROWS) controller.close();
      },
    });
    const id = await uploadOk(h, seller.token, body);
    await drain(h);
    const view = await importView(h, seller.token, id);
    expect(view).toMatchObject({ status: "succeeded", rowsTotal: ROWS, rowsDone: ROWS, rowsFailed: 0 });
    expect(await count(h, "variant")).toBe(ROWS);
  }, 300_000);
});

test("an import taken more than MAX_IMPORT_ATTEMPTS times without finishing is given up, not retried forever", async () => {
  const id = await uploadOk(h, seller.token, csv(TSHIRT_HEADER, [tshirtRow("GIVE-UP-1", "give-up", "red", "M")]));
  // as if five workers had taken it and each died before finishing
  await h.database.db
    .update(schema.catalogImport)
    .set({ status: "running", attempts: MAX_IMPORT_ATTEMPTS, leaseUntil: h.clock.now - 1 })
    .where(eq(schema.catalogImport.id, id));
  expect(await runNextImport(h.deps)).toBe(0);
  const view = await importView(h, seller.token, id);
  expect(view.status).toBe("failed");
  expect(view.error).toContain(`gave up after ${MAX_IMPORT_ATTEMPTS} attempts`);
  expect(await count(h, "variant")).toBe(0);
  // and nobody takes it again
  h.clock.advance(IMPORT_LEASE_MS * 2);
  expect(await runNextImport(h.deps)).toBe(0);
});
