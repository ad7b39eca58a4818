// `bun run db:migrate`: applies the committed drizzle migrations to DATABASE_URL.
import { migrate } from "./lib/database-tasks.ts";

const url = process.env.DATABASE_URL || "file:data/bazaar.db";
const { applied } = await migrate(url, process.env.DATABASE_AUTH_TOKEN || undefined);
console.log(applied ? `applied ${applied} migration(s) to ${url}` : `${url} is up to date`);
