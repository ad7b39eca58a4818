// `bun run db:seed [--force]`: the demo accounts (idempotent; local files only unless --force).
import { DEMO_ACCOUNTS } from "./demo-accounts.ts";
import { seed } from "./lib/database-tasks.ts";

const url = process.env.DATABASE_URL || "file:data/bazaar.db";
try {
  const { created } = await seed(url, process.env.DATABASE_AUTH_TOKEN || undefined, process.argv.includes("--force"));
  console.log(created.length ? `seeded ${created.join(", ")}` : `demo accounts already present in ${url}`);
  for (const a of DEMO_ACCOUNTS) console.log(`  ${a.roles[0].padEnd(7)} ${a.email}  ${a.password}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
