import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { CatalogImportPage, Problem } from "@bazaar/contracts";
import { createHarness, type Harness } from "../../testing/harness.ts";
import { count, json, type Person, signUp } from "../products/test-fixtures.ts";
import { csv, drain, seedImportCatalog, TSHIRT_HEADER, tshirtRow, upload, uploadOk } from "./test-fixtures.ts";

let h: Harness;
let alice: Person;
let mallory: Person;
let buyer: Person;
const FILE = csv(TSHIRT_HEADER, [tshirtRow("TEE-1", "tee", "red", "S"), tshirtRow("TEE-2", "tee", "red", "M", { price_minor: "-1" })]);
beforeEach(async () => {
  h = await createHarness();
  await seedImportCatalog(h);
  alice = await signUp(h, "seller");
  mallory = await signUp(h, "seller");
  buyer = await signUp(h);
});
afterEach(() => h.destroy());

describe("POST /v1/seller/imports", () => {
  test("202 with the id, status and a Location to poll", async () => {
    const response = await upload(h, alice.token, FILE);
    expect(response.status).toBe(202);
    const body = await json<{ id: string; status: string }>(response);
    expect(body.status).toBe("queued");
    expect(response.headers.get("location")).toBe(`/v1/seller/imports/${body.id}`);
  });

  test("no token 401, a buyer 403, XML 415, a CSV sent as JSON 422", async () => {
    expect(
      (await h.app.handle(new Request("http://localhost/v1/seller/imports", { method: "POST", headers: { "content-type": "text/csv" }, body: FILE }))).status,
    ).toBe(401);
    expect((await upload(h, buyer.token, FILE)).status).toBe(403);
    expect((await upload(h, alice.token, FILE, { "content-type": "application/xml" })).status).toBe(415);
    expect((await upload(h, alice.token, FILE, { "content-type": "application/json" })).status).toBe(422);
    expect(await count(h, "catalog_import")).toBe(0);
  });

  test("over 50 MiB: 413 from the declared length, and 413 while streaming a body that declares none (nothing kept)", async () => {
    const declared = await upload(h, alice.token, "x", { "content-length": String(50 * 1024 * 1024 + 1) });
    expect(declared.status).toBe(413);
    expect((await json<Problem>(declared)).code).toBe("PAYLOAD_TOO_LARGE");

    const piece = new TextEncoder().encode(`${"x".repeat(1023)}\n`.repeat(1024)); // 1 MiB
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode(`${TSHIRT_HEADER}\n`));
        controller.enqueue(piece);
        if (++sent > 51) controller.close();
      },
    });
    const streamed = await upload(h, alice.token, body);
    expect(streamed.status).toBe(413);
    expect(await count(h, "catalog_import")).toBe(0);
    // the pieces stored before the limit was passed are removed again
    const { files } = h.deps.config;
    if (files.store !== "local") throw new Error("the tests run on the local file store");
    const left = [...new Bun.Glob("imports/*/source/*").scanSync({ cwd: files.directory, onlyFiles: true })];
    expect(left).toEqual([]);
  });
});

describe("reading imports", () => {
  test("another seller's import and report are 404; lists show only one's own, a page at a time", async () => {
    const id = await uploadOk(h, alice.token, FILE);
    await uploadOk(h, alice.token, FILE);
    await uploadOk(h, mallory.token, FILE);
    await drain(h);

    expect((await h.request("GET", `/v1/seller/imports/${id}`, { token: alice.token })).status).toBe(200);
    expect((await h.request("GET", `/v1/seller/imports/${id}/report`, { token: alice.token })).status).toBe(200);
    for (const path of [`/v1/seller/imports/${id}`, `/v1/seller/imports/${id}/report`]) {
      const response = await h.request("GET", path, { token: mallory.token });
      expect(response.status).toBe(404);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
    }
    expect((await h.request("GET", `/v1/seller/imports/${id}`, { token: buyer.token })).status).toBe(403);
    expect((await h.request("GET", `/v1/seller/imports/${id}`)).status).toBe(401);

    const first = await json<CatalogImportPage>(await h.request("GET", "/v1/seller/imports?limit=1", { token: alice.token }));
    expect(first.items).toHaveLength(1);
    expect(first.nextCursor).not.toBeNull();
    const second = await json<CatalogImportPage>(await h.request("GET", `/v1/seller/imports?limit=1&cursor=${first.nextCursor}`, { token: alice.token }));
    expect(second.items).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    expect([...first.items, ...second.items].map((i) => i.id)).toContain(id);
    const theirs = await json<CatalogImportPage>(await h.request("GET", "/v1/seller/imports", { token: mallory.token }));
    expect(theirs.items).toHaveLength(1);
    expect(theirs.items[0]?.id).not.toBe(id);
  });

  test("a malformed id is 422, an unknown one 404", async () => {
    expect((await h.request("GET", "/v1/seller/imports/nope", { token: alice.token })).status).toBe(422);
    expect((await h.request("GET", "/v1/seller/imports/imp_01JDQ7Y3V5K8M2N4P6R8T0W2Y4", { token: alice.token })).status).toBe(404);
  });
});
