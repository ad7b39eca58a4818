import autocannon from "autocannon";

export interface LoadSettings {
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** Per request; a response slower than this counts as an error (timeout). */
  timeoutSeconds: number;
}

export interface Target {
  url: string;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  headers: Record<string, string>;
  body: string | undefined;
  /** For requests that change each time: called once per connection, and its script shapes every request on it. */
  perConnection?: () => ConnectionScript;
  /**
   * GETs that walk these paths in turn, each connection from its own random starting point. Unlike a script, the
   * requests are fixed, so autocannon serialises each once: the load generator costs what it does for one URL.
   */
  paths?: string[];
}

/** What one request may change. */
export interface RequestParts {
  headers: Record<string, string>;
  body: string | undefined;
}

/**
 * One connection's requests, one after another. State lives in the script's closure: autocannon's own
 * `context` is reset each time its `requests` list wraps around, which with one request is every request.
 */
export interface ConnectionScript {
  /** The next request, from the target's defaults; the previous one may have had no answer (timeout, reconnect). */
  nextRequest(defaults: RequestParts): RequestParts;
  onResponse?(status: number, body: string): void;
}

export interface Measurement {
  seconds: number;
  /** 2xx responses per second: a refused request is not throughput. */
  okPerSecond: number;
  /** Latency of 2xx responses only (as autocannon does); undefined when there were none. */
  p50Ms: number | undefined;
  p99Ms: number | undefined;
  non2xx: number;
  /** non-2xx status code → count */
  statuses: Record<string, number>;
  /** Socket errors and timeouts, which got no response at all. */
  errors: number;
  timeouts: number;
  errorMessages: string[];
}

/**
 * One continuous run whose first `warmupSeconds` are discarded. Not two runs: a slow route (login) would
 * still be working off the warm-up's abandoned requests when the measured run starts, inflating its latency.
 */
export function measure(target: Target, settings: LoadSettings): Promise<Measurement> {
  // autocannon's own latency histogram has 1 ms resolution, too coarse for sub-millisecond routes; this keeps the exact ones
  const okLatencies: number[] = [];
  const statuses: Record<string, number> = {};
  const errorMessages = new Set<string>();
  let errors = 0;
  let timeouts = 0;
  const measuredFrom = performance.now() + settings.warmupSeconds * 1000;
  const measuring = () => performance.now() >= measuredFrom;

  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.url,
        method: target.method,
        headers: target.headers,
        ...(target.body === undefined ? {} : { body: target.body }),
        connections: settings.connections,
        duration: settings.warmupSeconds + settings.durationSeconds,
        timeout: settings.timeoutSeconds,
        ...(target.perConnection === undefined ? {} : { setupClient: scripted(target.perConnection) }),
        ...(target.paths === undefined ? {} : { setupClient: walking(target.paths, target.headers) }),
      },
      (error) => {
        if (error) return reject(error instanceof Error ? error : new Error(String(error)));
        resolve(summarise(measuredFrom, okLatencies, statuses, { errors, timeouts, errorMessages }));
      },
    );
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      if (!measuring()) return;
      if (statusCode >= 200 && statusCode < 300) okLatencies.push(responseTime);
      else statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    });
    instance.on("reqError", (error: unknown) => {
      if (!measuring()) return;
      const message = error instanceof Error ? error.message : String(error);
      errors++;
      if (message === "request timed out") timeouts++;
      if (errorMessages.size < 5) errorMessages.add(message);
    });
  });
}

function scripted(perConnection: () => ConnectionScript): (client: autocannon.Client) => void {
  return (client) => {
    const script = perConnection();
    client.setRequests([
      {
        setupRequest: (request) => {
          const next = script.nextRequest({ headers: { ...(request.headers as Record<string, string>) }, body: request.body?.toString() });
          return { ...request, headers: next.headers, body: next.body ?? "" };
        },
        onResponse: (status, body) => script.onResponse?.(status, body),
      },
    ]);
  };
}

function walking(paths: string[], headers: Record<string, string>): (client: autocannon.Client) => void {
  return (client) => {
    const start = Math.floor(Math.random() * paths.length);
    const rotated = [...paths.slice(start), ...paths.slice(0, start)];
    client.setRequests(rotated.map((path) => ({ method: "GET", path, headers })));
  };
}

function percentile(sorted: number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** An operation the bench calls in its own process (a service call, not a request): see measureOperations. */
export interface Operation {
  /** One operation; undefined when it did what it should, else a short label of what it did instead. */
  run(): Promise<string | undefined>;
  /** Frees what preparing it took (its database, its servers). */
  stop(): Promise<void>;
}

/**
 * The in-process twin of `measure`: `connections` loops each call the operation back to back for the same warm-up
 * and measured seconds. A labelled outcome counts in `statuses` (as a non-2xx would), a throw in `errors`.
 */
export async function measureOperations(operation: Operation, settings: LoadSettings): Promise<Measurement> {
  const okLatencies: number[] = [];
  const statuses: Record<string, number> = {};
  const errorMessages = new Set<string>();
  let errors = 0;
  const measuredFrom = performance.now() + settings.warmupSeconds * 1000;
  const until = measuredFrom + settings.durationSeconds * 1000;
  const worker = async () => {
    while (performance.now() < until) {
      const started = performance.now();
      let outcome: string | undefined;
      try {
        outcome = await operation.run();
      } catch (error) {
        if (started < measuredFrom) continue;
        errors++;
        if (errorMessages.size < 5) errorMessages.add(error instanceof Error ? error.message : String(error));
        continue;
      }
      if (started < measuredFrom) continue;
      if (outcome === undefined) okLatencies.push(performance.now() - started);
      else statuses[outcome] = (statuses[outcome] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: settings.connections }, worker));
  return summarise(measuredFrom, okLatencies, statuses, { errors, timeouts: 0, errorMessages });
}

/** The figures of a run measured from `measuredFrom` until now. */
function summarise(
  measuredFrom: number,
  okLatencies: number[],
  statuses: Record<string, number>,
  failures: { errors: number; timeouts: number; errorMessages: Set<string> },
): Measurement {
  const seconds = (performance.now() - measuredFrom) / 1000;
  okLatencies.sort((a, b) => a - b);
  return {
    seconds,
    okPerSecond: okLatencies.length / seconds,
    p50Ms: percentile(okLatencies, 0.5),
    p99Ms: percentile(okLatencies, 0.99),
    non2xx: Object.values(statuses).reduce((sum, n) => sum + n, 0),
    statuses,
    errors: failures.errors,
    timeouts: failures.timeouts,
    errorMessages: [...failures.errorMessages],
  };
}
