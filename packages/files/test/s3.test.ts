// S3FileStore with Bun's real S3 client against a local S3 endpoint that checks every SigV4 signature.
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { regionOf, S3FileStore } from "../src/s3.ts";
import { startFakeS3 } from "./fixtures/fake-s3.ts";

const BUCKET = "bazaar-files";
const ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE";
const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 255, 7]);

describe("S3FileStore", () => {
  // no region in the config and an endpoint that is not AWS: signed for "auto", as R2 expects
  const s3 = startFakeS3({ bucket: BUCKET, accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET, region: "auto" });
  const store = (overrides: { bucket?: string; secretAccessKey?: string; region?: string } = {}) =>
    new S3FileStore({ endpoint: s3.endpoint, bucket: BUCKET, accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET, ...overrides });

  beforeEach(() => {
    s3.objects.clear();
    s3.requests.length = 0;
  });
  afterAll(() => s3.stop());

  test("put stores the bytes with their content type under /<bucket>/<key>, get returns both", async () => {
    await store().put("products/prd_1/image-1.png", png, "image/png");

    expect(s3.objects.get("products/prd_1/image-1.png")).toEqual({ bytes: png, contentType: "image/png" });
    expect(await store().get("products/prd_1/image-1.png")).toEqual({ bytes: png, contentType: "image/png" });
    expect(s3.requests.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      "GET /bazaar-files/products/prd_1/image-1.png",
      "HEAD /bazaar-files/products/prd_1/image-1.png",
      "PUT /bazaar-files/products/prd_1/image-1.png",
    ]);
  });

  test("every request carries a SigV4 Authorization header for the configured key, which the endpoint verified", async () => {
    await store().put("kyc/sel_1/passport.pdf", new Uint8Array([1, 2, 3]), "application/pdf");
    await store().get("kyc/sel_1/passport.pdf");
    await store().delete("kyc/sel_1/passport.pdf");

    expect(s3.requests).toHaveLength(4);
    for (const request of s3.requests) {
      expect(request.credential).toMatch(new RegExp(`^${ACCESS_KEY_ID}/\\d{8}/auto/s3/aws4_request$`));
      expect(request.signedHeaders).toEqual(expect.arrayContaining(["host", "x-amz-content-sha256", "x-amz-date"]));
    }
  });

  test("a missing key reads as undefined (404 NoSuchKey)", async () => {
    expect(await store().get("products/prd_404/none.png")).toBeUndefined();
  });

  test("delete removes the object; deleting again, or a key never written, is not an error", async () => {
    await store().put("chat/room_1/a.txt", new TextEncoder().encode("hi"), "text/plain");

    await store().delete("chat/room_1/a.txt");
    await store().delete("chat/room_1/a.txt");
    await store().delete("chat/room_1/never-written.txt");

    expect(s3.objects.size).toBe(0);
    expect(await store().get("chat/room_1/a.txt")).toBeUndefined();
  });

  test("put replaces an object and its content type", async () => {
    await store().put("avatars/usr_1", png, "image/png");
    await store().put("avatars/usr_1", new Uint8Array([0xff, 0xd8, 0xff]), "image/jpeg");

    expect(await store().get("avatars/usr_1")).toEqual({ bytes: new Uint8Array([0xff, 0xd8, 0xff]), contentType: "image/jpeg" });
  });

  test("a wrong secret fails loudly (403 SignatureDoesNotMatch), on get too: never a silent 'no such file'", async () => {
    const wrong = store({ secretAccessKey: "not-the-secret" });

    await expect(wrong.put("a/b.txt", png, "text/plain")).rejects.toMatchObject({ name: "S3Error", code: "SignatureDoesNotMatch" });
    await expect(wrong.get("a/b.txt")).rejects.toMatchObject({ name: "S3Error", code: "SignatureDoesNotMatch" });
    expect(s3.objects.size).toBe(0);
  });

  test("a missing bucket fails loudly (404 NoSuchBucket) instead of reading as a missing file", async () => {
    await expect(store({ bucket: "no-such-bucket" }).get("a/b.txt")).rejects.toMatchObject({ name: "S3Error", code: "NoSuchBucket" });
  });

  test("a configured region is the one signed for", async () => {
    const eu = startFakeS3({ bucket: BUCKET, accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET, region: "eu-central-1" });
    try {
      const euStore = new S3FileStore({ endpoint: eu.endpoint, region: "eu-central-1", bucket: BUCKET, accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET });
      await euStore.put("a/b.txt", png, "text/plain");

      expect(eu.requests[0]?.credential).toMatch(/\/eu-central-1\/s3\/aws4_request$/);
      await expect(store({ region: "us-west-2" }).put("a/b.txt", png, "text/plain")).rejects.toMatchObject({ code: "AuthorizationHeaderMalformed" });
    } finally {
      await eu.stop();
    }
  });

  test("AWS_REGION in the environment cannot override the config (Bun's client would read it)", async () => {
    const child = Bun.spawn([process.execPath, `${import.meta.dir}/fixtures/put-one-file.ts`, s3.endpoint, BUCKET, ACCESS_KEY_ID, SECRET], {
      env: { PATH: process.env.PATH, AWS_REGION: "eu-west-9", S3_REGION: "eu-west-9", AWS_ENDPOINT: "http://127.0.0.1:9" },
      stderr: "pipe",
    });

    expect(await child.exited).toBe(0);
    expect(s3.requests.map((r) => r.credential?.split("/")[2])).toEqual(["auto"]);
    expect(s3.objects.has("probe/file.txt")).toBe(true);
  });

  test("unsafe keys are refused before any request", async () => {
    for (const key of ["../x", "/abs", "a/../../b", "a/./b", "", "a//b", "a\\b"]) {
      await expect(store().put(key, png, "image/png")).rejects.toThrow("unsafe file key");
      await expect(store().get(key)).rejects.toThrow("unsafe file key");
      await expect(store().delete(key)).rejects.toThrow("unsafe file key");
    }
    expect(s3.requests).toHaveLength(0);
  });
});

describe("regionOf", () => {
  test("reads the region from an AWS endpoint, uses auto elsewhere (R2) and us-east-1 with no endpoint", () => {
    expect(regionOf(undefined)).toBe("us-east-1");
    expect(regionOf("https://s3.eu-west-1.amazonaws.com")).toBe("eu-west-1");
    expect(regionOf("https://s3-ap-southeast-2.amazonaws.com")).toBe("ap-southeast-2");
    expect(regionOf("https://s3.dualstack.us-gov-west-1.amazonaws.com")).toBe("us-gov-west-1");
    expect(regionOf("https://s3.amazonaws.com")).toBe("us-east-1");
    expect(regionOf("https://0123456789abcdef.r2.cloudflarestorage.com")).toBe("auto");
    expect(regionOf("http://127.0.0.1:9000")).toBe("auto");
  });
});
