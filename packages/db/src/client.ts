import { Database as SqliteConnection } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { ResultSet } from "@libsql/client";
import { type Client, createClient } from "@libsql/client";
import type { BatchItem } from "drizzle-orm/batch";
import { drizzle as drizzleBunSqlite } from "drizzle-orm/bun-sqlite";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import * as schema from "./schema/index.ts";
import { retryBusy, WriteLane } from "./write-lane.ts";

export type Db = LibSQLDatabase<typeof schema>;
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
/** Either the database or an open transaction: what repo functions that may run inside one accept. */
export type Queryable = BaseSQLiteDatabase<"async", ResultSet, typeof schema>;
/** Where hot reads run: a synchronous bun:sqlite connection on a local file, the libSQL client otherwise. */
export type ReadDb = BaseSQLiteDatabase<"sync" | "async", unknown, typeof schema>;
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
 * The database handle every service gets. Reads use `db` (or `read` for hot ones); every write goes
 * through `write`, `batch` or `transaction`, which share one in-process lane so a
 * write never waits on a lock held by this same process.
 */
export interface Database {
  readonly db: Db;
  readonly client: Client;
  readonly url: string;
  /** One or more independent statements that need no atomicity with each other. */
  write<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /** Atomic: all statements commit or none do. The hot-path way to write. */
  batch(statements: Statements): Promise<readonly unknown[]>;
  /** Interactive transaction; keep it short, no network calls inside. Retried whole on SQLITE_BUSY. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * The read path for hot reads outside transactions. On a local file it is a second,
   * query-only connection through bun:sqlite (~10 µs a point read against ~45 µs through
   * @libsql/client); WAL lets it read every committed write at once. Elsewhere it is `db`.
   */
  readonly read: ReadDb;
  /** A read statement built once and reused (drizzle `.prepare()` on `read`), for hot reads. */
  preparedRead<T>(name: string, build: (read: ReadDb) => T): T;
  /**
   * How many writes (write, batch, transaction) through this handle have finished, committed or not. A process-local
   * cache of reads compares it to tell that this process may have changed what it read.
   */
  readonly writesFinished: number;
  /** Waits for writes already queued, then closes. */
  close(): Promise<void>;
}

export function createDatabase(config: DatabaseConfig): Database {
  const isLocalFile = config.url.startsWith("file:");
  if (isLocalFile) ensureDirectory(config.url);
  const busyTimeoutMs = config.busyTimeoutMs ?? 5000;
  // `timeout` is the busy timeout of every connection the client opens (it pools several)
  const client = createClient({
    url: config.url,
    ...(config.authToken ? { authToken: config.authToken } : {}),
    ...(isLocalFile ? { timeout: busyTimeoutMs } : {}),
  });
  const db = drizzle(client, { schema });
  const lane = new WriteLane();
  // WAL is a property of the file, set once; libSQL connections enforce foreign keys by default
  const ready: Promise<unknown> = isLocalFile ? client.execute("PRAGMA journal_mode=WAL") : Promise.resolve();
  const preparedStatements = new Map<string, unknown>();
  const readConnection = isLocalFile ? openReadConnection(config.url, busyTimeoutMs) : undefined;
  const read: ReadDb = readConnection ? drizzleBunSqlite(readConnection, { schema }) : db;

  let writesFinished = 0;
  const inLane = <T>(job: () => Promise<T>): Promise<T> =>
    lane.run(() =>
      ready
        .then(() => retryBusy(job))
        .finally(() => {
          writesFinished++;
        }),
    );

  return {
    db,
    client,
    url: config.url,
    write: (fn) => inLane(() => fn(db)),
    batch: (statements) => inLane(() => db.batch(statements as Statements)),
    transaction: (fn) => inLane(() => db.transaction(fn)),
    get writesFinished() {
      return writesFinished;
    },
    read,
    preparedRead: <T>(name: string, build: (read: ReadDb) => T): T => {
      if (!preparedStatements.has(name)) preparedStatements.set(name, build(read));
      return preparedStatements.get(name) as T;
    },
    close: async () => {
      await lane.run(async () => undefined);
      readConnection?.close();
      client.close();
    },
  };
}

function filePath(url: string): string {
  return url.slice("file:".length).split("?")[0] ?? "";
}

function ensureDirectory(url: string): void {
  const path = filePath(url);
  if (path && path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
}

/** Opened with `create` so it never races the libSQL client to make the file; `query_only` makes a write through it an error. */
function openReadConnection(url: string, busyTimeoutMs: number): SqliteConnection {
  const connection = new SqliteConnection(filePath(url), { create: true, readwrite: true });
  connection.exec(`PRAGMA busy_timeout=${busyTimeoutMs}`);
  connection.exec("PRAGMA query_only=ON");
  return connection;
}

export { schema };
