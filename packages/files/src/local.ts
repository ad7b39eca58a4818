import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { assertSafeKey, type FileStore, type StoredFile } from "./store.ts";

/** The embedded default: files under one directory, each beside a `~type` file holding its content type. */
export class LocalFileStore implements FileStore {
  readonly name = "local";
  private readonly root: string;

  constructor(directory: string) {
    this.root = resolve(directory);
  }

  async put(key: string, bytes: Uint8Array, contentType: string): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, bytes);
    await writeFile(typePath(path), contentType);
  }

  async get(key: string): Promise<StoredFile | undefined> {
    const path = this.pathOf(key);
    try {
      const [bytes, contentType] = await Promise.all([readFile(path), readFile(typePath(path), "utf8")]);
      return { bytes: new Uint8Array(bytes), contentType };
    } catch (error) {
      // ENOTDIR: a parent of the key is a file (key "a" exists, "a/b" is asked for), so no such file either
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    await rm(path, { force: true });
    await rm(typePath(path), { force: true });
  }

  private pathOf(key: string): string {
    assertSafeKey(key);
    return join(this.root, key);
  }
}

// `~` is outside the key alphabet (assertSafeKey), so no key's file can be another key's sidecar
function typePath(path: string): string {
  return `${path}~type`;
}
