// Product images' SQL: the only file that writes product_image. Reads product and variant rows
// (the products part owns them) to check ownership and that a variant belongs to the product.
import { type Queryable, type ReadDb, schema } from "@bazaar/db";
import { and, asc, count, eq, isNull } from "drizzle-orm";

const { product, variant, productImage } = schema;

export type ImageRow = typeof productImage.$inferSelect;
export type NewImage = typeof productImage.$inferInsert;
/** Anything that can read: the database's `db` or `read`, or an open transaction. */
export type Reader = Queryable | ReadDb;

/** What images need of a product: whose it is, whether it is public, and what `product.updated` carries. */
export interface ProductRef {
  id: string;
  sellerId: string;
  slug: string;
  categoryId: string;
  status: string;
}

const PRODUCT_REF = { id: product.id, sellerId: product.sellerId, slug: product.slug, categoryId: product.categoryId, status: product.status };

/** A gallery is one product's images shown for one variant, or for none (the product's own). */
const inGallery = (productId: string, variantId: string | null) =>
  and(eq(productImage.productId, productId), variantId === null ? isNull(productImage.variantId) : eq(productImage.variantId, variantId));

/** Gallery order; createdAt and id break ties a variant deletion can leave (its images join the product's gallery). */
const GALLERY_ORDER = [asc(productImage.position), asc(productImage.createdAt), asc(productImage.id)];

export async function findProduct(db: Queryable, productId: string): Promise<ProductRef | undefined> {
  return (await db.select(PRODUCT_REF).from(product).where(eq(product.id, productId)).limit(1))[0];
}

export async function variantBelongs(db: Queryable, productId: string, variantId: string): Promise<boolean> {
  const rows = await db
    .select({ id: variant.id })
    .from(variant)
    .where(and(eq(variant.id, variantId), eq(variant.productId, productId)))
    .limit(1);
  return rows.length > 0;
}

/** Every image of the product: its own gallery first, then each variant's, each in gallery order. */
export function imagesOf(db: Reader, productId: string): Promise<ImageRow[]> {
  return db
    .select()
    .from(productImage)
    .where(eq(productImage.productId, productId))
    .orderBy(asc(productImage.variantId), ...GALLERY_ORDER);
}

export function galleryOf(db: Reader, productId: string, variantId: string | null): Promise<ImageRow[]> {
  return db
    .select()
    .from(productImage)
    .where(inGallery(productId, variantId))
    .orderBy(...GALLERY_ORDER);
}

export async function findImage(db: Reader, productId: string, imageId: string): Promise<ImageRow | undefined> {
  return (
    await db
      .select()
      .from(productImage)
      .where(and(eq(productImage.id, imageId), eq(productImage.productId, productId)))
      .limit(1)
  )[0];
}

/** An image with its product's seller and status: what the public route decides on. */
export async function findServedImage(db: ReadDb, imageId: string): Promise<{ key: string; contentType: string; productStatus: string } | undefined> {
  return (
    await db
      .select({ key: productImage.key, contentType: productImage.contentType, productStatus: product.status })
      .from(productImage)
      .innerJoin(product, eq(product.id, productImage.productId))
      .where(eq(productImage.id, imageId))
      .limit(1)
  )[0];
}

export async function countImages(tx: Queryable, productId: string): Promise<number> {
  const [row] = await tx.select({ n: count() }).from(productImage).where(eq(productImage.productId, productId));
  return row?.n ?? 0;
}

export async function insertImage(tx: Queryable, row: NewImage): Promise<ImageRow | undefined> {
  const [created] = await tx.insert(productImage).values(row).returning();
  return created;
}

export async function updateImage(tx: Queryable, imageId: string, changes: Partial<Pick<NewImage, "alt" | "variantId">>): Promise<void> {
  await tx.update(productImage).set(changes).where(eq(productImage.id, imageId));
}

/** Numbers a gallery 0, 1, 2… in the order given; only rows whose position changes are written. */
export async function renumber(tx: Queryable, ordered: readonly Pick<ImageRow, "id" | "position">[]): Promise<void> {
  for (const [position, image] of ordered.entries()) {
    if (image.position !== position) await tx.update(productImage).set({ position }).where(eq(productImage.id, image.id));
  }
}

export async function deleteImage(tx: Queryable, imageId: string): Promise<boolean> {
  const deleted = await tx.delete(productImage).where(eq(productImage.id, imageId)).returning({ id: productImage.id });
  return deleted.length > 0;
}
