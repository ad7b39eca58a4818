// Round-trips one object through a real bucket only when S3_TEST_BUCKET, S3_TEST_ACCESS_KEY_ID and
// S3_TEST_SECRET_ACCESS_KEY are set (no network here); S3_TEST_ENDPOINT (R2, MinIO) and S3_TEST_REGION
// are optional. s3.test.ts covers the wire format locally. Writes and deletes under bazaar-live-test/.
import { describe, expect, test } from "bun:test";
import { S3FileStore } from "../src/s3.ts";

const bucket = process.env.S3_TEST_BUCKET;
const accessKeyId = process.env.S3_TEST_ACCESS_KEY_ID;
const secretAccessKey = process.env.S3_TEST_SECRET_ACCESS_KEY;
const endpoint = process.env.S3_TEST_ENDPOINT;
const region = process.env.S3_TEST_REGION;

describe.skipIf(!bucket || !accessKeyId || !secretAccessKey)("S3FileStore (live)", () => {
  test("put, get with content type, delete, then get is undefined and a second delete is fine", async () => {
    const store = new S3FileStore({
      bucket: bucket ?? "",
      accessKeyId: accessKeyId ?? "",
      secretAccessKey: secretAccessKey ?? "",
      ...(endpoint ? { endpoint } : {}),
      ...(region ? { region } : {}),
    });
    const key = `bazaar-live-test/${crypto.randomUUID()}.png`;
    const bytes = crypto.getRandomValues(new Uint8Array(1024));

    try {
      await store.put(key, bytes, "image/png");
      expect(await store.get(key)).toEqual({ bytes, contentType: "image/png" });
    } finally {
      await store.delete(key);
    }
    expect(await store.get(key)).toBeUndefined();
    await store.delete(key);
  }, 30_000);
});
