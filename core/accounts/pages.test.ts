import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHarness, type Harness } from "../testing/harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.destroy());

for (const path of ["/account/verify-email", "/account/reset-password"]) {
  test(`${path}: an HTML page whose only script is exactly the one its CSP allows, and which leaks no token`, async () => {
    const response = await h.request("GET", `${path}?token=ev_secret-token-in-the-url`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toStartWith("text/html");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    expect(response.headers.get("cache-control")).toBe("no-store");
    const html = await response.text();
    // the page never echoes the token: the script reads it from the URL, so no injection through it
    expect(html).not.toContain("secret-token-in-the-url");
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? "");
    expect(scripts).toHaveLength(1);
    const hash = new Bun.CryptoHasher("sha256").update(scripts[0] ?? "").digest("base64");
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain(`script-src 'sha256-${hash}'`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
  });
}
