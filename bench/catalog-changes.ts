import { createDatabase, schema } from "@bazaar/db";
import { eq } from "drizzle-orm";

/**
 * Changes the catalog behind the core's back, as another core process or a seller in a busy marketplace would:
 * `perSecond` times a second one of `productIds` is touched (its `updated_at`, which its page shows), through
 * a database handle of its own. Each change deletes that product's stored page and moves the catalog epoch,
 * so the core's in-memory responses are dropped whenever it notices. Returns a stop function and a count.
 */
export function changeCatalog(databaseUrl: string, productIds: string[], perSecond: number): { stop: () => Promise<number> } {
  const database = createDatabase({ url: databaseUrl });
  let changes = 0;
  let writing: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    const id = productIds[Math.floor(Math.random() * productIds.length)] as string;
    writing = database.write((db) => db.update(schema.product).set({ updatedAt: Date.now() }).where(eq(schema.product.id, id))).then(() => changes++);
  }, 1000 / perSecond);
  return {
    stop: async () => {
      clearInterval(timer);
      await writing;
      await database.close();
      return changes;
    },
  };
}
