import { Database as Sqlite } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestDatabase, type TestDatabase } from "@bazaar/db/testing";
import { detailStatement, type ListConditions, listStatement, subtreeBounds } from "./repo.ts";

// The read statements against the real schema's indexes (migrations 0003 and 0005): every table is reached through an
// index, and each sort pages along its own product_list_*_idx, so a page costs what it reads, never a sort.
let database: TestDatabase;
let sqlite: Sqlite;
beforeAll(async () => {
  database = await createTestDatabase();
  sqlite = new Sqlite(database.path, { readonly: true });
});
afterAll(async () => {
  sqlite.close();
  await database.destroy();
});

const VALUES: Record<string, unknown> = {
  take: 21,
  ...subtreeBounds("/electronics/"),
  brandIds: '["brd_x"]',
  sellerId: "usr_x",
  priceMin: 100,
  priceMax: 5000,
  afterKey: 5,
  afterId: "prd_x",
  attributeKey0: "colour",
  attributeValue0: "black",
  attributeKey1: "screen_size",
  attributeMin1: 5,
  attributeMax1: 7,
  key: "prd_x",
};

interface PlanStep {
  parent: number;
  detail: string;
}

function stepsOf(statement: { toSQL(): { sql: string; params: unknown[] } }): PlanStep[] {
  const { sql, params } = statement.toSQL();
  const bound = params.map((p) => (p !== null && typeof p === "object" && "name" in p ? VALUES[(p as { name: string }).name] : p));
  return sqlite.query(`EXPLAIN QUERY PLAN ${sql}`).all(...(bound as never[])) as PlanStep[];
}

/** Every step of the plan, subqueries included. */
const planOf = (statement: Parameters<typeof stepsOf>[0]) => stepsOf(statement).map((step) => step.detail);
/** The outer query's own steps: a sort here would sort every matching product (subqueries sort a product's few images). */
const outerPlanOf = (statement: Parameters<typeof stepsOf>[0]) =>
  stepsOf(statement)
    .filter((step) => step.parent === 0)
    .map((step) => step.detail);

/** Full scans of a stored table (not of a CTE, a materialised subquery or json_each's rows). */
const TABLES = /^SCAN (product|variant|product_image|product_attribute|category|category_attribute|brand|stock_level|user)\b/;
const BASE: ListConditions = { sort: "newest", inStock: false, attributes: [], take: 21 };
const SORT_INDEX = {
  newest: "product_list_newest_idx",
  price_asc: "product_list_price_idx",
  price_desc: "product_list_price_idx",
  popular: "product_list_popular_idx",
};

describe("list query plans", () => {
  for (const [sort, index] of Object.entries(SORT_INDEX) as [ListConditions["sort"], string][]) {
    test(`${sort}: walks ${index}, first page and after a cursor, and never sorts`, () => {
      for (const after of [undefined, { key: 5, id: "prd_x" }]) {
        const plan = planOf(listStatement(database.read, { ...BASE, sort, after }));
        expect(plan[0]).toStartWith(`SEARCH product USING INDEX ${index} (status=?`);
        if (after) expect(plan[0]).toContain(",id)");
        expect(plan.filter((line) => TABLES.test(line))).toEqual([]);
        expect(outerPlanOf(listStatement(database.read, { ...BASE, sort, after }))).not.toContain("USE TEMP B-TREE FOR ORDER BY");
      }
    });
  }

  test("the bench's filters (category + price_max, newest): the newest index drives, the subtree is a range on category_path_idx", () => {
    const plan = planOf(listStatement(database.read, { ...BASE, categoryPath: "/electronics/", priceMax: 5000 }));
    expect(plan[0]).toStartWith("SEARCH product USING INDEX product_list_newest_idx");
    expect(plan).toContain("SEARCH category USING INDEX category_path_idx (path>? AND path<?)");
    expect(outerPlanOf(listStatement(database.read, { ...BASE, categoryPath: "/electronics/", priceMax: 5000 }))).not.toContain("USE TEMP B-TREE FOR ORDER BY");
    expect(plan.filter((line) => TABLES.test(line))).toEqual([]);
  });

  test("sorted by price, a price range is a range on the price index itself", () => {
    const plan = planOf(listStatement(database.read, { ...BASE, sort: "price_asc", priceMin: 100, priceMax: 5000 }));
    expect(plan[0]).toBe("SEARCH product USING INDEX product_list_price_idx (status=? AND min_price_minor>? AND min_price_minor<?)");
  });

  test("every filter at once: attribute filters use product_attribute's text and number indexes; no table is scanned", () => {
    const statement = listStatement(database.read, {
      ...BASE,
      sort: "popular",
      categoryPath: "/electronics/",
      brandIds: ["brd_x"],
      sellerId: "usr_x",
      priceMin: 100,
      priceMax: 5000,
      inStock: true,
      after: { key: 5, id: "prd_x" },
      attributes: [
        { key: "colour", kind: "equals", value: "black" },
        { key: "screen_size", kind: "between", min: 5, max: 7 },
      ],
    });
    const plan = planOf(statement);
    expect(plan[0]).toStartWith("SEARCH product USING INDEX product_list_popular_idx");
    expect(plan).toContain("SEARCH product_attribute USING INDEX product_attribute_text_idx (key=? AND value_text=?)");
    expect(plan).toContain("SEARCH product_attribute USING INDEX product_attribute_number_idx (key=? AND value_number>? AND value_number<?)");
    expect(plan.filter((line) => TABLES.test(line))).toEqual([]);
    expect(outerPlanOf(statement)).not.toContain("USE TEMP B-TREE FOR ORDER BY");
  });
});

describe("product page query plan", () => {
  test("by id through the primary key, by slug through its unique index; variants, stock, images, attributes, breadcrumbs all by index", () => {
    for (const [by, index] of [
      ["id", "sqlite_autoindex_product_1 (id=?)"],
      ["slug", "product_slug_unique (slug=?)"],
    ] as const) {
      const plan = planOf(detailStatement(database.read, by));
      expect(plan[0]).toBe(`SEARCH product USING INDEX ${index}`);
      for (const expected of [
        "SEARCH v USING INDEX variant_product_idx (product_id=?)",
        "SEARCH s USING INDEX sqlite_autoindex_stock_level_1 (variant_id=?)",
        "SEARCH i USING INDEX product_image_product_idx (product_id=?)",
        "SEARCH a USING INDEX sqlite_autoindex_product_attribute_1 (product_id=?)",
        "SEARCH ca USING INDEX category_attribute_key_idx (category_id=?)",
        "SEARCH user USING INDEX sqlite_autoindex_user_1 (id=?)",
      ]) {
        expect(plan).toContain(expected);
      }
      expect(plan.filter((line) => TABLES.test(line))).toEqual([]);
    }
  });
});

test("subtreeBounds is the prefix range of a category path", () => {
  expect(subtreeBounds("/electronics/phones/")).toEqual({ subtreeFrom: "/electronics/phones/", subtreeTo: "/electronics/phones0" });
  const { subtreeFrom, subtreeTo } = subtreeBounds("/a/");
  const inside = (path: string) => path >= subtreeFrom && path < subtreeTo;
  expect(["/a/", "/a/b/", "/a/zzz/y/", "/a/0-9/"].every(inside)).toBe(true);
  expect(["/a-b/", "/a0/", "/ab/", "/b/", "/"].some(inside)).toBe(false);
});
