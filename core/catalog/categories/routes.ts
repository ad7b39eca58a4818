import { createHash } from "node:crypto";
import {
  AttributeList,
  AttributeView,
  BrandIdParams,
  BrandPage,
  BrandQuery,
  BrandView,
  CategoryAttributeParams,
  CategoryDetail,
  CategoryIdParams,
  CategorySlugParams,
  CategoryTree,
  CategoryView,
  CreateAttributeBody,
  CreateBrandBody,
  CreateCategoryBody,
  MAX_CATEGORY_DEPTH,
  MoveCategoryBody,
  UpdateAttributeBody,
  UpdateBrandBody,
  UpdateCategoryBody,
} from "@bazaar/contracts";
import { authentication } from "../../http/authentication.ts";
import { plugin } from "../../http/plugin.ts";
import { problems } from "../../http/problems.ts";
import { requestContext } from "../../http/request-context.ts";
import type { Deps } from "../../platform/deps.ts";
import { cachedResponses } from "../browse/http-cache.ts";
import * as categories from "./service.ts";

const PUBLIC = ["catalog"];
const ADMIN = ["admin"];
const ADMIN_ROLES: ["admin"] = ["admin"];

/** Shared caches (the edge, CDNs) keep public reads five minutes and may serve them a minute stale while refetching. */
export const PUBLIC_CACHE_CONTROL = "public, s-maxage=300, stale-while-revalidate=60";

/**
 * A public read, serialised once so its ETag is a hash of exactly the bytes sent; a matching
 * If-None-Match gets 304 with no body.
 */
function cacheable(request: Request, body: unknown): Response {
  const json = JSON.stringify(body);
  const etag = `"${createHash("sha256").update(json).digest("base64url")}"`;
  const headers = { "cache-control": PUBLIC_CACHE_CONTROL, etag };
  if (matchesEtag(request.headers.get("if-none-match"), etag)) return new Response(null, { status: 304, headers });
  return new Response(json, { headers: { ...headers, "content-type": "application/json" } });
}

