export type { FileStore, StoredFile } from "./store.ts";
export { LocalFileStore } from "./local.ts";
