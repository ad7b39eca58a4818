import {
  AppError,
  ConflictError,
  MAX_IMAGES_PER_PRODUCT,
  PRODUCT_IMAGE_DERIVED_SIDE,
  PRODUCT_IMAGE_MAX_PIXELS,
  PRODUCT_IMAGE_MAX_SIDE,
  PRODUCT_IMAGE_MEDIA_TYPES,
  PRODUCT_IMAGE_SIZES,
  type ProductImageList,
  type ProductImageMediaType,
  type ProductImageSize,
  type ProductImageView,
  type ReorderProductImagesBody,
  type UpdateProductImageBody,
  ValidationError,
} from "@bazaar/contracts";
import type { Queryable } from "@bazaar/db";
import { outboxInsert, productUpdated } from "@bazaar/events";
import { type FileStore, type ImageLimits, inspectImage } from "@bazaar/files";
import type { Static } from "@sinclair/typebox";
import sharp from "sharp";
import { requireOwner } from "../../http/authentication.ts";
import type { Actor, Ctx } from "../../platform/deps.ts";
import { eventFor } from "../events.ts";
import * as repo from "./repo.ts";

/** The header checks every product photo passes before a decoder sees it: still images only. */
export const PRODUCT_IMAGE_LIMITS: ImageLimits<ProductImageMediaType> = { types: PRODUCT_IMAGE_MEDIA_TYPES, maxSide: PRODUCT_IMAGE_MAX_SIDE, maxFrames: 1 };

const DERIVED_TYPE = "image/webp";
/** Staff who may manage any seller's images (moderation); everyone else sees only their own products. */
const STAFF = ["admin"] as const;

export interface ImagesDeps {
  files: FileStore;
  /** sharp jobs at once in this process (each may hold a decoded photo: 40 MP is 160 MB) */
  encodeConcurrency?: number;
  /** uploads allowed to wait for an encoder before the next one gets a 429 */
  encodeQueue?: number;
}

export interface ImageUpload {
  bytes: Uint8Array;
  contentType: string;
  variantId?: string;
  alt?: string;
}

export interface ServedImage {
  bytes: Uint8Array;
  contentType: string;
  etag: string;
}

interface Rendition {
  bytes: Uint8Array;
  contentType: string;
  width: number;
  height: number;
}

type ProductStatus = Static<typeof productUpdated.payload>["status"];

/** Where an image's files live: `products/<productId>/<imageId>/{original,medium,thumb}`; the row keeps the original's key. */
export function imageFileKeys(productId: string, imageId: string): Record<ProductImageSize, string> {
  const base = `products/${productId}/${imageId}`;
  return { original: `${base}/original`, medium: `${base}/medium`, thumb: `${base}/thumb` };
}

function fileKeyOf(row: Pick<repo.ImageRow, "key">, size: ProductImageSize): string {
  return `${row.key.slice(0, row.key.lastIndexOf("/") + 1)}${size}`;
}

/**
 * Every file of every image of a product. Whoever deletes a product's image rows reads these first
 * and deletes the files after the commit (the rows are the only record of which files exist).
 */
export async function imageFilesOfProduct(db: Queryable, productId: string): Promise<string[]> {
  return (await repo.imagesOf(db, productId)).flatMap((row) => PRODUCT_IMAGE_SIZES.map((size) => fileKeyOf(row, size)));
}

export function toImageView(row: repo.ImageRow): ProductImageView {
  const url = (size: ProductImageSize) => `/v1/images/${row.id}/${size}`;
  return {
    id: row.id,
    productId: row.productId,
    variantId: row.variantId,
    alt: row.alt || null,
    position: row.position,
    contentType: row.contentType,
    width: row.width,
    height: row.height,
    urls: { original: url("original"), medium: url("medium"), thumb: url("thumb") },
    createdAt: new Date(row.createdAt).toISOString(),
  };
}

/**
 * Product galleries: uploads are checked from their headers (the shared inspector), re-encoded by
 * sharp outside any transaction (upright, without metadata, plus two WebP sizes), stored, and only
 * then recorded — with `product.updated` in the same transaction. A failed record deletes the files.
 */
