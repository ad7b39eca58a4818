export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
  /** coarse, "Lisbon, PT", only from a trusted proxy's geo headers (the edge copies Cloudflare's) */
  location: string | null;
}

/** What the edge sets from `request.cf`; believed only from a trusted proxy, like X-Forwarded-For. */
export const GEO_COUNTRY_HEADER = "x-bazaar-geo-country";
export const GEO_CITY_HEADER = "x-bazaar-geo-city";

interface SocketInfo {
  requestIP(request: Request): { address: string } | null;
}

/**
 * Who is calling. X-Forwarded-For is believed only from a trusted proxy (the edge):
 * anyone else could write any address into it. Direct callers get their socket's address.
 */
export function clientInfo(request: Request, server: SocketInfo | null, trustedProxies: ReadonlySet<string>): ClientInfo {
  const peer = server?.requestIP(request)?.address ?? null;
  const forwarded = request.headers.get("x-forwarded-for")?.split(",")[0]?.trim();
  const trusted = peer !== null && trustedProxies.has(peer);
  const ip = trusted && forwarded ? forwarded : peer;
  return { ip: ip?.slice(0, 64) ?? null, userAgent: request.headers.get("user-agent")?.slice(0, 300) ?? null, location: trusted ? location(request) : null };
}

function location(request: Request): string | null {
  const country = request.headers.get(GEO_COUNTRY_HEADER)?.trim();
  const city = request.headers.get(GEO_CITY_HEADER)?.trim();
  const known = [city, country].filter((part): part is string => !!part && /^[\p{L}\p{M} .'-]{1,60}$/u.test(part));
  return known.length ? known.join(", ") : null;
}
