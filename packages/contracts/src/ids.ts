/** Every public id prefix lives here, so no two kinds of object share one. */
export const ID_PREFIX = {
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
} as const;

export type IdKind = keyof typeof ID_PREFIX;
export type IdPrefix = (typeof ID_PREFIX)[IdKind];

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A 26-char ULID: 48-bit ms timestamp + 80 random bits; sorts by creation time. */
export function ulid(now: number = Date.now(), random: Uint8Array = crypto.getRandomValues(new Uint8Array(16))): string {
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD.charAt(t % 32) + time;
    t = Math.floor(t / 32);
  }
  let rand = "";
  for (let i = 0; i < 16; i++) rand += CROCKFORD.charAt((random[i] ?? 0) % 32);
  return time + rand;
}

export type IdGenerator = (kind: IdKind) => string;

/** Ids like `usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C`; monotonic within a process even in the same ms. */
export function createIdGenerator(clock: () => number = Date.now): IdGenerator {
  let last = "";
  return (kind) => {
    let body = ulid(clock());
    if (body <= last) body = increment(last);
    last = body;
    return `${ID_PREFIX[kind]}_${body}`;
  };
}

function increment(id: string): string {
  const chars = id.split("");
  for (let i = chars.length - 1; i >= 10; i--) {
    const next = CROCKFORD.indexOf(chars[i] ?? "0") + 1;
    if (next < 32) {
      chars[i] = CROCKFORD.charAt(next);
      return chars.join("");
    }
    chars[i] = "0";
  }
  return chars.join("");
}

export function idPattern(kind: IdKind): string {
  return `^${ID_PREFIX[kind]}_[0-9A-HJKMNP-TV-Z]{26}$`;
}

export function isId(kind: IdKind, value: string): boolean {
  return new RegExp(idPattern(kind)).test(value);
}

/** The header that carries a request's id from the edge to the core and back to the client. */
export const REQUEST_ID_HEADER = "x-request-id";

/** Request ids accepted from a caller (the edge passes its own on): short, log-safe characters only. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,100}$/;
