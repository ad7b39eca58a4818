export { LocalFileStore } from "./local.ts";
export { S3FileStore, type S3FileStoreOptions } from "./s3.ts";
export type { FileStore, StoredFile } from "./store.ts";
