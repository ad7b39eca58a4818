import { type Static, Type } from "@sinclair/typebox";

/** Social sign-in and SSO (OAuth 2.0 / OpenID Connect): the provider dance and the identities linked to an account. */

const REDIRECT_URI_EXAMPLE = "https://shop.example/account/oauth/callback";
const STATE_EXAMPLE = "ch_Vb3Qe9nX1pLr7sT0wYk2Hf5Zc8Ad4Jm6Gu1Oi3NeQx";

export const OAuthProviderName = Type.String({
  pattern: "^[a-z][a-z0-9-]{0,30}$",
  error: "must be the name of a sign-in provider",
  examples: ["google"],
});

export const OAuthProviderParams = Type.Object({ provider: OAuthProviderName });
export type OAuthProviderParams = Static<typeof OAuthProviderParams>;

export const OAuthProviderKind = Type.Union(
  [Type.Literal("oidc"), Type.Literal("google"), Type.Literal("github"), Type.Literal("apple"), Type.Literal("facebook")],
  { description: "the preset the provider uses; `oidc` is any OpenID Provider found by discovery" },
);
export type OAuthProviderKind = Static<typeof OAuthProviderKind>;

export const OAuthProviderList = Type.Object(
  { providers: Type.Array(Type.Object({ name: OAuthProviderName, kind: OAuthProviderKind })) },
  {
    $id: "OAuthProviderList",
    example: {
      providers: [
        { name: "google", kind: "google" },
        { name: "corp", kind: "oidc" },
      ],
    },
  },
);
export type OAuthProviderList = Static<typeof OAuthProviderList>;

const RedirectUri = Type.String({
  minLength: 1,
  maxLength: 2048,
  description: "the page of this site the provider sends the user back to: an exact, absolute URL without query or fragment on an allowed origin",
  error: "must be the URL of a page on this site",
  examples: [REDIRECT_URI_EXAMPLE],
});

export const OAuthAuthorizeQuery = Type.Object({ redirectUri: RedirectUri }, { additionalProperties: false });
export type OAuthAuthorizeQuery = Static<typeof OAuthAuthorizeQuery>;

export const OAuthLinkBody = Type.Object({ redirectUri: RedirectUri }, { additionalProperties: false, example: { redirectUri: REDIRECT_URI_EXAMPLE } });
export type OAuthLinkBody = Static<typeof OAuthLinkBody>;

export const OAuthAuthorization = Type.Object(
  {
    authorizationUrl: Type.String({ description: "send the browser here (the provider's consent page)" }),
    state: Type.String({
      description: "also in authorizationUrl; keep it (sessionStorage) and post the callback only when the state that comes back is this one",
      examples: [STATE_EXAMPLE],
    }),
    expiresIn: Type.Integer({ description: "seconds to finish the sign-in before the state expires", examples: [600] }),
  },
  {
    $id: "OAuthAuthorization",
    example: {
      authorizationUrl: `https://accounts.google.com/o/oauth2/v2/auth?response_type=code&client_id=1234.apps.googleusercontent.com&redirect_uri=${encodeURIComponent(REDIRECT_URI_EXAMPLE)}&scope=openid+email+profile&state=${STATE_EXAMPLE}&nonce=n-0S6_WzA2Mj&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256`,
      state: STATE_EXAMPLE,
      expiresIn: 600,
    },
  },
);
export type OAuthAuthorization = Static<typeof OAuthAuthorization>;

export const OAuthCallbackBody = Type.Object(
  {
    code: Type.String({ minLength: 1, maxLength: 4096, error: "must be the code the provider sent back", examples: ["SplxlOBeZQQYbYS6WxSbIA"] }),
    state: Type.String({ minLength: 1, maxLength: 512, error: "must be the state the provider sent back", examples: [STATE_EXAMPLE] }),
    iss: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2048,
        description: "the `iss` the provider sent back with the code, when it sent one (RFC 9207; it defends against mix-up attacks)",
        examples: ["https://accounts.google.com"],
      }),
    ),
  },
  { additionalProperties: false, example: { code: "SplxlOBeZQQYbYS6WxSbIA", state: STATE_EXAMPLE } },
);
export type OAuthCallbackBody = Static<typeof OAuthCallbackBody>;

const IDENTITY_EXAMPLE = { provider: "google", email: "ada@example.com", linkedAt: "2026-11-25T06:00:00.000Z", lastUsedAt: "2026-11-26T08:15:00.000Z" };

export const OAuthIdentityView = Type.Object(
  {
    provider: OAuthProviderName,
    email: Type.Union([Type.String(), Type.Null()], { description: "the address the provider gave at the last sign-in", examples: ["ada@example.com"] }),
    linkedAt: Type.String({ format: "date-time" }),
    lastUsedAt: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
  },
  { $id: "OAuthIdentityView", example: IDENTITY_EXAMPLE },
);
export type OAuthIdentityView = Static<typeof OAuthIdentityView>;

export const OAuthIdentityList = Type.Object(
  { identities: Type.Array(OAuthIdentityView) },
  { $id: "OAuthIdentityList", example: { identities: [IDENTITY_EXAMPLE] } },
);
export type OAuthIdentityList = Static<typeof OAuthIdentityList>;
