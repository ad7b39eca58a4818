import type { Harness } from "../../../testing/harness.ts";
import type { TestClient } from "./openid-provider.ts";

/** The storefront page the providers send people back to in the tests. */
export const REDIRECT_URI = "https://shop.example/account/oauth/callback";

export const TEST_CLIENT: TestClient = { client_id: "bazaar-test", client_secret: "bazaar-test-client-secret-0123456789", redirect_uris: [REDIRECT_URI] };

/** Harness env for OpenID providers by name, all registered with the test client. */
export function oidcEnv(providers: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = { OAUTH_PROVIDERS: Object.keys(providers).join(",") };
  for (const [name, issuer] of Object.entries(providers)) {
    const prefix = `OAUTH_${name.toUpperCase()}_`;
    env[`${prefix}CLIENT_ID`] = TEST_CLIENT.client_id;
    env[`${prefix}CLIENT_SECRET`] = TEST_CLIENT.client_secret;
    env[`${prefix}ISSUER`] = issuer;
  }
  return env;
}

export interface Started {
  authorizationUrl: string;
  state: string;
  expiresIn: number;
}

/** What the storefront page posts on: the parameters the provider put on the redirect. */
export interface Returned {
  code: string;
  state: string;
  iss?: string;
}

/**
 * Drives the whole dance the way a browser and the storefront page would: start (sign-in, or
 * link with `token`), sign in at the provider as `login`, and hand back what the redirect carried.
 */
export async function dance(h: Harness, provider: string, login: string, token?: string): Promise<{ started: Started; returned: Returned }> {
  const response = token
    ? await h.request("POST", `/v1/me/oauth/${provider}/link`, { token, body: { redirectUri: REDIRECT_URI } })
    : await h.request("GET", `/v1/auth/oauth/${provider}/authorize?redirectUri=${encodeURIComponent(REDIRECT_URI)}`);
  if (response.status !== 200) throw new Error(`starting ${provider} failed: ${response.status} ${await response.text()}`);
  const started = (await response.json()) as Started;
  return { started, returned: await returnFrom(started.authorizationUrl, login) };
}

export async function returnFrom(authorizationUrl: string, login: string): Promise<Returned> {
  const back = await signInAtProvider(authorizationUrl, login);
  if (`${back.origin}${back.pathname}` !== REDIRECT_URI) throw new Error(`the provider sent the browser to ${back.href}`);
  const code = back.searchParams.get("code");
  const state = back.searchParams.get("state");
  if (!code || !state) throw new Error(`the provider sent no code: ${back.href}`);
  const iss = back.searchParams.get("iss");
  return iss ? { code, state, iss } : { code, state };
}

/** Posts the returned parameters to the sign-in callback, or (with `token`) the link callback. */
export function callback(h: Harness, provider: string, returned: Returned, token?: string): Promise<Response> {
  return token
    ? h.request("POST", `/v1/me/oauth/${provider}/link/callback`, { token, body: returned })
    : h.request("POST", `/v1/auth/oauth/${provider}/callback`, { body: returned });
}

/**
 * A browser at the provider: follows redirects with a cookie jar, answers the login form as
 * `login` and the consent form with yes, and returns the redirect back to the client (not followed).
 */
export async function signInAtProvider(authorizationUrl: string, login: string): Promise<URL> {
  const jar = new Map<string, string>();
  let url = authorizationUrl;
  const origin = new URL(authorizationUrl).origin;
  for (let hop = 0; hop < 20; hop++) {
    const page = new URL(url);
    const interaction = page.origin === origin && page.pathname.startsWith("/interaction/");
    let response = await fetch(url, { redirect: "manual", headers: { cookie: cookies(jar) } });
    keep(jar, response);
    if (interaction && response.status === 200) {
      response = await fetch(url, {
        method: "POST",
        redirect: "manual",
        headers: { cookie: cookies(jar), "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ login }),
      });
      keep(jar, response);
    }
    const location = response.headers.get("location");
    if (!location) throw new Error(`the provider stopped at ${url} with ${response.status}: ${await response.text()}`);
    const next = new URL(location, url);
    if (next.origin !== origin) return next;
    url = next.href;
  }
  throw new Error("too many redirects at the provider");
}

function cookies(jar: Map<string, string>): string {
  return [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
}

function keep(jar: Map<string, string>, response: Response): void {
  for (const header of response.headers.getSetCookie()) {
    const [pair = ""] = header.split(";");
    const at = pair.indexOf("=");
    if (at > 0) jar.set(pair.slice(0, at), pair.slice(at + 1));
  }
}
