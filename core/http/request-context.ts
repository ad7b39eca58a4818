import { REQUEST_ID_HEADER, REQUEST_ID_PATTERN } from "@bazaar/contracts";
import type { Ctx, Deps } from "../platform/deps.ts";
import { type ClientInfo, clientInfo, edgeProofFor } from "./client-info.ts";
import type { Logger } from "./logger.ts";
import { plugin } from "./plugin.ts";

export { REQUEST_ID_HEADER } from "@bazaar/contracts";

interface RequestInfo {
  id: string;
  startedAt: number;
}

/** Set on arrival, before parsing, so even a malformed request's error carries its id. */
const requests = new WeakMap<Request, RequestInfo>();

export function requestIdOf(request: Request): string | undefined {
  return requests.get(request)?.id;
}

/**
 * Gives every request an id (the edge's, if it sent a sane one), echoes it, logs one
 * JSON line per request and counts it; derives the service `ctx`.
 */
export function requestContext(deps: Deps) {
  const eventsWritten = () => deps.relay?.kick();
  const trust = { addresses: new Set(deps.config.trustedProxyIps), edgeProof: edgeProofFor(deps.config.eventsSecret) };
  return plugin("request-context")
    .onRequest(({ request, set }) => {
      const incoming = request.headers.get(REQUEST_ID_HEADER);
      const id = incoming && REQUEST_ID_PATTERN.test(incoming) ? incoming : deps.ids("request");
      requests.set(request, { id, startedAt: performance.now() });
      set.headers[REQUEST_ID_HEADER] = id;
    })
    .derive({ as: "global" }, ({ request, server }): { ctx: Ctx } => {
      const requestId = requestIdOf(request) ?? deps.ids("request");
      let client: ClientInfo | undefined;
      let log: Logger | undefined;
      return {
        ctx: {
          database: deps.database,
          clock: deps.clock,
          ids: deps.ids,
          // built on first use, like client: most requests log nothing beyond the access line
          get log() {
            log ??= deps.log.child({ requestId });
            return log;
          },
          requestId,
          eventsWritten,
          // computed on first use: asking the socket for the peer address is not free, and most routes never need it
          get client() {
            client ??= clientInfo(request, server, trust);
            return client;
          },
        },
      };
    })
    .onAfterResponse({ as: "global" }, ({ request, set, route, path }) => {
      const info = requests.get(request);
      const status = typeof set.status === "number" ? set.status : 200;
      const seconds = info ? (performance.now() - info.startedAt) / 1000 : 0;
      const routeLabel = route || "unmatched";
      deps.metrics.httpRequests.inc({ method: request.method, route: routeLabel, status: String(status) });
      deps.metrics.httpDuration.observe({ method: request.method, route: routeLabel }, seconds);
      deps.log.info("request", {
        requestId: info?.id,
        method: request.method,
        path,
        route: routeLabel,
        status,
        ms: Math.round(seconds * 100_000) / 100,
      });
    });
}
