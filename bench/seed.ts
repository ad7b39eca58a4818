import { createDatabase } from "@bazaar/db";
import { seedCatalog } from "../scripts/lib/catalog-seed/index.ts";
import { seedBenchOrders, userIdOf } from "./orders.ts";
import { BENCH_CATALOG_PRODUCTS, type Seed, type SeedUser } from "./scenarios.ts";

/** The core hashes at most a few passwords at once and refuses a deep queue: seed at about its pace. */
const REGISTRATIONS_AT_ONCE = 4;

/**
 * Registers the benchmark user, and `extraUsers` more for scenarios that need many, through the API as clients would;
 * then writes the deterministic demo catalogue (scripts/lib/catalog-seed) straight into the database, as `bun run dev` does,
 * and the bench user's orders (bench/orders.ts).
 */
export async function seedBench(coreUrl: string, extraUsers: number, databaseUrl: string): Promise<Seed> {
  const [main, ...users] = await registerUsers(coreUrl, 1 + extraUsers);
  if (!main) throw new Error("registering the bench user: nothing registered");
  await seedBenchCatalog(databaseUrl);
  await seedBenchOrders(databaseUrl, userIdOf(main.accessToken));
  return { email: main.email, password: main.password, accessToken: main.accessToken, users };
}

/** The running core reads what this writes at once (WAL); the catalogue's product n is the same on every run, so scenarios name it up front. */
async function seedBenchCatalog(databaseUrl: string): Promise<void> {
  const database = createDatabase({ url: databaseUrl });
  try {
    await seedCatalog(database, { products: BENCH_CATALOG_PRODUCTS });
  } finally {
    await database.close();
  }
}

async function registerUsers(coreUrl: string, count: number): Promise<(SeedUser & { accessToken: string })[]> {
  const users: (SeedUser & { accessToken: string })[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      users.push(await registerUser(coreUrl));
    }
  };
  await Promise.all(Array.from({ length: Math.min(REGISTRATIONS_AT_ONCE, count) }, worker));
  return users;
}

async function registerUser(coreUrl: string): Promise<SeedUser & { accessToken: string }> {
  const email = `bench-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const password = `bench ${crypto.randomUUID()}`;
  const response = await fetch(`${coreUrl}/v1/auth/register`, {
    method: "POST",
    // sign-ups are throttled per address (20 an hour): each bench user comes from its own address,
    // which the core believes from 127.0.0.1 (a trusted proxy), as it does for the login scenarios
    headers: { "content-type": "application/json", "x-forwarded-for": `10.200.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}` },
    body: JSON.stringify({ email, password, name: "Bench User" }),
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`registering a bench user: expected 201, got ${response.status}: ${text}`);
  const { accessToken, refreshToken } = JSON.parse(text) as { accessToken?: unknown; refreshToken?: unknown };
  if (typeof accessToken !== "string" || typeof refreshToken !== "string") throw new Error(`registering a bench user: no tokens in ${text}`);
  return { email, password, accessToken, refreshToken };
}
