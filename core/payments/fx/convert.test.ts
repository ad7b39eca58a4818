import { describe, expect, test } from "bun:test";
import { minorUnitExponent, SUPPORTED_CURRENCIES } from "@bazaar/contracts";
import fc from "fast-check";
import { convert, crossFraction, decimalToPpb, divideHalfEven, formatRate, fractionOf, invertRate, parseRate, RATE_ONE_PPB, toPpb } from "./convert.ts";

const rate = parseRate;

describe("convert: worked examples across minor units", () => {
  test("USD (2) → JPY (0): $10.00 at 154.62 is ¥1,546.2 → ¥1,546", () => {
    expect(convert(1000, "USD", "JPY", rate("154.62"))).toBe(1546);
    // $19.99 × 154.62 = ¥3,090.8538 → ¥3,091
    expect(convert(1999, "USD", "JPY", rate("154.62"))).toBe(3091);
  });

  test("EUR (2) → KWD (3): €19.99 at 0.3566 is 7.128434 KWD → 7.128 (7128 fils)", () => {
    expect(convert(1999, "EUR", "KWD", rate("0.3566"))).toBe(7128);
    // €1.00 × 0.3568 = 356.8 fils → 357
    expect(convert(100, "EUR", "KWD", rate("0.3568"))).toBe(357);
  });

  test("JPY (0) → USD (2): ¥1,000 at 0.006467 is $6.467 → $6.47; ¥1,234 at 0.0065 is $8.021 → $8.02", () => {
    expect(convert(1000, "JPY", "USD", rate("0.006467"))).toBe(647);
    expect(convert(1234, "JPY", "USD", rate("0.0065"))).toBe(802);
  });

  test("KWD (3) → JPY (0): 1.234 KWD at 503.45 is ¥621.2573 → ¥621", () => {
    expect(convert(1234, "KWD", "JPY", rate("503.45"))).toBe(621);
    // 0.001 KWD × 500.5 = ¥0.5005: above the half, so up
    expect(convert(1, "KWD", "JPY", rate("500.5"))).toBe(1);
  });

  test("an exact half goes to the even neighbour, down as often as up", () => {
    // USD → JPY at 150: $0.01 = ¥1.5 → 2 (up), $0.03 = ¥4.5 → 4 (down), $1.01 = ¥151.5 → 152, $1.03 = ¥154.5 → 154
    expect(convert(1, "USD", "JPY", rate("150"))).toBe(2);
    expect(convert(3, "USD", "JPY", rate("150"))).toBe(4);
    expect(convert(101, "USD", "JPY", rate("150"))).toBe(152);
    expect(convert(103, "USD", "JPY", rate("150"))).toBe(154);
    // EUR → KWD: €1.00 at 0.3565 = 356.5 fils → 356 (down), at 0.3575 = 357.5 → 358 (up)
    expect(convert(100, "EUR", "KWD", rate("0.3565"))).toBe(356);
    expect(convert(100, "EUR", "KWD", rate("0.3575"))).toBe(358);
    // JPY → USD at 0.005: ¥1 = 0.5¢ → 0, ¥3 = 1.5¢ → 2, ¥5 = 2.5¢ → 2
    expect(convert(1, "JPY", "USD", rate("0.005"))).toBe(0);
    expect(convert(3, "JPY", "USD", rate("0.005"))).toBe(2);
    expect(convert(5, "JPY", "USD", rate("0.005"))).toBe(2);
    // KWD → JPY at 500: 1 fil = ¥0.5 → 0, 3 fils = ¥1.5 → 2, 5 fils = ¥2.5 → 2
    expect(convert(1, "KWD", "JPY", rate("500"))).toBe(0);
    expect(convert(3, "KWD", "JPY", rate("500"))).toBe(2);
    expect(convert(5, "KWD", "JPY", rate("500"))).toBe(2);
  });

  test("half-even is unbiased where half-up drifts: 1000 lines, half of them on ¥x.5, sum to the exact total", () => {
    // $0.01 … $10.00 at 150: the odd amounts land on .5; the exact sum is 1.5 × 500500 = ¥750,750 (half-up: 751,000)
    let sum = 0;
    for (let cents = 1; cents <= 1000; cents++) sum += convert(cents, "USD", "JPY", rate("150"));
    expect(sum).toBe(750_750);
  });

  test("refunds (negative amounts) convert symmetrically, halves included, and never to -0", () => {
    expect(convert(-1999, "USD", "JPY", rate("154.62"))).toBe(-3091);
    expect(convert(-1, "USD", "JPY", rate("150"))).toBe(-2);
    expect(convert(-3, "USD", "JPY", rate("150"))).toBe(-4);
    expect(convert(-100, "EUR", "KWD", rate("0.3565"))).toBe(-356);
    expect(convert(-1, "JPY", "USD", rate("0.005"))).toBe(0);
    expect(Object.is(convert(-1, "JPY", "USD", rate("0.005")), -0)).toBe(false);
    expect(Object.is(convert(0, "USD", "JPY", rate("150")), 0)).toBe(true);
  });

  test("a float would get these wrong; the integer path does not", () => {
    // 1.15 × 100 in floats is 114.99999999999999: a truncating float conversion loses a cent
    expect(convert(100, "EUR", "USD", rate("1.15"))).toBe(115);
    // 2^53 − 1 minor units through a 1:1 rate stays exact
    expect(convert(Number.MAX_SAFE_INTEGER, "USD", "EUR", RATE_ONE_PPB)).toBe(Number.MAX_SAFE_INTEGER);
  });

  test("refuses what is not an amount, a rate or a code, and results beyond 2^53", () => {
    expect(() => convert(1.5, "USD", "JPY", RATE_ONE_PPB)).toThrow(RangeError);
    expect(() => convert(Number.NaN, "USD", "JPY", RATE_ONE_PPB)).toThrow(RangeError);
    expect(() => convert(100, "USD", "JPY", 0)).toThrow(RangeError);
    expect(() => convert(100, "USD", "JPY", -5)).toThrow(RangeError);
    expect(() => convert(100, "USD", "JPY", 1.5)).toThrow(RangeError);
    expect(() => convert(100, "usd", "JPY", RATE_ONE_PPB)).toThrow(RangeError);
    expect(() => convert(100, "USD", "JP", RATE_ONE_PPB)).toThrow(RangeError);
    expect(() => convert(Number.MAX_SAFE_INTEGER, "USD", "KWD", RATE_ONE_PPB)).toThrow(/too large/);
  });
});

