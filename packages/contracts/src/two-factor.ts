import { type Static, Type } from "@sinclair/typebox";
import { SingleLineText } from "./text.ts";

const TOTP_CODE_EXAMPLE = "492039";
const RECOVERY_CODE_EXAMPLE = "7kq2-m9xd-4hvt";
const RECOVERY_CODES_EXAMPLE = [
  "7kq2-m9xd-4hvt",
  "b3nc-0r8w-yq5e",
  "hz6p-2kmt-9dva",
  "q1fx-ws7c-3jnb",
  "m8er-5tgh-k0zp",
  "c4vy-n2qa-8wds",
  "t9jk-6bxm-1rfe",
  "e5wq-z3hp-7cgn",
  "y0ds-4mvk-2tax",
  "r6gb-8nce-5qhj",
];
const HANDLE_EXAMPLE = "ch_Vb3Qe9nX1pLr7sT0wYk2Hf5Zc8Ad4Jm6Gu1Oi3Ne";
const CREDENTIAL_ID_EXAMPLE = "3kX9vQm2LpR7tY1wZc8Hn4Bd6Fs0Ja5G";

export const TotpCode = Type.String({
  pattern: "^[0-9]{6}$",
  error: "must be the 6-digit code from your authenticator app",
  examples: [TOTP_CODE_EXAMPLE],
});

export const RecoveryCode = Type.String({
  minLength: 8,
  maxLength: 32,
  pattern: "^[A-Za-z0-9 -]+$",
  error: "must be one of your recovery codes",
  examples: [RECOVERY_CODE_EXAMPLE],
});

/** The handle of a short-lived server-side challenge (`ch_` + 43 base64url characters). */
const ChallengeHandle = (what: string, description: string) =>
  Type.String({ pattern: "^ch_[A-Za-z0-9_-]{43}$", error: `must be the ${what} you were given`, description, examples: [HANDLE_EXAMPLE] });

export const MfaToken = ChallengeHandle("mfaToken", "from the first sign-in step (MfaChallenge); single use, five minutes");

const Base64Url = (maxLength: number, description?: string) =>
  Type.String({ maxLength, pattern: "^[A-Za-z0-9_-]*$", error: `must be base64url, at most ${maxLength} characters`, ...(description ? { description } : {}) });

/** A WebAuthn credential id, base64url (the spec allows up to 1023 bytes). */
export const CredentialId = Type.String({
  minLength: 1,
  maxLength: 1364,
  pattern: "^[A-Za-z0-9_-]+$",
  error: "must be a passkey id (base64url)",
  examples: [CREDENTIAL_ID_EXAMPLE],
});

export const PasskeyName = SingleLineText({ maxLength: 64, examples: ["MacBook Touch ID"] });

// ---- status and TOTP ----

const STATUS_EXAMPLE = { enabled: true, totp: "on", passkeys: 1, recoveryCodesRemaining: 9 };

export const TwoFactorStatus = Type.Object(
  {
    enabled: Type.Boolean({ description: "true when sign-in takes a second step (an authenticator app or a passkey is set up)" }),
    totp: Type.Union([Type.Literal("off"), Type.Literal("pending"), Type.Literal("on")], {
      description: "the authenticator app: pending between enrolment and its first code",
    }),
    passkeys: Type.Integer({ minimum: 0, examples: [1] }),
    recoveryCodesRemaining: Type.Integer({ minimum: 0, examples: [9] }),
  },
  { $id: "TwoFactorStatus", additionalProperties: false, example: STATUS_EXAMPLE },
);
export type TwoFactorStatus = Static<typeof TwoFactorStatus>;

const ENROLMENT_EXAMPLE = {
  secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
  otpauthUri: "otpauth://totp/Bazaar:ada%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Bazaar&algorithm=SHA1&digits=6&period=30",
  qrCodeDataUrl: "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4=",
};

export const TotpEnrolment = Type.Object(
  {
    secret: Type.String({ description: "base32, for typing into an app by hand", examples: [ENROLMENT_EXAMPLE.secret] }),
    otpauthUri: Type.String({ description: "the otpauth:// URI authenticator apps scan", examples: [ENROLMENT_EXAMPLE.otpauthUri] }),
    qrCodeDataUrl: Type.String({ description: "the URI as a QR code, an SVG data URL for an <img src>", examples: [ENROLMENT_EXAMPLE.qrCodeDataUrl] }),
  },
  { $id: "TotpEnrolment", additionalProperties: false, example: ENROLMENT_EXAMPLE },
);
export type TotpEnrolment = Static<typeof TotpEnrolment>;

