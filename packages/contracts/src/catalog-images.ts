import { type Static, Type } from "@sinclair/typebox";
import { idPattern } from "./ids.ts";
import { SingleLineText } from "./text.ts";

// ---- limits ----

/** What a product photo upload may be; the bytes must say the same as the Content-Type. No GIF: photos, not animations. */
export const PRODUCT_IMAGE_MEDIA_TYPES = ["image/png", "image/jpeg", "image/webp"] as const;
export type ProductImageMediaType = (typeof PRODUCT_IMAGE_MEDIA_TYPES)[number];
export const PRODUCT_IMAGE_MAX_BYTES = 10 * 1024 * 1024;
/** Per side, read from the file's headers before anything decodes it. */
export const PRODUCT_IMAGE_MAX_SIDE = 8192;
/** Per image, enforced by the decoder itself (a second line behind the side limit): a 40-megapixel camera fits. */
export const PRODUCT_IMAGE_MAX_PIXELS = 40_000_000;
export const MAX_IMAGES_PER_PRODUCT = 20;
export const PRODUCT_IMAGE_ALT_MAX_LENGTH = 300;

/** Every stored image comes in these sizes: the re-encoded original and two WebP renditions. */
export const PRODUCT_IMAGE_SIZES = ["original", "medium", "thumb"] as const;
export type ProductImageSize = (typeof PRODUCT_IMAGE_SIZES)[number];
/** The longest side of each derived size, in pixels (never enlarged). */
export const PRODUCT_IMAGE_DERIVED_SIDE = { medium: 800, thumb: 200 } as const;

// ---- ids and params ----

const PRODUCT_ID_EXAMPLE = "prd_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C";
const VARIANT_ID_EXAMPLE = "var_01JD4M3Z8Q5V7W9X1Y2Z3A4B5D";
const IMAGE_ID_EXAMPLE = "img_01JD4M3Z8Q5V7W9X1Y2Z3A4B5E";
const IMAGE_ID_EXAMPLE_2 = "img_01JD4M3Z8Q5V7W9X1Y2Z3A4B5F";

const ImageProductId = Type.String({ pattern: idPattern("product"), error: "must be a product id", examples: [PRODUCT_ID_EXAMPLE] });
const VARIANT_ID = { pattern: idPattern("variant"), error: "must be a variant id", examples: [VARIANT_ID_EXAMPLE] };
const ImageVariantId = Type.String(VARIANT_ID);
export const ProductImageId = Type.String({ pattern: idPattern("image"), error: "must be an image id", examples: [IMAGE_ID_EXAMPLE] });

export const ProductImagesParams = Type.Object({ id: ImageProductId });
export const ProductImageParams = Type.Object({ id: ImageProductId, imageId: ProductImageId });

export const ProductImageSize = Type.Union(
  PRODUCT_IMAGE_SIZES.map((s) => Type.Literal(s)),
  { error: `must be one of ${PRODUCT_IMAGE_SIZES.join(", ")}`, examples: ["medium"] },
);
export const PublicImageParams = Type.Object({ imageId: ProductImageId, size: ProductImageSize });
export const SellerImageFileParams = Type.Object({ id: ImageProductId, imageId: ProductImageId, size: ProductImageSize });

/** Text for screen readers and search: one line, no control characters. */
export const ProductImageAlt = SingleLineText({ maxLength: PRODUCT_IMAGE_ALT_MAX_LENGTH, examples: ["Red ceramic mug, side view"] });

// ---- requests ----

export const UploadProductImageQuery = Type.Object(
  {
    variantId: Type.Optional(Type.String({ ...VARIANT_ID, description: "put the image in this variant's gallery instead of the product's" })),
    alt: Type.Optional(ProductImageAlt),
  },
  { additionalProperties: false },
);
export type UploadProductImageQuery = Static<typeof UploadProductImageQuery>;

export const ProductImageListQuery = Type.Object(
  { variantId: Type.Optional(Type.String({ ...VARIANT_ID, description: "only this variant's gallery" })) },
  { additionalProperties: false },
);
export type ProductImageListQuery = Static<typeof ProductImageListQuery>;

