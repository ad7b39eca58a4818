import { Readable } from "node:stream";
import {
  AppError,
  CATALOG_IMPORT_JSON_MAX_BYTES,
  CATALOG_IMPORT_MAX_BYTES,
  type CatalogImportAccepted,
  type CatalogImportFormat,
  type CatalogImportListQuery,
  type CatalogImportPage,
  type CatalogImportView,
  CreateProductBody,
  CreateVariantBody,
  decodeCursor,
  type FieldError,
  MAX_STOCK_QUANTITY,
  SUPPORTED_CURRENCIES,
  toPage,
  ValidationError,
} from "@bazaar/contracts";
import type { FileStore } from "@bazaar/files";
import { Value } from "@sinclair/typebox/value";
import { parse } from "csv-parse";
import { requireOwner } from "../../http/authentication.ts";
import type { Actor, Ctx, Deps } from "../../platform/deps.ts";
import { effectiveAttributes } from "../categories/service.ts";
import { listLocations, setStockInTransaction } from "../inventory/service.ts";
import { type AlsoInTransaction, upsertProductBySku } from "../products/service.ts";
import { columnOf, type Header, type ParsedRow, parseRow, REPORT_HEADER, readHeader, reportLine } from "./csv.ts";
import * as repo from "./repo.ts";

const STAFF = ["admin"] as const;
/** The upload is kept as pieces of this size, so neither the upload nor the job ever holds the whole file. */
export const SOURCE_PIECE_BYTES = 1024 * 1024;
/** Report lines are kept in one file per this many rows (rewritten as the import moves through them). */
const REPORT_SEGMENT_ROWS = 1000;
/** A worker holds an import this long; it renews the lease at every checkpoint. */
export const IMPORT_LEASE_MS = 5 * 60_000;
/** Progress and report are saved after this many products: a crash repeats at most this many (idempotently). */
const CHECKPOINT_PRODUCTS = 25;

const sourcePieceKey = (id: string, n: number) => `imports/${id}/source/${String(n).padStart(6, "0")}`;
const reportSegmentKey = (id: string, n: number) => `imports/${id}/report/${String(n).padStart(6, "0")}`;
const reportUrl = (id: string) => `/v1/seller/imports/${id}/report`;
const iso = (ms: number) => new Date(ms).toISOString();
const FORMAT_OF: Record<string, CatalogImportFormat> = { "text/csv": "csv", "application/json": "json", "application/x-ndjson": "ndjson" };
/** The stored pieces' content type, by format. */
const PIECE_TYPE: Record<CatalogImportFormat, string> = { csv: "text/csv", json: "application/json", ndjson: "application/x-ndjson" };

export function toImportView(row: repo.ImportRow): CatalogImportView {
  return {
    id: row.id,
    format: row.format,
    status: row.status as CatalogImportView["status"],
    rowsTotal: row.rowsTotal,
    rowsDone: row.rowsDone,
    rowsFailed: row.rowsFailed,
    error: row.error,
    reportUrl: row.reportKey ? reportUrl(row.id) : null,
    createdAt: iso(row.createdAt),
    finishedAt: row.finishedAt === null ? null : iso(row.finishedAt),
  };
}

// ---- upload ----

/**
 * Stores the body in pieces as it arrives (413 as soon as it passes the limit, and the pieces
 * written so far are removed), checks the CSV header from the first piece (422), then queues the import.
 */
