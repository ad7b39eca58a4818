import { type Static, Type } from "@sinclair/typebox";
import { Role, UserId, UserView } from "./accounts.ts";
import { Page } from "./pagination.ts";
import { SingleLineText } from "./text.ts";

export const AccountStatus = Type.Union([Type.Literal("active"), Type.Literal("suspended"), Type.Literal("banned"), Type.Literal("deleted")]);
export type AccountStatus = Static<typeof AccountStatus>;

const ADMIN_USER_EXAMPLE = {
  id: "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C",
  email: "ada@example.com",
  name: "Ada Lovelace",
  roles: ["buyer", "seller"],
  emailVerified: true,
  locale: "en",
  currency: "USD",
  avatarUrl: null,
  createdAt: "2026-11-25T06:00:00.000Z",
  status: "active",
  secondFactors: ["totp", "recovery_code"],
};

export const AdminUserView = Type.Composite(
  [
    UserView,
    Type.Object({
      status: AccountStatus,
      secondFactors: Type.Array(Type.String(), { description: "second factors the user has set up", examples: [["totp", "recovery_code"]] }),
    }),
  ],
  { $id: "AdminUserView", example: ADMIN_USER_EXAMPLE },
);
export type AdminUserView = Static<typeof AdminUserView>;

export const UserIdParams = Type.Object({ id: UserId });
export const UserRoleParams = Type.Object({ id: UserId, role: Role });

export const SetStatusBody = Type.Object(
  {
    status: Type.Union([Type.Literal("active"), Type.Literal("suspended"), Type.Literal("banned")]),
    reason: SingleLineText({ maxLength: 500, examples: ["Repeated counterfeit listings"], description: "why: kept in the audit trail" }),
  },
  { additionalProperties: false, example: { status: "suspended", reason: "Repeated counterfeit listings" } },
);
export type SetStatusBody = Static<typeof SetStatusBody>;

export const AuditEntryView = Type.Object(
  {
    id: Type.String({ examples: ["aud_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C"] }),
    actorId: Type.String({ examples: ["usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5D"] }),
    action: Type.String({ examples: ["role.granted"] }),
    targetUserId: Type.String(),
    detail: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
    ip: Type.Union([Type.String(), Type.Null()]),
    occurredAt: Type.String({ format: "date-time" }),
  },
  { $id: "AuditEntryView" },
);
export type AuditEntryView = Static<typeof AuditEntryView>;

export const AuditPage = Type.Composite([Page(AuditEntryView)], {
  $id: "AuditPage",
  example: {
    items: [
      {
        id: "aud_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C",
        actorId: "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5D",
        action: "role.granted",
        targetUserId: "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C",
        detail: { role: "seller" },
        ip: "203.0.113.9",
        occurredAt: "2026-11-25T06:00:00.000Z",
      },
    ],
    nextCursor: null,
  },
});
