import { describe, expect, test } from "bun:test";
import { Value } from "@sinclair/typebox/value";
import { createIdGenerator, ID_PREFIX, type IdKind, idPattern, isId, UserId, ulid } from "../src/index.ts";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const BODY = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const KINDS = Object.keys(ID_PREFIX) as IdKind[];

/** Independent decoder for the 48-bit time part, so the encoder is not checked against itself. */
function decodeTime(body: string): number {
  let t = 0;
  for (const ch of body.slice(0, 10)) t = t * 32 + CROCKFORD.indexOf(ch);
  return t;
}

function bodyOf(id: string): string {
  return id.slice(id.indexOf("_") + 1);
}

describe("id prefixes", () => {
  test("the prefix table is exactly the documented one and no two kinds share a prefix", () => {
    expect(ID_PREFIX).toEqual({
      user: "usr",
      session: "ses",
      event: "evt",
      request: "req",
      key: "key",
      audit: "aud",
      address: "adr",
      category: "cat",
      attribute: "att",
      brand: "brd",
      product: "prd",
      variant: "var",
      image: "img",
      location: "loc",
      reservation: "rsv",
      adjustment: "adj",
      import: "imp",
      ledgerAccount: "lac",
      ledgerTransaction: "ltx",
      ledgerEntry: "len",
      payment: "pay",
      refund: "rfd",
      fraudAssessment: "frd",
      settlementHold: "hld",
      paymentSplit: "psp",
      cart: "crt",
      shippingRate: "shr",
      order: "ord",
      subOrder: "sub",
      orderItem: "oit",
      orderEvent: "oev",
    });
    expect(new Set(Object.values(ID_PREFIX)).size).toBe(KINDS.length);
  });

  test("each kind gets its own prefix and a 26-char Crockford body", () => {
    const next = createIdGenerator();
    for (const kind of KINDS) {
      const id = next(kind);
      expect(id.startsWith(`${ID_PREFIX[kind]}_`)).toBe(true);
      expect(id).toHaveLength(ID_PREFIX[kind].length + 1 + 26);
      expect(bodyOf(id)).toMatch(BODY);
    }
  });
});

describe("ulid", () => {
  test("encodes the timestamp in the first 10 chars (the ULID spec's own example)", () => {
    expect(ulid(1469918176385).slice(0, 10)).toBe("01ARYZ6S41");
    for (const t of [0, 1, 31, 32, 1023, 1024, 1_764_000_000_000, 2 ** 48 - 1]) expect(decodeTime(ulid(t))).toBe(t);
  });

  test("the random part is 16 chars taken from the random bytes, never letters outside Crockford's alphabet", () => {
    expect(ulid(0, new Uint8Array(16))).toBe("0".repeat(26));
    expect(ulid(0, new Uint8Array(16).fill(31)).slice(10)).toBe("Z".repeat(16));
    expect(ulid(0, new Uint8Array(16).fill(32)).slice(10)).toBe("0".repeat(16));
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) for (const ch of ulid().slice(10)) seen.add(ch);
    for (const banned of ["I", "L", "O", "U"]) expect(seen.has(banned)).toBe(false);
    expect(seen.size).toBe(32); // every symbol shows up: the random part is not stuck on a subset
  });
});

describe("createIdGenerator", () => {
  test("ids sort by creation time, across base-32 digit boundaries", () => {
    const times = [0, 1, 31, 32, 33, 1023, 1024, 1_000_000, 2 ** 40, 1_469_918_176_385, 1_764_000_000_000, 2 ** 48 - 1];
    // a fresh generator per id, so monotonic bumping cannot hide a wrong time encoding
    const ids = times.map((t) => createIdGenerator(() => t)("event"));
    expect([...ids].reverse().sort()).toEqual(ids);
    expect(ids.map((id) => decodeTime(bodyOf(id)))).toEqual(times);
  });

  test("10k ids in the same millisecond are unique and strictly increasing", () => {
    const now = 1_764_000_000_000;
    const next = createIdGenerator(() => now);
    const ids = Array.from({ length: 10_000 }, () => next("event"));
    for (let i = 1; i < ids.length; i++) expect((ids[i] ?? "") > (ids[i - 1] ?? "")).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(isId("event", id)).toBe(true);
      expect(decodeTime(bodyOf(id))).toBe(now);
    }
  });

  test("a clock that steps backwards still yields increasing ids", () => {
    const times = [5_000, 4_000, 4_000, 3_000, 6_000];
    let i = 0;
    const next = createIdGenerator(() => times[i++] ?? 0);
    const ids = times.map(() => next("user"));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test("generators do not share state (one per process, injected)", () => {
    const a = createIdGenerator(() => 1000);
    const b = createIdGenerator(() => 1000);
    expect(a("user")).not.toBe(b("user"));
  });
});

describe("isId / idPattern", () => {
  const next = createIdGenerator();

  test("accepts generated ids of the right kind only", () => {
    for (const kind of KINDS) {
      const id = next(kind);
      expect(isId(kind, id)).toBe(true);
      for (const other of KINDS.filter((k) => k !== kind)) expect(isId(other, id)).toBe(false);
    }
  });

  test("rejects wrong lengths, lowercase, non-Crockford letters and surrounding junk", () => {
    const good = "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C";
    expect(isId("user", good)).toBe(true);
    for (const bad of [
      "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5",
      "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5CD",
      "usr_01jd4m3z8q5v7w9x1y2z3a4b5c",
      "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5I",
      "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5L",
      "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5O",
      "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5U",
      "usr-01JD4M3Z8Q5V7W9X1Y2Z3A4B5C",
      "01JD4M3Z8Q5V7W9X1Y2Z3A4B5C",
      ` ${good}`,
      `${good}\n`,
      `x${good}`,
      `${good}/../admin`,
      "",
    ]) {
      expect(isId("user", bad)).toBe(false);
    }
  });

  test("idPattern is anchored and works as a TypeBox pattern", () => {
    expect(idPattern("session")).toBe("^ses_[0-9A-HJKMNP-TV-Z]{26}$");
    expect(Value.Check(UserId, next("user"))).toBe(true);
    expect(Value.Check(UserId, next("session"))).toBe(false);
    expect(Value.Check(UserId, `${next("user")}x`)).toBe(false);
  });
});
