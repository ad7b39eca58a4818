// Exact currency conversion. A rate is an integer "parts per billion" (units of `to` per unit of `from` × 1e9,
// as `fx_rate.rate_ppb` stores it), amounts are integer minor units, and every step is BigInt arithmetic on
// rationals: nothing passes through a float, and an amount is rounded exactly once, at the end.
//
// Rounding is half to even (banker's rounding), not the half-away-from-zero of `multiplyMoney`, because:
// - it is unbiased: exact halves go up as often as down, so totals over many converted lines (a cart, a day of
//   settlements) do not drift upward against the exact sum, as they do when every .5 rounds up;
// - it is symmetric (half-up is not): convert(-x) === -convert(x), so a refund converts to the negation of its charge;
// - it is IEEE 754's default and the HALF_EVEN of accounting software (Java's BigDecimal, .NET's Math.Round), so a
//   ledger reconciling our figures with its own rounding agrees with us.
import { minorUnitExponent } from "@bazaar/contracts";

/** A rate of exactly 1 (a currency against itself). */
export const RATE_ONE_PPB = 1_000_000_000;
/** Decimal places a rate keeps: ppb is nine. */
export const RATE_DECIMALS = 9;
/** A rate as text, as parseRate accepts it: digits, no sign or exponent, at most nine decimals, no leading zeros. */
export const RATE_PATTERN = "^(0|[1-9][0-9]{0,6})(\\.[0-9]{1,9})?$";

const PPB = BigInt(RATE_ONE_PPB);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const CURRENCY = /^[A-Z]{3}$/;
const RATE_TEXT = new RegExp(RATE_PATTERN);
/** The JSON number grammar (RFC 8259 §6), without the minus sign: a rate is never negative. */
const JSON_NUMBER = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/;
/** Beyond these a decimal is no exchange rate; refusing early keeps BigInt powers small. */
const MAX_DIGITS = 40;
const MAX_EXPONENT = 40;

/**
 * Converts `amountMinor` minor units of `from` into minor units of `to` at `ratePpb` (units of `to` per unit of
 * `from`, × 1e9), honouring both currencies' minor-unit exponents (JPY 0, USD 2, KWD 3), rounded once, half to
 * even. Negative amounts (refunds) convert symmetrically. Throws RangeError on a non-integer amount, a rate that
 * is not a positive safe integer, a malformed code, or a result beyond Number.MAX_SAFE_INTEGER.
 */
export function convert(amountMinor: number, from: string, to: string, ratePpb: number): number {
  if (!Number.isSafeInteger(amountMinor)) throw new RangeError(`amount must be an integer of minor units, got ${amountMinor}`);
  assertRate(ratePpb);
  if (!CURRENCY.test(from)) throw new RangeError(`not an ISO 4217 code: ${from}`);
  if (!CURRENCY.test(to)) throw new RangeError(`not an ISO 4217 code: ${to}`);
  // amount/10^ef major units × rate/1e9 = amount × rate × 10^et / (1e9 × 10^ef) minor units of `to`
  const numerator = BigInt(amountMinor) * BigInt(ratePpb) * 10n ** BigInt(minorUnitExponent(to));
  const denominator = PPB * 10n ** BigInt(minorUnitExponent(from));
  const result = divideHalfEven(numerator, denominator);
  if (result > MAX_SAFE || result < -MAX_SAFE) throw new RangeError(`${amountMinor} ${from} is too large to convert to ${to}`);
  return Number(result) + 0; // + 0: never -0
}

/** n / d rounded to the nearest integer, an exact half to the even neighbour; symmetric about zero. */
export function divideHalfEven(n: bigint, d: bigint): bigint {
  if (d === 0n) throw new RangeError("division by zero");
  if (d < 0n) return divideHalfEven(-n, -d);
  if (n < 0n) return -divideHalfEven(-n, d);
  const quotient = n / d;
  const twiceRemainder = (n % d) * 2n;
  if (twiceRemainder > d || (twiceRemainder === d && quotient % 2n === 1n)) return quotient + 1n;
  return quotient;
}

/**
 * A rate as an exact fraction (units of the quote per unit of the base), for combining rates (inverse, cross)
 * before rounding the result once to ppb.
 */
export interface RateFraction {
  numerator: bigint;
  denominator: bigint;
}

export const fractionOf = (ratePpb: number): RateFraction => {
  assertRate(ratePpb);
  return { numerator: BigInt(ratePpb), denominator: PPB };
};