export async function uploadImport(
  ctx: Ctx,
  files: FileStore,
  actor: Actor,
  body: ReadableStream<Uint8Array> | null,
  contentType = "text/csv",
  maxBytes = CATALOG_IMPORT_MAX_BYTES,
): Promise<CatalogImportAccepted> {
  const format = FORMAT_OF[contentType.split(";")[0]?.trim().toLowerCase() ?? ""];
  if (!format) throw new AppError("UNSUPPORTED_MEDIA_TYPE", `Send text/csv, application/json or application/x-ndjson, not "${contentType}"`);
  // a JSON array is parsed whole by the job, so it is kept small; NDJSON is read a line at a time
  const limit = format === "json" ? Math.min(maxBytes, CATALOG_IMPORT_JSON_MAX_BYTES) : maxBytes;
  const id = ctx.ids("import");
  let pieces = 0;
  let size = 0;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let headerChecked = false;
  const flush = async () => {
    if (!pendingBytes) return;
    const bytes = Buffer.concat(pending);
    if (!headerChecked) {
      checkStart(format, bytes);
      headerChecked = true;
    }
    await files.put(sourcePieceKey(id, pieces++), bytes, PIECE_TYPE[format]);
    pending = [];
    pendingBytes = 0;
  };
  try {
    if (body) {
      const reader = body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > limit) {
          await reader.cancel();
          if (format === "json" && limit < maxBytes) {
            throw new AppError(
              "PAYLOAD_TOO_LARGE",
              `A JSON array is limited to ${limit} bytes; send larger uploads as application/x-ndjson (one product object per line, up to ${maxBytes} bytes)`,
              [{ path: "/", message: `must be at most ${limit} bytes as application/json; use application/x-ndjson` }],
            );
          }
          throw new AppError("PAYLOAD_TOO_LARGE", `The file is over the limit of ${limit} bytes`, [{ path: "/", message: `must be at most ${limit} bytes` }]);
        }
        pending.push(value);
        pendingBytes += value.byteLength;
        if (pendingBytes >= SOURCE_PIECE_BYTES) await flush();
      }
    }
    await flush();
    if (!size) throw new AppError("VALIDATION_FAILED", "The file is empty", [{ path: "/", message: "must hold a header row and products" }]);
  } catch (error) {
    for (let n = 0; n < pieces; n++) await files.delete(sourcePieceKey(id, n));
    throw error;
  }
  await repo.insertImport(ctx.database.db, {
    id,
    sellerId: actor.userId,
    format,
    sourceKey: `imports/${id}/source`,
    status: "queued",
    createdAt: ctx.clock(),
  });
  return { id, status: "queued" };
}

/** What the first piece shows: the CSV header, or the opening bracket of a JSON array / NDJSON object. */
function checkStart(format: CatalogImportFormat, bytes: Uint8Array): void {
  if (format === "csv") {
    checkHeader(bytes);
    return;
  }
  const first = /\S/.exec(new TextDecoder().decode(bytes.subarray(0, 4096)).replace(/^\uFEFF/, ""))?.[0];
  const wanted = format === "json" ? "[" : "{";
  if (first !== undefined && first !== wanted) {
    const message = format === "json" ? "must be a JSON array of product objects" : "must hold one product object per line";
    throw new AppError("VALIDATION_FAILED", `The body ${message}`, [{ path: "/", message }]);
  }
}

/** The header is the first line; a header longer than the first piece is left to the job. */
function checkHeader(bytes: Uint8Array): void {
  const text = new TextDecoder().decode(bytes.subarray(0, Math.min(bytes.byteLength, 64 * 1024)));
  const end = text.search(/\r?\n/);
  if (end < 0 || text.slice(0, end).includes('"')) return;
  const header = readHeader(
    text
      .replace(/^\uFEFF/, "")
      .slice(0, end)
      .split(","),
  );
  if ("error" in header) throw new AppError("VALIDATION_FAILED", header.error, [{ path: "/header", message: header.error }]);
}

// ---- reads ----

async function ownedImport(ctx: Ctx, actor: Actor, id: string): Promise<repo.ImportRow> {
  return requireOwner(actor, await repo.findImport(ctx.database.db, id), "import", STAFF, (row) => row.sellerId);
}

export async function getImport(ctx: Ctx, actor: Actor, id: string): Promise<CatalogImportView> {
  return toImportView(await ownedImport(ctx, actor, id));
}

export async function listImports(ctx: Ctx, actor: Actor, query: CatalogImportListQuery): Promise<CatalogImportPage> {
  const limit = Number(query.limit ?? 20);
  let after: { createdAt: number; id: string } | undefined;
  if (query.cursor) {
    const position = decodeCursor(query.cursor);
    if (typeof position.t !== "number" || typeof position.id !== "string") {
      throw new AppError("BAD_REQUEST", "cursor is not a cursor this API issued", [{ path: "/cursor", message: "invalid cursor" }]);
    }
    after = { createdAt: position.t, id: position.id };
  }
  const rows = await repo.importsOf(ctx.database.db, actor.userId, limit + 1, after);
  return toPage(rows, limit, toImportView, (row) => ({ t: row.createdAt, id: row.id }));
}

