import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { generateSigningKey } from "@bazaar/auth";

/**
 * The development secrets `bun run dev` needs, kept in the git-ignored .env so tokens
 * survive restarts: written once on first run, never overwritten.
 */
export async function ensureDevEnv(path: string): Promise<{ AUTH_SIGNING_KEY: string; EVENTS_SECRET: string }> {
  const current = existsSync(path) ? parseEnv(readFileSync(path, "utf8")) : {};
  let AUTH_SIGNING_KEY = process.env.AUTH_SIGNING_KEY || current.AUTH_SIGNING_KEY;
  let EVENTS_SECRET = process.env.EVENTS_SECRET || current.EVENTS_SECRET;
  const additions: string[] = [];
  if (!AUTH_SIGNING_KEY) {
    AUTH_SIGNING_KEY = JSON.stringify((await generateSigningKey(`key_dev_${Date.now().toString(36)}`)).privateJwk);
    additions.push(`AUTH_SIGNING_KEY='${AUTH_SIGNING_KEY}'`);
  }
  if (!EVENTS_SECRET) {
    EVENTS_SECRET = Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("base64url");
    additions.push(`EVENTS_SECRET=${EVENTS_SECRET}`);
  }
  if (additions.length) appendFileSync(path, `# written by bun run dev (development only)\n${additions.join("\n")}\n`);
  return { AUTH_SIGNING_KEY, EVENTS_SECRET };
}

function parseEnv(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*(.*)\s*$/.exec(line);
    if (!match?.[1]) continue;
    values[match[1]] = (match[2] ?? "").replace(/^'(.*)'$/, "$1").replace(/^"(.*)"$/, "$1");
  }
  return values;
}
