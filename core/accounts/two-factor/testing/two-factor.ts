import type {
  LoginResult,
  MfaChallenge,
  PasskeyRegistered,
  PasskeyRegistrationOptions,
  PasskeySignInOptions,
  Problem,
  RecoveryCodes,
  TokenPair,
  TotpEnrolment,
} from "@bazaar/contracts";
import type { PublicKeyCredentialCreationOptionsJSON } from "@simplewebauthn/server";
import type { Harness } from "../../../testing/harness.ts";
import { base32Decode, TOTP_STEP_SECONDS, totp } from "../totp.ts";
import { SoftwareAuthenticator } from "./software-authenticator.ts";

/** A registered user as the harness returns them. */
export type Member = TokenPair & { password: string };

export const STEP_MS = TOTP_STEP_SECONDS * 1000;

export const json = async <T>(response: Response): Promise<T> => (await response.json()) as T;

/** A problem+json body, after checking it is one. */
export async function problem(response: Response): Promise<Problem> {
  if (response.headers.get("content-type") !== "application/problem+json") {
    throw new Error(`expected problem+json, got ${response.status} ${response.headers.get("content-type")}: ${await response.text()}`);
  }
  return json<Problem>(response);
}

/** The code an authenticator app shows for `secret` at the harness clock. */
export function codeFor(h: Harness, secret: string, offsetMs = 0): string {
  return totp(base32Decode(secret), h.clock.now + offsetMs);
}

/** Enrols and confirms an authenticator app, then moves the clock a step on so the next code is fresh. */
export async function enableTotp(h: Harness, member: Member): Promise<{ secret: string; recoveryCodes: string[] }> {
  const started = await h.request("POST", "/v1/me/2fa/totp", { token: member.accessToken });
  if (started.status !== 200) throw new Error(`enrolment failed: ${started.status} ${await started.text()}`);
  const { secret } = await json<TotpEnrolment>(started);
  const confirmed = await h.request("POST", "/v1/me/2fa/totp/confirm", { token: member.accessToken, body: { code: codeFor(h, secret) } });
  if (confirmed.status !== 200) throw new Error(`confirmation failed: ${confirmed.status} ${await confirmed.text()}`);
  h.clock.advance(STEP_MS);
  return { secret, recoveryCodes: (await json<RecoveryCodes>(confirmed)).recoveryCodes };
}

/** The password step of a sign-in, for an account with two-factor on. */
export async function passwordStep(h: Harness, member: Member): Promise<MfaChallenge> {
  const response = await h.request("POST", "/v1/auth/login", { body: { email: member.user.email, password: member.password } });
  const result = await json<LoginResult>(response);
  if (!("mfaRequired" in result)) throw new Error(`expected a second step, got ${response.status} ${JSON.stringify(result)}`);
  return result;
}

export function finishWithCode(h: Harness, mfaToken: string, answer: { code: string } | { recoveryCode: string }): Promise<Response> {
  return h.request("POST", "/v1/auth/login/2fa", { body: { mfaToken, ...answer } });
}

/** Registers a passkey made by a (new, unless given) software authenticator. */
export async function addPasskey(
  h: Harness,
  member: Member,
  authenticator?: SoftwareAuthenticator,
  name?: string,
): Promise<{ authenticator: SoftwareAuthenticator; registered: PasskeyRegistered }> {
  const device = authenticator ?? (await SoftwareAuthenticator.create());
  const options = await json<PasskeyRegistrationOptions>(await h.request("POST", "/v1/me/passkeys/registration-options", { token: member.accessToken }));
  const response = await device.register(options as PublicKeyCredentialCreationOptionsJSON);
  const stored = await h.request("POST", "/v1/me/passkeys", { token: member.accessToken, body: { response, ...(name ? { name } : {}) } });
  if (stored.status !== 201) throw new Error(`passkey registration failed: ${stored.status} ${await stored.text()}`);
  return { authenticator: device, registered: await json<PasskeyRegistered>(stored) };
}

export async function passkeyOptions(h: Harness, mfaToken?: string): Promise<PasskeySignInOptions> {
  const response = await h.request("POST", "/v1/auth/passkey/options", { body: mfaToken ? { mfaToken } : {} });
  if (response.status !== 200) throw new Error(`passkey options failed: ${response.status} ${await response.text()}`);
  return json<PasskeySignInOptions>(response);
}

export async function count(h: Harness, sql: string, ...args: (string | number)[]): Promise<number> {
  return Number((await h.database.client.execute({ sql, args })).rows[0]?.[0]);
}

export async function outboxTwoFactorChanges(h: Harness): Promise<string[]> {
  const rows = await h.database.client.execute("SELECT payload FROM outbox_event WHERE type = 'user.two_factor_changed' ORDER BY id");
  return rows.rows.map((row) => {
    const payload = JSON.parse(String(row.payload)) as { method: string; change: string };
    return `${payload.method}:${payload.change}`;
  });
}
