// `bun run db:seed`: the demo accounts (idempotent).
import { DEMO_ACCOUNTS } from "./demo-accounts.ts";
import { seed } from "./lib/database-tasks.ts";

const url = process.env.DATABASE_URL || "file:data/bazaar.db";
// the demo passwords are public: never put these accounts on a shared database by accident
if (!url.startsWith("file:") && !process.argv.includes("--force")) {
  console.error(`refusing to seed public demo accounts into ${url}; pass --force if that is really what you want`);
  process.exit(1);
}
const { created } = await seed(url, process.env.DATABASE_AUTH_TOKEN || undefined);
console.log(created.length ? `seeded ${created.join(", ")}` : `demo accounts already present in ${url}`);
for (const a of DEMO_ACCOUNTS) console.log(`  ${a.roles[0].padEnd(7)} ${a.email}  ${a.password}`);