/** RFC 9110 §13.1.2: a list of tags or "*", compared weakly (W/ ignored). */
function matchesEtag(header: string | null, etag: string): boolean {
  if (!header) return false;
  return header.split(",").some((tag) => {
    const candidate = tag.trim();
    return candidate === "*" || candidate.replace(/^W\//, "") === etag;
  });
}

export function categoriesRoutes(deps: Deps) {
  return plugin("catalog/categories")
    .use(requestContext(deps))
    .use(authentication(deps))
    .get("/v1/categories", async ({ ctx, request }) => cacheable(request, await categories.categoryTree(ctx)), {
      detail: {
        operationId: "getCategoryTree",
        tags: PUBLIC,
        summary: "The whole category tree, nested (siblings by sortOrder, then name)",
        description: "Cacheable: `Cache-Control` and a strong `ETag`; send `If-None-Match` to get 304 when nothing changed.",
        responses: cachedResponses("the tree", CategoryTree, {}, PUBLIC_CACHE_CONTROL),
      },
    })
    .get("/v1/categories/:slug", async ({ ctx, params, request }) => cacheable(request, await categories.categoryDetail(ctx, params.slug)), {
      params: CategorySlugParams,
      detail: {
        operationId: "getCategory",
        tags: PUBLIC,
        summary: "One category: breadcrumbs from the root, its children, and the attributes its products may have (its ancestors' too)",
        description: "Cacheable like the tree: `ETag` and `If-None-Match` → 304.",
        responses: cachedResponses("the category", CategoryDetail, { 404: "no category has this slug", 422: "the slug is malformed" }, PUBLIC_CACHE_CONTROL),
      },
    })
    .get("/v1/brands", async ({ ctx, query, request }) => cacheable(request, await categories.listBrands(ctx, query)), {
      query: BrandQuery,
      detail: {
        operationId: "listBrands",
        tags: PUBLIC,
        summary: "Brands, alphabetically, a page at a time; `q` keeps those whose name (or slug) starts with it",
        description: "Cacheable: `ETag` and `If-None-Match` → 304.",
        responses: cachedResponses(
          "a page of brands",
          BrandPage,
          { 400: "the cursor is not one this API issued", 422: "limit or q is out of range" },
          PUBLIC_CACHE_CONTROL,
        ),
      },
    })
    .group("/v1/admin/categories", (app) =>
      app
        .post(
          "",
          async ({ ctx, body, set }) => {
            set.status = 201;
            return categories.createCategory(ctx, body);
          },
          {
            auth: ADMIN_ROLES,
            body: CreateCategoryBody,
            response: { 201: CategoryView, ...problems(400, 401, 403, 409, 413, 415, 422) },
            detail: {
              operationId: "adminCreateCategory",
              tags: ADMIN,
              summary: "Create a category",
              description: `Without \`slug\`, one is made from the name ("Électronique" → "electronique"); a slug taken is 409. At most ${MAX_CATEGORY_DEPTH} levels deep (409). A \`parentId\` that names no category is 422.`,
            },
          },
        )
        .patch("/:id", ({ ctx, params, body }) => categories.updateCategory(ctx, params.id, body), {
          auth: ADMIN_ROLES,
          params: CategoryIdParams,
          body: UpdateCategoryBody,
          response: { 200: CategoryView, ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
          detail: {
            operationId: "adminUpdateCategory",
            tags: ADMIN,
            summary: "Rename a category, change its slug, sort order or commission",
            description:
              "Send only what changes. `commissionBps` is the platform's commission on sales in this category and in subcategories without a rate of their own; `null` falls back to the parent's rate, up to the platform default. Each sale freezes the rate it paid, so a change applies to sales from now on. A new slug rewrites the paths of every category under it, atomically.",
          },
        })
        .post("/:id/move", ({ ctx, params, body }) => categories.moveCategory(ctx, params.id, body), {
          auth: ADMIN_ROLES,
          params: CategoryIdParams,
          body: MoveCategoryBody,
          response: { 200: CategoryView, ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
          detail: {
            operationId: "adminMoveCategory",
            tags: ADMIN,
            summary: "Move a category and everything under it below another parent (null: to the root)",
            description: `One transaction rewrites the path and depth of every descendant. 409 under itself or a descendant, deeper than ${MAX_CATEGORY_DEPTH} levels, or when an attribute key of the subtree is already defined above the new parent. Without \`sortOrder\` it keeps its own.`,
          },
        })
        .delete(
          "/:id",
          async ({ ctx, params, set }) => {
            await categories.deleteCategory(ctx, params.id);
            set.status = 204;
          },
          {
            auth: ADMIN_ROLES,
            params: CategoryIdParams,
            response: problems(401, 403, 404, 409, 422),
            detail: {
              operationId: "adminDeleteCategory",
              tags: ADMIN,
              summary: "Delete a category that has no subcategories and no products (409 otherwise); its attribute definitions go with it",
            },
          },
        )
        .get("/:id/attributes", ({ ctx, params }) => categories.listCategoryAttributes(ctx, params.id), {
          auth: ADMIN_ROLES,
          params: CategoryIdParams,
          response: { 200: AttributeList, ...problems(401, 403, 404, 422) },
          detail: {
            operationId: "adminListCategoryAttributes",
            tags: ADMIN,
            summary: "The category's effective attributes: its ancestors' (root first), then its own; `categoryId` says where each is defined",
          },
        })
        .post(
          "/:id/attributes",
          async ({ ctx, params, body, set }) => {
            set.status = 201;
            return categories.createAttribute(ctx, params.id, body);
          },
          {
            auth: ADMIN_ROLES,
            params: CategoryIdParams,
            body: CreateAttributeBody,
            response: { 201: AttributeView, ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
            detail: {
              operationId: "adminCreateCategoryAttribute",
              tags: ADMIN,
              summary: "Define an attribute for products in this category and every category under it",
              description:
                "An `enum` needs `options`; only a `number` may have a `unit`; `text` and `boolean` have neither (422). The key must not already be defined above or below this category (409).",
            },
          },
        )
        .patch("/:id/attributes/:attributeId", ({ ctx, params, body }) => categories.updateAttribute(ctx, params.id, params.attributeId, body), {
          auth: ADMIN_ROLES,
          params: CategoryAttributeParams,
          body: UpdateAttributeBody,
          response: { 200: AttributeView, ...problems(400, 401, 403, 404, 413, 415, 422) },
          detail: {
            operationId: "adminUpdateCategoryAttribute",
            tags: ADMIN,
            summary: "Change an attribute's label, unit, options, flags or sort order (its key and type are fixed)",
          },
        })
        .delete(
          "/:id/attributes/:attributeId",
          async ({ ctx, params, set }) => {
            await categories.deleteAttribute(ctx, params.id, params.attributeId);
            set.status = 204;
          },
          {
            auth: ADMIN_ROLES,
            params: CategoryAttributeParams,
            response: problems(401, 403, 404, 409, 422),
            detail: {
              operationId: "adminDeleteCategoryAttribute",
              tags: ADMIN,
              summary: "Delete an attribute definition (409 while products in the category's subtree have a value for it)",
            },
          },
        ),
    )
    .group("/v1/admin/brands", (app) =>
      app
        .post(
          "",
          async ({ ctx, body, set }) => {
            set.status = 201;
            return categories.createBrand(ctx, body);
          },
          {
            auth: ADMIN_ROLES,
            body: CreateBrandBody,
            response: { 201: BrandView, ...problems(400, 401, 403, 409, 413, 415, 422) },
            detail: {
              operationId: "adminCreateBrand",
              tags: ADMIN,
              summary: "Create a brand (the slug is made from the name when omitted; a slug taken is 409)",
            },
          },
        )
        .patch("/:id", ({ ctx, params, body }) => categories.updateBrand(ctx, params.id, body), {
          auth: ADMIN_ROLES,
          params: BrandIdParams,
          body: UpdateBrandBody,
          response: { 200: BrandView, ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
          detail: { operationId: "adminUpdateBrand", tags: ADMIN, summary: "Rename a brand or change its slug" },
        })
        .delete(
          "/:id",
          async ({ ctx, params, set }) => {
            await categories.deleteBrand(ctx, params.id);
            set.status = 204;
          },
          {
            auth: ADMIN_ROLES,
            params: BrandIdParams,
            response: problems(401, 403, 404, 409, 422),
            detail: { operationId: "adminDeleteBrand", tags: ADMIN, summary: "Delete a brand no product uses (409 otherwise)" },
          },
        ),
    );
}
