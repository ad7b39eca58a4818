import {
  MAX_IMAGES_PER_PRODUCT,
  PRODUCT_IMAGE_ALT_MAX_LENGTH,
  PRODUCT_IMAGE_DERIVED_SIDE,
  PRODUCT_IMAGE_MAX_BYTES,
  PRODUCT_IMAGE_MAX_PIXELS,
  PRODUCT_IMAGE_MAX_SIDE,
  PRODUCT_IMAGE_MEDIA_TYPES,
  ProductImageList,
  ProductImageListQuery,
  ProductImageParams,
  ProductImagesParams,
  ProductImageView,
  PublicImageParams,
  ReorderProductImagesBody,
  SellerImageFileParams,
  UpdateProductImageBody,
  UploadProductImageQuery,
} from "@bazaar/contracts";
import { authentication } from "../../http/authentication.ts";
import { plugin } from "../../http/plugin.ts";
import { problemDoc, problems } from "../../http/problems.ts";
import { readBodyCapped } from "../../http/read-body.ts";
import { requestContext } from "../../http/request-context.ts";
import type { Deps } from "../../platform/deps.ts";
import { createImagesService, type ServedImage } from "./service.ts";

const SELLER_TAGS = ["seller"];
const PUBLIC_TAGS = ["catalog"];
const SELLER_ROLES: ["seller", "admin"] = ["seller", "admin"];

/**
 * Served as an image and nothing else: no sniffing it into a page, and if a browser ever renders
 * it as a document, a sandbox with no sources at all.
 */
const IMAGE_HEADERS = {
  "x-content-type-options": "nosniff",
  "content-security-policy": "default-src 'none'; sandbox",
  "cross-origin-resource-policy": "cross-origin",
};
/** An image id names one set of files forever (a new upload is a new id), so shared caches may keep them for a year. */
const PUBLIC_CACHE = "public, max-age=31536000, immutable";
/** Previews of unpublished images: never in a shared cache, revalidated (and so re-authorised) on every use. */
const PRIVATE_CACHE = "private, no-cache";

const BINARY = { type: "string" as const, format: "binary" };
/** What is uploaded and what is served: originals keep their type, medium and thumb are WebP. */
const IMAGE_CONTENT = Object.fromEntries(PRODUCT_IMAGE_MEDIA_TYPES.map((type) => [type, { schema: BINARY }]));

const MIB = 1024 * 1024;

