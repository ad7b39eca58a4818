// Test support for product images: sellers, product and variant rows inserted with drizzle (the
// products part owns their API), real images made with sharp, and what the store and tables hold.
import { expect } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import type { Problem, ProductImageView, TokenPair } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import { eq } from "drizzle-orm";
import sharp from "sharp";
import type { Harness } from "../../testing/harness.ts";

export const json = async <T>(response: Response) => (await response.json()) as T;

export async function problem(response: Response, status: number): Promise<Problem> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return json<Problem>(response);
}

export async function seller(h: Harness, email?: string): Promise<TokenPair> {
  const tokens = await h.register(email ? { email } : {});
  await h.grantRole(tokens.user.id, "seller");
  return tokens;
}

let rows = 0;
const next = () => `${Date.now().toString(36)}-${++rows}`;

/** A category and a product of `sellerId` in it; `draft` unless told. */
export async function insertProduct(h: Harness, sellerId: string, status = "draft"): Promise<string> {
  const now = Date.now();
  const n = next();
  const categoryId = h.deps.ids("category");
  await h.database.db
    .insert(schema.category)
    .values({ id: categoryId, slug: `cat-${n}`, name: `Category ${n}`, path: `/cat-${n}/`, depth: 0, createdAt: now, updatedAt: now });
  const productId = h.deps.ids("product");
  await h.database.db
    .insert(schema.product)
    .values({ id: productId, sellerId, slug: `mug-${n}`, title: "Red mug", categoryId, status, currency: "EUR", createdAt: now, updatedAt: now });
  return productId;
}

export async function insertVariant(h: Harness, productId: string, sellerId: string): Promise<string> {
  const now = Date.now();
  const variantId = h.deps.ids("variant");
  await h.database.db.insert(schema.variant).values({
    id: variantId,
    productId,
    sellerId,
    sku: `SKU-${next()}`,
    options: { colour: "red" },
    priceMinor: 1299,
    currency: "EUR",
    createdAt: now,
    updatedAt: now,
  });
  return variantId;
}

export async function setProductStatus(h: Harness, productId: string, status: string): Promise<void> {
  await h.database.db.update(schema.product).set({ status }).where(eq(schema.product.id, productId));
}

export function upload(h: Harness, token: string | undefined, productId: string, bytes: Uint8Array, type: string, query = ""): Promise<Response> {
  const headers: Record<string, string> = { "content-type": type, "content-length": String(bytes.length) };
  if (token) headers.authorization = `Bearer ${token}`;
  return h.app.handle(new Request(`http://localhost/v1/seller/products/${productId}/images${query}`, { method: "POST", headers, body: bytes }));
}

export async function uploaded(h: Harness, token: string, productId: string, bytes: Uint8Array, type: string, query = ""): Promise<ProductImageView> {
  const response = await upload(h, token, productId, bytes, type, query);
  if (response.status !== 201) throw new Error(`upload: ${response.status} ${await response.text()}`);
  return json<ProductImageView>(response);
}

export const bytesOf = (buffer: Buffer) => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);

/** A real image, left half red and right half blue, so orientation and scaling can be checked by colour. */
export async function twoTone(width: number, height: number, format: "png" | "jpeg" | "webp", exif?: { orientation?: number; gps?: boolean }) {
  const left = Math.floor(width / 2);
  let image = sharp({ create: { width, height, channels: 3, background: { r: 255, g: 0, b: 0 } } }).composite([
    { input: { create: { width: width - left, height, channels: 3, background: { r: 0, g: 0, b: 255 } } }, left, top: 0 },
  ]);
  image = format === "png" ? image.png() : format === "jpeg" ? image.jpeg({ quality: 95 }) : image.webp({ quality: 95 });
  if (exif?.orientation) image = image.withMetadata({ orientation: exif.orientation });
  if (exif?.gps)
    image = image.withExif({ IFD0: { Make: "SpyCam", Model: "Pocket 3000" }, IFD3: { GPSMapDatum: "WGS-84", GPSLatitudeRef: "N", GPSLongitudeRef: "W" } });
  return bytesOf(await image.toBuffer());
}

/** The colour of one pixel, roughly: "red", "blue" or "other". */
export async function colourAt(bytes: Uint8Array, x: number, y: number): Promise<string> {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  const [r = 0, g = 0, b = 0] = [data[at], data[at + 1], data[at + 2]];
  if (r > 200 && g < 60 && b < 60) return "red";
  if (b > 200 && r < 60 && g < 60) return "blue";
  return `other(${r},${g},${b})`;
}

/** Every file under products/ in the local store (content-type sidecars left out), relative to it. */
export function storedFiles(h: Harness): string[] {
  const root = h.deps.config.files.store === "local" ? join(h.deps.config.files.directory, "products") : "";
  if (!root || !existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.endsWith("~type"))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort();
}

export async function imageRows(h: Harness) {
  return h.database.db.select().from(schema.productImage);
}

/** The `changed` lists of product.updated events in the outbox for `productId`, oldest first. */
export async function productUpdates(h: Harness, productId: string): Promise<string[][]> {
  const events = await h.database.db.select().from(schema.outboxEvent).where(eq(schema.outboxEvent.type, "product.updated")).orderBy(schema.outboxEvent.id);
  return events
    .map((event) => JSON.parse(event.payload) as { productId: string; changed: string[] })
    .filter((payload) => payload.productId === productId)
    .map((payload) => payload.changed);
}
