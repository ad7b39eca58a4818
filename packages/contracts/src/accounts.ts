import { type Static, Type } from "@sinclair/typebox";
import { idPattern } from "./ids.ts";
import { SingleLineText } from "./text.ts";

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
  locale: "en",
  currency: "USD",
  avatarUrl: null,
  createdAt: "2026-11-25T06:00:00.000Z",
};

const TOKEN_PAIR_EXAMPLE = {
  accessToken: "eyJhbGciOiJFZERTQSIsImtpZCI6ImtleV8wMUpENE0iLCJ0eXAiOiJKV1QifQ.eyJzdWIiOiJ1c3JfMDEuLi4ifQ.c2lnbmF0dXJl",
  refreshToken: REFRESH_EXAMPLE,
  expiresIn: 900,
  user: USER_EXAMPLE,
};

export const RegisterBody = Type.Object(
  {
    email: Email,
    password: Password,
    name: SingleLineText({ maxLength: 100, examples: ["Ada Lovelace"] }),
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
    locale: Type.String({ description: "BCP 47 language tag", examples: ["en", "pt-BR"] }),
    currency: Type.String({ description: "preferred display currency, ISO 4217", examples: ["USD"] }),
    avatarUrl: Type.Union([Type.String(), Type.Null()], {
      description: "path of the avatar image, null when none",
      examples: ["/v1/users/usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C/avatar?v=3f2a"],
    }),
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
    example: TOKEN_PAIR_EXAMPLE,
  },
);
export type TokenPair = Static<typeof TokenPair>;

export const SecondFactorMethod = Type.Union([Type.Literal("totp"), Type.Literal("recovery_code"), Type.Literal("passkey")]);
export type SecondFactorMethod = Static<typeof SecondFactorMethod>;

/** The first step of a two-step sign-in: the password (or provider) was right, a second factor is owed. */
export const MfaChallenge = Type.Object(
  {
    mfaRequired: Type.Literal(true),
    mfaToken: Type.String({ description: "Single use, short-lived: send it with the second factor to POST /v1/auth/login/2fa" }),
    methods: Type.Array(SecondFactorMethod, { description: "the second factors this account can answer with" }),
    expiresIn: Type.Integer({ description: "seconds until mfaToken expires", examples: [300] }),
  },
  {
    $id: "MfaChallenge",
    example: { mfaRequired: true, mfaToken: "ch_Vb3Qe9nX1pLr7sT0wYk2Hf5Zc8Ad4Jm6Gu1Oi3Ne", methods: ["totp", "recovery_code"], expiresIn: 300 },
  },
);
export type MfaChallenge = Static<typeof MfaChallenge>;

/** Tokens, or — when the account has two-factor on — the challenge for the second step. */
export const LoginResult = Type.Union([TokenPair, MfaChallenge], { $id: "LoginResult", example: TOKEN_PAIR_EXAMPLE });
export type LoginResult = Static<typeof LoginResult>;

const SESSION_ID_EXAMPLE = "ses_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C";
export const SessionId = Type.String({ pattern: idPattern("session"), examples: [SESSION_ID_EXAMPLE] });

const SESSION_EXAMPLE = {
  id: SESSION_ID_EXAMPLE,
  deviceName: "Chrome on macOS",
  ip: "203.0.113.9",
  location: "Lisbon, PT",
  authMethod: "password",
  createdAt: "2026-11-25T06:00:00.000Z",
  lastSeenAt: "2026-11-25T07:30:00.000Z",
  current: true,
};

export const SessionView = Type.Object(
  {
    id: SessionId,
    deviceName: Type.String({ examples: ["Chrome on macOS"] }),
    ip: Type.Union([Type.String(), Type.Null()], { examples: ["203.0.113.9"] }),
    location: Type.Union([Type.String(), Type.Null()], { description: "coarse, when the edge knew it", examples: ["Lisbon, PT"] }),
    authMethod: Type.Union([Type.String(), Type.Null()], { examples: ["password+totp"] }),
    createdAt: Type.String({ format: "date-time" }),
    lastSeenAt: Type.String({ format: "date-time" }),
    current: Type.Boolean({ description: "the session this request was made with" }),
  },
  { $id: "SessionView", example: SESSION_EXAMPLE },
);
export type SessionView = Static<typeof SessionView>;

export const SessionList = Type.Object({ sessions: Type.Array(SessionView) }, { $id: "SessionList", example: { sessions: [SESSION_EXAMPLE] } });
export type SessionList = Static<typeof SessionList>;

export const SessionIdParams = Type.Object({ id: SessionId });

const LINK_TOKEN_EXAMPLE = "ev_k2Lr9QpXz4Wm7Tn1Bv8Yc3Hd6Fs0Ja5Ge2Ui9Ok4Pq";
const LinkToken = Type.String({
  minLength: 20,
  maxLength: 200,
  pattern: "^[A-Za-z0-9_-]+$",
  error: "must be the token from the link",
  examples: [LINK_TOKEN_EXAMPLE],
});

export const VerifyEmailBody = Type.Object({ token: LinkToken }, { additionalProperties: false, example: { token: LINK_TOKEN_EXAMPLE } });
export type VerifyEmailBody = Static<typeof VerifyEmailBody>;

export const PasswordResetRequestBody = Type.Object({ email: Email }, { additionalProperties: false, example: { email: "ada@example.com" } });
export type PasswordResetRequestBody = Static<typeof PasswordResetRequestBody>;

export const PasswordResetConfirmBody = Type.Object(
  { token: LinkToken, password: Password },
  { additionalProperties: false, example: { token: "pr_k2Lr9QpXz4Wm7Tn1Bv8Yc3Hd6Fs0Ja5Ge2Ui9Ok4Pq", password: "a new long passphrase" } },
);
export type PasswordResetConfirmBody = Static<typeof PasswordResetConfirmBody>;

export const ChangePasswordBody = Type.Object(
  {
    currentPassword: Type.String({ minLength: 1, maxLength: 128, error: "is required (at most 128 characters)" }),
    newPassword: Password,
  },
  { additionalProperties: false, example: { currentPassword: "correct horse battery", newPassword: "a new long passphrase" } },
);
export type ChangePasswordBody = Static<typeof ChangePasswordBody>;

export const Accepted = Type.Object(
  { accepted: Type.Literal(true), message: Type.String() },
  { $id: "Accepted", example: { accepted: true, message: "If an account exists for that address, we have sent it a link." } },
);

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