/** Product galleries for their sellers under /v1/seller/products/{id}/images, and the public image files under /v1/images. */
export function imagesRoutes(deps: Deps) {
  const images = createImagesService({ files: deps.files });
  const served = (image: ServedImage, request: Request, cacheControl: string) => {
    const headers = { ...IMAGE_HEADERS, "content-type": image.contentType, "cache-control": cacheControl, etag: image.etag };
    if (etagMatches(request.headers.get("if-none-match"), image.etag)) return new Response(null, { status: 304, headers });
    return new Response(image.bytes, { headers });
  };
  const imageResponses = (description: string, cacheControl: string, notFound: string) => ({
    200: {
      description,
      headers: {
        "cache-control": { description: cacheControl, schema: { type: "string" as const } },
        etag: { description: "strong validator; send it back in If-None-Match", schema: { type: "string" as const } },
      },
      content: IMAGE_CONTENT,
    },
    304: { description: "If-None-Match matched: the cached copy is current" },
    404: problemDoc(notFound),
    422: problemDoc("the id or the size is malformed"),
  });

  return plugin("catalog/images")
    .use(requestContext(deps))
    .use(authentication(deps))
    .group("/v1/seller/products/:id/images", (app) =>
      app
        .post(
          "",
          async ({ ctx, actor, params, query, request, set }) => {
            const bytes = await readBodyCapped(request, PRODUCT_IMAGE_MAX_BYTES);
            const view = await images.uploadImage(ctx, actor, params.id, { bytes, contentType: request.headers.get("content-type") ?? "", ...query });
            set.status = 201;
            return view;
          },
          {
            auth: SELLER_ROLES,
            params: ProductImagesParams,
            query: UploadProductImageQuery,
            // the raw image: read (and size-capped) by readBodyCapped, never parsed by Elysia
            parse: "none",
            response: { 201: ProductImageView, ...problems(401, 403, 404, 409, 413, 415, 422, 429) },
            detail: {
              operationId: "uploadProductImage",
              tags: SELLER_TAGS,
              summary: "Add an image to a product's gallery (the raw image as the body)",
              description: `PNG, JPEG or WebP, at most ${PRODUCT_IMAGE_MAX_BYTES / MIB} MiB, ${PRODUCT_IMAGE_MAX_SIDE} pixels a side and ${PRODUCT_IMAGE_MAX_PIXELS.toLocaleString("en")} pixels in all, one frame. The bytes must be of the declared Content-Type (415 otherwise); files carrying markup are refused (422). The image is turned upright by its EXIF orientation and re-encoded without metadata; a ${PRODUCT_IMAGE_DERIVED_SIDE.medium}px and a ${PRODUCT_IMAGE_DERIVED_SIDE.thumb}px WebP are made from it. It goes last in the product's gallery, or in a variant's with \`variantId\`. \`alt\` is up to ${PRODUCT_IMAGE_ALT_MAX_LENGTH} characters. At most ${MAX_IMAGES_PER_PRODUCT} images per product (409 beyond). Another seller's product is a 404.`,
              requestBody: { required: true, description: "the image file's bytes", content: IMAGE_CONTENT },
            },
          },
        )
        .get("", ({ ctx, actor, params, query }) => images.listImages(ctx, actor, params.id, query), {
          auth: SELLER_ROLES,
          params: ProductImagesParams,
          query: ProductImageListQuery,
          response: { 200: ProductImageList, ...problems(401, 403, 404, 422) },
          detail: {
            operationId: "listProductImages",
            tags: SELLER_TAGS,
            summary: `The product's images: its own gallery, then each variant's, each in order (at most ${MAX_IMAGES_PER_PRODUCT}, not paginated)`,
            description: "With `variantId`, only that variant's gallery.",
          },
        })
        .post("/reorder", ({ ctx, actor, params, body }) => images.reorderImages(ctx, actor, params.id, body), {
          auth: SELLER_ROLES,
          params: ProductImagesParams,
          body: ReorderProductImagesBody,
          response: { 200: ProductImageList, ...problems(400, 401, 403, 404, 413, 415, 422) },
          detail: {
            operationId: "reorderProductImages",
            tags: SELLER_TAGS,
            summary: "Put a gallery in a new order",
            description:
              "`imageIds` must name every image of the gallery exactly once (422 otherwise, saying which are missing or foreign): the product's own gallery, or the variant's named by `variantId`. Answers the gallery in its new order.",
          },
        })
        .patch("/:imageId", ({ ctx, actor, params, body }) => images.updateImage(ctx, actor, params.id, params.imageId, body), {
          auth: SELLER_ROLES,
          params: ProductImageParams,
          body: UpdateProductImageBody,
          response: { 200: ProductImageView, ...problems(400, 401, 403, 404, 413, 415, 422) },
          detail: {
            operationId: "updateProductImage",
            tags: SELLER_TAGS,
            summary: "Change an image's alt text, place in its gallery, or gallery",
            description:
              "`alt: null` clears the alt text. `position` moves the image (0 is first; past the end means last); the others shift. `variantId` moves it to that variant's gallery (`null`: the product's own), last unless `position` is given.",
          },
        })
        .delete(
          "/:imageId",
          async ({ ctx, actor, params, set }) => {
            await images.deleteImage(ctx, actor, params.id, params.imageId);
            set.status = 204;
          },
          {
            auth: SELLER_ROLES,
            params: ProductImageParams,
            response: problems(401, 403, 404, 422),
            detail: {
              operationId: "deleteProductImage",
              tags: SELLER_TAGS,
              summary: "Delete an image (the rest of its gallery closes up; its files are removed)",
            },
          },
        )
        .get(
          "/:imageId/:size",
          async ({ ctx, actor, params, request }) =>
            served(await images.sellerImage(ctx, actor, params.id, params.imageId, params.size), request, PRIVATE_CACHE),
          {
            auth: SELLER_ROLES,
            params: SellerImageFileParams,
            detail: {
              operationId: "previewProductImage",
              tags: SELLER_TAGS,
              summary: "An image's file, whatever the product's status (for previews before publishing)",
              description:
                "The public URL answers only for active products; this one answers the product's seller (and admins) always. It needs the bearer token, so pages fetch it and show the blob.",
              responses: {
                ...imageResponses("the image", PRIVATE_CACHE, "not your product, or no such image"),
                401: problemDoc("no valid access token"),
                403: problemDoc("not a seller"),
              },
            },
          },
        ),
    )
    .get(
      "/v1/images/:imageId/:size",
      async ({ ctx, params, request }) => served(await images.publicImage(ctx, params.imageId, params.size), request, PUBLIC_CACHE),
      {
        params: PublicImageParams,
        detail: {
          operationId: "getProductImage",
          tags: PUBLIC_TAGS,
          summary: "A product image (public)",
          description: `\`original\` is the upload upright and without metadata, in its own type; \`medium\` (${PRODUCT_IMAGE_DERIVED_SIDE.medium}px) and \`thumb\` (${PRODUCT_IMAGE_DERIVED_SIDE.thumb}px on the longest side) are WebP. Only images of active products are served; any other is a 404 (sellers preview theirs under /v1/seller/products/{id}/images/{imageId}/{size}).`,
          responses: imageResponses("the image file", PUBLIC_CACHE, "no such image, or its product is not active"),
        },
      },
    );
}

/** If-None-Match holds one or more validators (or `*`); a weak one matches too, as RFC 9110 says for GET. */
function etagMatches(header: string | null, etag: string): boolean {
  if (!header) return false;
  return header.split(",").some((candidate) => {
    const tag = candidate.trim();
    return tag === "*" || tag.replace(/^W\//, "") === etag;
  });
}
