import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { AddressList, AddressView, Problem, UserView } from "@bazaar/contracts";
import { createHarness, type Harness } from "../../testing/harness.ts";
import { gif, jpeg, png, pngCarrying } from "./test-images.ts";

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.destroy());

const json = async <T>(response: Response) => (await response.json()) as T;
const problem = async (response: Response) => {
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return json<Problem>(response);
};
const rows = async (sql: string, ...args: string[]) => (await h.database.client.execute({ sql, args })).rows;
const count = async (sql: string, ...args: string[]) => Number((await rows(sql, ...args))[0]?.n);
/** How many files the store holds on disk under avatars/ (each avatar and whatever the store keeps beside it). */
const storedFiles = () => {
  const dir = h.deps.config.files.store === "local" ? join(h.deps.config.files.directory, "avatars") : "";
  return existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).length : 0;
};

function upload(token: string, body: Uint8Array | ReadableStream<Uint8Array>, headers: Record<string, string>): Promise<Response> {
  return h.app.handle(new Request("http://localhost/v1/me/avatar", { method: "PUT", headers: { authorization: `Bearer ${token}`, ...headers }, body }));
}
const uploadBytes = (token: string, bytes: Uint8Array, type: string) => upload(token, bytes, { "content-type": type, "content-length": String(bytes.length) });

const ADDRESS = { recipient: "Ada Lovelace", line1: "Rua Augusta 24", city: "Lisboa", postalCode: "1100-048", country: "PT" };
const FAKE_ADDRESS = "adr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C";

/** Every profile route that needs a signed-in user, with a body it would accept. */
const SIGNED_IN: [string, string, unknown?][] = [
  ["PATCH", "/v1/me", { locale: "fr" }],
  ["DELETE", "/v1/me", { password: "correct horse battery staple" }],
  ["DELETE", "/v1/me/avatar"],
  ["GET", "/v1/me/addresses"],
  ["POST", "/v1/me/addresses", ADDRESS],
  ["GET", `/v1/me/addresses/${FAKE_ADDRESS}`],
  ["PATCH", `/v1/me/addresses/${FAKE_ADDRESS}`, { city: "Porto" }],
  ["DELETE", `/v1/me/addresses/${FAKE_ADDRESS}`],
];

describe("who may call", () => {
  test("no token → 401 on every profile route, the avatar upload included, and nothing is written", async () => {
    for (const [method, path, body] of SIGNED_IN) {
      const response = await h.request(method, path, body === undefined ? {} : { body });
      expect(response.status, `${method} ${path}`).toBe(401);
      expect((await problem(response)).code).toBe("UNAUTHENTICATED");
    }
    const bytes = png();
    const response = await h.app.handle(
      new Request("http://localhost/v1/me/avatar", {
        method: "PUT",
        headers: { "content-type": "image/png", "content-length": String(bytes.length) },
        body: bytes,
      }),
    );
    expect(response.status).toBe(401);
    expect(storedFiles()).toBe(0);
  });

  test("a suspended account's live token → 403 on every profile route", async () => {
    const ada = await h.register();
    await h.database.client.execute({ sql: "UPDATE user SET status = 'suspended' WHERE id = ?", args: [ada.user.id] });
    for (const [method, path, body] of SIGNED_IN) {
      const response = await h.request(method, path, body === undefined ? { token: ada.accessToken } : { token: ada.accessToken, body });
      expect(response.status, `${method} ${path}`).toBe(403);
      expect((await problem(response)).code).toBe("ACCOUNT_DISABLED");
    }
    expect((await uploadBytes(ada.accessToken, png(), "image/png")).status).toBe(403);
    expect(storedFiles()).toBe(0);
  });

  test("BOLA: another user's address does not exist for you — 404 to read, change or delete it, and it stays as it was", async () => {
    const ada = await h.register();
    const eve = await h.register();
    const mine = await json<AddressView>(await h.request("POST", "/v1/me/addresses", { token: ada.accessToken, body: ADDRESS }));
    const notFound = await problem(await h.request("GET", `/v1/me/addresses/${FAKE_ADDRESS}`, { token: eve.accessToken }));

    const attempts: [string, unknown?][] = [["GET"], ["PATCH", { city: "Elsewhere", isDefaultShipping: true }], ["DELETE"]];
    for (const [method, body] of attempts) {
      const response = await h.request(
        method,
        `/v1/me/addresses/${mine.id}`,
        body === undefined ? { token: eve.accessToken } : { token: eve.accessToken, body },
      );
      expect(response.status, method).toBe(404);
      // the same answer as for an id that exists nowhere: nothing tells eve the id is real
      const body404 = await problem(response);
      expect([body404.code, body404.detail]).toEqual([notFound.code, notFound.detail]);
    }
    expect((await json<AddressList>(await h.request("GET", "/v1/me/addresses", { token: eve.accessToken }))).items).toEqual([]);
    expect(await json<AddressView>(await h.request("GET", `/v1/me/addresses/${mine.id}`, { token: ada.accessToken }))).toEqual(mine);
    const eveDefaults = await rows("SELECT default_shipping_address_id AS s FROM user WHERE id = ?", eve.user.id);
    expect(eveDefaults[0]?.s).toBeNull();
  });

  test("a token only ever changes its own profile and avatar", async () => {
    const ada = await h.register({ name: "Ada" });
    const eve = await h.register({ name: "Eve" });
    await h.request("PATCH", "/v1/me", { token: eve.accessToken, body: { name: "Mallory" }, headers: { "x-user-id": ada.user.id } });
    await uploadBytes(eve.accessToken, png(), "image/png");
    expect(await json<UserView>(await h.request("GET", "/v1/me", { token: ada.accessToken }))).toMatchObject({ name: "Ada", avatarUrl: null });
  });
});

