// `bun scripts/seed-catalog.ts [--products N] [--reset] [--force]`: only the demo catalog (`bun run seed`
// writes the demo accounts too). Idempotent; local files only unless --force.

import { describeCatalogSeed, parseSeedArgs } from "./lib/catalog-seed/cli.ts";
import { DEMO_SELLER_PASSWORD, sellerEmail } from "./lib/catalog-seed/index.ts";
import { migrate, seedDemoCatalog } from "./lib/database-tasks.ts";

const url = process.env.DATABASE_URL || "file:data/bazaar.db";
const authToken = process.env.DATABASE_AUTH_TOKEN || undefined;
try {
  const args = parseSeedArgs(process.argv.slice(2));
  if (url.startsWith("file:")) await migrate(url, authToken);
  const started = performance.now();
  const report = await seedDemoCatalog(url, authToken, args);
  console.log(describeCatalogSeed(report, (performance.now() - started) / 1000));
  console.log(`  seller  ${sellerEmail(0)} … ${sellerEmail(49)}  ${DEMO_SELLER_PASSWORD}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
