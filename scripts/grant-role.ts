// `bun run user:grant-role <email> <role>`: grants a role directly in the database (the first admin).
import { grantRole } from "./lib/database-tasks.ts";

const [email, role] = process.argv.slice(2);
if (!email || !role) {
  console.error("usage: bun run user:grant-role <email> <buyer|seller|admin|support>");
  process.exit(2);
}
const url = process.env.DATABASE_URL || "file:data/bazaar.db";
try {
  const outcome = await grantRole(url, process.env.DATABASE_AUTH_TOKEN || undefined, email, role);
  console.log(outcome === "granted" ? `granted ${role} to ${email}` : `${email} already has ${role}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