export const TotpCodeBody = Type.Object({ code: TotpCode }, { additionalProperties: false, example: { code: TOTP_CODE_EXAMPLE } });
export type TotpCodeBody = Static<typeof TotpCodeBody>;

/** A second factor shown just now: exactly one of `code` or `recoveryCode`. */
export const FreshSecondFactorBody = Type.Object(
  { code: Type.Optional(TotpCode), recoveryCode: Type.Optional(RecoveryCode) },
  { additionalProperties: false, description: "exactly one of `code` (authenticator app) or `recoveryCode`", example: { code: TOTP_CODE_EXAMPLE } },
);
export type FreshSecondFactorBody = Static<typeof FreshSecondFactorBody>;

export const RecoveryCodes = Type.Object(
  {
    recoveryCodes: Type.Array(Type.String({ examples: [RECOVERY_CODE_EXAMPLE] }), {
      minItems: 10,
      maxItems: 10,
      description: "shown this once; each signs in once in place of a code. Only their hashes are kept.",
    }),
  },
  { $id: "RecoveryCodes", additionalProperties: false, example: { recoveryCodes: RECOVERY_CODES_EXAMPLE } },
);
export type RecoveryCodes = Static<typeof RecoveryCodes>;

/** The second sign-in step: the mfaToken with exactly one of `code` or `recoveryCode`. */
export const LoginSecondFactorBody = Type.Object(
  { mfaToken: MfaToken, code: Type.Optional(TotpCode), recoveryCode: Type.Optional(RecoveryCode) },
  {
    additionalProperties: false,
    description: "the mfaToken and exactly one of `code` (authenticator app) or `recoveryCode`",
    example: { mfaToken: HANDLE_EXAMPLE, code: TOTP_CODE_EXAMPLE },
  },
);
export type LoginSecondFactorBody = Static<typeof LoginSecondFactorBody>;

// ---- passkeys ----

const PASSKEY_EXAMPLE = {
  id: CREDENTIAL_ID_EXAMPLE,
  name: "MacBook Touch ID",
  deviceType: "multiDevice",
  backedUp: true,
  transports: ["internal", "hybrid"],
  createdAt: "2026-11-25T06:00:00.000Z",
  lastUsedAt: "2026-11-26T08:15:00.000Z",
};

export const PasskeyView = Type.Object(
  {
    id: CredentialId,
    name: Type.String({ examples: ["MacBook Touch ID"] }),
    deviceType: Type.Union([Type.Literal("singleDevice"), Type.Literal("multiDevice"), Type.Null()], {
      description: "multiDevice passkeys are synced between devices (a password manager, iCloud Keychain)",
    }),
    backedUp: Type.Boolean(),
    transports: Type.Array(Type.String(), { examples: [["internal", "hybrid"]] }),
    createdAt: Type.String({ format: "date-time" }),
    lastUsedAt: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
  },
  { $id: "PasskeyView", additionalProperties: false, example: PASSKEY_EXAMPLE },
);
export type PasskeyView = Static<typeof PasskeyView>;

export const PasskeyList = Type.Object(
  { passkeys: Type.Array(PasskeyView, { maxItems: 20 }) },
  { $id: "PasskeyList", additionalProperties: false, example: { passkeys: [PASSKEY_EXAMPLE] } },
);
export type PasskeyList = Static<typeof PasskeyList>;

export const PasskeyIdParams = Type.Object({ id: CredentialId }, { additionalProperties: false });

export const RenamePasskeyBody = Type.Object({ name: PasskeyName }, { additionalProperties: false, example: { name: "Work laptop" } });
export type RenamePasskeyBody = Static<typeof RenamePasskeyBody>;

const Transports = Type.Array(Type.String({ maxLength: 32, pattern: "^[a-z-]+$" }), { maxItems: 10 });

const CredentialDescriptor = Type.Object(
  { id: Type.String(), type: Type.String({ examples: ["public-key"] }), transports: Type.Optional(Type.Array(Type.String())) },
  { additionalProperties: false },
);

