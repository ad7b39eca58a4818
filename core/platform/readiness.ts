import { type Database, migrationStatus } from "@bazaar/db";

export interface ReadinessReport {
  ready: boolean;
  checks: { database: string; migrations: string };
}

/**
 * Whether this process may serve: the database answers and every committed migration
 * is applied. Re-checked at most once a second while not ready; once ready it stays so
 * (migrations are never rolled back under a running process).
 */
export class Readiness {
  private report: ReadinessReport = { ready: false, checks: { database: "unchecked", migrations: "unchecked" } };
  private checkedAt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<ReadinessReport> | undefined;

  constructor(private readonly database: Database) {}

  get ready(): boolean {
    return this.report.ready;
  }

  /** Set when shutdown begins: /ready answers 503 so load balancers stop sending traffic. */
  draining = false;

  async check(): Promise<ReadinessReport> {
    if (this.report.ready) return this.pingDatabase();
    // concurrent callers share one check; a failed one is repeated at most once a second (wall time)
    if (!this.inflight && performance.now() - this.checkedAt >= 1000) {
      this.checkedAt = performance.now();
      this.inflight = this.run().finally(() => {
        this.inflight = undefined;
      });
    }
    return this.inflight ?? this.report;
  }

  private async run(): Promise<ReadinessReport> {
    const report: ReadinessReport = { ready: false, checks: { database: "ok", migrations: "ok" } };
    try {
      await this.database.client.execute("SELECT 1");
      const status = await migrationStatus(this.database);
      if (status.pending.length) {
        report.checks.migrations = `${status.pending.length} pending migration(s): ${status.pending.join(", ")}; run \`bun run db:migrate\``;
      }
    } catch (error) {
      report.checks.database = `unreachable: ${error instanceof Error ? error.message : String(error)}`;
      report.checks.migrations = "unknown";
    }
    report.ready = report.checks.database === "ok" && report.checks.migrations === "ok";
    this.report = report;
    return report;
  }

  private async pingDatabase(): Promise<ReadinessReport> {
    try {
      await this.database.client.execute("SELECT 1");
      return this.report;
    } catch (error) {
      return { ready: false, checks: { database: `unreachable: ${error instanceof Error ? error.message : String(error)}`, migrations: "ok" } };
    }
  }
}
