export interface StoredFile {
  bytes: Uint8Array;
  contentType: string;
}

/**
 * One interface, two implementations: a local directory (the embedded default) and any
 * S3-compatible bucket such as R2 (production). Keys are `/`-separated, never user input.
 */
export interface FileStore {
  readonly name: string;
  put(key: string, bytes: Uint8Array, contentType: string): Promise<void>;
  /** undefined when there is no such file */
  get(key: string): Promise<StoredFile | undefined>;
  /** deleting a missing file is not an error */
  delete(key: string): Promise<void>;
}

/** Keys are built by our code; this refuses anything that could climb out of the store. */
export function assertSafeKey(key: string): void {
  if (!/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_.-]+)*$/.test(key) || key.split("/").some((part) => part === "." || part === "..")) {
    throw new Error(`unsafe file key: ${JSON.stringify(key)}`);
  }
}
