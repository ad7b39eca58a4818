// A second core process for inventory's tests: it opens the same database file and runs
// reservations or the expiry job against it while the test process does the same. Only a real
// process proves the database (not our in-process write lane) keeps them apart: libSQL waits for
// a lock synchronously, so two handles in one process would only stall each other.
import { AppError, createIdGenerator } from "@bazaar/contracts";
import { createDatabase } from "@bazaar/db";
import { sql } from "drizzle-orm";
import { releaseExpired, reserve } from "./service.ts";

export type ProcessCommand =
  | { op: "reserve"; url: string; now: number; startAt: number; variantId: string; holders: string[]; ttlMs: number }
  | { op: "releaseExpired"; url: string; now: number; startAt: number };

/** Both processes start their burst at this wall-clock moment, so they really overlap (a process takes a while to boot). */
export const startTogether = () => Date.now() + 750;
export const waitUntil = (startAt: number) => Bun.sleep(Math.max(0, startAt - Date.now()));

/** Runs `command` in a fresh Bun process; resolves with what it printed (one outcome per reservation, or the release count). */
export async function inAnotherProcess(command: ProcessCommand): Promise<unknown> {
  const child = Bun.spawn([process.execPath, "--no-env-file", import.meta.path, JSON.stringify(command)], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  if (code !== 0) throw new Error(`inventory test process failed (${code}): ${err}`);
  return JSON.parse(out);
}

async function run(command: ProcessCommand): Promise<unknown> {
  const database = createDatabase({ url: command.url });
  const ctx = { database, clock: () => command.now, ids: createIdGenerator(), eventsWritten: () => {}, requestId: "req_other_process" };
  try {
    await database.db.run(sql`SELECT 1`); // open the connection before the start line
    await waitUntil(command.startAt);
    if (command.op === "releaseExpired") return await releaseExpired(ctx);
    const { variantId, ttlMs } = command;
    const outcomes = await Promise.allSettled(command.holders.map((holder) => reserve(ctx, { holder, lines: [{ variantId, quantity: 1 }], ttlMs })));
    return outcomes.map((o) =>
      o.status === "fulfilled" ? "reserved" : o.reason instanceof AppError ? ((o.reason as { kind?: string }).kind ?? o.reason.code) : String(o.reason),
    );
  } finally {
    await database.close();
  }
}

if (import.meta.main) {
  const command = JSON.parse(process.argv[2] ?? "{}") as ProcessCommand;
  process.stdout.write(JSON.stringify(await run(command)));
}
