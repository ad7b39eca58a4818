/** A small Prometheus registry: counters, gauges read at scrape time, and one latency histogram. */
type Labels = Record<string, string>;

const NEEDS_ESCAPING = /[\\"\n]/;
const escapeLabel = (v: string) => (NEEDS_ESCAPING.test(v) ? v.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n") : v);

/** Runs for every request (twice): label values rarely need escaping, so most take no replace at all. */
const key = (labels: Labels) => {
  let k = "";
  for (const name in labels) k += `${k ? "," : ""}${name}="${escapeLabel(labels[name] ?? "")}"`;
  return k;
};

class Counter {
  readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const k = key(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [k, v] of this.values) lines.push(`${this.name}${k ? `{${k}}` : ""} ${v}`);
    return lines.join("\n");
  }
}

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

class Histogram {
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  observe(labels: Labels, seconds: number): void {
    const k = key(labels);
    let s = this.series.get(k);
    if (!s) {
      s = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= (BUCKETS[i] ?? 0)) s.counts[i] = (s.counts[i] ?? 0) + 1;
    s.sum += seconds;
    s.count++;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [k, s] of this.series) {
      const sep = k ? `${k},` : "";
      for (const [i, b] of BUCKETS.entries()) lines.push(`${this.name}_bucket{${sep}le="${b}"} ${s.counts[i]}`);
      lines.push(
        `${this.name}_bucket{${sep}le="+Inf"} ${s.count}`,
        `${this.name}_sum${k ? `{${k}}` : ""} ${s.sum}`,
        `${this.name}_count${k ? `{${k}}` : ""} ${s.count}`,
      );
    }
    return lines.join("\n");
  }
}

export class Metrics {
  readonly httpRequests = new Counter("bazaar_http_requests_total", "HTTP requests by method, route and status");
  readonly httpDuration = new Histogram("bazaar_http_request_duration_seconds", "HTTP request latency");
  readonly eventsConsumed = new Counter("bazaar_events_consumed_total", "Events consumed by local subscribers, by type and outcome");
  readonly eventsRelayed = new Counter("bazaar_events_relayed_total", "Outbox events the relay delivered, retried or dead-lettered");
  private readonly gauges: { name: string; help: string; read: () => Promise<number> | number }[] = [];

  gauge(name: string, help: string, read: () => Promise<number> | number): void {
    this.gauges.push({ name, help, read });
  }

  async render(): Promise<string> {
    const parts = [this.httpRequests.render(), this.httpDuration.render(), this.eventsConsumed.render(), this.eventsRelayed.render()];
    for (const g of this.gauges) {
      const value = await Promise.resolve(g.read()).catch(() => Number.NaN);
      parts.push(`# HELP ${g.name} ${g.help}\n# TYPE ${g.name} gauge\n${g.name} ${value}`);
    }
    return `${parts.join("\n")}\n`;
  }
}
