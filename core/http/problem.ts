import { AppError, fieldErrors, problemResponse, ValidationError } from "@bazaar/contracts";
import type { ValueError } from "@sinclair/typebox/value";
import type { Logger } from "./logger.ts";
import { plugin } from "./plugin.ts";
import { REQUEST_ID_HEADER, requestIdOf } from "./request-context.ts";

/** Renders every error as application/problem+json; unknown errors become a bare 500 whose cause is only logged. */
export function problemHandler(log: Logger) {
  return plugin("problem").onError({ as: "global" }, ({ code, error, request, set }) => {
    const requestId = requestIdOf(request);
    const appError = safely(() => toAppError(code, error, request));
    set.status = appError.status; // what the request log and metrics report
    if (appError.status >= 500) log.error("request failed", { requestId, code, error });
    const response = problemResponse(appError, requestId);
    if (requestId) response.headers.set(REQUEST_ID_HEADER, requestId);
    return response;
  });
}

/**
 * Elysia builds validation messages lazily and recursively: a deeply nested body can
 * overflow the stack while we read them. The client still gets a 422, never a crash page.
 */
function safely(build: () => AppError): AppError {
  try {
    return build();
  } catch {
    return new ValidationError([{ path: "/", message: "is invalid (too deeply nested to describe)" }]);
  }
}

function toAppError(code: string | number, error: unknown, request: Request): AppError {
  if (error instanceof AppError) return error;
  switch (code) {
    case "VALIDATION": {
      const validation = error as { type?: string; all?: ValueError[] };
      // a response that breaks its own schema is our bug, not the client's
      if (validation.type === "response") return new AppError("INTERNAL");
      return new ValidationError(fieldErrors(validation.all ?? []));
    }
    case "PARSE":
      // our own parser (body-guard) refused the body for a reason it named: keep that reason
      if ((error as { cause?: unknown }).cause instanceof AppError) return (error as { cause: AppError }).cause;
      return new AppError("MALFORMED_JSON", "The request body is not valid JSON", [{ path: "/", message: "is not valid JSON" }]);
    case "NOT_FOUND":
      return new AppError("NOT_FOUND", `No route for ${request.method} ${new URL(request.url).pathname}`);
    case "INVALID_COOKIE_SIGNATURE":
      return new AppError("BAD_REQUEST", "Invalid cookie signature");
    default:
      return new AppError("INTERNAL", "Something went wrong on our side; the request id helps us find it");
  }
}
