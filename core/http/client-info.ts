import { createHmac } from "node:crypto";
import { constantTimeEqual } from "@bazaar/auth";
import { EDGE_PROOF_LABEL, EDGE_PROXY_HEADER, GEO_CITY_HEADER, GEO_COUNTRY_HEADER } from "@bazaar/contracts";

export interface ClientInfo {
  ip: string | null;
  /**
   * What throttles count by: the IPv4 address, or the /64 of an IPv6 one (one host gets a whole
   * /64, so counting single IPv6 addresses counts nothing); "unknown" without an address.
   */
  network: string;
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
  /** what the edge sends in EDGE_PROXY_HEADER, derived from EVENTS_SECRET (its own addresses are Cloudflare's, not listable) */
  edgeProof?: string | undefined;
}

/** The proof the edge derives from the shared EVENTS_SECRET (see EDGE_PROXY_HEADER). */
export function edgeProofFor(eventsSecret: string | undefined): string | undefined {
  return eventsSecret ? createHmac("sha256", eventsSecret).update(EDGE_PROOF_LABEL).digest("hex") : undefined;
}

/**
 * Who is calling. X-Forwarded-For and the geo headers are believed only from a trusted proxy
 * (the edge): anyone else could write anything into them. Direct callers get their socket's address.
 */
export function clientInfo(request: Request, server: SocketInfo | null, trust: ProxyTrust): ClientInfo {
  const peer = server?.requestIP(request)?.address ?? null;
  const proof = request.headers.get(EDGE_PROXY_HEADER);
  const viaEdge = !!trust.edgeProof && proof !== null && constantTimeEqual(proof, trust.edgeProof);
  const trusted = viaEdge || (peer !== null && trust.addresses.has(peer));
  const ip = (trusted ? forwardedClient(request, trust.addresses) : undefined) ?? peer;
  const address = ip?.slice(0, 64) ?? null;
  return {
    ip: address,
    network: networkOf(address),
    userAgent: request.headers.get("user-agent")?.slice(0, 300) ?? null,
    location: trusted ? location(request) : null,
  };
}

/**
 * The client in a trusted proxy's X-Forwarded-For. Proxies append, so only the right end of the
 * list is trustworthy: walk from the right past our own proxies; the first other address is the
 * client (anything further left is whatever the client chose to send).
 */
function forwardedClient(request: Request, proxies: ReadonlySet<string>): string | undefined {
  const hops = (request.headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((hop) => hop.trim())
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) if (!proxies.has(hops[i] ?? "")) return hops[i];
  return hops[0];
}

export function networkOf(ip: string | null): string {
  if (!ip) return "unknown";
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1]) return mapped[1];
  if (!ip.includes(":")) return ip;
  // expand "::" so the first four groups are the /64
  const [head = "", tail = ""] = ip.toLowerCase().split("::");
  const left = head ? head.split(":") : [];
  const right = ip.includes("::") ? (tail ? tail.split(":") : []) : [];
  const groups = ip.includes("::") ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
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