/** The error report as a stream: the header, then each segment's lines, one segment in memory at a time. */
export async function importReport(ctx: Ctx, files: FileStore, actor: Actor, id: string): Promise<ReadableStream<Uint8Array>> {
  const row = await ownedImport(ctx, actor, id);
  if (!row.reportKey) throw new AppError("NOT_FOUND", "This import has no report yet");
  const lastSegment = Math.floor((row.rowsTotal + 1) / REPORT_SEGMENT_ROWS);
  let n = -1;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (n < 0) controller.enqueue(new TextEncoder().encode(REPORT_HEADER));
      else {
        const segment = await files.get(reportSegmentKey(id, n));
        if (segment?.bytes.byteLength) controller.enqueue(segment.bytes);
      }
      if (++n > lastSegment) controller.close();
    },
  });
}

// ---- the job ----

export interface RunOptions {
  /** stop after this many products (tests use it to stand for a crash mid-import) */
  maxProducts?: number;
}

interface RowError {
  row: number;
  sku: string;
  field: string;
  message: string;
}

/** The import's rows, record by record, streamed from its stored pieces through csv-parse. */
async function* sourcePieces(files: FileStore, id: string): AsyncGenerator<Uint8Array> {
  for (let n = 0; ; n++) {
    const piece = await files.get(sourcePieceKey(id, n));
    if (!piece) return;
    yield piece.bytes;
  }
}

class Halt extends Error {}

/**
 * Works the next import that needs a worker (queued, or whose worker's lease ran out). Rows already
 * counted are skipped; products are written one transaction each by the products service, so a crash
 * leaves whole products only, and redoing the last few is harmless: an import updates by SKU.
 * Returns how many rows it handled.
 */
/** A worker taking an import this many times without finishing gives it up (crashes, or an error no retry fixes). */
export const MAX_IMPORT_ATTEMPTS = 5;

