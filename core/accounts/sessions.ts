import type { SessionView } from "@bazaar/contracts";
import { deviceName } from "./device.ts";
import type { SessionRow } from "./repo.ts";

export function toSessionView(session: SessionRow, currentSessionId: string): SessionView {
  return {
    id: session.id,
    // sessions from before device names were recorded fall back to parsing the stored user agent
    deviceName: session.deviceName ?? deviceName(session.userAgent),
    ip: session.ip,
    location: session.location,
    authMethod: session.authMethod,
    createdAt: new Date(session.createdAt).toISOString(),
    lastSeenAt: new Date(session.lastSeenAt).toISOString(),
    current: session.id === currentSessionId,
  };
}