export const UpdateProductImageBody = Type.Object(
  {
    alt: Type.Optional(Type.Union([ProductImageAlt, Type.Null()], { error: `${ProductImageAlt.error}, or null to clear it` })),
    position: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_IMAGES_PER_PRODUCT - 1,
        error: `must be a whole number from 0 to ${MAX_IMAGES_PER_PRODUCT - 1}`,
        description: "0 is first; past the end means last. The other images of the gallery shift to make room.",
        examples: [0],
      }),
    ),
    variantId: Type.Optional(
      Type.Union([ImageVariantId, Type.Null()], {
        error: "must be a variant id of this product, or null for the product's own gallery",
        description: "moves the image to that variant's gallery (null: the product's), last unless `position` says otherwise",
      }),
    ),
  },
  { additionalProperties: false, example: { alt: "Red mug, handle left", position: 0 } },
);
export type UpdateProductImageBody = Static<typeof UpdateProductImageBody>;

export const ReorderProductImagesBody = Type.Object(
  {
    imageIds: Type.Array(ProductImageId, {
      minItems: 1,
      maxItems: MAX_IMAGES_PER_PRODUCT,
      description: "every image of the gallery, each once, in the new order",
      examples: [[IMAGE_ID_EXAMPLE_2, IMAGE_ID_EXAMPLE]],
    }),
    variantId: Type.Optional(
      Type.Union([ImageVariantId, Type.Null()], {
        error: "must be a variant id of this product, or null",
        description: "which gallery: that variant's; absent or null, the product's own",
      }),
    ),
  },
  { additionalProperties: false, example: { imageIds: [IMAGE_ID_EXAMPLE_2, IMAGE_ID_EXAMPLE] } },
);
export type ReorderProductImagesBody = Static<typeof ReorderProductImagesBody>;

// ---- views ----

const IMAGE_EXAMPLE = {
  id: IMAGE_ID_EXAMPLE,
  productId: PRODUCT_ID_EXAMPLE,
  variantId: null,
  alt: "Red ceramic mug, side view",
  position: 0,
  contentType: "image/jpeg",
  width: 3000,
  height: 2000,
  urls: {
    original: `/v1/images/${IMAGE_ID_EXAMPLE}/original`,
    medium: `/v1/images/${IMAGE_ID_EXAMPLE}/medium`,
    thumb: `/v1/images/${IMAGE_ID_EXAMPLE}/thumb`,
  },
  createdAt: "2026-11-25T06:00:00.000Z",
};

export const ProductImageView = Type.Object(
  {
    id: ProductImageId,
    productId: Type.String(),
    variantId: Type.Union([Type.String(), Type.Null()], { description: "the variant whose gallery it is in; null: the product's own gallery" }),
    alt: Type.Union([Type.String(), Type.Null()]),
    position: Type.Integer({ description: "0-based place in its gallery" }),
    contentType: Type.String({ description: "of the original; medium and thumb are image/webp" }),
    width: Type.Integer({ description: "of the original, upright" }),
    height: Type.Integer(),
    urls: Type.Object(
      { original: Type.String(), medium: Type.String(), thumb: Type.String() },
      { description: "public once the product is active; a seller previews them under /v1/seller/products/{id}/images/{imageId}/{size}" },
    ),
    createdAt: Type.String({ format: "date-time" }),
  },
  { $id: "ProductImageView", example: IMAGE_EXAMPLE },
);
export type ProductImageView = Static<typeof ProductImageView>;

/** Not paginated: a product holds at most MAX_IMAGES_PER_PRODUCT images. */
export const ProductImageList = Type.Object(
  { items: Type.Array(ProductImageView, { maxItems: MAX_IMAGES_PER_PRODUCT }) },
  { $id: "ProductImageList", example: { items: [IMAGE_EXAMPLE] } },
);
export type ProductImageList = Static<typeof ProductImageList>;