export async function runNextImport(deps: Deps, options: RunOptions = {}): Promise<number> {
  const now = deps.clock();
  let lease = now + IMPORT_LEASE_MS;
  const job = await repo.claimNext(deps.database.db, now, lease);
  if (!job) return 0;
  if (job.attempts > MAX_IMPORT_ATTEMPTS) {
    // taken this often without finishing, it fails for a reason no retry will fix: say so instead of looping
    await repo.saveProgress(deps.database.db, job.id, lease, {
      status: "failed",
      error: `gave up after ${MAX_IMPORT_ATTEMPTS} attempts; the last one ended without finishing`,
      leaseUntil: null,
      finishedAt: now,
    });
    deps.log.error("catalog import given up", { importId: job.id, attempts: job.attempts });
    return 0;
  }
  const ctx: Ctx = {
    database: deps.database,
    clock: deps.clock,
    ids: deps.ids,
    log: deps.log,
    requestId: `import:${job.id}`,
    client: { ip: null, network: "unknown", userAgent: "catalog-import-job", location: null },
    eventsWritten: () => deps.relay?.kick(),
  };
  const actor: Actor = { userId: job.sellerId, sessionId: `import:${job.id}`, roles: ["seller"] };
  const resumeAfter = job.rowsDone + job.rowsFailed;
  // CSV rows are numbered as in a spreadsheet (the header is row 1); JSON objects from 1
  const firstRow = job.format === "csv" ? 2 : 1;
  let done = job.rowsDone;
  let failed = job.rowsFailed;
  let rows = 0;
  let handled = 0;
  let products = 0;
  let errors: RowError[] = [];
  let batchStartRow = resumeAfter + firstRow;
  const seenSkus = new Set<string>();
  const seenRefs = new Set<string>();
  const lookups = {
    categories: new Map<string, string | null>(),
    brands: new Map<string, string | null>(),
    attributes: new Map<string, Map<string, string>>(),
    location: undefined,
  } as Lookups;

  const checkpoint = async (final: { status: "succeeded" | "failed"; error?: string } | { release: true } | undefined) => {
    const nextRow = done + failed + firstRow;
    await writeReport(deps.files, job.id, batchStartRow, nextRow, errors);
    errors = [];
    batchStartRow = nextRow;
    const nextLease = deps.clock() + IMPORT_LEASE_MS;
    const changes: repo.ImportProgress = {
      rowsDone: done,
      rowsFailed: failed,
      rowsTotal: Math.max(rows, job.rowsTotal),
      reportKey: `imports/${job.id}/report`,
    };
    if (final && "status" in final) Object.assign(changes, { status: final.status, error: final.error ?? null, finishedAt: deps.clock(), leaseUntil: null });
    else if (final) Object.assign(changes, { leaseUntil: null });
    else Object.assign(changes, { leaseUntil: nextLease });
    if (!(await repo.saveProgress(deps.database.db, job.id, lease, changes))) throw new Halt("lost the lease");
    if (!final) lease = nextLease;
  };

  let header: Header | undefined;
  let group: ParsedRow[] = [];
  const flushGroup = async () => {
    if (!group.length) return;
    const current = group;
    group = [];
    if (current[0] && current[0].row - 1 <= resumeAfter) return;
    const result = await importGroup(ctx, actor, current, lookups);
    done += result.done;
    failed += current.length - result.done;
    errors.push(...result.errors);
    handled += current.length;
    products++;
    if (options.maxProducts !== undefined && products >= options.maxProducts) throw new Halt("budget");
    if (products % CHECKPOINT_PRODUCTS === 0) await checkpoint(undefined);
  };

  if (job.format !== "csv") {
    try {
      for await (const { index, value } of jsonObjects(deps.files, job.id, job.format)) {
        rows = index;
        if (index <= resumeAfter) continue;
        const result = await importObject(ctx, actor, index, value, lookups);
        done += result.done ? 1 : 0;
        failed += result.done ? 0 : 1;
        errors.push(...result.errors);
        handled++;
        products++;
        if (options.maxProducts !== undefined && products >= options.maxProducts) throw new Halt("budget");
        if (products % CHECKPOINT_PRODUCTS === 0) await checkpoint(undefined);
      }
      await checkpoint({ status: "succeeded" });
    } catch (error) {
      if (error instanceof Halt) {
        if (error.message === "budget") await checkpoint({ release: true });
        return handled;
      }
      if (!(error instanceof BrokenFile)) throw error;
      await checkpoint({ status: "failed", error: error.message });
    }
    return handled;
  }

  const parser = Readable.from(sourcePieces(deps.files, job.id)).pipe(parse({ bom: true, skip_empty_lines: true, relax_column_count: true }));
  try {
    for await (const cells of parser as AsyncIterable<string[]>) {
      if (!header) {
        const read = readHeader(cells);
        if ("error" in read) {
          await checkpoint({ status: "failed", error: read.error });
          return 0;
        }
        header = read;
        continue;
      }
      rows++;
      const parsed = parseRow(header, cells, rows + 1);
      if (cells.length !== header.index.size) parsed.errors.push({ path: "row", message: `has ${cells.length} cells; the header has ${header.index.size}` });
      const previous = group[0]?.ref;
      if (previous !== undefined && parsed.ref !== previous) {
        seenRefs.add(previous);
        await flushGroup();
      }
      if (parsed.ref && seenRefs.has(parsed.ref))
        parsed.errors.push({ path: "product_ref", message: "appears again after other products: keep a product's rows together" });
      if (parsed.sku && seenSkus.has(parsed.sku)) parsed.errors.push({ path: "sku", message: "appears on an earlier row of this file" });
      if (parsed.sku) seenSkus.add(parsed.sku);
      group.push(parsed);
    }
    await flushGroup();
    await checkpoint({ status: "succeeded" });
  } catch (error) {
    if (error instanceof Halt) {
      if (error.message === "budget") await checkpoint({ release: true });
      return handled;
    }
    const reason = (error as { code?: string }).code?.startsWith("CSV_") ? `The CSV is malformed: ${(error as Error).message}` : undefined;
    if (!reason) throw error;
    await checkpoint({ status: "failed", error: reason });
  }
  return handled;
}