// The options are handed to navigator.credentials.create/get as they are; newer versions of the
// WebAuthn library may add members, so the known ones are documented and others pass through.
const REGISTRATION_OPTIONS_EXAMPLE = {
  challenge: "Y2hfVmIzUWU5blgxcExyN3NUMHdZazJIZjVaYzhBZDRKbTZHdTFPaTNOZQ",
  rp: { name: "Bazaar", id: "shop.example" },
  user: { id: "dXNyXzAxSkQ0TTNaOFE1VjdXOVgxWTJaM0E0QjVD", name: "ada@example.com", displayName: "Ada Lovelace" },
  pubKeyCredParams: [
    { alg: -8, type: "public-key" },
    { alg: -7, type: "public-key" },
    { alg: -257, type: "public-key" },
  ],
  timeout: 300000,
  attestation: "none",
  excludeCredentials: [],
  authenticatorSelection: { residentKey: "required", userVerification: "preferred", requireResidentKey: true },
  extensions: { credProps: true },
  hints: [],
};

export const PasskeyRegistrationOptions = Type.Object(
  {
    challenge: Type.String({ description: "base64url; answered once, within `timeout`" }),
    rp: Type.Object({ name: Type.String(), id: Type.Optional(Type.String()) }, { additionalProperties: true }),
    user: Type.Object({ id: Type.String(), name: Type.String(), displayName: Type.String() }, { additionalProperties: true }),
    pubKeyCredParams: Type.Array(Type.Object({ alg: Type.Integer(), type: Type.Literal("public-key") }, { additionalProperties: true })),
    timeout: Type.Optional(Type.Integer()),
    attestation: Type.Optional(Type.String()),
    excludeCredentials: Type.Optional(Type.Array(CredentialDescriptor)),
    authenticatorSelection: Type.Optional(Type.Object({}, { additionalProperties: true })),
    extensions: Type.Optional(Type.Object({}, { additionalProperties: true })),
    hints: Type.Optional(Type.Array(Type.String())),
  },
  {
    $id: "PasskeyRegistrationOptions",
    additionalProperties: true,
    description: "PublicKeyCredentialCreationOptionsJSON: pass to navigator.credentials.create (PublicKeyCredential.parseCreationOptionsFromJSON)",
    example: REGISTRATION_OPTIONS_EXAMPLE,
  },
);
export type PasskeyRegistrationOptions = Static<typeof PasskeyRegistrationOptions>;

const REGISTRATION_RESPONSE_EXAMPLE = {
  id: CREDENTIAL_ID_EXAMPLE,
  rawId: CREDENTIAL_ID_EXAMPLE,
  type: "public-key",
  response: {
    clientDataJSON: "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoiLi4uIiwib3JpZ2luIjoiaHR0cHM6Ly9zaG9wLmV4YW1wbGUifQ",
    attestationObject: "o2NmbXRkbm9uZWdhdHRTdG10oGhhdXRoRGF0YVkBJg",
    transports: ["internal", "hybrid"],
  },
  authenticatorAttachment: "platform",
  clientExtensionResults: {},
};

const ClientExtensionResults = Type.Object({}, { additionalProperties: true, maxProperties: 20 });
const AuthenticatorAttachment = Type.Union([Type.Literal("platform"), Type.Literal("cross-platform")]);

/** What navigator.credentials.create returned, as RegistrationResponseJSON (`credential.toJSON()`). */
export const PasskeyRegistrationResponse = Type.Object(
  {
    id: CredentialId,
    rawId: CredentialId,
    type: Type.Literal("public-key"),
    response: Type.Object(
      {
        clientDataJSON: Base64Url(4096),
        attestationObject: Base64Url(65_536),
        authenticatorData: Type.Optional(Base64Url(65_536)),
        transports: Type.Optional(Transports),
        publicKeyAlgorithm: Type.Optional(Type.Integer()),
        publicKey: Type.Optional(Base64Url(4096)),
      },
      { additionalProperties: false },
    ),
    authenticatorAttachment: Type.Optional(AuthenticatorAttachment),
    clientExtensionResults: Type.Optional(ClientExtensionResults),
  },
  { additionalProperties: false, example: REGISTRATION_RESPONSE_EXAMPLE },
);

export const RegisterPasskeyBody = Type.Object(
  { response: PasskeyRegistrationResponse, name: Type.Optional(PasskeyName) },
  { additionalProperties: false, example: { response: REGISTRATION_RESPONSE_EXAMPLE, name: "MacBook Touch ID" } },
);
export type RegisterPasskeyBody = Static<typeof RegisterPasskeyBody>;

export const PasskeyRegistered = Type.Object(
  {
    passkey: PasskeyView,
    recoveryCodes: Type.Optional(
      Type.Array(Type.String(), {
        minItems: 10,
        maxItems: 10,
        description: "present when this passkey turned two-factor on: shown this once",
      }),
    ),
  },
  { $id: "PasskeyRegistered", additionalProperties: false, example: { passkey: PASSKEY_EXAMPLE, recoveryCodes: RECOVERY_CODES_EXAMPLE } },
);
export type PasskeyRegistered = Static<typeof PasskeyRegistered>;

