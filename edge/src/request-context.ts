import { createIdGenerator, REQUEST_ID_HEADER, REQUEST_ID_PATTERN } from "@bazaar/contracts";
import { createMiddleware } from "hono/factory";
import { type EdgeConfig, readConfig } from "./config.ts";
import type { Env } from "./env.ts";
import { log } from "./log.ts";

export interface AppEnv {
  Bindings: Env;
  Variables: { requestId: string; config: EdgeConfig };
}

export { REQUEST_ID_HEADER } from "@bazaar/contracts";

const ids = createIdGenerator();

/** A caller's id is kept only if it is short and plain (the same rule as the core's): it ends up in every log line. */
export function requestIdFrom(header: string | undefined): string {
  return header !== undefined && REQUEST_ID_PATTERN.test(header) ? header : ids("request");
}

/** Request id (kept or generated, echoed on the response) and one access log line per request. */
export const requestContext = createMiddleware<AppEnv>(async (c, next) => {
  const requestId = requestIdFrom(c.req.header(REQUEST_ID_HEADER));
  c.set("requestId", requestId);
  const startedAt = Date.now();
  await next();
  c.res.headers.set(REQUEST_ID_HEADER, requestId);
  log("info", "request", { requestId, method: c.req.method, path: c.req.path, status: c.res.status, durationMs: Date.now() - startedAt });
});

/** A separate middleware so a config error becomes a logged 500 inside `requestContext`. */
export const withConfig = createMiddleware<AppEnv>(async (c, next) => {
  c.set("config", readConfig(c.env));
  await next();
});