describe("bad input is a 4xx problem naming the field, never a 500, never a write", () => {
  const patches: [string, Parameters<Harness["request"]>[2], number, string[]][] = [
    ["an unknown field", { body: { name: "Ada", roles: ["admin"] } }, 422, ["/roles"]],
    ["an unsupported locale", { body: { locale: "xx" } }, 422, ["/locale"]],
    ["a locale in the wrong case", { body: { locale: "pt-br" } }, 422, ["/locale"]],
    ["a POSIX locale", { body: { locale: "en_US.UTF-8" } }, 422, ["/locale"]],
    ["an unsupported currency", { body: { currency: "XXX" } }, 422, ["/currency"]],
    ["a lower-case currency", { body: { currency: "usd" } }, 422, ["/currency"]],
    ["wrong types", { body: { name: 7, locale: ["en"], currency: null } }, 422, ["/name", "/locale", "/currency"]],
    ["a blank name", { body: { name: "   " } }, 422, ["/name"]],
    ["an overlong name", { body: { name: "x".repeat(101) } }, 422, ["/name"]],
    ["a NUL in the name", { body: { name: "Ada\u0000Admin" } }, 422, ["/name"]],
    ["a newline in the name", { body: { name: "Ada\nSupport team" } }, 422, ["/name"]],
    ["nothing to change", { body: {} }, 422, ["/"]],
    ["a JSON array", { body: [{ name: "Ada" }] }, 422, ["/"]],
    ["null", { rawBody: "null" }, 422, ["/"]],
    ["malformed JSON", { rawBody: '{"name": "Ada",' }, 400, ["/"]],
  ];
  for (const [name, options, status, paths] of patches) {
    test(`PATCH /v1/me with ${name} → ${status} naming ${paths.join(", ")}`, async () => {
      const ada = await h.register({ name: "Ada" });
      const response = await h.request("PATCH", "/v1/me", { ...options, token: ada.accessToken });
      expect(response.status).toBe(status);
      const body = await problem(response);
      for (const path of paths) expect(body.errors?.map((e) => e.path)).toContain(path);
      expect(await json<UserView>(await h.request("GET", "/v1/me", { token: ada.accessToken }))).toEqual(ada.user);
    });
  }

  test("PATCH /v1/me with a body that isn't JSON → 415; an oversized one → 413", async () => {
    const ada = await h.register();
    const form = await h.request("PATCH", "/v1/me", {
      token: ada.accessToken,
      rawBody: "name=Mallory",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(415);
    const huge = await h.request("PATCH", "/v1/me", {
      token: ada.accessToken,
      rawBody: JSON.stringify({ name: "x".repeat(2_000_000) }),
      headers: { "content-type": "application/json", "content-length": "2000011" },
    });
    expect(huge.status).toBe(413);
  });

  const addresses: [string, Record<string, unknown>, string[]][] = [
    ["missing required fields", {}, ["/recipient", "/line1", "/city", "/country"]],
    ["an unknown field", { ...ADDRESS, userId: "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C" }, ["/userId"]],
    ["a country that does not exist", { ...ADDRESS, country: "ZZ" }, ["/country"]],
    ["a lower-case country", { ...ADDRESS, country: "pt" }, ["/country"]],
    ["an alpha-3 country", { ...ADDRESS, country: "PRT" }, ["/country"]],
    ["a national phone number", { ...ADDRESS, phone: "021 123 4567" }, ["/phone"]],
    ["too few digits", { ...ADDRESS, phone: "+1 23 45" }, ["/phone"]],
    ["too many digits", { ...ADDRESS, phone: "+1234 5678 9012 3456" }, ["/phone"]],
    ["a country code starting with 0", { ...ADDRESS, phone: "+0351211234567" }, ["/phone"]],
    ["letters in the postal code", { ...ADDRESS, postalCode: "<b>1100</b>" }, ["/postalCode"]],
    ["an overlong first line", { ...ADDRESS, line1: "x".repeat(201) }, ["/line1"]],
    ["a blank recipient", { ...ADDRESS, recipient: " " }, ["/recipient"]],
    ["a control character", { ...ADDRESS, city: "Lisboa\u0007" }, ["/city"]],
    ['an empty second line (null clears it, "" is refused)', { ...ADDRESS, line2: "" }, ["/line2"]],
    ["a default flag that is not a boolean", { ...ADDRESS, isDefaultShipping: "yes" }, ["/isDefaultShipping"]],
  ];
  for (const [name, body, paths] of addresses) {
    test(`POST /v1/me/addresses with ${name} → 422 naming ${paths.join(", ")}`, async () => {
      const ada = await h.register();
      const response = await h.request("POST", "/v1/me/addresses", { token: ada.accessToken, body });
      expect(response.status).toBe(422);
      const problemBody = await problem(response);
      for (const path of paths) expect(problemBody.errors?.map((e) => e.path)).toContain(path);
      expect(await count("SELECT count(*) AS n FROM address")).toBe(0);
    });
  }

  test("PATCH an address: nothing to change, null for a required field, a bad country, a malformed id → 422, unchanged", async () => {
    const ada = await h.register();
    const mine = await json<AddressView>(await h.request("POST", "/v1/me/addresses", { token: ada.accessToken, body: { ...ADDRESS, postalCode: "1100-048" } }));
    const cases: [string, unknown, string][] = [
      [mine.id, {}, "/"],
      [mine.id, { recipient: null }, "/recipient"],
      [mine.id, { country: "XX" }, "/country"],
      ["adr_../../etc", { city: "Porto" }, "/id"],
    ];
    for (const [id, body, path] of cases) {
      const response = await h.request("PATCH", `/v1/me/addresses/${id}`, { token: ada.accessToken, body });
      expect(response.status).toBe(422);
      expect((await problem(response)).errors?.map((e) => e.path)).toContain(path);
    }
    expect(await json<AddressView>(await h.request("GET", `/v1/me/addresses/${mine.id}`, { token: ada.accessToken }))).toEqual(mine);
  });

  test("hostile strings in an address are stored and returned as data", async () => {
    const ada = await h.register();
    const hostile = { ...ADDRESS, recipient: "'; DELETE FROM address; --", line1: "<img src=x onerror=alert(1)>", label: "{{7*7}} <%= 7*7 %>" };
    const created = await json<AddressView>(await h.request("POST", "/v1/me/addresses", { token: ada.accessToken, body: hostile }));
    expect(created).toMatchObject({ recipient: hostile.recipient, line1: hostile.line1, label: hostile.label });
    expect(await count("SELECT count(*) AS n FROM address")).toBe(1);
  });

  test("DELETE /v1/me: an unknown field, a wrong type, no body, malformed JSON → 4xx, the account stays", async () => {
    const ada = await h.register();
    const cases: [Parameters<Harness["request"]>[2], number, string][] = [
      [{ body: { password: ada.password, everything: true } }, 422, "/everything"],
      [{ body: { password: 12345 } }, 422, "/password"],
      [{ body: { password: "x".repeat(129) } }, 422, "/password"],
      [{}, 400, "/"],
      [{ rawBody: "{" }, 400, "/"],
    ];
    for (const [options, status, path] of cases) {
      const response = await h.request("DELETE", "/v1/me", { ...options, token: ada.accessToken });
      expect(response.status).toBe(status);
      expect((await problem(response)).errors?.map((e) => e.path)).toContain(path);
    }
    expect((await rows("SELECT status FROM user WHERE id = ?", ada.user.id))[0]?.status).toBe("active");
  });
});

describe("avatar uploads", () => {
  const refusals: [string, () => Uint8Array, string, number][] = [
    ["a PNG labelled image/jpeg", png, "image/jpeg", 415],
    ["a JPEG labelled image/png", jpeg, "image/png", 415],
    ["an SVG labelled image/png", () => new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'), "image/png", 415],
    ["HTML labelled image/gif", () => new TextEncoder().encode("<!doctype html><script>alert(1)</script>"), "image/gif", 415],
    ["an SVG declared as such", () => new TextEncoder().encode("<svg/>"), "image/svg+xml", 415],
    ["HTML declared as such", () => new TextEncoder().encode("<html></html>"), "text/html", 415],
    ["a PNG/HTML polyglot", () => pngCarrying("<script>alert(1)</script>"), "image/png", 422],
    ["a 100000×100000 PNG header on a few bytes", () => png({ declared: [100_000, 100_000] }), "image/png", 422],
    ["a 5000×5000 GIF screen", () => gif({ width: 5000, height: 5000 }), "image/gif", 422],
    ["a truncated PNG", () => png().subarray(0, 40), "image/png", 422],
    ["an empty body", () => new Uint8Array(), "image/png", 422],
  ];
  for (const [name, bytes, type, status] of refusals) {
    test(`${name} → ${status}; nothing stored, the old avatar kept`, async () => {
      const ada = await h.register();
      const before = await json<UserView>(await uploadBytes(ada.accessToken, gif(), "image/gif"));
      const response = await uploadBytes(ada.accessToken, bytes(), type);
      expect(response.status).toBe(status);
      const body = await problem(response);
      if (status === 422) expect(body.errors?.[0]?.path).toBe("/");
      expect((await json<UserView>(await h.request("GET", "/v1/me", { token: ada.accessToken }))).avatarUrl).toBe(before.avatarUrl);
      expect(storedFiles()).toBe(2); // the first avatar and its content-type beside it
    });
  }

  test("over 2 MiB → 413: declared (refused before reading) or streamed without a length (refused while reading)", async () => {
    const ada = await h.register();
    const big = new Uint8Array(2 * 1024 * 1024 + 1);
    big.set(png().subarray(0, 8));
    const declared = await uploadBytes(ada.accessToken, big, "image/png");
    expect(declared.status).toBe(413);
    expect((await problem(declared)).code).toBe("PAYLOAD_TOO_LARGE");

    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        // an endless body: the upload must be cut off, not buffered
        sent += 64 * 1024;
        controller.enqueue(new Uint8Array(64 * 1024));
      },
    });
    const streamed = await upload(ada.accessToken, stream, { "content-type": "image/png" });
    expect(streamed.status).toBe(413);
    expect(sent).toBeLessThan(3 * 1024 * 1024);
    expect(storedFiles()).toBe(0);
  });

  test("ten concurrent uploads: every one succeeds and exactly one file — the one the user points at — is left", async () => {
    const ada = await h.register();
    const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => uploadBytes(ada.accessToken, png({ width: i + 1 }), "image/png")));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    const key = String((await rows("SELECT avatar_key FROM user WHERE id = ?", ada.user.id))[0]?.avatar_key);
    expect(await h.deps.files.get(key)).toBeDefined();
    expect(storedFiles()).toBe(2); // the file and its content-type beside it
  });
});

