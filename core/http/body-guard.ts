import { AppError, AVATAR_MAX_BYTES, AVATAR_MEDIA_TYPES } from "@bazaar/contracts";
import { plugin } from "./plugin.ts";

const BODY_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** A route that takes raw bytes instead of JSON: its own media types and size limit. */
export interface UploadRoute {
  method: string;
  path: RegExp;
  types: readonly string[];
  maxBytes: number;
}

/** Every upload route of the API, in one list, so the guard knows them before routing. */
export const UPLOAD_ROUTES: readonly UploadRoute[] = [{ method: "PUT", path: /^\/v1\/me\/avatar$/, types: AVATAR_MEDIA_TYPES, maxBytes: AVATAR_MAX_BYTES }];

/**
 * Refuses oversized bodies before anything reads them (the server's own limit backs
 * this up for chunked uploads) and bodies that aren't JSON, which is all this API takes.
 * It throws, so the problem handler renders the refusal and the request log counts it.
 */
export function bodyGuard(maxBodyBytes: number, uploads: readonly UploadRoute[] = UPLOAD_ROUTES) {
  return plugin("body-guard").onRequest(({ request }) => {
    if (!BODY_METHODS.has(request.method)) return;
    const length = Number(request.headers.get("content-length") ?? "0");
    const type = request.headers.get("content-type") ?? "";
    const upload = uploads.length ? uploadRouteOf(request, uploads) : undefined;
    if (upload) return guardUpload(upload, length, type);
    if (length > maxBodyBytes) {
      throw new AppError("PAYLOAD_TOO_LARGE", `The body is ${length} bytes; the limit is ${maxBodyBytes}`, [
        { path: "/", message: `must be at most ${maxBodyBytes} bytes` },
      ]);
    }
    const hasBody = length > 0 || request.headers.has("transfer-encoding") || request.body !== null;
    // exactly application/json: Elysia parses nothing else as JSON
    if (hasBody && !/^application\/json\s*(;|$)/i.test(type)) {
      throw new AppError("UNSUPPORTED_MEDIA_TYPE", `Send JSON with content-type application/json, not "${type || "none"}"`);
    }
  });
}

function uploadRouteOf(request: Request, uploads: readonly UploadRoute[]): UploadRoute | undefined {
  const path = new URL(request.url).pathname;
  return uploads.find((u) => u.method === request.method && u.path.test(path));
}

/** An upload declares its length and one of the route's types; the route itself then checks the bytes. */
function guardUpload(upload: UploadRoute, length: number, type: string): void {
  if (length > upload.maxBytes) {
    throw new AppError("PAYLOAD_TOO_LARGE", `The file is ${length} bytes; the limit is ${upload.maxBytes}`, [
      { path: "/", message: `must be at most ${upload.maxBytes} bytes` },
    ]);
  }
  const mediaType = type.split(";")[0]?.trim().toLowerCase() ?? "";
  if (!upload.types.includes(mediaType)) {
    throw new AppError("UNSUPPORTED_MEDIA_TYPE", `Send one of ${upload.types.join(", ")}, not "${type || "none"}"`);
  }
}
