import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { type CategoryView, type Problem, slugify, type TokenPair } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import { eq, inArray } from "drizzle-orm";
import { createHarness, type Harness } from "../../testing/harness.ts";
import { descendantIds, effectiveAttributes, pathOf, subtreeCondition } from "./service.ts";

let h: Harness;
let admin: TokenPair;
beforeEach(async () => {
  h = await createHarness();
  admin = await h.register({ email: "catalog-admin@example.com" });
  await h.grantRole(admin.user.id, "admin");
});
afterEach(() => h.destroy());

const json = async <T>(response: Response) => (await response.json()) as T;
const asAdmin = (method: string, path: string, body?: unknown) => h.request(method, path, { token: admin.accessToken, body });
async function category(name: string, parentId: string | null = null): Promise<CategoryView> {
  const response = await asAdmin("POST", "/v1/admin/categories", { name, parentId });
  if (response.status !== 201) throw new Error(`create ${name}: ${response.status} ${await response.text()}`);
  return json<CategoryView>(response);
}
const snapshot = () => h.database.db.select().from(schema.category).orderBy(schema.category.id);

/** Every child's path is its parent's path plus its slug, its depth one more, and every chain ends at a root. */
async function expectConsistentTree() {
  const rows = await snapshot();
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const row of rows) {
    const parent = row.parentId ? byId.get(row.parentId) : undefined;
    if (row.parentId) expect(parent, `${row.slug}'s parent exists`).toBeDefined();
    expect(row.path, row.slug).toBe(`${parent?.path ?? "/"}${row.slug}/`);
    expect(row.depth, row.slug).toBe((parent?.depth ?? 0) + 1);
    let hops = 0;
    for (let at = row; at.parentId; at = byId.get(at.parentId) as typeof row) expect(++hops, `${row.slug} reaches a root`).toBeLessThanOrEqual(5);
  }
  return rows;
}

describe("slugify", () => {
  test("transliterates diacritics and joins words with single dashes", () => {
    expect(slugify("Électronique")).toBe("electronique");
    expect(slugify("Crème brûlée & Co.")).toBe("creme-brulee-co");
    expect(slugify("ĞÜŞİÖÇ ğüşıöç")).toBe("gusioc-gusioc");
    expect(slugify("Smørrebrød")).toBe("smorrebrod");
    expect(slugify("ﬁne ①")).toBe("fine-1");
    expect(slugify("---")).toBe("");
    expect(slugify("日本")).toBe("");
    const long = slugify(`${"word ".repeat(30)}`);
    expect(long.length).toBeLessThanOrEqual(80);
    expect(long.endsWith("-")).toBe(false);
  });
});

describe("what other parts of the catalog use", () => {
  test("pathOf, descendantIds and subtreeCondition select a category and everything under it, through the path index", async () => {
    const electronics = await category("Electronics");
    const phones = await category("Phones", electronics.id);
    const android = await category("Android", phones.id);
    // a sibling whose slug starts like another's must not match its prefix
    const phonesCases = await category("Phones cases", electronics.id);
    await category("Home");

    expect(await pathOf(h.database, android.id)).toBe("/electronics/phones/android/");
    expect(await pathOf(h.database, "cat_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C")).toBeUndefined();
    expect((await descendantIds(h.database, phones.id)).sort()).toEqual([phones.id, android.id].sort());
    expect((await descendantIds(h.database, electronics.id)).sort()).toEqual([electronics.id, phones.id, android.id, phonesCases.id].sort());
    expect(await descendantIds(h.database, "cat_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C")).toEqual([]);

    // how the product list filters "in this category or below": one prefix match on category.path
    const path = (await pathOf(h.database, phones.id)) as string;
    const inPhones = h.database.db.select({ id: schema.category.id }).from(schema.category).where(subtreeCondition(path));
    const query = h.database.db.select({ id: schema.product.id }).from(schema.product).where(inArray(schema.product.categoryId, inPhones));
    const { sql, params } = query.toSQL();
    const plan = await h.database.client.execute({ sql: `EXPLAIN QUERY PLAN ${sql}`, args: params as string[] });
    expect(plan.rows.map((r) => String(r.detail)).join("\n")).toContain("USING INDEX category_path_idx");
    expect(() => subtreeCondition("/phones*/")).toThrow();
  });

  test("effectiveAttributes works on the database and inside a transaction; undefined for no such category", async () => {
    const electronics = await category("Electronics");
    const phones = await category("Phones", electronics.id);
    await asAdmin("POST", `/v1/admin/categories/${electronics.id}/attributes`, { key: "warranty", label: "Warranty", type: "number", unit: "months" });
    await asAdmin("POST", `/v1/admin/categories/${phones.id}/attributes`, { key: "colour", label: "Colour", type: "enum", options: ["black"] });

    expect((await effectiveAttributes(h.database, phones.id))?.map((a) => [a.key, a.categoryId])).toEqual([
      ["warranty", electronics.id],
      ["colour", phones.id],
    ]);
    const inside = await h.database.transaction((tx) => effectiveAttributes(tx, phones.id));
    expect(inside?.map((a) => a.key)).toEqual(["warranty", "colour"]);
    expect(await effectiveAttributes(h.database, "cat_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C")).toBeUndefined();
  });
});

