import { assertSafeKey, type FileStore, type StoredFile } from "./store.ts";

export interface S3FileStoreOptions {
  bucket: string;
  /** R2: `https://<account-id>.r2.cloudflarestorage.com`; MinIO etc.: its URL; AWS: may be left out */
  endpoint?: string;
  /** R2: `auto`; AWS: the bucket's region. Left out: see {@link regionOf}. */
  region?: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** The production store: any S3-compatible bucket (R2, AWS S3, MinIO) through Bun's built-in S3 client. */
export class S3FileStore implements FileStore {
  readonly name = "s3";
  private readonly client: Bun.S3Client;

  constructor(options: S3FileStoreOptions) {
    const region = options.region ?? regionOf(options.endpoint);
    // Bun fills every option left out from AWS_*/S3_* variables it read at process start; passing
    // endpoint and region always means the config alone decides where files go
    this.client = new Bun.S3Client({
      bucket: options.bucket,
      endpoint: options.endpoint ?? `https://s3.${region}.amazonaws.com`,
      region,
      accessKeyId: options.accessKeyId,
      secretAccessKey: options.secretAccessKey,
    });
  }

  async put(key: string, bytes: Uint8Array, contentType: string): Promise<void> {
    assertSafeKey(key);
    await this.client.write(key, bytes, { type: contentType });
  }

  async get(key: string): Promise<StoredFile | undefined> {
    assertSafeKey(key);
    const file = this.client.file(key);
    // Bun shows response headers only through stat() (a HEAD), so the type and the bytes are two requests;
    // the GET's error decides, since a HEAD 404 has no body and cannot tell a missing key from a missing bucket
    const [bytes, stat] = await Promise.allSettled([file.bytes(), file.stat()]);
    if (bytes.status === "rejected") {
      if (isNoSuchKey(bytes.reason)) return undefined;
      throw bytes.reason;
    }
    if (stat.status === "rejected") {
      if (isNoSuchKey(stat.reason)) return undefined; // deleted between the two requests
      throw stat.reason;
    }
    return { bytes: bytes.value, contentType: stat.value.type };
  }

  /** S3 answers 204 for a missing key too, so deleting twice is fine. */
  async delete(key: string): Promise<void> {
    assertSafeKey(key);
    await this.client.delete(key);
  }
}

function isNoSuchKey(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === "NoSuchKey";
}

/** The signing region when the config names none: taken from an AWS endpoint, `auto` for R2 and the like. */
export function regionOf(endpoint: string | undefined): string {
  if (!endpoint) return "us-east-1";
  const host = new URL(endpoint).hostname;
  if (!host.endsWith(".amazonaws.com")) return "auto";
  // s3.eu-west-1.amazonaws.com, s3.dualstack.us-gov-west-1.amazonaws.com; the global s3.amazonaws.com is us-east-1
  return /[.-]([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com$/.exec(host)?.[1] ?? "us-east-1";
}
