export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

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
  const ip = peer !== null && trustedProxies.has(peer) && forwarded ? forwarded : peer;
  return { ip: ip?.slice(0, 64) ?? null, userAgent: request.headers.get("user-agent")?.slice(0, 300) ?? null };
}
