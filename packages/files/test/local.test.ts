import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalFileStore } from "../src/local.ts";

const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 255, 7]);

describe("LocalFileStore", () => {
  let parent: string;
  let root: string;
  let store: LocalFileStore;

  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), "bazaar-files-"));
    root = join(parent, "files");
    store = new LocalFileStore(root);
  });
  afterAll(() => rm(parent, { recursive: true, force: true }));

  test("round trip: get returns the bytes and the content type put stored", async () => {
    await store.put("products/prd_1/image-1.png", png, "image/png");

    expect(await store.get("products/prd_1/image-1.png")).toEqual({ bytes: png, contentType: "image/png" });
  });

  test("put replaces an object and its content type", async () => {
    await store.put("avatars/usr_1", png, "image/png");
    await store.put("avatars/usr_1", new Uint8Array([0xff, 0xd8, 0xff]), "image/jpeg");

    expect(await store.get("avatars/usr_1")).toEqual({ bytes: new Uint8Array([0xff, 0xd8, 0xff]), contentType: "image/jpeg" });
  });

  test("a missing key reads as undefined, also below a key that is a file", async () => {
    expect(await store.get("products/prd_404/none.png")).toBeUndefined();
    await store.put("docs/report", png, "application/pdf");
    expect(await store.get("docs/report/page-1")).toBeUndefined();
  });

  test("delete removes the file; deleting again, or a key never written, is not an error", async () => {
    await store.put("chat/room_1/a.txt", new TextEncoder().encode("hi"), "text/plain");

    await store.delete("chat/room_1/a.txt");
    await store.delete("chat/room_1/a.txt");
    await store.delete("chat/room_1/never-written.txt");

    expect(await store.get("chat/room_1/a.txt")).toBeUndefined();
    expect(await readdir(join(root, "chat/room_1"))).toEqual([]);
  });

  test("a key that looks like another key's content-type file does not overwrite it", async () => {
    await store.put("kyc/sel_1/passport", png, "application/pdf");
    await store.put("kyc/sel_1/passport.type", new TextEncoder().encode("text"), "text/plain");

    expect(await store.get("kyc/sel_1/passport")).toEqual({ bytes: png, contentType: "application/pdf" });
    expect((await store.get("kyc/sel_1/passport.type"))?.contentType).toBe("text/plain");
  });

  test("unsafe keys are refused, and nothing is written outside the root", async () => {
    for (const key of ["../x", "/abs", "a/../../b", "a/./b", "..", ".hidden", "", "a//b", "a/", "a\\b", "a/b c", "%2e%2e/x"]) {
      await expect(store.put(key, png, "image/png")).rejects.toThrow("unsafe file key");
      await expect(store.get(key)).rejects.toThrow("unsafe file key");
      await expect(store.delete(key)).rejects.toThrow("unsafe file key");
    }
    expect(await readdir(parent)).toEqual(["files"]);
  });
});