export function createImagesService(deps: ImagesDeps) {
  const encoders = new WorkLimiter(deps.encodeConcurrency ?? 2, deps.encodeQueue ?? 64);

  async function ownedProduct(ctx: Ctx, actor: Actor, productId: string): Promise<repo.ProductRef> {
    return requireOwner(actor, await repo.findProduct(ctx.database.db, productId), "product", STAFF, (p) => p.sellerId);
  }

  async function requireVariant(db: Queryable, productId: string, variantId: string, path: string): Promise<void> {
    if (!(await repo.variantBelongs(db, productId, variantId))) throw new ValidationError([{ path, message: "is not a variant of this product" }]);
  }

  function imagesChanged(ctx: Ctx, product: repo.ProductRef, now: number) {
    const { id: productId, sellerId, slug, categoryId } = product;
    return eventFor(ctx, productUpdated, { productId, sellerId, slug, categoryId, status: product.status as ProductStatus, changed: ["images"] }, now);
  }

  /** The product again, inside the transaction: it may have gone since the ownership check. */
  async function productIn(tx: Queryable, productId: string): Promise<repo.ProductRef> {
    const product = await repo.findProduct(tx, productId);
    if (!product) throw new AppError("NOT_FOUND", "No such product");
    return product;
  }

  /** Files go after the database has moved on: a failed delete orphans a file, never breaks a gallery. */
  async function deleteFiles(ctx: Ctx, keys: readonly string[]): Promise<void> {
    await Promise.all(
      keys.map(async (key) => {
        try {
          await deps.files.delete(key);
        } catch (error) {
          ctx.log.warn("image file not deleted; it is orphaned", { key, error });
        }
      }),
    );
  }

  async function servedFile(ctx: Ctx, row: Pick<repo.ImageRow, "key" | "contentType">, imageId: string, size: ProductImageSize): Promise<ServedImage> {
    const key = fileKeyOf(row, size);
    const expected = size === "original" ? row.contentType : DERIVED_TYPE;
    const file = await deps.files.get(key);
    // only what we stored, as we stored it: anything else in the store is not served from here
    if (!file || file.contentType !== expected) {
      ctx.log.warn("image file missing or of an unexpected type", { imageId, key, contentType: file?.contentType });
      throw new AppError("NOT_FOUND", "No such image");
    }
    // the bytes behind an id and size never change (a new upload is a new id), so the ETag is the name
    return { bytes: file.bytes, contentType: file.contentType, etag: `"${imageId}-${size}"` };
  }

  return {
    async uploadImage(ctx: Ctx, actor: Actor, productId: string, upload: ImageUpload): Promise<ProductImageView> {
      await ownedProduct(ctx, actor, productId);
      const variantId = upload.variantId ?? null;
      if (variantId) await requireVariant(ctx.database.db, productId, variantId, "/variantId");
      // refused before any decoding when the gallery is already full; the transaction below decides
      if ((await repo.countImages(ctx.database.db, productId)) >= MAX_IMAGES_PER_PRODUCT) throw galleryFull();
      const inspected = inspectImage(upload.bytes, upload.contentType, PRODUCT_IMAGE_LIMITS);
      const renditions = await encoders.run(() => render(upload.bytes, inspected.type));

      const imageId = ctx.ids("image");
      const keys = imageFileKeys(productId, imageId);
      const allKeys = Object.values(keys);
      // every put settles before any cleanup, so no write can land after the delete that should undo it
      const puts = await Promise.allSettled(
        PRODUCT_IMAGE_SIZES.map((size) => deps.files.put(keys[size], renditions[size].bytes, renditions[size].contentType)),
      );
      const failed = puts.find((put) => put.status === "rejected");
      if (failed) {
        await deleteFiles(ctx, allKeys);
        throw failed.reason;
      }

      const now = ctx.clock();
      let created: repo.ImageRow;
      try {
        created = await ctx.database.transaction(async (tx) => {
          const product = await productIn(tx, productId);
          if (variantId) await requireVariant(tx, productId, variantId, "/variantId");
          if ((await repo.countImages(tx, productId)) >= MAX_IMAGES_PER_PRODUCT) throw galleryFull();
          const gallery = await repo.galleryOf(tx, productId, variantId);
          await repo.renumber(tx, gallery);
          const row = await repo.insertImage(tx, {
            id: imageId,
            productId,
            variantId,
            key: keys.original,
            contentType: inspected.type,
            width: renditions.original.width,
            height: renditions.original.height,
            alt: upload.alt?.trim() ?? "",
            position: gallery.length,
            createdAt: now,
          });
          if (!row) throw new Error("image insert returned no row");
          await outboxInsert(tx, imagesChanged(ctx, product, now));
          return row;
        });
      } catch (error) {
        await deleteFiles(ctx, allKeys);
        throw error;
      }
      ctx.eventsWritten();
      ctx.log.info("product image stored", {
        productId,
        imageId,
        type: inspected.type,
        width: created.width,
        height: created.height,
        bytes: upload.bytes.length,
      });
      return toImageView(created);
    },

    async listImages(ctx: Ctx, actor: Actor, productId: string, query: { variantId?: string }): Promise<ProductImageList> {
      await ownedProduct(ctx, actor, productId);
      if (query.variantId) {
        await requireVariant(ctx.database.db, productId, query.variantId, "/variantId");
        return { items: (await repo.galleryOf(ctx.database.db, productId, query.variantId)).map(toImageView) };
      }
      return { items: (await repo.imagesOf(ctx.database.db, productId)).map(toImageView) };
    },

    /** Alt text, place in its gallery, or which gallery (a variant's or the product's); the galleries stay numbered 0…n-1. */
    async updateImage(ctx: Ctx, actor: Actor, productId: string, imageId: string, body: UpdateProductImageBody): Promise<ProductImageView> {
      if (body.alt === undefined && body.position === undefined && body.variantId === undefined) {
        throw new ValidationError([{ path: "/", message: "must name at least one of alt, position, variantId" }]);
      }
      await ownedProduct(ctx, actor, productId);
      const now = ctx.clock();
      const updated = await ctx.database.transaction(async (tx) => {
        const product = await productIn(tx, productId);
        const image = await repo.findImage(tx, productId, imageId);
        if (!image) throw new AppError("NOT_FOUND", "No such image");
        const target = body.variantId === undefined ? image.variantId : body.variantId;
        if (target && target !== image.variantId) await requireVariant(tx, productId, target, "/variantId");
        const changes: Parameters<typeof repo.updateImage>[2] = {};
        if (body.alt !== undefined) changes.alt = body.alt?.trim() ?? "";
        if (target !== image.variantId) changes.variantId = target;
        if (Object.keys(changes).length) await repo.updateImage(tx, imageId, changes);

        if (target !== image.variantId || body.position !== undefined) {
          const others = (await repo.galleryOf(tx, productId, target)).filter((row) => row.id !== imageId);
          const at = Math.min(body.position ?? others.length, others.length);
          await repo.renumber(tx, [...others.slice(0, at), image, ...others.slice(at)]);
          if (target !== image.variantId) await repo.renumber(tx, await repo.galleryOf(tx, productId, image.variantId));
        }
        await outboxInsert(tx, imagesChanged(ctx, product, now));
        return repo.findImage(tx, productId, imageId);
      });
      if (!updated) throw new AppError("NOT_FOUND", "No such image");
      ctx.eventsWritten();
      return toImageView(updated);
    },

    /** Puts one gallery in the order given, which must name each of its images exactly once. */
    async reorderImages(ctx: Ctx, actor: Actor, productId: string, body: ReorderProductImagesBody): Promise<ProductImageList> {
      const duplicate = body.imageIds.find((id, index) => body.imageIds.indexOf(id) !== index);
      if (duplicate) throw new ValidationError([{ path: "/imageIds", message: `lists ${duplicate} more than once` }]);
      await ownedProduct(ctx, actor, productId);
      const variantId = body.variantId ?? null;
      const now = ctx.clock();
      const ordered = await ctx.database.transaction(async (tx) => {
        const product = await productIn(tx, productId);
        if (variantId) await requireVariant(tx, productId, variantId, "/variantId");
        const gallery = await repo.galleryOf(tx, productId, variantId);
        const byId = new Map(gallery.map((row) => [row.id, row]));
        const missing = gallery.filter((row) => !body.imageIds.includes(row.id)).map((row) => row.id);
        const foreign = body.imageIds.filter((id) => !byId.has(id));
        if (missing.length || foreign.length) {
          const problems = [missing.length && `leaves out ${missing.join(", ")}`, foreign.length && `names ${foreign.join(", ")}, not in it`].filter(Boolean);
          throw new ValidationError([
            { path: "/imageIds", message: `must list exactly the gallery's ${gallery.length} image(s); it ${problems.join(" and ")}` },
          ]);
        }
        const rows = body.imageIds.map((id) => byId.get(id)).filter((row): row is repo.ImageRow => row !== undefined);
        await repo.renumber(tx, rows);
        await outboxInsert(tx, imagesChanged(ctx, product, now));
        return rows.map((row, position) => ({ ...row, position }));
      });
      ctx.eventsWritten();
      return { items: ordered.map(toImageView) };
    },

    /** The row goes first (with the event), then the files: a reader never gets a row whose files are gone. */
    async deleteImage(ctx: Ctx, actor: Actor, productId: string, imageId: string): Promise<void> {
      await ownedProduct(ctx, actor, productId);
      const now = ctx.clock();
      const deleted = await ctx.database.transaction(async (tx) => {
        const product = await productIn(tx, productId);
        const image = await repo.findImage(tx, productId, imageId);
        if (!image || !(await repo.deleteImage(tx, imageId))) throw new AppError("NOT_FOUND", "No such image");
        await repo.renumber(tx, await repo.galleryOf(tx, productId, image.variantId));
        await outboxInsert(tx, imagesChanged(ctx, product, now));
        return image;
      });
      ctx.eventsWritten();
      await deleteFiles(
        ctx,
        PRODUCT_IMAGE_SIZES.map((size) => fileKeyOf(deleted, size)),
      );
    },

    /** Public: only images of an active product exist here; any other is 404, as if it never was. */
    async publicImage(ctx: Ctx, imageId: string, size: ProductImageSize): Promise<ServedImage> {
      const row = await repo.findServedImage(ctx.database.read, imageId);
      if (row?.productStatus !== "active") throw new AppError("NOT_FOUND", "No such image");
      return servedFile(ctx, row, imageId, size);
    },

    /** The seller's (or an admin's) view of any of their images, whatever the product's status: a preview before publishing. */
    async sellerImage(ctx: Ctx, actor: Actor, productId: string, imageId: string, size: ProductImageSize): Promise<ServedImage> {
      await ownedProduct(ctx, actor, productId);
      const row = await repo.findImage(ctx.database.db, productId, imageId);
      if (!row) throw new AppError("NOT_FOUND", "No such image");
      return servedFile(ctx, row, imageId, size);
    },
  };
}

