import { type Static, Type } from "@sinclair/typebox";
import { idPattern } from "./ids.ts";
import { Page, PageQuery } from "./pagination.ts";

/** The largest file one import takes (CSV or NDJSON). */
export const CATALOG_IMPORT_MAX_BYTES = 50 * 1024 * 1024;
/** A JSON array is parsed whole, so it is held to less; larger uploads go as NDJSON, read line by line. */
export const CATALOG_IMPORT_JSON_MAX_BYTES = 10 * 1024 * 1024;
export const CATALOG_IMPORT_MEDIA_TYPES = ["text/csv", "application/json", "application/x-ndjson"] as const;
export type CatalogImportFormat = "csv" | "json" | "ndjson";

/** The CSV columns, in any order; option.<key> and attr.<key> may repeat for each key. */
export const CATALOG_IMPORT_REQUIRED_COLUMNS = ["sku", "product_ref", "title", "category", "currency", "price_minor"] as const;
export const CATALOG_IMPORT_OPTIONAL_COLUMNS = ["description", "brand", "compare_at_minor", "weight_grams", "barcode", "stock"] as const;

const IMPORT_ID_EXAMPLE = "imp_01JDQ7Y3V5K8M2N4P6R8T0W2Y4";
const ImportId = Type.String({ pattern: idPattern("import"), examples: [IMPORT_ID_EXAMPLE] });

export const CatalogImportStatus = Type.Union([Type.Literal("queued"), Type.Literal("running"), Type.Literal("succeeded"), Type.Literal("failed")]);
export type CatalogImportStatus = Static<typeof CatalogImportStatus>;

export const CatalogImportParams = Type.Object({ id: ImportId });
export type CatalogImportParams = Static<typeof CatalogImportParams>;

export const CatalogImportListQuery = PageQuery;
export type CatalogImportListQuery = Static<typeof CatalogImportListQuery>;

export const CatalogImportAccepted = Type.Object(
  { id: ImportId, status: CatalogImportStatus },
  { $id: "CatalogImportAccepted", example: { id: IMPORT_ID_EXAMPLE, status: "queued" } },
);
export type CatalogImportAccepted = Static<typeof CatalogImportAccepted>;

const IMPORT_EXAMPLE = {
  id: IMPORT_ID_EXAMPLE,
  format: "csv",
  status: "succeeded",
  rowsTotal: 200,
  rowsDone: 197,
  rowsFailed: 3,
  error: null,
  reportUrl: `/v1/seller/imports/${IMPORT_ID_EXAMPLE}/report`,
  createdAt: "2026-11-25T06:00:00.000Z",
  finishedAt: "2026-11-25T06:00:09.000Z",
};

export const CatalogImportView = Type.Object(
  {
    id: ImportId,
    format: Type.String({ description: "csv, json or ndjson" }),
    status: CatalogImportStatus,
    rowsTotal: Type.Integer({ description: "rows read so far (all of them once finished)" }),
    rowsDone: Type.Integer(),
    rowsFailed: Type.Integer(),
    error: Type.Union([Type.String(), Type.Null()], { description: "why a failed import stopped (a broken file, a wrong header)" }),
    reportUrl: Type.Union([Type.String(), Type.Null()], { description: "the per-row error report (CSV: row, sku, field, message)" }),
    createdAt: Type.String({ format: "date-time" }),
    finishedAt: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
  },
  { $id: "CatalogImportView", example: IMPORT_EXAMPLE },
);
export type CatalogImportView = Static<typeof CatalogImportView>;

export const CatalogImportPage = Type.Composite([Page(CatalogImportView)], { example: { items: [IMPORT_EXAMPLE], nextCursor: null } });
export type CatalogImportPage = Static<typeof CatalogImportPage>;
