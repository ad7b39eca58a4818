import { type CBORType, encodeCBOR } from "@levischuck/tiny-cbor";
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from "@simplewebauthn/server";

const FLAG_USER_PRESENT = 0x01;
const FLAG_USER_VERIFIED = 0x04;
const FLAG_ATTESTED_CREDENTIAL_DATA = 0x40;

/** What a test may bend in one ceremony, to play a phishing page, a clone or a lazy authenticator. */
export interface CeremonyOverrides {
  origin?: string;
  type?: string;
  challenge?: string;
  rpId?: string;
  userVerified?: boolean;
  /** the signature counter to claim (assertions); by default one more than last time */
  counter?: number;
}

/**
 * A WebAuthn authenticator in software, for tests: one ES256 credential (a WebCrypto P-256 key),
 * `none` attestation, a signature counter bumped on every assertion. It produces the bytes a
 * browser and a platform authenticator would, so the server is tested against real ceremonies.
 */
export class SoftwareAuthenticator {
  counter = 0;
  /** the user handle the credential was created for (base64url), returned in assertions as a discoverable credential does */
  userHandle: string | undefined;

  private constructor(
    readonly credentialId: Uint8Array,
    private readonly keys: CryptoKeyPair,
    readonly origin: string,
    readonly rpId: string,
  ) {}

  static async create(options: { origin?: string; rpId?: string } = {}): Promise<SoftwareAuthenticator> {
    const keys = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
    return new SoftwareAuthenticator(
      crypto.getRandomValues(new Uint8Array(32)),
      keys,
      options.origin ?? "https://shop.example",
      options.rpId ?? "shop.example",
    );
  }

  /** The credential id, base64url, as the server stores it. */
  get id(): string {
    return base64url(this.credentialId);
  }

  /** navigator.credentials.create: a new credential attested with `fmt: "none"`. */
  async register(options: PublicKeyCredentialCreationOptionsJSON, overrides: CeremonyOverrides = {}): Promise<RegistrationResponseJSON> {
    this.userHandle = options.user.id;
    const clientDataJSON = this.clientData("webauthn.create", options.challenge, overrides);
    const jwk = await crypto.subtle.exportKey("jwk", this.keys.publicKey);
    const cosePublicKey = encodeCBOR(
      new Map<number, CBORType>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, fromBase64url(jwk.x ?? "")],
        [-3, fromBase64url(jwk.y ?? "")],
      ]),
    );
    const attestedCredentialData = concat(new Uint8Array(16), uint16(this.credentialId.length), this.credentialId, cosePublicKey);
    const flags = FLAG_USER_PRESENT | (overrides.userVerified === false ? 0 : FLAG_USER_VERIFIED) | FLAG_ATTESTED_CREDENTIAL_DATA;
    const authData = concat(await this.authDataHeader(flags, this.counter, overrides), attestedCredentialData);
    const attestationObject = encodeCBOR(
      new Map<string, CBORType>([
        ["fmt", "none"],
        ["attStmt", new Map<string, CBORType>()],
        ["authData", authData],
      ]),
    );
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key",
      response: { clientDataJSON: base64url(clientDataJSON), attestationObject: base64url(attestationObject), transports: ["internal", "hybrid"] },
      authenticatorAttachment: "platform",
      clientExtensionResults: {},
    };
  }

  /** navigator.credentials.get: an assertion signed over authData ‖ SHA-256(clientDataJSON). */
  async assert(options: PublicKeyCredentialRequestOptionsJSON, overrides: CeremonyOverrides = {}): Promise<AuthenticationResponseJSON> {
    const allowed = options.allowCredentials ?? [];
    if (allowed.length && !allowed.some((c) => c.id === this.id)) throw new Error("this authenticator holds none of the allowed credentials");
    this.counter = overrides.counter ?? this.counter + 1;
    const clientDataJSON = this.clientData("webauthn.get", options.challenge, overrides);
    const flags = FLAG_USER_PRESENT | (overrides.userVerified === false ? 0 : FLAG_USER_VERIFIED);
    const authData = await this.authDataHeader(flags, this.counter, overrides);
    const signed = concat(authData, await sha256(clientDataJSON));
    const p1363 = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, this.keys.privateKey, signed));
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key",
      response: {
        clientDataJSON: base64url(clientDataJSON),
        authenticatorData: base64url(authData),
        signature: base64url(derSignature(p1363)),
        ...(this.userHandle ? { userHandle: this.userHandle } : {}),
      },
      authenticatorAttachment: "platform",
      clientExtensionResults: {},
    };
  }

  private clientData(type: string, challenge: string, overrides: CeremonyOverrides): Uint8Array<ArrayBuffer> {
    return new TextEncoder().encode(
      JSON.stringify({
        type: overrides.type ?? type,
        challenge: overrides.challenge ?? challenge,
        origin: overrides.origin ?? this.origin,
        crossOrigin: false,
      }),
    );
  }

  /** rpIdHash ‖ flags ‖ signCount: the 37 bytes every authenticatorData starts with. */
  private async authDataHeader(flags: number, counter: number, overrides: CeremonyOverrides): Promise<Uint8Array> {
    const counterBytes = new Uint8Array(4);
    new DataView(counterBytes.buffer).setUint32(0, counter);
    return concat(await sha256(new TextEncoder().encode(overrides.rpId ?? this.rpId)), Uint8Array.of(flags), counterBytes);
  }
}

/** WebCrypto signs ECDSA as r ‖ s; WebAuthn carries ASN.1 DER, SEQUENCE { INTEGER r, INTEGER s }. */
function derSignature(p1363: Uint8Array): Uint8Array {
  const integer = (bytes: Uint8Array) => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    let body: Uint8Array = bytes.slice(start);
    if ((body[0] ?? 0) & 0x80) body = concat(Uint8Array.of(0), body);
    return concat(Uint8Array.of(0x02, body.length), body);
  };
  const r = integer(p1363.slice(0, 32));
  const s = integer(p1363.slice(32));
  return concat(Uint8Array.of(0x30, r.length + s.length), r, s);
}

async function sha256(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
}

function uint16(value: number): Uint8Array {
  return Uint8Array.of(value >> 8, value & 0xff);
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const base64url = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");
const fromBase64url = (text: string) => new Uint8Array(Buffer.from(text, "base64url"));
