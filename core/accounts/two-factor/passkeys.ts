import type { PasskeyRegistrationOptions, PasskeySignInOptions } from "@bazaar/contracts";
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from "@simplewebauthn/server";
import { decodeClientDataJSON, isoBase64URL } from "@simplewebauthn/server/helpers";
import type { PasskeyRow } from "./repo.ts";

/** The site passkeys are bound to: `rpId` is its domain, `origins` the pages allowed to use them. */
export interface RelyingParty {
  rpId: string;
  rpName: string;
  origins: string[];
}

/** How long a ceremony may take, in the browser (`timeout`) and on our side (the challenge's life). */
export const WEBAUTHN_TIMEOUT_MS = 5 * 60_000;

/** EdDSA, ES256, RS256: offered at registration and accepted at verification, the same list both times. */
const ALGORITHMS = [-8, -7, -257];

const HANDLE_PATTERN = /^ch_[A-Za-z0-9_-]{43}$/;

/** A ceremony's response refused: the message is for logs (it may name our origins), not for clients. */
export class WebAuthnRefusal extends Error {
  constructor(
    message: string,
    readonly reason: "invalid" | "counter_regressed" = "invalid",
  ) {
    super(message);
    this.name = "WebAuthnRefusal";
  }
}

export interface RegisteredCredential {
  id: string;
  publicKey: string;
  counter: number;
  transports: string[];
  deviceType: "singleDevice" | "multiDevice";
  backedUp: boolean;
}

/**
 * The WebAuthn ceremonies, over @simplewebauthn/server. Each ceremony's WebAuthn challenge is the
 * handle of its `auth_challenge` row (as UTF-8 bytes), so the signed clientDataJSON itself names
 * the single-use server state it answers and nothing else needs to travel with it.
 */
export class WebAuthn {
  constructor(private readonly rp: RelyingParty) {}

  async registrationOptions(
    handle: string,
    user: { id: string; email: string; name: string },
    existing: readonly PasskeyRow[],
  ): Promise<PasskeyRegistrationOptions> {
    return generateRegistrationOptions({
      rpName: this.rp.rpName,
      rpID: this.rp.rpId,
      userName: user.email,
      userDisplayName: user.name,
      userID: new TextEncoder().encode(user.id),
      challenge: handle,
      timeout: WEBAUTHN_TIMEOUT_MS,
      attestationType: "none",
      // discoverable, so the same passkey also signs in without a password
      authenticatorSelection: { residentKey: "required", userVerification: "preferred" },
      excludeCredentials: existing.map((passkey) => ({ id: passkey.id, transports: passkey.transports ?? [] })),
      supportedAlgorithmIDs: ALGORITHMS,
    });
  }

  /** The challenge handle a response's clientDataJSON carries; undefined when it is not one we could have issued. */
  handleOf(clientDataJSON: string): string | undefined {
    try {
      const handle = isoBase64URL.toUTF8String(decodeClientDataJSON(clientDataJSON).challenge);
      return HANDLE_PATTERN.test(handle) ? handle : undefined;
    } catch {
      return undefined;
    }
  }

  /** Checks an attestation against the challenge `handle`; user presence is required, verification preferred. */
  async verifyRegistration(response: RegistrationResponseJSON, handle: string): Promise<RegisteredCredential> {
    let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      verified = await verifyRegistrationResponse({
        response,
        expectedChallenge: isoBase64URL.fromUTF8String(handle),
        expectedOrigin: this.rp.origins,
        expectedRPID: this.rp.rpId,
        requireUserVerification: false,
        supportedAlgorithmIDs: ALGORITHMS,
      });
    } catch (error) {
      throw new WebAuthnRefusal((error as Error).message);
    }
    if (!verified.verified) throw new WebAuthnRefusal("the attestation did not verify");
    const { credential, credentialDeviceType, credentialBackedUp } = verified.registrationInfo;
    return {
      id: credential.id,
      publicKey: isoBase64URL.fromBuffer(credential.publicKey),
      counter: credential.counter,
      transports: credential.transports ?? response.response.transports ?? [],
      deviceType: credentialDeviceType,
      backedUp: credentialBackedUp,
    };
  }

  async authenticationOptions(
    handle: string,
    allow: readonly PasskeyRow[],
    userVerification: "required" | "preferred",
  ): Promise<PasskeySignInOptions["options"]> {
    return generateAuthenticationOptions({
      rpID: this.rp.rpId,
      challenge: handle,
      timeout: WEBAUTHN_TIMEOUT_MS,
      userVerification,
      allowCredentials: allow.map((passkey) => ({ id: passkey.id, transports: passkey.transports ?? [] })),
    });
  }

  /**
   * Checks an assertion by `passkey` against the challenge `handle` and returns the new counter.
   * A counter that did not move forward is refused as a likely cloned authenticator.
   */
  async verifyAuthentication(
    response: AuthenticationResponseJSON,
    handle: string,
    passkey: PasskeyRow,
    userVerification: "required" | "preferred",
  ): Promise<{ counter: number; backedUp: boolean }> {
    let verified: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
    try {
      verified = await verifyAuthenticationResponse({
        response,
        expectedChallenge: isoBase64URL.fromUTF8String(handle),
        expectedOrigin: this.rp.origins,
        expectedRPID: this.rp.rpId,
        // the counter is compared below, after the signature holds, so only a genuine
        // assertion is ever reported as a clone (the library compares before it checks the signature)
        credential: { id: passkey.id, publicKey: isoBase64URL.toBuffer(passkey.publicKey), counter: 0, transports: passkey.transports ?? [] },
        requireUserVerification: userVerification === "required",
      });
    } catch (error) {
      throw new WebAuthnRefusal((error as Error).message);
    }
    if (!verified.verified) throw new WebAuthnRefusal("the signature did not verify");
    const counter = verified.authenticationInfo.newCounter;
    if ((counter > 0 || passkey.counter > 0) && counter <= passkey.counter) {
      throw new WebAuthnRefusal(`the signature counter went from ${passkey.counter} to ${counter}`, "counter_regressed");
    }
    return { counter, backedUp: verified.authenticationInfo.credentialBackedUp };
  }

  /** The user handle an assertion names, as the user id we registered it with; undefined when it names none. */
  userIdOf(response: AuthenticationResponseJSON): string | undefined {
    const handle = response.response.userHandle;
    if (!handle) return undefined;
    try {
      return isoBase64URL.toUTF8String(handle);
    } catch {
      return "";
    }
  }
}
