import {
  CreateProductBody,
  CreateVariantBody,
  DeleteProductResult,
  IfMatchHeaders,
  MAX_PRICE_MINOR,
  MAX_PRODUCT_DESCRIPTION_LENGTH,
  MAX_VARIANTS_PER_PRODUCT,
  ProductIdParams,
  ProductListQuery,
  ProductPage,
  ProductView,
  SetProductStatusBody,
  UpdateProductBody,
  UpdateVariantBody,
  ValidationError,
  VariantParams,
  VariantView,
} from "@bazaar/contracts";
import { authentication } from "../../http/authentication.ts";
import { plugin } from "../../http/plugin.ts";
import { problems } from "../../http/problems.ts";
import { requestContext } from "../../http/request-context.ts";
import type { Deps } from "../../platform/deps.ts";
import {
  changeProductStatus,
  createProduct,
  createVariant,
  deleteProduct,
  deleteVariant,
  getProduct,
  listProducts,
  setProductStatus,
  updateProduct,
  updateVariant,
} from "./service.ts";

const TAGS = ["seller"];
const SELLERS = ["seller", "admin"] as const;

/** The version travels as the ETag (`"3"`) and comes back as If-Match, or as `version` in a body. */
const etag = (version: number) => `"${version}"`;

function expectedVersion(ifMatch: string | undefined, bodyVersion?: number): number | undefined {
  const fromHeader = ifMatch === undefined ? undefined : Number(ifMatch.replace(/^W\//, "").replaceAll('"', ""));
  if (fromHeader !== undefined && bodyVersion !== undefined && fromHeader !== bodyVersion) {
    throw new ValidationError([{ path: "/version", message: `disagrees with the If-Match header (${fromHeader}); send one of them` }]);
  }
  return fromHeader ?? bodyVersion;
}

const VERSION_DOC =
  'Optimistic concurrency: send the version you read as `If-Match: "<version>"` (the ETag of every product response) or as `version` in the body. A stale version is 409 VERSION_CONFLICT; a missing one is 422 naming /version.';
const OPTIONAL_VERSION_DOC = 'With `If-Match: "<version>"` it applies only to that version (409 VERSION_CONFLICT otherwise).';

/** Sellers' products and variants, and the admins' status switch (suspension). */
export function productsRoutes(deps: Deps) {
  return plugin("catalog/products")
    .use(requestContext(deps))
    .use(authentication(deps))
    .group("/v1/seller/products", (app) =>
      app
        .post(
          "",
          async ({ ctx, actor, body, set }) => {
            const view = await createProduct(ctx, actor, body);
            set.status = 201;
            set.headers.etag = etag(view.version);
            set.headers.location = `/v1/seller/products/${view.id}`;
            return view;
          },
          {
            auth: [...SELLERS],
            body: CreateProductBody,
            response: { 201: ProductView, ...problems(400, 401, 403, 409, 413, 415, 422) },
            detail: {
              operationId: "createProduct",
              tags: TAGS,
              summary: "Create a draft product, optionally with its variants (all or nothing)",
              description: `\`attributes\` are checked against the category's attribute definitions (its own and inherited): type, enum options, no unknown keys. \`description\` is Markdown (at most ${MAX_PRODUCT_DESCRIPTION_LENGTH} characters), stored as written and returned rendered as \`descriptionHtml\`. The slug comes from the title (diacritics transliterated, at most 80 characters, -2, -3 … when taken). Unknown category, brand or currency: 422 naming the field. A SKU the seller already uses: 409 naming it. Up to ${MAX_VARIANTS_PER_PRODUCT} variants.`,
            },
          },
        )
        .get("", ({ ctx, actor, query }) => listProducts(ctx, actor, query), {
          auth: [...SELLERS],
          query: ProductListQuery,
          response: { 200: ProductPage, ...problems(400, 401, 403, 422) },
          detail: { operationId: "listSellerProducts", tags: TAGS, summary: "The caller's own products, newest first; filter by status" },
        })
        .get(
          "/:id",
          async ({ ctx, actor, params, set }) => {
            const view = await getProduct(ctx, actor, params.id);
            set.headers.etag = etag(view.version);
            return view;
          },
          {
            auth: [...SELLERS],
            params: ProductIdParams,
            response: { 200: ProductView, ...problems(401, 403, 404, 422) },
            detail: {
              operationId: "getSellerProduct",
              tags: TAGS,
              summary: "One of the caller's products with its variants; the ETag is its version",
              description: "`description` is the Markdown as written; `descriptionHtml` is what buyers see (sanitised). Another seller's product is 404.",
            },
          },
        )
        .patch(
          "/:id",
          async ({ ctx, actor, params, headers, body, set }) => {
            const { version, ...changes } = body;
            const view = await updateProduct(ctx, actor, params.id, changes, expectedVersion(headers["if-match"], version));
            set.headers.etag = etag(view.version);
            return view;
          },
          {
            auth: [...SELLERS],
            params: ProductIdParams,
            headers: IfMatchHeaders,
            body: UpdateProductBody,
            response: { 200: ProductView, ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
            detail: {
              operationId: "updateProduct",
              tags: TAGS,
              summary: "Change a product's title, description, brand, category, currency or attributes",
              description: `Send only the fields to change; \`brandId: null\` clears the brand; \`attributes\` replaces the whole set. The slug stays. The currency changes only while there are no variants. ${VERSION_DOC}`,
            },
          },
        )
        .delete(
          "/:id",
          async ({ ctx, actor, params, headers, set }) => {
            const result = await deleteProduct(ctx, actor, params.id, expectedVersion(headers["if-match"]), deps.files);
            if (result.product) set.headers.etag = etag(result.product.version);
            return result;
          },
          {
            auth: [...SELLERS],
            params: ProductIdParams,
            headers: IfMatchHeaders,
            response: { 200: DeleteProductResult, ...problems(401, 403, 404, 409, 422) },
            detail: {
              operationId: "deleteProduct",
              tags: TAGS,
              summary: "Delete a draft; a product that has been published is archived instead",
              description: `\`outcome\` says which: \`deleted\` (the draft, its variants and attribute values are gone; \`product\` is null) or \`archived\` (\`product\` is the archived product; deleting an archived product changes nothing). A suspended product cannot be deleted (409). ${OPTIONAL_VERSION_DOC}`,
            },
          },
        )
        .post(
          "/:id/publish",
          async ({ ctx, actor, params, headers, set }) => {
            const view = await changeProductStatus(ctx, actor, params.id, "publish", expectedVersion(headers["if-match"]));
            set.headers.etag = etag(view.version);
            return view;
          },
          {
            auth: [...SELLERS],
            params: ProductIdParams,
            headers: IfMatchHeaders,
            response: { 200: ProductView, ...problems(401, 403, 404, 409, 422) },
            detail: {
              operationId: "publishProduct",
              tags: TAGS,
              summary: "draft → active: needs at least one variant with a price",
              description: `409 without a variant, for a product that is not a draft, and for a suspended one (only an admin lifts a suspension). Publishing an active product changes nothing. ${OPTIONAL_VERSION_DOC}`,
            },
          },
        )
        .post(
          "/:id/archive",
          async ({ ctx, actor, params, headers, set }) => {
            const view = await changeProductStatus(ctx, actor, params.id, "archive", expectedVersion(headers["if-match"]));
            set.headers.etag = etag(view.version);
            return view;
          },
          {
            auth: [...SELLERS],
            params: ProductIdParams,
            headers: IfMatchHeaders,
            response: { 200: ProductView, ...problems(401, 403, 404, 409, 422) },
            detail: {
              operationId: "archiveProduct",
              tags: TAGS,
              summary: "draft or active → archived: off sale, kept",
              description: `A suspended product stays suspended (409). ${OPTIONAL_VERSION_DOC}`,
            },
          },
        )
        .post(
          "/:id/unarchive",
          async ({ ctx, actor, params, headers, set }) => {
            const view = await changeProductStatus(ctx, actor, params.id, "unarchive", expectedVersion(headers["if-match"]));
            set.headers.etag = etag(view.version);
            return view;
          },
          {
            auth: [...SELLERS],
            params: ProductIdParams,
            headers: IfMatchHeaders,
            response: { 200: ProductView, ...problems(401, 403, 404, 409, 422) },
            detail: {
              operationId: "unarchiveProduct",
              tags: TAGS,
              summary: "archived → draft: publish it again when ready",
              description: OPTIONAL_VERSION_DOC,
            },
          },
        )
        .post(
          "/:id/variants",
          async ({ ctx, actor, params, body, set }) => {
            set.status = 201;
            return createVariant(ctx, actor, params.id, body);
          },
          {
            auth: [...SELLERS],
            params: ProductIdParams,
            body: CreateVariantBody,
            response: { 201: VariantView, ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
            detail: {
              operationId: "createVariant",
              tags: TAGS,
              summary: "Add a variant (a buyable option combination with its price)",
              description: `\`options\` gives one value for each of the category's variant-defining attributes; the combination is unique within the product (409). The SKU is unique among the seller's variants (409 naming /sku). \`priceMinor\` is whole minor units from 0 to ${MAX_PRICE_MINOR}; \`compareAtMinor\` must be above it; weights and dimensions are positive whole grams and millimetres; \`barcode\` is a GTIN-8/12/13/14 with a valid check digit. The product's price range and version move with it.`,
            },
          },
        )
        .patch(
          "/:id/variants/:variantId",
          ({ ctx, actor, params, headers, body }) => {
            const { version, ...changes } = body;
            return updateVariant(ctx, actor, params.id, params.variantId, changes, expectedVersion(headers["if-match"], version));
          },
          {
            auth: [...SELLERS],
            params: VariantParams,
            headers: IfMatchHeaders,
            body: UpdateVariantBody,
            response: { 200: VariantView, ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
            detail: {
              operationId: "updateVariant",
              tags: TAGS,
              summary: "Change a variant: price, SKU, options, measures, barcode",
              description: `Send only the fields to change; null clears an optional one. A new price emits variant.price_changed. With the variant's version (If-Match or \`version\`) it applies only to that version (409 VERSION_CONFLICT otherwise).`,
            },
          },
        )
        .delete(
          "/:id/variants/:variantId",
          async ({ ctx, actor, params, headers, set }) => {
            await deleteVariant(ctx, actor, params.id, params.variantId, expectedVersion(headers["if-match"]));
            set.status = 204;
          },
          {
            auth: [...SELLERS],
            params: VariantParams,
            headers: IfMatchHeaders,
            response: problems(401, 403, 404, 409, 422),
            detail: {
              operationId: "deleteVariant",
              tags: TAGS,
              summary: "Delete a variant and its stock levels",
              description:
                "An active product keeps at least one variant (409: archive it first); a variant with units held for checkouts cannot go (409). With the variant's version in If-Match it applies only to that version.",
            },
          },
        ),
    )
    .put(
      "/v1/admin/products/:id/status",
      async ({ ctx, actor, params, body, set }) => {
        const view = await setProductStatus(ctx, actor, params.id, body);
        set.headers.etag = etag(view.version);
        return view;
      },
      {
        auth: ["admin"],
        params: ProductIdParams,
        body: SetProductStatusBody,
        response: { 200: ProductView, ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
        detail: {
          operationId: "adminSetProductStatus",
          tags: ["admin"],
          summary: "Set any product's status, suspended included (a suspended product cannot be published by its seller)",
          description: "`reason` is logged with the change. Setting active needs at least one variant (409).",
        },
      },
    );
}
