import { constantTimeEqual } from "@bazaar/auth";
import { AppError, Problem, problemResponse } from "@bazaar/contracts";
import { EVENTS_SECRET_HEADER, EventBatch } from "@bazaar/events";
import { Type } from "@sinclair/typebox";
import { plugin } from "../http/plugin.ts";
import { requestContext, requestIdOf } from "../http/request-context.ts";
import type { Deps } from "../platform/deps.ts";
import type { Readiness } from "./readiness.ts";

const ALWAYS_SERVED = new Set(["/health", "/ready", "/metrics"]);

const ReadyView = Type.Object(
  {
    status: Type.Union([Type.Literal("ready"), Type.Literal("not_ready")]),
    checks: Type.Object({ database: Type.String(), migrations: Type.String() }),
  },
  { example: { status: "ready", checks: { database: "ok", migrations: "ok" } } },
);
const HealthView = Type.Object({ status: Type.Literal("ok") }, { example: { status: "ok" } });
const EventsIngested = Type.Object({ handled: Type.Integer(), skipped: Type.Integer() }, { example: { handled: 1, skipped: 0 } });

/** Health, readiness, metrics and the internal event ingress: the parts of the core that are no service's. */
export function platformRoutes(deps: Deps, readiness: Readiness) {
  return plugin("platform")
    .use(requestContext(deps))
    .onRequest(async ({ request }) => {
      // an unmigrated database must not be served: everything but the probes answers 503
      if (readiness.ready) return;
      const path = new URL(request.url).pathname;
      if (ALWAYS_SERVED.has(path)) return;
      const report = await readiness.check();
      if (!report.ready) {
        return problemResponse(
          new AppError("NOT_READY", `Not serving yet: database ${report.checks.database}; migrations ${report.checks.migrations}`, undefined, {
            "retry-after": "5",
          }),
          requestIdOf(request),
        );
      }
    })
    .onRequest(({ request }) => {
      // internal routes check their secret before anything reads the body
      if (!new URL(request.url).pathname.startsWith("/internal/")) return;
      const secret = deps.config.eventsSecret;
      const requestId = requestIdOf(request);
      if (!secret) return problemResponse(new AppError("NOT_FOUND", "Event ingress is not enabled on this process (EVENTS_SECRET is unset)"), requestId);
      if (!constantTimeEqual(request.headers.get(EVENTS_SECRET_HEADER) ?? "", secret)) {
        return problemResponse(new AppError("UNAUTHENTICATED", "Missing or wrong events secret"), requestId);
      }
    })
    .get("/health", () => ({ status: "ok" as const }), {
      response: { 200: HealthView },
      detail: {
        operationId: "getHealth",
        tags: ["platform"],
        summary: "Liveness: the process answers",
      },
    })
    .get(
      "/ready",
      async ({ set }) => {
        const report = await readiness.check();
        set.status = report.ready ? 200 : 503;
        return { status: report.ready ? ("ready" as const) : ("not_ready" as const), checks: report.checks };
      },
      {
        response: { 200: ReadyView, 503: ReadyView },
        detail: {
          operationId: "getReadiness",
          tags: ["platform"],
          summary: "Readiness: the database answers and is fully migrated (503 says why not)",
        },
      },
    )
    .get(
      "/metrics",
      async ({ set }) => {
        set.headers["content-type"] = "text/plain; version=0.0.4; charset=utf-8";
        return deps.metrics.render();
      },
      {
        response: { 200: Type.String({ example: 'bazaar_http_requests_total{method="GET",route="/health",status="200"} 1' }) },
        detail: { operationId: "getMetrics", tags: ["platform"], summary: "Prometheus metrics (text exposition format)" },
      },
    )
    .post(
      "/internal/events",
      async ({ ctx, body }) => {
        let handled = 0;
        let skipped = 0;
        const failed: string[] = [];
        for (const event of body.events) {
          try {
            const result = await deps.bus.dispatch(event);
            handled += result.handled;
            skipped += result.skipped;
          } catch (error) {
            failed.push(event.id);
            ctx.log.error("event consumer failed", { eventId: event.id, type: event.type, error });
          }
        }
        // the queue retries the whole message set; consumers that already succeeded skip by dedupe
        if (failed.length) throw new AppError("INTERNAL", `Consumers failed for ${failed.join(", ")}`);
        return { handled, skipped };
      },
      {
        body: EventBatch,
        response: { 200: EventsIngested, 401: Problem, 404: Problem, 422: Problem, 500: Problem },
        detail: {
          operationId: "ingestEvents",
          tags: ["internal"],
          summary: "Events from the queue consumer (edge) to this process's subscribers; needs the events secret",
        },
      },
    );
}