export type ImagesService = ReturnType<typeof createImagesService>;

function galleryFull(): ConflictError {
  return new ConflictError(`A product has at most ${MAX_IMAGES_PER_PRODUCT} images; delete one first`);
}

const ENCODE_ORIGINAL: Record<ProductImageMediaType, (image: sharp.Sharp) => sharp.Sharp> = {
  "image/jpeg": (image) => image.jpeg({ quality: 90 }),
  "image/png": (image) => image.png(),
  "image/webp": (image) => image.webp({ quality: 90 }),
};
const SHARP_FORMAT: Record<ProductImageMediaType, string> = { "image/jpeg": "jpeg", "image/png": "png", "image/webp": "webp" };

/**
 * Decodes the upload once per output: the original upright (EXIF orientation applied) and
 * re-encoded in its own format, plus medium and thumb as WebP. sharp writes no metadata unless
 * asked, so EXIF, XMP and comments are gone. `limitInputPixels` makes the decoder itself refuse
 * a pixel count the header checks let through.
 */
async function render(bytes: Uint8Array, type: ProductImageMediaType): Promise<Record<ProductImageSize, Rendition>> {
  const decode = () => sharp(bytes, { limitInputPixels: PRODUCT_IMAGE_MAX_PIXELS, failOn: "error", autoOrient: true, pages: 1 });
  const encode = async (image: sharp.Sharp, contentType: string): Promise<Rendition> => {
    const { data, info } = await image.toBuffer({ resolveWithObject: true });
    return { bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), contentType, width: info.width, height: info.height };
  };
  const resized = (side: number) => decode().resize({ width: side, height: side, fit: "inside", withoutEnlargement: true }).webp({ quality: 80 });
  try {
    const { format } = await decode().metadata();
    // the inspector vouched for the magic bytes; libvips must agree, so none of its other loaders (SVG, PDF) ever runs
    if (format !== SHARP_FORMAT[type]) throw new ValidationError([{ path: "/", message: `the image decodes as ${format}, not ${type}` }]);
    const [original, medium, thumb] = await Promise.all([
      encode(ENCODE_ORIGINAL[type](decode()), type),
      encode(resized(PRODUCT_IMAGE_DERIVED_SIDE.medium), DERIVED_TYPE),
      encode(resized(PRODUCT_IMAGE_DERIVED_SIDE.thumb), DERIVED_TYPE),
    ]);
    return { original, medium, thumb };
  } catch (error) {
    if (error instanceof AppError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    if (/pixel limit/i.test(message)) {
      throw new ValidationError([{ path: "/", message: `the image has more than ${PRODUCT_IMAGE_MAX_PIXELS.toLocaleString("en")} pixels` }]);
    }
    // whatever else libvips refuses is the file's fault (corrupt data the headers did not show)
    throw new ValidationError([{ path: "/", message: `the image could not be decoded: ${message.split("\n")[0]}` }]);
  }
}

/** At most `concurrency` jobs at once and `maxQueue` waiting; past that, 429 before any work starts. */
class WorkLimiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly maxQueue: number,
  ) {}

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.active < this.concurrency) this.active++;
    else if (this.waiting.length >= this.maxQueue) {
      throw new AppError("RATE_LIMITED", "Too many images are being processed; retry shortly", undefined, { "retry-after": "1" });
    } else {
      // a finishing job hands its slot straight over, so no newcomer can slip in between
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    try {
      return await job();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