describe("concurrency and deleted accounts", () => {
  test("25 concurrent creates: exactly 20 addresses, the other 5 are 409", async () => {
    const ada = await h.register();
    const responses = await Promise.all(Array.from({ length: 25 }, () => h.request("POST", "/v1/me/addresses", { token: ada.accessToken, body: ADDRESS })));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(20);
    expect(statuses.filter((s) => s === 409)).toHaveLength(5);
    expect(await count("SELECT count(*) AS n FROM address WHERE user_id = ?", ada.user.id)).toBe(20);
  });

  test("two concurrent deletions of one account: one 204, the other refused, the events written once", async () => {
    const ada = await h.register();
    const responses = await Promise.all([0, 1].map(() => h.request("DELETE", "/v1/me", { token: ada.accessToken, body: { password: ada.password } })));
    expect(responses.map((r) => r.status).sort()).toEqual([204, 401]);
    expect(await count("SELECT count(*) AS n FROM outbox_event WHERE type = 'user.deleted'")).toBe(1);
    expect(await count("SELECT count(*) AS n FROM outbox_event WHERE type = 'session.revoked'")).toBe(1);
  });

  test("a deleted account's token is refused everywhere, and its data cannot be re-created through it", async () => {
    const ada = await h.register();
    expect((await h.request("DELETE", "/v1/me", { token: ada.accessToken, body: { password: ada.password } })).status).toBe(204);
    for (const [method, path, body] of SIGNED_IN) {
      const response = await h.request(method, path, body === undefined ? { token: ada.accessToken } : { token: ada.accessToken, body });
      expect(response.status, `${method} ${path}`).toBe(401);
    }
    expect((await uploadBytes(ada.accessToken, png(), "image/png")).status).toBe(401);
    expect(await count("SELECT count(*) AS n FROM address")).toBe(0);
    expect(storedFiles()).toBe(0);
  });
});
