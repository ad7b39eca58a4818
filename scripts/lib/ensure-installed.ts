import { existsSync } from "node:fs";
import { join } from "node:path";

/** Runs `bun install` when a fresh clone has no node_modules yet. Imports nothing that install would provide. */
export function ensureInstalled(root: string): void {
  if (existsSync(join(root, "node_modules/.bin/wrangler")) && existsSync(join(root, "node_modules/@bazaar/db"))) return;
  console.log("installing dependencies (bun install --frozen-lockfile)…");
  const install = Bun.spawnSync([process.execPath, "install", "--frozen-lockfile"], { cwd: root, stdio: ["inherit", "inherit", "inherit"] });
  if (install.exitCode !== 0) process.exit(install.exitCode ?? 1);
}
