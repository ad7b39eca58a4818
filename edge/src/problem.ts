import { AppError, NotFoundError, problemResponse } from "@bazaar/contracts";
import type { Context } from "hono";
import { errorFields, log } from "./log.ts";
import { type AppEnv, REQUEST_ID_HEADER } from "./request-context.ts";

/** Renders an AppError as problem+json through the shared contract, carrying the request id. */
export function problem(c: Context<AppEnv>, error: AppError): Response {
  const requestId: string | undefined = c.get("requestId");
  const response = problemResponse(error, requestId);
  if (requestId) response.headers.set(REQUEST_ID_HEADER, requestId);
  return response;
}

export function routeNotFound(c: Context<AppEnv>): Response {
  return problem(c, new NotFoundError(`route ${c.req.method} ${c.req.path}`));
}

/** Known errors keep their status; anything else is a generic 500 whose cause stays in the log. */
export function handleError(error: Error, c: Context<AppEnv>): Response {
  if (error instanceof AppError) return problem(c, error);
  log("error", "unhandled error", { requestId: c.get("requestId"), method: c.req.method, path: c.req.path, ...errorFields(error) });
  return problem(c, new AppError("INTERNAL", "An unexpected error occurred"));
}
