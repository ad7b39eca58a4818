import { describe, expect, test } from "bun:test";
import { AppError, decodeCursor, encodeCursor, toPage } from "../src/index.ts";

function expectBadCursor(cursor: string): void {
  let caught: unknown;
  try {
    decodeCursor(cursor);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(AppError);
  const error = caught as AppError;
  expect(error.code).toBe("BAD_REQUEST");
  expect(error.status).toBe(400);
  expect(error.errors?.[0]?.path).toBe("/cursor");
}

describe("cursors", () => {
  test("round-trip sort key and id tie-breaker, as URL-safe text without padding", () => {
    const positions: Record<string, string | number>[] = [
      { createdAt: 1_764_000_000_000, id: "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C" },
      { price: -1999, id: "x" },
      { name: "a?b>c~~~", id: "??>>??" }, // JSON whose base64 contains + and /
      { n: 0 },
      { k: "" },
      { name: "café crème" },
    ];
    for (const position of positions) {
      const cursor = encodeCursor(position);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor(cursor)).toEqual(position);
    }
    expect(encodeCursor({ name: "a?b>c~~~", id: "??>>??" })).toMatch(/[-_]/);
  });

  test("round-trip a sort key in any script (product titles are not Latin-1)", () => {
    const positions: Record<string, string | number>[] = [
      { title: "東京タワー", id: "x" },
      { title: "Ölfass 🛢️", id: "y" },
      { title: "Москва", n: 1 },
    ];
    for (const position of positions) {
      expect(decodeCursor(encodeCursor(position))).toEqual(position);
    }
  });

  test("garbage is a 400 on /cursor, never a 500", () => {
    for (const garbage of [
      "",
      "!!!",
      "not a cursor",
      "%00%ff",
      "a",
      encodeCursor({ id: "x" }).slice(0, -3),
      btoa("null"),
      btoa("[]"),
      btoa('["a",1]'),
      btoa("123"),
      btoa('"a string"'),
      btoa("true"),
      btoa("{"),
      btoa("{'id':1}"),
    ]) {
      expectBadCursor(garbage);
    }
  });

  test("a hostile cursor whose values are not strings or numbers is a 400, not handed to a query", () => {
    for (const hostile of [{ id: { $gt: "" } }, { id: ["a", "b"] }, { createdAt: null }, { id: true }]) {
      expectBadCursor(btoa(JSON.stringify(hostile)));
    }
  });

  test("a __proto__ key does not pollute Object.prototype", () => {
    expect(() => decodeCursor(btoa('{"__proto__":{"polluted":"yes"},"id":"x"}'))).toThrow(AppError);
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("toPage", () => {
  interface Row {
    id: string;
    createdAt: number;
  }
  const rows: Row[] = Array.from({ length: 25 }, (_, i) => ({ id: `row_${String(i).padStart(2, "0")}`, createdAt: 1000 + i }));
  const view = (r: Row) => ({ id: r.id });
  const position = (r: Row) => ({ createdAt: r.createdAt, id: r.id });

  test("limit+1 rows: a page of limit items and a cursor at the last item shown", () => {
    const page = toPage(rows.slice(0, 11), 10, view, position);
    expect(page.items).toEqual(rows.slice(0, 10).map(view));
    expect(page.nextCursor).not.toBeNull();
    expect(decodeCursor(page.nextCursor ?? "")).toEqual({ createdAt: 1009, id: "row_09" });
  });

  test("exactly limit rows, fewer, or none: the last page, nextCursor null", () => {
    expect(toPage(rows.slice(0, 10), 10, view, position)).toEqual({ items: rows.slice(0, 10).map(view), nextCursor: null });
    expect(toPage(rows.slice(0, 3), 10, view, position)).toEqual({ items: rows.slice(0, 3).map(view), nextCursor: null });
    expect(toPage([], 10, view, position)).toEqual({ items: [], nextCursor: null });
  });

  test("following cursors visits every row once, in order, and stops", () => {
    const limit = 10;
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const after: Record<string, string | number> | null = cursor ? decodeCursor(cursor) : null;
      const from: number = after ? rows.findIndex((r) => r.createdAt > Number(after.createdAt)) : 0;
      const fetched: Row[] = from < 0 ? [] : rows.slice(from, from + limit + 1); // what a keyset query with LIMIT limit+1 returns
      const page: { items: { id: string }[]; nextCursor: string | null } = toPage(fetched, limit, view, position);
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(rows.map((r) => r.id));
  });
});
