// `bun run seed` / `bun run db:seed [--products N] [--reset] [--force]`: the demo accounts, then the demo
// catalog (both idempotent; local files only unless --force).
import { DEMO_ACCOUNTS } from "./demo-accounts.ts";
import { describeCatalogSeed, parseSeedArgs } from "./lib/catalog-seed/cli.ts";
import { DEMO_SELLER_PASSWORD, sellerEmail } from "./lib/catalog-seed/index.ts";
import { migrate, seed, seedDemoCatalog } from "./lib/database-tasks.ts";

const url = process.env.DATABASE_URL || "file:data/bazaar.db";
const authToken = process.env.DATABASE_AUTH_TOKEN || undefined;
try {
  const args = parseSeedArgs(process.argv.slice(2));
  // a fresh local clone needs no separate step; a remote database is migrated deliberately (db:migrate)
  if (url.startsWith("file:")) {
    const { applied } = await migrate(url, authToken);
    if (applied) console.log(`migrated ${url} (${applied} migration(s))`);
  }
  const { created } = await seed(url, authToken, args.force);
  console.log(created.length ? `seeded ${created.join(", ")}` : `demo accounts already present in ${url}`);
  for (const a of DEMO_ACCOUNTS) console.log(`  ${a.roles[0].padEnd(7)} ${a.email}  ${a.password}`);
  const started = performance.now();
  const report = await seedDemoCatalog(url, authToken, args);
  console.log(describeCatalogSeed(report, (performance.now() - started) / 1000));
  console.log(`  seller  ${sellerEmail(0)} … ${sellerEmail(49)}  ${DEMO_SELLER_PASSWORD}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
