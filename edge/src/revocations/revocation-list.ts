import { sessionRevoked, userStatusChanged } from "@bazaar/events/catalogue";
import type { EventEnvelope } from "@bazaar/events/envelope";
import type { Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

/** KV refuses an expirationTtl under 60 s. */
export const KV_MIN_EXPIRATION_TTL_SECONDS = 60;
/** Slack for the clocks of the core (which sets `exp`) and the edge (which checks it). */
export const CLOCK_SKEW_SECONDS = 60;

/** Present (value: the reason) while an access token of that session could still be unexpired. */
export const revokedSessionKey = (sessionId: string) => `sid:${sessionId}`;
/** Present (value: the status) while the user is suspended, banned or deleted. */
export const disabledUserKey = (userId: string) => `user:${userId}`;
/** The last status change applied for a user, so a late or redelivered older one cannot undo a newer one. */
export const userStatusKey = (userId: string) => `user-status:${userId}`;

const REVOCATION_TYPES: ReadonlySet<string> = new Set([sessionRevoked.type, userStatusChanged.type]);

export function isRevocationEvent(event: EventEnvelope): boolean {
  return REVOCATION_TYPES.has(event.type);
}

/** The event cannot be applied whatever the retries (wrong version or payload): it belongs in the dead-letter queue. */
export class UnusableRevocationError extends Error {
  override name = "UnusableRevocationError";
}

/**
 * Why a verified token's claims must still be refused, or undefined. Both keys are read at once, so a
 * check costs one KV round trip of latency (and two KV reads).
 */
export async function revocationOf(kv: KVNamespace, claims: { sub: string; sid: string }): Promise<string | undefined> {
  const [session, user] = await Promise.all([kv.get(revokedSessionKey(claims.sid)), kv.get(disabledUserKey(claims.sub))]);
  if (user !== null) return `user is ${user}`;
  if (session !== null) return `session revoked (${session})`;
  return undefined;
}

export type RevocationOutcome = "recorded" | "stale";

/**
 * Writes what a `session.revoked` or `user.status_changed` event means for the list. Idempotent: a
 * redelivery writes the same again. Throws what KV throws (retry the message) or UnusableRevocationError.
 */
export async function recordRevocation(kv: KVNamespace, event: EventEnvelope, accessTokenTtlSeconds: number): Promise<RevocationOutcome> {
  if (event.type === sessionRevoked.type) {
    const payload = usablePayload(event, sessionRevoked);
    // tokens of this session were all issued before now, so none outlives now + their lifetime
    await kv.put(revokedSessionKey(payload.sessionId), payload.reason, { expirationTtl: sessionListingSeconds(accessTokenTtlSeconds) });
    return "recorded";
  }
  if (event.type === userStatusChanged.type) {
    const payload = usablePayload(event, userStatusChanged);
    const last = parseMarker(await kv.get(userStatusKey(payload.userId)));
    if (last !== undefined && isAfter(last, event)) return "stale";
    if (payload.status === "active") await kv.delete(disabledUserKey(payload.userId));
    else await kv.put(disabledUserKey(payload.userId), payload.status);
    const marker: StatusMarker = { status: payload.status, occurredAt: event.occurredAt, eventId: event.id };
    await kv.put(userStatusKey(payload.userId), JSON.stringify(marker));
    return "recorded";
  }
  throw new UnusableRevocationError(`${event.type} is not a revocation event`);
}

/** How long a revoked session stays listed: the longest an access token lives, plus clock skew. */
export function sessionListingSeconds(accessTokenTtlSeconds: number): number {
  return Math.max(KV_MIN_EXPIRATION_TTL_SECONDS, accessTokenTtlSeconds + CLOCK_SKEW_SECONDS);
}

interface StatusMarker {
  status: string;
  occurredAt: string;
  eventId: string;
}

function usablePayload<T extends typeof sessionRevoked | typeof userStatusChanged>(event: EventEnvelope, definition: T) {
  if (event.version !== definition.version) {
    throw new UnusableRevocationError(`${event.type} v${event.version}: the edge applies v${definition.version} only`);
  }
  if (!Value.Check(definition.payload, event.payload)) throw new UnusableRevocationError(`${event.type}: the payload does not match the catalogue`);
  return event.payload as Static<T["payload"]>;
}

function parseMarker(text: string | null): StatusMarker | undefined {
  if (text === null) return undefined;
  try {
    const value = JSON.parse(text) as Partial<StatusMarker>;
    if (typeof value.occurredAt === "string" && typeof value.eventId === "string") return value as StatusMarker;
  } catch {
    // unreadable: as if absent, the event is applied
  }
  return undefined;
}

/** Did `marker` happen after `event`? Same millisecond: event ids are time-sortable, the larger is later. */
function isAfter(marker: StatusMarker, event: EventEnvelope): boolean {
  const markerAt = Date.parse(marker.occurredAt);
  const eventAt = Date.parse(event.occurredAt);
  return markerAt > eventAt || (markerAt === eventAt && marker.eventId > event.id);
}
