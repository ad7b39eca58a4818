// Prints a new Ed25519 private JWK for AUTH_SIGNING_KEY (store it as a secret in production).
import { generateSigningKey } from "@bazaar/auth";

const kid = process.argv[2] ?? `key_${new Date().toISOString().slice(0, 10).replaceAll("-", "")}`;
const { privateJwk } = await generateSigningKey(kid);
console.log(JSON.stringify(privateJwk));
