import { AppError, EDGE_PROOF_LABEL, EDGE_PROXY_HEADER, GEO_CITY_HEADER, GEO_COUNTRY_HEADER } from "@bazaar/contracts";
import { EVENTS_SECRET_HEADER } from "@bazaar/events/envelope";
import type { Context } from "hono";
import { errorFields, log } from "../log.ts";
import { type AppEnv, REQUEST_ID_HEADER } from "../request-context.ts";

export { GEO_CITY_HEADER, GEO_COUNTRY_HEADER } from "@bazaar/contracts";

/** The part of `request.cf` the core is told about. */
export interface CoarseGeo {
  country?: unknown;
  city?: unknown;
}

const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];

/** Sends the request on to the core: same method, path, query, body and end-to-end headers. */
export async function forwardToCore(c: Context<AppEnv>): Promise<Response> {
  const incoming = new URL(c.req.url);
  const config = c.get("config");
  const target = new URL(incoming.pathname + incoming.search, config.coreOrigin);
  const requestId = c.get("requestId");
  const method = c.req.method;

  let upstream: Response;
  try {
    upstream = await fetch(target, {
      method,
      headers: originHeaders(
        c.req.raw.headers,
        requestId,
        incoming,
        c.req.raw.cf as IncomingRequestCfProperties | undefined,
        await edgeProof(config.eventsSecret),
      ),
      body: method === "GET" || method === "HEAD" ? null : c.req.raw.body,
      redirect: "manual",
    });
  } catch (error) {
    log("warn", "core unreachable", { requestId, method, path: incoming.pathname, ...errorFields(error) });
    throw new AppError("BAD_GATEWAY", "The origin could not be reached");
  }
  const response = new Response(upstream.body, upstream);
  stripHopByHop(response.headers);
  return response;
}

/** HMAC-SHA256(secret, EDGE_PROOF_LABEL) in hex, computed once per isolate. */
const proofs = new Map<string, Promise<string>>();
export function edgeProof(secret: string): Promise<string> {
  let proof = proofs.get(secret);
  if (!proof) {
    const encoder = new TextEncoder();
    proof = crypto.subtle
      .importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"])
      .then((key) => crypto.subtle.sign("HMAC", key, encoder.encode(EDGE_PROOF_LABEL)))
      .then((mac) => [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join(""));
    proofs.set(secret, proof);
  }
  return proof;
}

export function originHeaders(incoming: Headers, requestId: string, url: URL, geo?: CoarseGeo, proof?: string): Headers {
  const headers = new Headers(incoming);
  stripHopByHop(headers);
  headers.delete("host");
  // only the edge talks to the core with these secrets; a client that sends one gets it dropped
  headers.delete(EVENTS_SECRET_HEADER);
  headers.delete(EDGE_PROXY_HEADER);
  if (proof) headers.set(EDGE_PROXY_HEADER, proof);
  headers.set(REQUEST_ID_HEADER, requestId);
  // the edge is the trust boundary: a client-sent X-Forwarded-For is replaced, never extended
  const clientIp = incoming.get("cf-connecting-ip");
  if (clientIp) headers.set("x-forwarded-for", clientIp);
  else headers.delete("x-forwarded-for");
  headers.set("x-forwarded-host", incoming.get("host") ?? url.host);
  headers.set("x-forwarded-proto", url.protocol.slice(0, -1));
  // where the client is comes from Cloudflare only: a client-sent value would be believed by the core
  headers.delete(GEO_COUNTRY_HEADER);
  headers.delete(GEO_CITY_HEADER);
  const country = geoCountry(geo?.country);
  const city = geoCity(geo?.city);
  if (country !== undefined) headers.set(GEO_COUNTRY_HEADER, country);
  if (city !== undefined) headers.set(GEO_CITY_HEADER, city);
  return headers;
}

/** ISO 3166-1 alpha-2; Cloudflare's "XX" (unknown) and "T1" (Tor) say nothing about a place. */
export function geoCountry(value: unknown): string | undefined {
  return typeof value === "string" && /^[A-Z]{2}$/.test(value) && value !== "XX" ? value : undefined;
}

/** Header values are bytes, so anything beyond printable ASCII ("São Paulo"), and "%" itself, is percent-encoded UTF-8. */
export function geoCity(value: unknown): string | undefined {
  const city = typeof value === "string" ? value.trim().slice(0, 100) : "";
  if (city === "") return undefined;
  try {
    return city.replace(/[^ -$&-~]/gu, (char) => encodeURIComponent(char));
  } catch {
    return undefined; // a lone surrogate cannot be encoded
  }
}

function stripHopByHop(headers: Headers): void {
  const listed = (headers.get("connection") ?? "")
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  for (const name of [...HOP_BY_HOP, ...listed]) headers.delete(name);
}
