import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { ResultSet } from "@libsql/client";
import { type Client, createClient } from "@libsql/client";
import type { BatchItem } from "drizzle-orm/batch";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import * as schema from "./schema/index.ts";
import { retryBusy, WriteLane } from "./write-lane.ts";

export type Db = LibSQLDatabase<typeof schema>;
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
/** Either the database or an open transaction: what repo functions that may run inside one accept. */
export type Queryable = BaseSQLiteDatabase<"async", ResultSet, typeof schema>;
export type Statement = BatchItem<"sqlite">;
export type Statements = readonly [Statement, ...Statement[]];

export interface DatabaseConfig {
  /** `file:data/bazaar.db` (embedded default) or `libsql://…` (Turso). */
  url: string;
  authToken?: string;
  /** How long a local connection waits for another process's write lock. */
  busyTimeoutMs?: number;
}

/**
 * The database handle every service gets. Reads use `db` directly; every write goes
 * through `write`, `batch` or `transaction`, which share one in-process lane so a
 * write never waits on a lock held by this same process.
 */
export interface Database {
  readonly db: Db;
  readonly client: Client;
  readonly url: string;
  readonly isLocalFile: boolean;
  /** One or more independent statements that need no atomicity with each other. */
  write<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /** Atomic: all statements commit or none do. The hot-path way to write. */
  batch(statements: Statements): Promise<readonly unknown[]>;
  /** Interactive transaction; keep it short, no network calls inside. Retried whole on SQLITE_BUSY. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * A statement built once per database and reused (drizzle `.prepare()`): for the hot
   * reads, where building the query each time costs more than running it.
   */
  prepared<T>(name: string, build: (db: Db) => T): T;
  /** Waits for writes already queued, then closes. */
  close(): Promise<void>;
}

export function createDatabase(config: DatabaseConfig): Database {
  const isLocalFile = config.url.startsWith("file:");
  if (isLocalFile) ensureDirectory(config.url);
  const client = createClient(config.authToken ? { url: config.url, authToken: config.authToken } : { url: config.url });
  const db = drizzle(client, { schema });
  const lane = new WriteLane();
  const pragmas = isLocalFile
    ? ["PRAGMA journal_mode=WAL", `PRAGMA busy_timeout=${config.busyTimeoutMs ?? 5000}`, "PRAGMA foreign_keys=ON", "PRAGMA synchronous=NORMAL"]
    : [];
  // @libsql/client hands its connection to a transaction and opens a new one lazily:
  // per-connection pragmas must be applied again after every transaction.
  const applyPragmas = async () => {
    for (const pragma of pragmas) await client.execute(pragma);
  };
  const ready = applyPragmas();
  const preparedStatements = new Map<string, unknown>();

  return {
    db,
    client,
    url: config.url,
    isLocalFile,
    write: (fn) => lane.run(() => ready.then(() => retryBusy(() => fn(db)))),
    batch: (statements) => lane.run(() => ready.then(() => retryBusy(() => db.batch(statements as Statements)))),
    transaction: (fn) =>
      lane.run(async () => {
        await ready;
        try {
          return await retryBusy(() => db.transaction(fn));
        } finally {
          await applyPragmas();
        }
      }),
    prepared: <T>(name: string, build: (db: Db) => T): T => {
      if (!preparedStatements.has(name)) preparedStatements.set(name, build(db));
      return preparedStatements.get(name) as T;
    },
    close: async () => {
      await lane.run(async () => undefined);
      client.close();
    },
  };
}

function ensureDirectory(url: string): void {
  const path = url.slice("file:".length).split("?")[0] ?? "";
  if (path && path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
}

export { schema };
