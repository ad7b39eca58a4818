import { join } from "node:path";

export const ROOT = join(import.meta.dir, "../..");
/** Node 22 from the `node` devDependency: wrangler needs ≥ 22 wherever the system Node is older. */
export const NODE22 = join(ROOT, "node_modules/.bin/node");
