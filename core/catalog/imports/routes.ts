import {
  CATALOG_IMPORT_JSON_MAX_BYTES,
  CATALOG_IMPORT_MAX_BYTES,
  CATALOG_IMPORT_OPTIONAL_COLUMNS,
  CATALOG_IMPORT_REQUIRED_COLUMNS,
  CatalogImportAccepted,
  CatalogImportListQuery,
  CatalogImportPage,
  CatalogImportParams,
  CatalogImportView,
} from "@bazaar/contracts";
import { authentication } from "../../http/authentication.ts";
import { plugin } from "../../http/plugin.ts";
import { problemDoc, problems } from "../../http/problems.ts";
import { requestContext } from "../../http/request-context.ts";
import type { Deps } from "../../platform/deps.ts";
import { getImport, importReport, listImports, uploadImport } from "./service.ts";

const TAGS = ["seller"];
const SELLER_ROLES: ["seller", "admin"] = ["seller", "admin"];
const MIB = 1024 * 1024;
const CSV_EXAMPLE =
  "sku,product_ref,title,category,currency,price_minor,option.size\nTEE-M,tee,Organic T-shirt,t-shirts,EUR,1999,M\nTEE-L,tee,Organic T-shirt,t-shirts,EUR,1999,L\n";
const PRODUCT_OBJECT_EXAMPLE = {
  title: "Organic T-shirt",
  categoryId: "cat_01JDQ7Y3V5K8M2N4P6R8T0W2Y4",
  currency: "EUR",
  attributes: { material: "cotton" },
  variants: [{ sku: "TEE-M", options: { size: "M" }, priceMinor: 1999, stock: 12 }],
};

/** Bulk product uploads under /v1/seller/imports: the file is queued and imported by a background job. */
export function importsRoutes(deps: Deps) {
  return plugin("catalog/imports")
    .use(requestContext(deps))
    .use(authentication(deps))
    .group("/v1/seller/imports", (app) =>
      app
        .post(
          "",
          async ({ ctx, actor, request, set }) => {
            const accepted = await uploadImport(ctx, deps.files, actor, request.body, request.headers.get("content-type") ?? "");
            set.status = 202;
            set.headers.location = `/v1/seller/imports/${accepted.id}`;
            return accepted;
          },
          {
            auth: SELLER_ROLES,
            // the raw file: streamed to the file store in pieces, never parsed by Elysia
            parse: "none",
            response: { 202: CatalogImportAccepted, ...problems(401, 403, 413, 415, 422) },
            detail: {
              operationId: "uploadCatalogImport",
              tags: TAGS,
              summary: "Upload products in bulk (a CSV file as the body); the import runs in the background",
              description: `A CSV of at most ${CATALOG_IMPORT_MAX_BYTES / MIB} MiB (Content-Type text/csv), one row per variant. Columns, in any order: ${CATALOG_IMPORT_REQUIRED_COLUMNS.join(", ")} (required); ${CATALOG_IMPORT_OPTIONAL_COLUMNS.join(", ")}, option.<key> (variant-defining attributes) and attr.<key> (product attributes). Rows with the same product_ref make one product and must be consecutive; the product's fields (title, description, category and brand slugs, currency, attributes) come from its first row. Prices are whole minor units. A SKU you already have updates that variant and its product instead of creating one. A wrong header is refused here (422) when the first line shows it, else the import fails with the reason. Bad rows (a negative or fractional price, an unknown category or currency, a SKU repeated in the file) are listed in the report; the other rows import. A stock column sets on-hand at your first stock location (a row with stock and no location is an error). Each product is written in one transaction. Also takes application/json (an array of create-product bodies, each variant may carry stock; at most ${CATALOG_IMPORT_JSON_MAX_BYTES / MIB} MiB, else 413: use NDJSON) and application/x-ndjson (one such object per line); their report rows are the objects' positions from 1 and fields are JSON pointers. Answers 202 with the import's id; poll the Location.`,
              requestBody: {
                required: true,
                description: "the file: CSV, a JSON array or NDJSON",
                content: {
                  "text/csv": { schema: { type: "string", example: CSV_EXAMPLE } },
                  "application/json": { schema: { type: "array", items: { type: "object" }, example: [PRODUCT_OBJECT_EXAMPLE] } },
                  "application/x-ndjson": { schema: { type: "string", example: `${JSON.stringify(PRODUCT_OBJECT_EXAMPLE)}\n` } },
                },
              },
            },
          },
        )
        .get("", ({ ctx, actor, query }) => listImports(ctx, actor, query), {
          auth: SELLER_ROLES,
          query: CatalogImportListQuery,
          response: { 200: CatalogImportPage, ...problems(400, 401, 403, 422) },
          detail: { operationId: "listCatalogImports", tags: TAGS, summary: "Your imports, newest first" },
        })
        .get("/:id", ({ ctx, actor, params }) => getImport(ctx, actor, params.id), {
          auth: SELLER_ROLES,
          params: CatalogImportParams,
          response: { 200: CatalogImportView, ...problems(401, 403, 404, 422) },
          detail: {
            operationId: "getCatalogImport",
            tags: TAGS,
            summary: "An import's progress: status, rows read, imported and failed, and its report",
            description: "Another seller's import is a 404.",
          },
        })
        .get(
          "/:id/report",
          async ({ ctx, actor, params }) =>
            new Response(await importReport(ctx, deps.files, actor, params.id), {
              headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${params.id}-report.csv"` },
            }),
          {
            auth: SELLER_ROLES,
            params: CatalogImportParams,
            detail: {
              operationId: "getCatalogImportReport",
              tags: TAGS,
              summary: "The import's per-row errors as CSV: row (the header is row 1), sku, field, message",
              responses: {
                200: {
                  description: "the report",
                  content: { "text/csv": { schema: { type: "string", example: "row,sku,field,message\n7,TEE-XL,price_minor,must be at least 0\n" } } },
                },
                401: problemDoc("no valid access token"),
                403: problemDoc("not a seller"),
                404: problemDoc("not your import, or no report yet"),
                422: problemDoc("the id is malformed"),
              },
            },
          },
        ),
    );
}
