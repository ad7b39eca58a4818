import { constantTimeEqual } from "@bazaar/auth";
import { AppError, Problem } from "@bazaar/contracts";
import { dispatchBatch, EVENTS_SECRET_HEADER, EventBatch } from "@bazaar/events";
import { Type } from "@sinclair/typebox";
import { plugin } from "../http/plugin.ts";
import { requestContext } from "../http/request-context.ts";
import type { Deps } from "../platform/deps.ts";

const ALWAYS_SERVED = new Set(["/health", "/ready", "/metrics"]);

const ReadyView = Type.Object(
  {
    status: Type.Union([Type.Literal("ready"), Type.Literal("not_ready")]),
    checks: Type.Object({ database: Type.String(), migrations: Type.String() }),
    draining: Type.Boolean({ description: "true once shutdown began: in-flight requests finish, new traffic should go elsewhere" }),
  },
  { example: { status: "ready", checks: { database: "ok", migrations: "ok" }, draining: false } },
);
const HealthView = Type.Object({ status: Type.Literal("ok") }, { example: { status: "ok" } });
const EventsIngested = Type.Object({ handled: Type.Integer(), skipped: Type.Integer() }, { example: { handled: 1, skipped: 0 } });

/** Health, readiness, metrics and the internal event ingress: the parts of the core that are no service's. */
export function platformRoutes(deps: Deps) {
  const { readiness } = deps;
  return plugin("platform")
    .use(requestContext(deps))
    .onRequest(async ({ request }) => {
      // an unmigrated database must not be served: everything but the probes answers 503
      if (readiness.ready) return;
      if (ALWAYS_SERVED.has(new URL(request.url).pathname)) return;
      const report = await readiness.check();
      if (!report.ready) {
        const why = `Not serving yet: database ${report.checks.database}; migrations ${report.checks.migrations}`;
        throw new AppError("NOT_READY", why, undefined, { "retry-after": "5" });
      }
    })
    .onRequest(({ request }) => {
      // internal routes check their secret before anything reads the body
      if (!new URL(request.url).pathname.startsWith("/internal/")) return;
      const secret = deps.config.eventsSecret;
      if (!secret) throw new AppError("NOT_FOUND", "Event ingress is not enabled on this process (EVENTS_SECRET is unset)");
      if (!constantTimeEqual(request.headers.get(EVENTS_SECRET_HEADER) ?? "", secret)) throw new AppError("UNAUTHENTICATED", "Missing or wrong events secret");
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
        const ready = report.ready && !readiness.draining;
        set.status = ready ? 200 : 503;
        return { status: ready ? ("ready" as const) : ("not_ready" as const), checks: report.checks, draining: readiness.draining };
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
        const { handled, skipped, failed } = await dispatchBatch(deps.bus, body.events);
        for (const f of failed) ctx.log.error("event consumer failed", { eventId: f.id, type: f.type, error: f.error });
        // the queue retries the whole message set; consumers that already succeeded skip by dedupe
        if (failed.length) throw new AppError("INTERNAL", `Consumers failed for ${failed.map((f) => f.id).join(", ")}`);
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
