import { type Static, type TSchema, Type } from "@sinclair/typebox";
import { AppError } from "./errors.ts";

export const MAX_PAGE_LIMIT = 100;

export const PageQuery = Type.Object({
  // digits, not a number: a query string is text, and Elysia neither converts a TypeBox Integer nor
  // names the field when a converted Number fails; services read it with Number()
  limit: Type.Optional(
    Type.String({
      pattern: `^(?:[1-9][0-9]?|${MAX_PAGE_LIMIT})$`,
      error: `must be a whole number from 1 to ${MAX_PAGE_LIMIT}`,
      description: `page size, 1 to ${MAX_PAGE_LIMIT} (default 20)`,
      examples: ["20"],
    }),
  ),
  cursor: Type.Optional(Type.String({ maxLength: 512, description: "Opaque cursor from a previous page's nextCursor" })),
});
export type PageQuery = Static<typeof PageQuery>;

export function Page<T extends TSchema>(item: T) {
  return Type.Object({
    items: Type.Array(item),
    nextCursor: Type.Union([Type.String(), Type.Null()], { description: "null on the last page" }),
  });
}

/** Cursors are opaque to clients: base64url of a small JSON position (sort key + id tie-breaker). */
export function encodeCursor(position: Record<string, string | number>): string {
  const bytes = new TextEncoder().encode(JSON.stringify(position));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

export function decodeCursor(cursor: string): Record<string, string | number> {
  try {
    const binary = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
    const json = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
    const value: unknown = JSON.parse(json);
    // only flat string/number positions: anything else (objects, arrays, null) would reach queries unchecked
    if (value && typeof value === "object" && !Array.isArray(value) && Object.values(value).every((v) => typeof v === "string" || Number.isFinite(v))) {
      return value as Record<string, string | number>;
    }
  } catch {
    // fall through to the 400 below
  }
  throw new AppError("BAD_REQUEST", "cursor is not a cursor this API issued", [{ path: "/cursor", message: "invalid cursor" }]);
}

/** Given limit+1 rows, returns the page and the cursor of the next one. */
export function toPage<R, V>(rows: R[], limit: number, view: (row: R) => V, position: (row: R) => Record<string, string | number>) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map(view),
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(position(last)) : null,
  };
}
