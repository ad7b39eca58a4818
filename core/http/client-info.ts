import { constantTimeEqual } from "@bazaar/auth";
import { EDGE_PROXY_HEADER, GEO_CITY_HEADER, GEO_COUNTRY_HEADER } from "@bazaar/contracts";

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
  /** coarse, "Lisbon, PT", only from a trusted proxy's geo headers (the edge copies Cloudflare's) */
  location: string | null;
}

interface SocketInfo {
  requestIP(request: Request): { address: string } | null;
}

/** Who may vouch for the client's address: proxies by socket address, and the edge by its secret. */
export interface ProxyTrust {
  addresses: ReadonlySet<string>;
  /** the shared EVENTS_SECRET the edge sends in EDGE_PROXY_HEADER (its own addresses are Cloudflare's, not listable) */
  edgeSecret?: string | undefined;
}

/**
 * Who is calling. X-Forwarded-For and the geo headers are believed only from a trusted proxy
 * (the edge): anyone else could write anything into them. Direct callers get their socket's address.
 */
export function clientInfo(request: Request, server: SocketInfo | null, trust: ProxyTrust): ClientInfo {
  const peer = server?.requestIP(request)?.address ?? null;
  const forwarded = request.headers.get("x-forwarded-for")?.split(",")[0]?.trim();
  const proof = request.headers.get(EDGE_PROXY_HEADER);
  const trusted = (peer !== null && trust.addresses.has(peer)) || (!!trust.edgeSecret && proof !== null && constantTimeEqual(proof, trust.edgeSecret));
  const ip = trusted && forwarded ? forwarded : peer;
  return { ip: ip?.slice(0, 64) ?? null, userAgent: request.headers.get("user-agent")?.slice(0, 300) ?? null, location: trusted ? location(request) : null };
}

function location(request: Request): string | null {
  const country = request.headers.get(GEO_COUNTRY_HEADER)?.trim();
  const city = decoded(request.headers.get(GEO_CITY_HEADER))?.trim();
  const known = [city, country].filter((part): part is string => !!part && /^[\p{L}\p{M} .'-]{1,60}$/u.test(part));
  return known.length ? known.join(", ") : null;
}

/** The edge percent-encodes what a header cannot carry ("S%C3%A3o Paulo"). */
function decoded(value: string | null): string | undefined {
  if (value === null) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}
