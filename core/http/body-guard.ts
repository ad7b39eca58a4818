import {
  AppError,
  AVATAR_MAX_BYTES,
  AVATAR_MEDIA_TYPES,
  CATALOG_IMPORT_MAX_BYTES,
  CATALOG_IMPORT_MEDIA_TYPES,
  PRODUCT_IMAGE_MAX_BYTES,
  PRODUCT_IMAGE_MEDIA_TYPES,
  ValidationError,
} from "@bazaar/contracts";
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
export const UPLOAD_ROUTES: readonly UploadRoute[] = [
  { method: "PUT", path: /^\/v1\/me\/avatar$/, types: AVATAR_MEDIA_TYPES, maxBytes: AVATAR_MAX_BYTES },
  { method: "POST", path: /^\/v1\/seller\/products\/[^/]+\/images$/, types: PRODUCT_IMAGE_MEDIA_TYPES, maxBytes: PRODUCT_IMAGE_MAX_BYTES },
  { method: "POST", path: /^\/v1\/seller\/imports$/, types: CATALOG_IMPORT_MEDIA_TYPES, maxBytes: CATALOG_IMPORT_MAX_BYTES },
];

/**
 * Refuses oversized bodies before anything reads them (the server's own limit backs
 * this up for chunked uploads) and bodies that aren't JSON, which is all this API takes.
 * It throws, so the problem handler renders the refusal and the request log counts it.
 */
export function bodyGuard(maxBodyBytes: number, uploads: readonly UploadRoute[] = UPLOAD_ROUTES) {
  return plugin("body-guard").onRequest(async ({ request }) => {
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
    if (!hasBody) return;
    // JSON must say how long it is: the cap above then holds before a byte is read (uploads stream, capped as they read)
    if (!request.headers.has("content-length")) throw new AppError("LENGTH_REQUIRED", "Send a Content-Length with a JSON body");
    // read a copy before Elysia does: a body nested thousands deep costs seconds of CPU to validate
    // (and can overflow the stack), so it is refused unparsed
    const text = await request.clone().text();
    if (nestingDepth(text) > MAX_JSON_DEPTH) {
      throw new ValidationError([{ path: "/", message: `is nested more than ${MAX_JSON_DEPTH} levels deep` }]);
    }
  });
}

/** No request body of this API nests deeper; real ones stay under 10. */
export const MAX_JSON_DEPTH = 32;

/** The deepest nesting of arrays and objects in a JSON text, counted without parsing it (brackets inside strings do not count). */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \\ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) deepest = Math.max(deepest, ++depth);
    else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return deepest;
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