describe("divideHalfEven", () => {
  test("rounds to nearest, ties to even, symmetric in sign", () => {
    const cases: [bigint, bigint, bigint][] = [
      [5n, 2n, 2n],
      [7n, 2n, 4n],
      [-5n, 2n, -2n],
      [-7n, 2n, -4n],
      [5n, -2n, -2n],
      [10n, 3n, 3n],
      [11n, 3n, 4n],
      [-11n, 3n, -4n],
      [0n, 7n, 0n],
    ];
    for (const [n, d, expected] of cases) expect(divideHalfEven(n, d)).toBe(expected);
    expect(() => divideHalfEven(1n, 0n)).toThrow(RangeError);
  });
});

describe("rates: parse, format, invert, cross", () => {
  test("parseRate reads a decimal exactly into ppb", () => {
    expect(parseRate("1.0842")).toBe(1_084_200_000);
    expect(parseRate("1")).toBe(RATE_ONE_PPB);
    expect(parseRate("154.62")).toBe(154_620_000_000);
    expect(parseRate("0.000000001")).toBe(1);
    expect(parseRate("0.30712")).toBe(307_120_000);
    expect(parseRate("26325")).toBe(26_325_000_000_000);
    expect(parseRate("1.100000000")).toBe(1_100_000_000);
    expect(parseRate("9007199.254740991")).toBe(Number.MAX_SAFE_INTEGER);
  });

  test("parseRate refuses junk, signs, exponents, zero and more than nine decimals", () => {
    const junk = [
      "",
      " 1",
      "1 ",
      "1.",
      ".5",
      "+1",
      "-1",
      "1e3",
      "1E-3",
      "0",
      "0.0",
      "0.000000000",
      "1,5",
      "01.5",
      "1.0000000001",
      "NaN",
      "Infinity",
      "0x10",
      "１",
      "1_000",
      "9007199.254740992",
      "99999999",
    ];
    for (const text of junk) expect(() => parseRate(text), JSON.stringify(text)).toThrow(RangeError);
    expect(() => parseRate(1.5 as unknown as string)).toThrow(RangeError);
  });

  test("formatRate writes the shortest exact decimal", () => {
    expect(formatRate(1_084_200_000)).toBe("1.0842");
    expect(formatRate(RATE_ONE_PPB)).toBe("1");
    expect(formatRate(1)).toBe("0.000000001");
    expect(formatRate(12_345)).toBe("0.000012345");
    expect(formatRate(154_620_000_000)).toBe("154.62");
    expect(formatRate(Number.MAX_SAFE_INTEGER)).toBe("9007199.254740991");
    for (const bad of [0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1]) expect(() => formatRate(bad)).toThrow(RangeError);
  });

  test("decimalToPpb reads a feed's JSON number text, exponents included, rounding beyond nine decimals half to even", () => {
    expect(decimalToPpb("0.92")).toBe(920_000_000);
    expect(decimalToPpb("156.1")).toBe(156_100_000_000);
    expect(decimalToPpb("3.8E-5")).toBe(38_000);
    expect(decimalToPpb("1e2")).toBe(100_000_000_000);
    expect(decimalToPpb("1.23456789012")).toBe(1_234_567_890);
    // exact halves of a ppb, where Math.round(x * 1e9) on the float says otherwise
    expect(decimalToPpb("1.0000000015")).toBe(1_000_000_002); // float: 1000000001
    expect(decimalToPpb("1.0000000025")).toBe(1_000_000_002); // float: 1000000003
    expect(decimalToPpb("7.1105000005")).toBe(7_110_500_000); // float: 7110500001
    for (const bad of ["-1", "1e-10", "0", "abc", "1e400", "01", "1.", ".1", "", "1e", "0x1", "1".repeat(60)]) {
      expect(() => decimalToPpb(bad), bad).toThrow(RangeError);
    }
  });

  test("an inverse and a cross rate are exact fractions rounded once", () => {
    // 1 / 1.15 = 0.869565217391… → 0.869565217
    expect(invertRate(parseRate("1.15"))).toBe(869_565_217);
    expect(invertRate(parseRate("0.5"))).toBe(2 * RATE_ONE_PPB);
    // EUR→JPY from USD→EUR 0.8612 and USD→JPY 154.62: 179.5401764979…
    expect(toPpb(crossFraction(fractionOf(parseRate("0.8612")), fractionOf(parseRate("154.62"))))).toBe(179_540_176_498);
    expect(() => invertRate(1)).toThrow(/too large/);
  });
});

