import { type Static, Type } from "@sinclair/typebox";
import { idPattern } from "./ids.ts";

export const Email = Type.String({ format: "email", maxLength: 254, error: "must be a valid email address", examples: ["ada@example.com"] });
export const Password = Type.String({ minLength: 10, maxLength: 128, error: "must be 10 to 128 characters", examples: ["correct horse battery"] });
export const UserId = Type.String({ pattern: idPattern("user"), examples: ["usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C"] });
export const Role = Type.Union([Type.Literal("buyer"), Type.Literal("seller"), Type.Literal("admin"), Type.Literal("support")]);
export type Role = Static<typeof Role>;

const REFRESH_EXAMPLE = "rt_q3L9vX0bT2nJ7sK1mP4wR8yZ6cV5xA0dF3gH2jK9lQ";
const USER_EXAMPLE = {
  id: "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C",
  email: "ada@example.com",
  name: "Ada Lovelace",
  roles: ["buyer"],
  emailVerified: false,
  createdAt: "2026-11-25T06:00:00.000Z",
};

export const RegisterBody = Type.Object(
  {
    email: Email,
    password: Password,
    name: Type.String({ minLength: 1, maxLength: 100, pattern: "\\S", error: "must be 1 to 100 characters, not all blank", examples: ["Ada Lovelace"] }),
  },
  { additionalProperties: false, example: { email: "ada@example.com", password: "correct horse battery", name: "Ada Lovelace" } },
);
export type RegisterBody = Static<typeof RegisterBody>;

export const LoginBody = Type.Object(
  {
    email: Email,
    password: Type.String({ minLength: 1, maxLength: 128, error: "is required (at most 128 characters)", examples: ["correct horse battery"] }),
  },
  { additionalProperties: false, example: { email: "ada@example.com", password: "correct horse battery" } },
);
export type LoginBody = Static<typeof LoginBody>;

export const RefreshTokenBody = Type.Object(
  { refreshToken: Type.String({ minLength: 20, maxLength: 200, error: "must be a refresh token", examples: [REFRESH_EXAMPLE] }) },
  { additionalProperties: false, example: { refreshToken: REFRESH_EXAMPLE } },
);
export type RefreshTokenBody = Static<typeof RefreshTokenBody>;

export const UserView = Type.Object(
  {
    id: UserId,
    email: Email,
    name: Type.String({ examples: ["Ada Lovelace"] }),
    roles: Type.Array(Role, { examples: [["buyer"]] }),
    emailVerified: Type.Boolean(),
    createdAt: Type.String({ format: "date-time", examples: ["2026-11-25T06:00:00.000Z"] }),
  },
  { $id: "UserView", example: USER_EXAMPLE },
);
export type UserView = Static<typeof UserView>;

export const TokenPair = Type.Object(
  {
    accessToken: Type.String({ description: "EdDSA-signed JWT, send as `Authorization: Bearer`" }),
    refreshToken: Type.String({ description: "Opaque, single use: every refresh returns a new one" }),
    expiresIn: Type.Integer({ description: "Access token lifetime in seconds", examples: [900] }),
    user: UserView,
  },
  {
    $id: "TokenPair",
    example: {
      accessToken: "eyJhbGciOiJFZERTQSIsImtpZCI6ImtleV8wMUpENE0iLCJ0eXAiOiJKV1QifQ.eyJzdWIiOiJ1c3JfMDEuLi4ifQ.c2lnbmF0dXJl",
      refreshToken: REFRESH_EXAMPLE,
      expiresIn: 900,
      user: USER_EXAMPLE,
    },
  },
);
export type TokenPair = Static<typeof TokenPair>;

export const Jwk = Type.Object(
  {
    kty: Type.String({ examples: ["OKP"] }),
    crv: Type.Optional(Type.String({ examples: ["Ed25519"] })),
    x: Type.Optional(Type.String()),
    y: Type.Optional(Type.String()),
    kid: Type.String(),
    alg: Type.String({ examples: ["EdDSA"] }),
    use: Type.String({ examples: ["sig"] }),
  },
  { additionalProperties: true },
);
export const Jwks = Type.Object(
  { keys: Type.Array(Jwk) },
  {
    $id: "Jwks",
    example: { keys: [{ kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", kid: "key_2026_11", alg: "EdDSA", use: "sig" }] },
  },
);
export type Jwks = Static<typeof Jwks>;
