// Fixtures for the imports tests: the products tests' catalog plus a category whose variants differ by a
// number (so one product can carry 100 variants), CSV builders, and upload/run helpers.
import type { CatalogImportAccepted, CatalogImportView } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import type { Harness } from "../../testing/harness.ts";
import { type Catalog, json, seedCatalog } from "../products/test-fixtures.ts";
import { runNextImport } from "./service.ts";

export interface ImportCatalog extends Catalog {
  /** /sheets/: `n` (number) defines variants: as many per product as MAX_VARIANTS_PER_PRODUCT allows */
  sheets: string;
}

export async function seedImportCatalog(h: Harness): Promise<ImportCatalog> {
  const catalog = await seedCatalog(h);
  const sheets = h.deps.ids("category");
  const now = h.clock.now;
  await h.database.db
    .insert(schema.category)
    .values({ id: sheets, parentId: null, slug: "sheets", name: "sheets", path: "/sheets/", depth: 1, createdAt: now, updatedAt: now });
  await h.database.db
    .insert(schema.categoryAttribute)
    .values({ id: h.deps.ids("attribute"), categoryId: sheets, key: "n", label: "n", type: "number", variantDefining: true });
  return { ...catalog, sheets };
}

export const TSHIRT_HEADER =
  "sku,product_ref,title,description,category,brand,currency,price_minor,compare_at_minor,option.colour,option.size,attr.material,attr.fabric_weight,weight_grams,barcode";

/** One t-shirt row; `overrides` replaces cells by column name. */
export function tshirtRow(sku: string, ref: string, colour: string, size: string, overrides: Record<string, string> = {}): string {
  const cells: Record<string, string> = {
    sku,
    product_ref: ref,
    title: `Tee ${ref}`,
    description: "Soft, organic",
    category: "t-shirts",
    brand: "acme",
    currency: "EUR",
    price_minor: "1999",
    compare_at_minor: "",
    "option.colour": colour,
    "option.size": size,
    "attr.material": "cotton",
    "attr.fabric_weight": "180",
    weight_grams: "200",
    barcode: "",
    ...overrides,
  };
  return TSHIRT_HEADER.split(",")
    .map((c) => {
      const v = cells[c] ?? "";
      return /[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
    })
    .join(",");
}

export const csv = (header: string, rows: string[]) => `${header}\n${rows.join("\n")}\n`;

export async function upload(h: Harness, token: string, body: string | ReadableStream<Uint8Array>, headers: Record<string, string> = {}): Promise<Response> {
  const extra: Record<string, string> = typeof body === "string" ? { "content-length": String(new TextEncoder().encode(body).byteLength) } : {};
  return h.app.handle(
    new Request("http://localhost/v1/seller/imports", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "text/csv", ...extra, ...headers },
      body,
    }),
  );
}

export async function uploadOk(h: Harness, token: string, body: string | ReadableStream<Uint8Array>): Promise<string> {
  const response = await upload(h, token, body);
  if (response.status !== 202) throw new Error(`upload failed: ${response.status} ${await response.text()}`);
  return (await json<CatalogImportAccepted>(response)).id;
}

/** Runs the job until nothing is left to do (each call works one import to its end or its budget). */
export async function drain(h: Harness): Promise<void> {
  while ((await runNextImport(h.deps)) > 0);
}

export async function importView(h: Harness, token: string, id: string): Promise<CatalogImportView> {
  const response = await h.request("GET", `/v1/seller/imports/${id}`, { token });
  if (response.status !== 200) throw new Error(`get import failed: ${response.status} ${await response.text()}`);
  return json<CatalogImportView>(response);
}

export async function reportOf(h: Harness, token: string, id: string): Promise<string[][]> {
  const response = await h.request("GET", `/v1/seller/imports/${id}/report`, { token });
  if (response.status !== 200) throw new Error(`report failed: ${response.status} ${await response.text()}`);
  const lines = (await response.text()).trim().split("\n");
  return lines.map((l) => l.split(","));
}