/** Rewrites the report segments rows [from, to) touch: lines of earlier rows stay, later ones (a crashed run's) are replaced. */
async function writeReport(files: FileStore, id: string, from: number, to: number, errors: RowError[]): Promise<void> {
  for (let segment = Math.floor(from / REPORT_SEGMENT_ROWS); segment <= Math.floor(to / REPORT_SEGMENT_ROWS); segment++) {
    const ours = errors.filter((e) => Math.floor(e.row / REPORT_SEGMENT_ROWS) === segment);
    const existing = await files.get(reportSegmentKey(id, segment));
    const kept = existing
      ? new TextDecoder()
          .decode(existing.bytes)
          .split("\n")
          .filter((line) => line && Number(line.slice(0, line.indexOf(","))) < from)
      : [];
    if (!kept.length && !ours.length && !existing) continue;
    const text = kept.map((l) => `${l}\n`).join("") + ours.map(reportLine).join("");
    await files.put(reportSegmentKey(id, segment), new TextEncoder().encode(text), "text/csv");
  }
}

interface Lookups {
  categories: Map<string, string | null>;
  brands: Map<string, string | null>;
  attributes: Map<string, Map<string, string>>;
  /** the seller's first stock location; undefined until looked up, null when there is none */
  location: string | null | undefined;
}

async function lookup(ctx: Ctx, cache: Map<string, string | null>, slug: string, find: typeof repo.categoryIdsBySlug): Promise<string | null> {
  if (!cache.has(slug)) cache.set(slug, (await find(ctx.database.db, [slug])).get(slug) ?? null);
  return cache.get(slug) ?? null;
}

/** CSV cells are text; a number or boolean attribute takes its typed value, as the API body would carry it. */
async function typedAttributes(
  ctx: Ctx,
  lookups: Lookups,
  categoryId: string,
  attributes: Record<string, string>,
): Promise<Record<string, string | number | boolean>> {
  let types = lookups.attributes.get(categoryId);
  if (!types) {
    types = new Map(((await effectiveAttributes(ctx.database, categoryId)) ?? []).map((a) => [a.key, a.type]));
    lookups.attributes.set(categoryId, types);
  }
  const typed: Record<string, string | number | boolean> = {};
  for (const [key, text] of Object.entries(attributes)) {
    const type = types.get(key);
    if (type === "number" && /^-?\d{1,15}$/.test(text)) typed[key] = Number(text);
    else if (type === "boolean" && (text === "true" || text === "false")) typed[key] = text === "true";
    else typed[key] = text;
  }
  return typed;
}

const schemaErrors = (schema: typeof CreateProductBody | typeof CreateVariantBody, value: unknown): FieldError[] =>
  [...Value.Errors(schema, value)].map((e) => ({ path: e.path, message: e.schema.error ? String(e.schema.error) : e.message }));

/**
 * One product's rows: rows with bad cells are reported and left out; the rest is created (or, when
 * its SKUs exist, updated) through the products service, which checks it against the category.
 */
