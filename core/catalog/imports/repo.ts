// Imports' SQL: catalog_import rows, and the slug → id look-ups an import row needs (categories, brands, the seller's SKUs).
import { type Queryable, schema } from "@bazaar/db";
import { and, desc, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";

const { catalogImport, category, brand } = schema;

export type ImportRow = typeof catalogImport.$inferSelect;
export type NewImport = typeof catalogImport.$inferInsert;
export type ImportProgress = Partial<Pick<ImportRow, "status" | "rowsTotal" | "rowsDone" | "rowsFailed" | "reportKey" | "error" | "leaseUntil" | "finishedAt">>;

export async function insertImport(db: Queryable, row: NewImport): Promise<void> {
  await db.insert(catalogImport).values(row);
}

export async function findImport(db: Queryable, id: string): Promise<ImportRow | undefined> {
  const [row] = await db.select().from(catalogImport).where(eq(catalogImport.id, id)).limit(1);
  return row;
}

export function importsOf(db: Queryable, sellerId: string, limit: number, after?: { createdAt: number; id: string }): Promise<ImportRow[]> {
  return db
    .select()
    .from(catalogImport)
    .where(
      and(
        eq(catalogImport.sellerId, sellerId),
        after ? or(lt(catalogImport.createdAt, after.createdAt), and(eq(catalogImport.createdAt, after.createdAt), lt(catalogImport.id, after.id))) : undefined,
      ),
    )
    .orderBy(desc(catalogImport.createdAt), desc(catalogImport.id))
    .limit(limit);
}

/**
 * Takes the oldest import that is queued or whose worker's lease ran out, in one conditional UPDATE:
 * of several processes asking at once, exactly one gets it.
 */
export async function claimNext(db: Queryable, now: number, leaseUntil: number): Promise<ImportRow | undefined> {
  const candidates = await db
    .select({ id: catalogImport.id, leaseUntil: catalogImport.leaseUntil })
    .from(catalogImport)
    .where(and(inArray(catalogImport.status, ["queued", "running"]), or(isNull(catalogImport.leaseUntil), lt(catalogImport.leaseUntil, now))))
    .orderBy(catalogImport.createdAt, catalogImport.id)
    .limit(5);
  for (const candidate of candidates) {
    const [row] = await db
      .update(catalogImport)
      .set({ status: "running", leaseUntil, attempts: sql`${catalogImport.attempts} + 1` })
      .where(
        and(
          eq(catalogImport.id, candidate.id),
          candidate.leaseUntil === null ? isNull(catalogImport.leaseUntil) : eq(catalogImport.leaseUntil, candidate.leaseUntil),
        ),
      )
      .returning();
    if (row) return row;
  }
  return undefined;
}

/** Writes progress only while this worker still holds the lease it was given (a stale worker writes nothing). */
export async function saveProgress(db: Queryable, id: string, heldLease: number, changes: ImportProgress): Promise<boolean> {
  const rows = await db
    .update(catalogImport)
    .set(changes)
    .where(and(eq(catalogImport.id, id), eq(catalogImport.leaseUntil, heldLease)))
    .returning({ id: catalogImport.id });
  return rows.length > 0;
}

export async function categoryIdsBySlug(db: Queryable, slugs: string[]): Promise<Map<string, string>> {
  if (!slugs.length) return new Map();
  const rows = await db.select({ id: category.id, slug: category.slug }).from(category).where(inArray(category.slug, slugs));
  return new Map(rows.map((r) => [r.slug, r.id]));
}

export async function brandIdsBySlug(db: Queryable, slugs: string[]): Promise<Map<string, string>> {
  if (!slugs.length) return new Map();
  const rows = await db.select({ id: brand.id, slug: brand.slug }).from(brand).where(inArray(brand.slug, slugs));
  return new Map(rows.map((r) => [r.slug, r.id]));
}