export const PasskeySignInOptionsBody = Type.Object(
  { mfaToken: Type.Optional(MfaToken) },
  {
    additionalProperties: false,
    description: "empty (or no body) for passwordless sign-in; the mfaToken when a passkey is the second step",
    example: { mfaToken: HANDLE_EXAMPLE },
  },
);
export type PasskeySignInOptionsBody = Static<typeof PasskeySignInOptionsBody>;

const AUTHENTICATION_OPTIONS_EXAMPLE = {
  rpId: "shop.example",
  challenge: "Y2hfVmIzUWU5blgxcExyN3NUMHdZazJIZjVaYzhBZDRKbTZHdTFPaTNOZQ",
  allowCredentials: [],
  timeout: 300000,
  userVerification: "required",
};

export const PasskeySignInOptions = Type.Object(
  {
    challengeToken: ChallengeHandle("challengeToken", "send it back with the passkey's response"),
    options: Type.Object(
      {
        challenge: Type.String(),
        rpId: Type.Optional(Type.String()),
        allowCredentials: Type.Optional(Type.Array(CredentialDescriptor)),
        timeout: Type.Optional(Type.Integer()),
        userVerification: Type.Optional(Type.String()),
        hints: Type.Optional(Type.Array(Type.String())),
        extensions: Type.Optional(Type.Object({}, { additionalProperties: true })),
      },
      {
        additionalProperties: true,
        description: "PublicKeyCredentialRequestOptionsJSON: pass to navigator.credentials.get (PublicKeyCredential.parseRequestOptionsFromJSON)",
      },
    ),
  },
  { $id: "PasskeySignInOptions", additionalProperties: false, example: { challengeToken: HANDLE_EXAMPLE, options: AUTHENTICATION_OPTIONS_EXAMPLE } },
);
export type PasskeySignInOptions = Static<typeof PasskeySignInOptions>;

const AUTHENTICATION_RESPONSE_EXAMPLE = {
  id: CREDENTIAL_ID_EXAMPLE,
  rawId: CREDENTIAL_ID_EXAMPLE,
  type: "public-key",
  response: {
    clientDataJSON: "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0IiwiY2hhbGxlbmdlIjoiLi4uIiwib3JpZ2luIjoiaHR0cHM6Ly9zaG9wLmV4YW1wbGUifQ",
    authenticatorData: "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAAAQ",
    signature: "MEUCIQDcJ0x6dQyQq7b4Zw9tY2kVx3n8bP1mLr6sT0wYk2Hf5QIgZc8Ad4Jm6Gu1Oi3NeVb3Qe9nX1pLr7sT0wYk2Hf5Zc8",
    userHandle: "dXNyXzAxSkQ0TTNaOFE1VjdXOVgxWTJaM0E0QjVD",
  },
  authenticatorAttachment: "platform",
  clientExtensionResults: {},
};

/** What navigator.credentials.get returned, as AuthenticationResponseJSON (`credential.toJSON()`). */
export const PasskeyAuthenticationResponse = Type.Object(
  {
    id: CredentialId,
    rawId: CredentialId,
    type: Type.Literal("public-key"),
    response: Type.Object(
      {
        clientDataJSON: Base64Url(4096),
        authenticatorData: Base64Url(65_536),
        signature: Base64Url(2048),
        userHandle: Type.Optional(Base64Url(128)),
      },
      { additionalProperties: false },
    ),
    authenticatorAttachment: Type.Optional(AuthenticatorAttachment),
    clientExtensionResults: Type.Optional(ClientExtensionResults),
  },
  { additionalProperties: false, example: AUTHENTICATION_RESPONSE_EXAMPLE },
);

export const PasskeySignInBody = Type.Object(
  {
    challengeToken: ChallengeHandle("challengeToken", "from POST /v1/auth/passkey/options"),
    response: PasskeyAuthenticationResponse,
    mfaToken: Type.Optional(MfaToken),
  },
  {
    additionalProperties: false,
    description: "mfaToken only when the options were asked for with it (the passkey as second step)",
    example: { challengeToken: HANDLE_EXAMPLE, response: AUTHENTICATION_RESPONSE_EXAMPLE },
  },
);
export type PasskeySignInBody = Static<typeof PasskeySignInBody>;
