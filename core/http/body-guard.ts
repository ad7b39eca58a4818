import { AppError, problemResponse } from "@bazaar/contracts";
import { plugin } from "./plugin.ts";
import { requestIdOf } from "./request-context.ts";

const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

/**
 * Refuses oversized bodies before anything reads them (the server's own limit backs
 * this up for chunked uploads) and bodies that aren't JSON, which is all this API takes.
 */
export function bodyGuard(maxBodyBytes: number) {
  return plugin("body-guard").onRequest(({ request }) => {
    if (!BODY_METHODS.has(request.method)) return;
    const length = Number(request.headers.get("content-length") ?? "0");
    if (length > maxBodyBytes) {
      return problemResponse(
        new AppError("PAYLOAD_TOO_LARGE", `The body is ${length} bytes; the limit is ${maxBodyBytes}`, [
          { path: "/", message: `must be at most ${maxBodyBytes} bytes` },
        ]),
        requestIdOf(request),
      );
    }
    const hasBody = length > 0 || request.headers.has("transfer-encoding") || request.body !== null;
    const type = request.headers.get("content-type") ?? "";
    if (hasBody && !/^application\/(.+\+)?json\s*(;|$)/i.test(type)) {
      return problemResponse(
        new AppError("UNSUPPORTED_MEDIA_TYPE", `Send JSON with content-type application/json, not "${type || "none"}"`),
        requestIdOf(request),
      );
    }
  });
}
