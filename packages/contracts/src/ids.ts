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
} as const;

export type IdKind = keyof typeof ID_PREFIX;
export type IdPrefix = (typeof ID_PREFIX)[IdKind];

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A 26-char ULID: 48-bit ms timestamp + 80 random bits; sorts by creation time. */
export function ulid(now: number = Date.now(), random: Uint8Array = crypto.getRandomValues(new Uint8Array(16))): string {
  let rand = "";
  for (let i = 0; i < 16; i++) rand += CROCKFORD.charAt((random[i] ?? 0) % 32);
  return encodeTime(now) + rand;
}

/** The ULID's first 10 chars: the ms timestamp in base 32, most significant digit first. */
function encodeTime(now: number): string {
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD.charAt(t % 32) + time;
    t = Math.floor(t / 32);
  }
  return time;
}

export type IdGenerator = (kind: IdKind) => string;

/** Random bytes are drawn this many at a time: one getRandomValues call per 256 ids rather than one per id (every request takes one). */
const RANDOM_POOL_BYTES = 4096;

/** Ids like `usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C`; monotonic within a process even in the same ms. */
export function createIdGenerator(clock: () => number = Date.now): IdGenerator {
  let lastTime = Number.NEGATIVE_INFINITY;
  let timePart = "";
  /** the random part of the last id, as 16 base-32 digits */
  const digits = new Uint8Array(16);
  let pool = new Uint8Array(0);
  let poolAt = 0;
  return (kind) => {
    const now = clock();
    if (now > lastTime) {
      if (poolAt + digits.length > pool.length) {
        pool = crypto.getRandomValues(new Uint8Array(RANDOM_POOL_BYTES));
        poolAt = 0;
      }
      for (let i = 0; i < digits.length; i++) digits[i] = (pool[poolAt++] ?? 0) % 32;
      lastTime = now;
      timePart = encodeTime(now);
    } else {
      // the same ms (or a clock that stepped back): the last id plus one keeps ids increasing
      incrementDigits(digits);
    }
    let random = "";
    for (const digit of digits) random += CROCKFORD.charAt(digit);
    return `${ID_PREFIX[kind]}_${timePart}${random}`;
  };
}

function incrementDigits(digits: Uint8Array): void {
  for (let i = digits.length - 1; i >= 0; i--) {
    if ((digits[i] ?? 0) < 31) {
      digits[i] = (digits[i] ?? 0) + 1;
      return;
    }
    digits[i] = 0;
  }
}

export function idPattern(kind: IdKind): string {
  return `^${ID_PREFIX[kind]}_[0-9A-HJKMNP-TV-Z]{26}$`;
}

const ID_REGEXPS = new Map<IdKind, RegExp>();

export function isId(kind: IdKind, value: string): boolean {
  let pattern = ID_REGEXPS.get(kind);
  if (!pattern) {
    pattern = new RegExp(idPattern(kind));
    ID_REGEXPS.set(kind, pattern);
  }
  return pattern.test(value);
}

/** The header that carries a request's id from the edge to the core and back to the client. */
export const REQUEST_ID_HEADER = "x-request-id";

/** Request ids accepted from a caller (the edge passes its own on): short, log-safe characters only. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,100}$/;
