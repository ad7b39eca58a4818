import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type { OAuthIdentityList, Problem, TokenPair } from "@bazaar/contracts";
import { createHarness, type Harness } from "../../testing/harness.ts";
import { callback, dance, oidcEnv, REDIRECT_URI, TEST_CLIENT } from "./testing/flow.ts";
import { startOpenIdProvider, type TestOpenIdProvider } from "./testing/openid-provider.ts";

const PEOPLE = {
  alice: { email: "alice@example.com", email_verified: true, name: "Alice" },
  mallory: { email: "mallory@example.com", email_verified: true, name: "Mallory" },
};
let local: TestOpenIdProvider;
let corp: TestOpenIdProvider;
beforeAll(async () => {
  local = await startOpenIdProvider({ clients: [TEST_CLIENT], accounts: PEOPLE });
  corp = await startOpenIdProvider({ clients: [TEST_CLIENT], accounts: PEOPLE });
});
afterAll(async () => {
  await local.stop();
  await corp.stop();
});

let h: Harness;
beforeEach(async () => {
  h = await createHarness(oidcEnv({ local: local.issuer, corp: corp.issuer }));
});
afterEach(() => h.destroy());

const json = async <T>(response: Response) => (await response.json()) as T;
const count = async (table: string) => Number((await h.database.client.execute(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n);
const problem = async (response: Response) => {
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return json<Problem>(response);
};
const expectBadState = async (response: Response) => {
  expect(response.status).toBe(400);
  expect((await problem(response)).errors?.map((e) => e.path)).toEqual(["/state"]);
};
const expectBadCode = async (response: Response) => {
  expect(response.status).toBe(400);
  expect((await problem(response)).errors?.map((e) => e.path)).toEqual(["/code"]);
};
/** Changes what the stored challenge remembers, as an attacker able to swap it would. */
const tamper = (field: string, value: string) =>
  h.database.client.execute({ sql: "UPDATE auth_challenge SET data = json_set(data, ?, ?) WHERE purpose = 'oauth'", args: [`$.${field}`, value] });

describe("state", () => {
  test("works once: replaying the same code and state → 400 naming /state", async () => {
    const { returned } = await dance(h, "local", "alice");
    expect((await callback(h, "local", returned)).status).toBe(200);
    await expectBadState(await callback(h, "local", returned));
    expect(await count("session")).toBe(1);
  });

  test("five concurrent callbacks with one state: exactly one signs in", async () => {
    const { returned } = await dance(h, "local", "alice");
    const responses = await Promise.all(Array.from({ length: 5 }, () => callback(h, "local", returned)));
    expect(responses.map((r) => r.status).sort()).toEqual([200, 400, 400, 400, 400]);
    expect(await count("user")).toBe(1);
  });

  test("a forged state → 400 naming /state, and the provider is never asked", async () => {
    const { returned } = await dance(h, "local", "alice");
    local.requests.length = 0;
    await expectBadState(await callback(h, "local", { ...returned, state: "ch_forgedforgedforgedforgedforgedforgedforge" }));
    await expectBadState(await callback(h, "local", { ...returned, state: "anything at all" }));
    expect(local.requests).not.toContain("POST /token");
  });

  test("an expired state (older than 10 minutes) → 400 naming /state", async () => {
    const { returned } = await dance(h, "local", "alice");
    h.clock.advance(10 * 60_000 + 1);
    await expectBadState(await callback(h, "local", returned));
  });

  test("a state started for one provider is refused at another's callback, and is burnt", async () => {
    const { returned } = await dance(h, "local", "alice");
    await expectBadState(await callback(h, "corp", returned));
    await expectBadState(await callback(h, "local", returned));
  });

  test("a link state cannot finish a sign-in, nor a sign-in state a link", async () => {
    const account = await h.register({ verified: true });
    const link = await dance(h, "local", "alice", account.accessToken);
    await expectBadState(await callback(h, "local", link.returned));
    const signIn = await dance(h, "local", "alice");
    await expectBadState(await callback(h, "local", signIn.returned, account.accessToken));
    expect(await count("oauth_identity")).toBe(0);
  });

  test("link CSRF: a link flow started by Mallory cannot be finished in Alice's session", async () => {
    const mallory = await h.register({ verified: true });
    const alice = await h.register({ verified: true });
    // Mallory starts linking her provider account to *her* Bazaar account, and tricks Alice's browser into finishing it
    const { returned } = await dance(h, "local", "mallory", mallory.accessToken);
    await expectBadState(await callback(h, "local", returned, alice.accessToken));
    expect(await count("oauth_identity")).toBe(0);
  });
});

describe("the code is bound to this attempt", () => {
  test("nonce: an ID token minted for another nonce is refused (400 naming /code), nothing created", async () => {
    const { returned } = await dance(h, "local", "alice");
    await tamper("nonce", "a-nonce-this-sign-in-never-sent");
    local.requests.length = 0;
    await expectBadCode(await callback(h, "local", returned));
    // the code and its verifier were good: it is the ID token's nonce that failed
    expect(local.requests).toContain("POST /token");
    expect(await count("user")).toBe(0);
    expect(await count("session")).toBe(0);
  });

  test("PKCE: the provider refuses the code with the wrong verifier", async () => {
    const { returned } = await dance(h, "local", "alice");
    await tamper("codeVerifier", "wrong-verifier-wrong-verifier-wrong-verifier-0123");
    local.requests.length = 0;
    await expectBadCode(await callback(h, "local", returned));
    expect(local.requests).toEqual(["POST /token"]);
    expect(await count("user")).toBe(0);
  });

  test("PKCE is required by the test provider: an authorization request without a challenge is refused there", async () => {
    const started = await json<{ authorizationUrl: string }>(
      await h.request("GET", `/v1/auth/oauth/local/authorize?redirectUri=${encodeURIComponent(REDIRECT_URI)}`),
    );
    const url = new URL(started.authorizationUrl);
    url.searchParams.delete("code_challenge");
    url.searchParams.delete("code_challenge_method");
    const response = await fetch(url, { redirect: "manual" });
    const back = new URL(response.headers.get("location") ?? "", url);
    expect(back.searchParams.get("error")).toBe("invalid_request");
  });

  test("a code stolen from one attempt cannot be redeemed with another attempt's state", async () => {
    const victim = await dance(h, "local", "alice");
    const attacker = await dance(h, "local", "mallory");
    await expectBadCode(await callback(h, "local", { ...attacker.returned, code: victim.returned.code }));
    expect(await count("user")).toBe(0);
  });

  test("mix-up: an `iss` that is not the provider's → 400 naming /code", async () => {
    const { returned } = await dance(h, "local", "alice");
    await expectBadCode(await callback(h, "local", { ...returned, iss: corp.issuer }));
  });

  test("a made-up code → 400 naming /code", async () => {
    const { returned } = await dance(h, "local", "alice");
    await expectBadCode(await callback(h, "local", { ...returned, code: "made-up-code" }));
  });
});

describe("redirectUri", () => {
  const refused = [
    "https://evil.example/account/oauth/callback",
    "https://shop.example.evil.example/account/oauth/callback",
    "https://evil.example/?https://shop.example/",
    "http://shop.example/account/oauth/callback",
    "https://shop.example:8443/account/oauth/callback",
    "https://user:pass@shop.example/account/oauth/callback",
    "https://shop.example/account/oauth/callback?next=https://evil.example",
    "https://shop.example/account/oauth/callback#token",
    "https://SHOP.example/account/oauth/callback",
    "https://shop.example/account/../oauth/callback",
    "https://shop.example\\@evil.example/",
    "//evil.example/account/oauth/callback",
    "/account/oauth/callback",
    "javascript:alert(1)",
    "https://shop.example",
  ];
  for (const uri of refused) {
    test(`${uri} → 422 naming /redirectUri, no challenge stored`, async () => {
      const response = await h.request("GET", `/v1/auth/oauth/local/authorize?redirectUri=${encodeURIComponent(uri)}`);
      expect(response.status).toBe(422);
      expect((await problem(response)).errors?.map((e) => e.path)).toContain("/redirectUri");
      expect(await count("auth_challenge")).toBe(0);
    });
  }

  test("linking checks it too", async () => {
    const account = await h.register({ verified: true });
    const response = await h.request("POST", "/v1/me/oauth/local/link", { token: account.accessToken, body: { redirectUri: "https://evil.example/cb" } });
    expect(response.status).toBe(422);
  });

  test("a WebAuthn origin of this site is allowed", async () => {
    await h.destroy();
    h = await createHarness({ ...oidcEnv({ local: local.issuer }), WEBAUTHN_ORIGINS: "https://shop.example,https://m.shop.example" });
    const response = await h.request("GET", `/v1/auth/oauth/local/authorize?redirectUri=${encodeURIComponent("https://m.shop.example/oauth")}`);
    expect(response.status).toBe(200);
  });

  test("a missing redirectUri → 422", async () => {
    expect((await h.request("GET", "/v1/auth/oauth/local/authorize")).status).toBe(422);
  });
});

describe("providers", () => {
  test("an unknown provider → 404, a malformed name → 422", async () => {
    const q = `?redirectUri=${encodeURIComponent(REDIRECT_URI)}`;
    expect((await h.request("GET", `/v1/auth/oauth/nobody/authorize${q}`)).status).toBe(404);
    expect((await h.request("POST", "/v1/auth/oauth/nobody/callback", { body: { code: "c", state: "s" } })).status).toBe(404);
    expect((await h.request("GET", `/v1/auth/oauth/Not_A_Name/authorize${q}`)).status).toBe(422);
  });

  test("a provider that cannot be reached → 502, and the next attempt discovers again", async () => {
    await h.destroy();
    let discoveries = 0;
    const down = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: () => {
        discoveries++;
        return new Response("down", { status: 503 });
      },
    });
    try {
      h = await createHarness(oidcEnv({ flaky: `http://127.0.0.1:${down.port}` }));
      const q = `?redirectUri=${encodeURIComponent(REDIRECT_URI)}`;
      const response = await h.request("GET", `/v1/auth/oauth/flaky/authorize${q}`);
      expect(response.status).toBe(502);
      expect((await problem(response)).code).toBe("BAD_GATEWAY");
      expect((await h.request("GET", `/v1/auth/oauth/flaky/authorize${q}`)).status).toBe(502);
      expect(discoveries).toBe(2);
    } finally {
      down.stop(true);
    }
  });

  test("starting sign-ins is throttled per address (each one stores a challenge)", async () => {
    const q = `?redirectUri=${encodeURIComponent(REDIRECT_URI)}`;
    const statuses: number[] = [];
    for (let i = 0; i < 61; i++) statuses.push((await h.request("GET", `/v1/auth/oauth/local/authorize${q}`)).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(60);
    expect(statuses.at(-1)).toBe(429);
  });
});

describe("authorization on /v1/me/oauth", () => {
  test("no token → 401 on every route", async () => {
    expect((await h.request("GET", "/v1/me/oauth")).status).toBe(401);
    expect((await h.request("POST", "/v1/me/oauth/local/link", { body: { redirectUri: REDIRECT_URI } })).status).toBe(401);
    expect((await h.request("POST", "/v1/me/oauth/local/link/callback", { body: { code: "c", state: "s" } })).status).toBe(401);
    expect((await h.request("DELETE", "/v1/me/oauth/local")).status).toBe(401);
  });

  test("BOLA: nobody sees or unlinks another user's identity", async () => {
    const victim = await json<TokenPair>(await callback(h, "local", (await dance(h, "local", "alice")).returned));
    const attacker = await h.register({ verified: true });
    const list = await json<OAuthIdentityList>(
      await h.request("GET", "/v1/me/oauth", { token: attacker.accessToken, headers: { "x-user-id": victim.user.id } }),
    );
    expect(list.identities).toEqual([]);
    const response = await h.request("DELETE", "/v1/me/oauth/local", { token: attacker.accessToken });
    expect(response.status).toBe(404);
    expect(await count("oauth_identity")).toBe(1);
    const mine = await json<OAuthIdentityList>(await h.request("GET", "/v1/me/oauth", { token: victim.accessToken }));
    expect(mine.identities.map((i) => i.provider)).toEqual(["local"]);
  });

  test("a suspended user cannot link or unlink", async () => {
    const account = await h.register({ verified: true });
    await h.database.client.execute({ sql: "UPDATE user SET status = 'suspended' WHERE id = ?", args: [account.user.id] });
    expect((await h.request("POST", "/v1/me/oauth/local/link", { token: account.accessToken, body: { redirectUri: REDIRECT_URI } })).status).toBe(403);
    expect((await h.request("DELETE", "/v1/me/oauth/local", { token: account.accessToken })).status).toBe(403);
  });
});

describe("bad input", () => {
  test("callback bodies are validated (422 naming the field), unknown fields refused", async () => {
    const cases: [unknown, string][] = [
      [{ state: "s" }, "/code"],
      [{ code: "c" }, "/state"],
      [{ code: "", state: "s" }, "/code"],
      [{ code: "c", state: "s", extra: 1 }, "/extra"],
      [{ code: "c".repeat(5000), state: "s" }, "/code"],
    ];
    for (const [body, path] of cases) {
      const response = await h.request("POST", "/v1/auth/oauth/local/callback", { body });
      expect(response.status).toBe(422);
      expect((await problem(response)).errors?.map((e) => e.path)).toContain(path);
    }
  });

  test("RFC 9207: the provider sends its `iss` back, and a callback without it is refused", async () => {
    const { started, returned } = await dance(h, "local", "alice");
    expect(returned.iss).toBe(local.issuer);
    const { iss: _dropped, ...withoutIss } = returned;
    await expectBadCode(await callback(h, "local", withoutIss));
    // a fresh attempt that posts everything back goes through
    const again = await dance(h, "local", "alice");
    expect(again.started.state).not.toBe(started.state);
    expect((await callback(h, "local", again.returned)).status).toBe(200);
  });
});