export const invertFraction = (rate: RateFraction): RateFraction => ({ numerator: rate.denominator, denominator: rate.numerator });

/** Given base→a and base→b, the rate a→b: (base→b) / (base→a). */
export const crossFraction = (baseToA: RateFraction, baseToB: RateFraction): RateFraction => ({
  numerator: baseToB.numerator * baseToA.denominator,
  denominator: baseToB.denominator * baseToA.numerator,
});

/**
 * The fraction rounded once, half to even, to ppb. RangeError when that is 0 (a rate too small for nine
 * decimals to hold) or beyond a safe integer: no stored rate can represent it.
 */
export function toPpb(rate: RateFraction): number {
  const ppb = divideHalfEven(rate.numerator * PPB, rate.denominator);
  if (ppb <= 0n) throw new RangeError("the rate is too small to express in parts per billion");
  if (ppb > MAX_SAFE) throw new RangeError("the rate is too large to express in parts per billion");
  return Number(ppb);
}

/** 1 / rate, rounded once to ppb. */
export const invertRate = (ratePpb: number): number => toPpb(invertFraction(fractionOf(ratePpb)));

/**
 * A decimal rate ("1.0842") as ppb (1_084_200_000), exactly: digits with at most nine decimals, positive, no sign,
 * exponent, spaces, leading zeros or grouping. Anything else is a RangeError saying what is wrong.
 */
export function parseRate(text: string): number {
  if (typeof text !== "string" || !RATE_TEXT.test(text)) {
    throw new RangeError(`not a rate: ${JSON.stringify(String(text).slice(0, 40))} (expected a decimal like "1.0842", at most ${RATE_DECIMALS} decimals)`);
  }
  const [whole = "0", fraction = ""] = text.split(".");
  const ppb = BigInt(whole) * PPB + BigInt(fraction.padEnd(RATE_DECIMALS, "0"));
  if (ppb === 0n) throw new RangeError("a rate must be greater than zero");
  if (ppb > MAX_SAFE) throw new RangeError(`a rate must be at most ${formatRate(Number.MAX_SAFE_INTEGER)}`);
  return Number(ppb);
}

/**
 * A JSON number's source text (a provider's feed: "0.92", "156.1", "3.8E-5") as ppb, rounded once, half to even,
 * when it has more than nine decimals: a feed may quote 0.0000379412 and should not be refused for it. RangeError
 * for anything that is not a positive JSON number or rounds to zero.
 */
export function decimalToPpb(text: string): number {
  const match = JSON_NUMBER.exec(text);
  if (!match || text.length > MAX_DIGITS + 6) throw new RangeError(`not a positive decimal number: ${JSON.stringify(text.slice(0, 40))}`);
  const [, whole = "0", fraction = "", exponentText = "0"] = match;
  const exponent = Number(exponentText);
  if (Math.abs(exponent) > MAX_EXPONENT) throw new RangeError(`exponent out of range: ${JSON.stringify(text.slice(0, 40))}`);
  // value = digits × 10^(exponent − decimals); ppb = digits × 10^(9 + exponent − decimals)
  const digits = BigInt(whole + fraction);
  const shift = RATE_DECIMALS + exponent - fraction.length;
  const ppb = shift >= 0 ? digits * 10n ** BigInt(shift) : divideHalfEven(digits, 10n ** BigInt(-shift));
  if (ppb <= 0n) throw new RangeError(`a rate must be at least 0.000000001: ${JSON.stringify(text.slice(0, 40))}`);
  if (ppb > MAX_SAFE) throw new RangeError(`rate too large: ${JSON.stringify(text.slice(0, 40))}`);
  return Number(ppb);
}

/** ppb as the shortest exact decimal: 1_084_200_000 → "1.0842", 1_000_000_000 → "1", 12_345 → "0.000012345". */
export function formatRate(ratePpb: number): string {
  assertRate(ratePpb);
  const whole = Math.floor(ratePpb / RATE_ONE_PPB);
  const fraction = String(ratePpb % RATE_ONE_PPB)
    .padStart(RATE_DECIMALS, "0")
    .replace(/0+$/, "");
  return fraction ? `${whole}.${fraction}` : String(whole);
}

function assertRate(ratePpb: number): void {
  if (!Number.isSafeInteger(ratePpb) || ratePpb <= 0) throw new RangeError(`a rate must be a positive integer of parts per billion, got ${ratePpb}`);
}