async function importGroup(ctx: Ctx, actor: Actor, rows: ParsedRow[], lookups: Lookups): Promise<{ done: number; errors: RowError[] }> {
  const errors: RowError[] = [];
  const fail = (row: ParsedRow, field: string, message: string) => errors.push({ row: row.row, sku: row.sku, field, message });
  let live: ParsedRow[] = [];
  for (const row of rows) {
    const own = [...row.errors, ...schemaErrors(CreateVariantBody, row.variant).map((e) => ({ ...e, path: columnOf(e.path) }))];
    if (own.length) for (const e of own) fail(row, e.path.replace(/^\//, ""), e.message);
    else live.push(row);
  }
  const first = live[0];
  if (!first) return { done: 0, errors };
  const failAll = (field: string, message: string) => {
    for (const row of live) fail(row, field, message);
    return { done: 0, errors };
  };
  const fields = first.product;
  if (!(SUPPORTED_CURRENCIES as readonly string[]).includes(fields.currency)) return failAll("currency", `"${fields.currency}" is not a supported currency`);
  const categoryId = fields.category ? await lookup(ctx, lookups.categories, fields.category, repo.categoryIdsBySlug) : null;
  if (!categoryId) return failAll("category", `"${fields.category}" is not a category slug`);
  const brandId = fields.brand ? await lookup(ctx, lookups.brands, fields.brand, repo.brandIdsBySlug) : null;
  if (fields.brand && !brandId) return failAll("brand", `"${fields.brand}" is not a brand slug`);
  const product: Omit<CreateProductBody, "variants"> = {
    title: fields.title,
    ...(fields.description ? { description: fields.description } : {}),
    ...(brandId ? { brandId } : {}),
    categoryId,
    currency: fields.currency as CreateProductBody["currency"],
    attributes: await typedAttributes(ctx, lookups, categoryId, fields.attributes),
  };
  const productProblems = schemaErrors(CreateProductBody, product);
  if (productProblems[0]) return failAll(columnOf(productProblems[0].path), productProblems[0].message);

  const stocked = live.filter((r) => r.stock !== undefined);
  const locationId = stocked.length ? await firstLocation(ctx, actor, lookups) : null;
  if (stocked.length && !locationId) {
    for (const row of stocked) fail(row, "stock", "create a stock location first: stock is set at your first stock location");
    live = live.filter((r) => r.stock === undefined);
  }
  // a refused variant (or its stock) names its index: drop that row and write the rest (the product and its stock are all-or-nothing)
  for (let attempt = 0; attempt < 3 && live.length; attempt++) {
    try {
      const stock = stockInTransaction(
        ctx,
        actor,
        locationId,
        live.map((r) => ({ sku: r.sku, onHand: r.stock })),
      );
      await upsertProductBySku(ctx, actor, { ...product, variants: live.map((r) => r.variant) }, stock);
      ctx.eventsWritten();
      return { done: live.length, errors };
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      const problems = error.errors?.length ? error.errors : [{ path: "/", message: error.message }];
      const bad = new Set<number>();
      for (const p of problems) {
        const index = /^\/variants\/(\d+)/.exec(p.path)?.[1];
        if (index === undefined) return failAll(columnOf(p.path) || "/", p.message);
        const row = live[Number(index)];
        if (row) {
          fail(row, columnOf(p.path), p.message);
          bad.add(Number(index));
        }
      }
      live = live.filter((_, i) => !bad.has(i));
    }
  }
  return live.length ? failAll("/", "could not be imported") : { done: 0, errors };
}

/** The seller's first stock location (the one an import's stock column fills), looked up once per run. */
async function firstLocation(ctx: Ctx, actor: Actor, lookups: Lookups): Promise<string | null> {
  if (lookups.location === undefined) lookups.location = (await listLocations(ctx, actor, { limit: "1" })).items[0]?.id ?? null;
  return lookups.location;
}

/**
 * Sets the imported variants' on-hand at the seller's first location inside the product's own transaction, so a
 * product is written with its stock or not at all. `lines[i]` is `variants[i]` of the written body; a refused
 * level names that variant (`/variants/<i>/stock`). A level that existed keeps its low-stock threshold.
 */
function stockInTransaction(
  ctx: Ctx,
  actor: Actor,
  locationId: string | null,
  lines: { sku: string; onHand: number | undefined }[],
): AlsoInTransaction | undefined {
  if (!locationId || lines.every((line) => line.onHand === undefined)) return undefined;
  return async (tx, product) => {
    for (const [i, { sku, onHand }] of lines.entries()) {
      if (onHand === undefined) continue;
      const path = `/variants/${i}/stock`;
      const variantId = product.variants.find((v) => v.sku === sku.trim())?.id;
      if (!variantId) throw new ValidationError([{ path, message: "the variant was not saved" }]);
      try {
        await setStockInTransaction(tx, ctx, actor, variantId, [{ locationId, onHand }], "import");
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        throw new AppError(error.code, error.detail, [{ path, message: error.errors?.[0]?.message ?? error.detail }]);
      }
    }
  };
}

// ---- JSON and NDJSON ----

/** A file the job cannot read on (malformed JSON array): the import fails with this message. */
class BrokenFile extends Error {}

/** Longest NDJSON line the job buffers: far above any real product, and a bound on memory. */
const MAX_NDJSON_LINE_BYTES = 4 * 1024 * 1024;

/**
 * The upload's product objects with their 1-based index. A JSON array (≤ 10 MiB, checked at upload) is
 * parsed whole; NDJSON is decoded piece by piece and split into lines, one line in memory at a time.
 * A line that is not JSON comes out as an Error value (reported for that object; the rest go on).
 */
async function* jsonObjects(files: FileStore, id: string, format: string): AsyncGenerator<{ index: number; value: unknown }> {
  const decoder = new TextDecoder();
  if (format === "json") {
    let text = "";
    for await (const piece of sourcePieces(files, id)) text += decoder.decode(piece, { stream: true });
    text += decoder.decode();
    let array: unknown;
    try {
      array = JSON.parse(text.replace(/^\uFEFF/, ""));
    } catch (error) {
      throw new BrokenFile(`The JSON is malformed: ${(error as Error).message}`);
    }
    if (!Array.isArray(array)) throw new BrokenFile("The JSON must be an array of product objects");
    for (const [i, value] of array.entries()) yield { index: i + 1, value };
    return;
  }
  let index = 0;
  let carry = "";
  const lineOut = (line: string) => {
    index++;
    try {
      return { index, value: JSON.parse(line) as unknown };
    } catch (error) {
      return { index, value: new Error(`is not valid JSON: ${(error as Error).message}`) };
    }
  };
  for await (const piece of sourcePieces(files, id)) {
    carry += decoder.decode(piece, { stream: true });
    const lines = carry.split("\n");
    carry = lines.pop() ?? "";
    if (carry.length > MAX_NDJSON_LINE_BYTES) throw new BrokenFile(`Line ${index + lines.length + 1} is longer than ${MAX_NDJSON_LINE_BYTES} bytes`);
    for (const line of lines) if (line.trim()) yield lineOut(line.replace(/^\uFEFF/, ""));
  }
  carry += decoder.decode();
  if (carry.trim()) yield lineOut(carry);
}

/** One product object: checked as the create-product body (plus `stock` per variant), then written whole or not at all. */
async function importObject(ctx: Ctx, actor: Actor, row: number, value: unknown, lookups: Lookups): Promise<{ done: boolean; errors: RowError[] }> {
  const variants = isObject(value) && Array.isArray(value.variants) ? (value.variants as unknown[]) : [];
  const skuAt = (path: string) => {
    const i = /^\/variants\/(\d+)/.exec(path)?.[1];
    const v = i === undefined ? undefined : variants[Number(i)];
    return isObject(v) && typeof v.sku === "string" ? v.sku : "";
  };
  const failed = (problems: FieldError[]) => ({
    done: false,
    errors: problems.map((p) => ({ row, sku: skuAt(p.path), field: p.path || "/", message: p.message })),
  });
  if (value instanceof Error) return failed([{ path: "/", message: value.message }]);
  if (!isObject(value)) return failed([{ path: "/", message: "must be a product object" }]);

  const stocks: (number | undefined)[] = [];
  const problems: FieldError[] = [];
  const bodyVariants = variants.map((v, i) => {
    if (!isObject(v) || !("stock" in v)) return v;
    const { stock, ...rest } = v;
    if (typeof stock !== "number" || !Number.isSafeInteger(stock) || stock < 0 || stock > MAX_STOCK_QUANTITY)
      problems.push({ path: `/variants/${i}/stock`, message: `must be a whole number from 0 to ${MAX_STOCK_QUANTITY}` });
    else stocks[i] = stock;
    return rest;
  });
  const body = { ...value, ...(Array.isArray(value.variants) ? { variants: bodyVariants } : {}) };
  problems.push(...schemaErrors(CreateProductBody, body));
  if (problems.length) return failed(problems);
  const product = body as CreateProductBody;

  const locationId = stocks.some((s) => s !== undefined) ? await firstLocation(ctx, actor, lookups) : null;
  if (stocks.some((s) => s !== undefined) && !locationId)
    return failed([{ path: "/variants", message: "create a stock location first: stock is set at your first stock location" }]);
  try {
    const stock = stockInTransaction(
      ctx,
      actor,
      locationId,
      (product.variants ?? []).map((v, i) => ({ sku: v.sku, onHand: stocks[i] })),
    );
    await upsertProductBySku(ctx, actor, product, stock);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return failed(error.errors?.length ? error.errors : [{ path: "/", message: error.message }]);
  }
  ctx.eventsWritten();
  return { done: true, errors: [] };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
