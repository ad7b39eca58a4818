import type { LoadSettings, Measurement } from "./measure.ts";

export interface Row {
  id: string;
  name: string;
  measurement: Measurement;
  /** Printed under the table (what ran alongside, say). */
  note?: string;
}

export interface RunInfo {
  date: Date;
  bunVersion: string;
  cpuModel: string;
  cores: number;
  /** 1-minute load average when the run started: anything near the core count means the numbers were shared with someone else. */
  loadBefore: number;
  autocannonVersion: string;
  commit: string;
  settings: LoadSettings;
}

/** The results as Markdown: a header line, the table, and what the numbers mean. */
export function renderReport(info: RunInfo, rows: Row[], rawPerSecond: number): string {
  const { settings } = info;
  const header =
    `${info.date.toISOString().slice(0, 16).replace("T", " ")} UTC · Bun ${info.bunVersion} · ${info.cpuModel} × ${info.cores} cores ` +
    `(load ${info.loadBefore.toFixed(2)} before the run) · ` +
    `commit ${info.commit} · autocannon ${info.autocannonVersion} (programmatic, in the \`bun run bench\` process) · ` +
    `${settings.connections} connections · ${settings.warmupSeconds} s warm-up (discarded) + ${settings.durationSeconds} s measured per scenario`;
  const table = [
    "| scenario | req/s | p50 ms | p99 ms | non-2xx | ratio to raw |",
    "| --- | ---: | ---: | ---: | --- | ---: |",
    ...rows.map(({ name, measurement: m }) => {
      const cells = [name, formatRate(m.okPerSecond), formatMs(m.p50Ms), formatMs(m.p99Ms), formatFailures(m), formatRatio(m.okPerSecond / rawPerSecond)];
      return `| ${cells.join(" | ")} |`;
    }),
  ];
  const notes = rows.filter((row) => row.note !== undefined).map(({ name, note }) => `- ${name}: ${note}`);
  return [
    "# Bazaar benchmark",
    "",
    header,
    "",
    ...table,
    "",
    ...(notes.length ? [...notes, ""] : []),
    `The load generator and every server share the machine's ${info.cores} cores, so absolute numbers understate what a server would do alone;` +
      " compare the ratios, which are measured in the same run under the same contention.",
    "req/s counts 2xx responses only; p50/p99 are latencies of 2xx responses. non-2xx lists refused requests by status, then socket errors and timeouts.",
    "The edge is `wrangler dev` (a local workerd), not Cloudflare's network.",
    "",
  ].join("\n");
}

/** One measurement in a sentence, for notes. */
export function describeMeasurement(m: Measurement): string {
  return `${formatRate(m.okPerSecond)} req/s (2xx), p50 ${formatMs(m.p50Ms)} ms, p99 ${formatMs(m.p99Ms)} ms, non-2xx ${formatFailures(m)}`;
}

function formatRate(perSecond: number): string {
  return perSecond >= 100 ? Math.round(perSecond).toLocaleString("en-US") : perSecond.toFixed(1);
}

function formatMs(ms: number | undefined): string {
  if (ms === undefined) return "–";
  if (ms < 10) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return Math.round(ms).toLocaleString("en-US");
}

function formatRatio(ratio: number): string {
  return ratio >= 0.1 ? ratio.toFixed(2) : ratio.toPrecision(2);
}

function formatFailures(m: Measurement): string {
  const parts: string[] = [];
  const byStatus = Object.entries(m.statuses).map(([status, count]) => `${status}×${count}`);
  parts.push(byStatus.length ? `${m.non2xx} (${byStatus.join(", ")})` : "0");
  if (m.errors > 0) parts.push(`${m.errors} errors (${m.timeouts} timeouts)`);
  return parts.join(" + ");
}