describe("one transaction per tree change", () => {
  test("a slug change whose category update fails after its descendants were rewritten leaves no trace", async () => {
    const a = await category("A");
    const b = await category("B", a.id);
    await category("C", b.id);
    await category("Taken");
    const before = await snapshot();
    // rewriteDescendants runs first, then the category's own row hits the UNIQUE slug: all of it rolls back
    const refused = await asAdmin("PATCH", `/v1/admin/categories/${a.id}`, { slug: "taken" });
    expect(refused.status).toBe(409);
    expect((await json<Problem>(refused)).errors).toEqual([{ path: "/slug", message: "This slug is taken" }]);
    expect(await snapshot()).toEqual(before);
  });

  test("a move that fails midway — after every descendant has its new path — leaves the old tree whole", async () => {
    const home = await category("Home");
    const kitchen = await category("Kitchen", home.id);
    const pots = await category("Pots", kitchen.id);
    await category("Pans", kitchen.id);
    await category("Cast iron", pots.id);
    const garden = await category("Garden");
    const before = await snapshot();
    // an injected failure on the moved category's own update, which fires only once its three
    // descendants already carry their new paths: proof the failure came midway
    await h.database.client.execute(
      `CREATE TRIGGER fail_midway BEFORE UPDATE OF parent_id ON category
       WHEN NEW.id = '${kitchen.id}' AND (SELECT count(*) FROM category WHERE path GLOB '/garden/kitchen/?*') = 3
       BEGIN SELECT RAISE(ABORT, 'injected failure'); END`,
    );
    const refused = await asAdmin("POST", `/v1/admin/categories/${kitchen.id}/move`, { parentId: garden.id });
    expect(refused.status).toBe(409);
    expect(await snapshot()).toEqual(before);

    await h.database.client.execute("DROP TRIGGER fail_midway");
    expect((await asAdmin("POST", `/v1/admin/categories/${kitchen.id}/move`, { parentId: garden.id })).status).toBe(200);
    const after = await expectConsistentTree();
    expect(
      after
        .filter((r) => r.path.startsWith("/garden/kitchen/"))
        .map((r) => r.slug)
        .sort(),
    ).toEqual(["cast-iron", "kitchen", "pans", "pots"]);
  });

  test("20 concurrent moves and renames leave a consistent tree: every child's path is its parent's path plus its slug", async () => {
    const roots = [await category("Alpha"), await category("Beta"), await category("Gamma")];
    const all = [...roots];
    for (const [i, parent] of [0, 0, 1, 1, 2, 3, 4, 5, 6, 7].entries()) all.push(await category(`Node ${i}`, (all[parent] as CategoryView).id));

    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const pick = () => all[random(all.length)] as CategoryView;
    const operations = Array.from({ length: 20 }, (_, i) => {
      const target = pick();
      if (i % 3 === 2) return asAdmin("PATCH", `/v1/admin/categories/${target.id}`, { slug: `renamed-${i}` });
      return asAdmin("POST", `/v1/admin/categories/${target.id}/move`, { parentId: i % 5 === 0 ? null : pick().id });
    });
    const statuses = (await Promise.all(operations)).map((r) => r.status);
    // refusals are cycles or depth, never a server error
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(5);

    const rows = await expectConsistentTree();
    expect(rows).toHaveLength(all.length);
    expect(rows.filter((r) => r.slug.startsWith("renamed-")).length).toBeGreaterThan(0);
    // the public tree holds every category exactly once
    const tree = await json<{ items: { id: string; children: unknown[] }[] }>(await h.request("GET", "/v1/categories"));
    const ids: string[] = [];
    const walk = (nodes: { id: string; children: unknown[] }[]) => {
      for (const node of nodes) {
        ids.push(node.id);
        walk(node.children as typeof nodes);
      }
    };
    walk(tree.items);
    expect(ids.sort()).toEqual(all.map((c) => c.id).sort());
    for (const row of rows) expect((await descendantIds(h.database, row.id)).includes(row.id)).toBe(true);
    expect((await h.database.db.select().from(schema.category).where(eq(schema.category.depth, 0))).length).toBe(0);
  });
});