describe("properties", () => {
  const code = fc.constantFrom(...SUPPORTED_CURRENCIES);
  // bounded so every result fits a safe integer: |amount| ≤ 1e8, rate ≤ 10,000, exponents differ by ≤ 3
  const amount = fc.integer({ min: -100_000_000, max: 100_000_000 });
  const ppb = fc.integer({ min: 1, max: 10_000 * RATE_ONE_PPB });
  const exact = (a: number, from: string, to: string, r: number) => ({
    n: BigInt(a) * BigInt(r) * 10n ** BigInt(minorUnitExponent(to)),
    d: BigInt(RATE_ONE_PPB) * 10n ** BigInt(minorUnitExponent(from)),
  });

  test("converting never produces a non-integer", () => {
    fc.assert(fc.property(amount, code, code, ppb, (a, from, to, r) => Number.isSafeInteger(convert(a, from, to, r))));
  });

  test("the result is within half a minor unit of the exact rational value, and an exact half lands on even", () => {
    fc.assert(
      fc.property(amount, code, code, ppb, (a, from, to, r) => {
        const result = BigInt(convert(a, from, to, r));
        const { n, d } = exact(a, from, to, r);
        const twiceError = 2n * (result * d - n);
        const distance = twiceError < 0n ? -twiceError : twiceError;
        expect(distance <= d).toBe(true);
        if (distance === d) expect(result % 2n).toBe(0n);
      }),
    );
  });

  test("exact halves are reached, and always land on the even neighbour", () => {
    // KRW→JPY (both exponent 0) at k + 0.5: an odd amount a converts to a·k + a/2, an exact half
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: -10_000, max: 10_000 }), (k, m) => {
        const a = 2 * m + 1;
        const result = convert(a, "KRW", "JPY", (2 * k + 1) * 500_000_000);
        return result % 2 === 0 && Math.abs(2 * result - a * (2 * k + 1)) === 1;
      }),
    );
  });

  test("negating the amount negates the result (refunds mirror charges)", () => {
    fc.assert(fc.property(amount, code, code, ppb, (a, from, to, r) => convert(-a, from, to, r) === -convert(a, from, to, r)));
  });

  test("a rate of 1 between currencies of the same exponent is the identity", () => {
    const sameExponent = fc.tuple(code, code).filter(([from, to]) => minorUnitExponent(from) === minorUnitExponent(to));
    fc.assert(fc.property(fc.maxSafeInteger(), sameExponent, (a, [from, to]) => convert(a, from, to, RATE_ONE_PPB) === a));
  });

  test("parseRate(formatRate(ppb)) === ppb for every positive safe ppb", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (r) => parseRate(formatRate(r)) === r));
  });

  test("formatRate(parseRate(text)) === text for every canonical decimal", () => {
    const canonical = fc
      .tuple(fc.integer({ min: 0, max: 9_007_198 }), fc.option(fc.stringMatching(/^[0-9]{0,8}[1-9]$/)))
      .filter(([whole, fraction]) => whole > 0 || fraction !== null)
      .map(([whole, fraction]) => (fraction === null ? String(whole) : `${whole}.${fraction}`));
    fc.assert(fc.property(canonical, (text) => formatRate(parseRate(text)) === text));
  });

  test("decimalToPpb agrees with parseRate wherever both accept", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (r) => decimalToPpb(formatRate(r)) === r));
  });
});
