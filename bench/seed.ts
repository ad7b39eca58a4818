import type { Seed } from "./scenarios.ts";

/** Registers the one benchmark user through the API, as a client would. */
export async function registerBenchUser(coreUrl: string): Promise<Seed> {
  const email = `bench-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const password = `bench ${crypto.randomUUID()}`;
  const response = await fetch(`${coreUrl}/v1/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password, name: "Bench User" }),
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`registering the bench user: expected 201, got ${response.status}: ${text}`);
  const { accessToken } = JSON.parse(text) as { accessToken?: unknown };
  if (typeof accessToken !== "string") throw new Error(`registering the bench user: no accessToken in ${text}`);
  return { email, password, accessToken };
}
