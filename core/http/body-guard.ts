import { AppError } from "@bazaar/contracts";
import { plugin } from "./plugin.ts";

const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

/**
 * Refuses oversized bodies before anything reads them (the server's own limit backs
 * this up for chunked uploads) and bodies that aren't JSON, which is all this API takes.
 * It throws, so the problem handler renders the refusal and the request log counts it.
 */
export function bodyGuard(maxBodyBytes: number) {
  return plugin("body-guard").onRequest(({ request }) => {
    if (!BODY_METHODS.has(request.method)) return;
    const length = Number(request.headers.get("content-length") ?? "0");
    if (length > maxBodyBytes) {
      throw new AppError("PAYLOAD_TOO_LARGE", `The body is ${length} bytes; the limit is ${maxBodyBytes}`, [
        { path: "/", message: `must be at most ${maxBodyBytes} bytes` },
      ]);
    }
    const hasBody = length > 0 || request.headers.has("transfer-encoding") || request.body !== null;
    const type = request.headers.get("content-type") ?? "";
    // exactly application/json: Elysia parses nothing else as JSON
    if (hasBody && !/^application\/json\s*(;|$)/i.test(type)) {
      throw new AppError("UNSUPPORTED_MEDIA_TYPE", `Send JSON with content-type application/json, not "${type || "none"}"`);
    }
  });
}
