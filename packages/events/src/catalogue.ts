import { Type } from "@sinclair/typebox";
import { defineEvent } from "./envelope.ts";

/** Every event the platform emits, with its versioned payload schema. */
export const userRegistered = defineEvent(
  "user.registered",
  1,
  Type.Object({ userId: Type.String(), email: Type.String(), name: Type.String() }, { additionalProperties: false }),
);

export const userLoggedIn = defineEvent(
  "user.logged_in",
  1,
  Type.Object({ userId: Type.String(), sessionId: Type.String(), userAgent: Type.Union([Type.String(), Type.Null()]) }, { additionalProperties: false }),
);

export const sessionRevoked = defineEvent(
  "session.revoked",
  1,
  Type.Object(
    { userId: Type.String(), sessionId: Type.String(), reason: Type.Union([Type.Literal("logout"), Type.Literal("refresh_reuse")]) },
    { additionalProperties: false },
  ),
);

export const EVENT_CATALOGUE = [userRegistered, userLoggedIn, sessionRevoked] as const;
export type CatalogueEvent = (typeof EVENT_CATALOGUE)[number];
export type EventType = CatalogueEvent["type"];
