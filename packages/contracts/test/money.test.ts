import { describe, expect, test } from "bun:test";
import { Value } from "@sinclair/typebox/value";
import { addMoney, formatMoney, Money, minorUnitExponent, money, multiplyMoney, SUPPORTED_CURRENCIES, sumMoney } from "../src/index.ts";

/** Exact rational rounding, half away from zero, in BigInt: the reference multiplyMoney must agree with. */
function reference(amount: number, numerator: number, denominator: number): number {
  const product = BigInt(amount) * BigInt(numerator);
  const d = BigInt(denominator);
  const negative = product < 0n !== d < 0n;
  const abs = (x: bigint) => (x < 0n ? -x : x);
  const rounded = (2n * abs(product) + abs(d)) / (2n * abs(d));
  return Number(negative ? -rounded : rounded);
}

describe("money", () => {
  test("accepts integer minor units and an ISO 4217-shaped code", () => {
    expect(money(1999, "USD")).toEqual({ amount: 1999, currency: "USD" });
    expect(money(-250, "EUR")).toEqual({ amount: -250, currency: "EUR" });
    expect(money(0, "JPY")).toEqual({ amount: 0, currency: "JPY" });
    expect(Value.Check(Money, money(1999, "USD"))).toBe(true);
  });

  test("refuses floats, NaN, infinities and unsafe integers", () => {
    for (const bad of [19.99, 0.1 + 0.2, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 53, -(2 ** 53)]) {
      expect(() => money(bad, "USD")).toThrow(RangeError);
    }
    expect(() => money(19.99, "USD")).toThrow(/integer of minor units/);
  });

  test("refuses codes that are not three capital letters", () => {
    for (const bad of ["usd", "Usd", "US", "USDX", "", "U$D", " USD", "USD\n", "12A"]) {
      expect(() => money(100, bad)).toThrow(RangeError);
    }
  });
});

describe("addMoney / sumMoney", () => {
  test("adds amounts of one currency without touching the inputs", () => {
    const a = money(1050, "USD");
    const b = money(-50, "USD");
    expect(addMoney(a, b)).toEqual({ amount: 1000, currency: "USD" });
    expect(a).toEqual({ amount: 1050, currency: "USD" });
    expect(sumMoney([a, b, money(1, "USD")], "USD")).toEqual({ amount: 1001, currency: "USD" });
    expect(sumMoney([], "GBP")).toEqual({ amount: 0, currency: "GBP" });
  });

  test("refuses to mix currencies", () => {
    expect(() => addMoney(money(100, "USD"), money(100, "EUR"))).toThrow(/cannot add USD to EUR/);
    expect(() => sumMoney([money(100, "USD"), money(100, "USD")], "EUR")).toThrow(RangeError);
    expect(() => sumMoney([money(100, "USD"), money(100, "JPY")], "USD")).toThrow(RangeError);
  });

  test("refuses a sum that leaves the safe-integer range instead of losing cents", () => {
    expect(() => addMoney(money(Number.MAX_SAFE_INTEGER, "USD"), money(1, "USD"))).toThrow(RangeError);
  });
});

describe("multiplyMoney", () => {
  test("rounds half away from zero, for negatives too (Math.round alone would not)", () => {
    const cases: [number, number, number, number][] = [
      [5, 1, 2, 3],
      [-5, 1, 2, -3],
      [15, 1, 10, 2],
      [-15, 1, 10, -2],
      [25, 1, 10, 3],
      [-25, 1, 10, -3],
      [14, 1, 10, 1],
      [-14, 1, 10, -1],
      [16, 1, 10, 2],
      [-16, 1, 10, -2],
      [201, 5, 10, 101],
      [-201, 5, 10, -101],
    ];
    for (const [amount, n, d, expected] of cases) expect(multiplyMoney(money(amount, "USD"), n, d).amount).toBe(expected);
  });

  test("agrees with exact rational rounding over a grid of amounts and tax/commission rates", () => {
    const rates: [number, number][] = [
      [825, 10_000],
      [2_000, 10_000],
      [19, 100],
      [7, 100],
      [1, 3],
      [2, 3],
      [1_250, 10_000],
      [15, 1],
      [-825, 10_000],
    ];
    for (let amount = -2_000; amount <= 2_000; amount += 7) {
      for (const [n, d] of rates) {
        const result = multiplyMoney(money(amount, "EUR"), n, d);
        expect(Number.isSafeInteger(result.amount)).toBe(true);
        expect(result.currency).toBe("EUR");
        // `+ 0` folds -0 into 0 here; the negative-zero case has its own test below
        expect(result.amount + 0).toBe(reference(amount, n, d));
      }
    }
  });

  test("a refund line whose tax rounds to nothing is zero, not negative zero (which formats as -$0.00)", () => {
    const tax = multiplyMoney(money(-1, "USD"), 1, 10);
    expect(Object.is(tax.amount, 0)).toBe(true);
    expect(formatMoney(tax)).toBe("$0.00");
  });
});

describe("minor units", () => {
  test("exponents follow ISO 4217", () => {
    expect(minorUnitExponent("JPY")).toBe(0);
    expect(minorUnitExponent("KRW")).toBe(0);
    expect(minorUnitExponent("KWD")).toBe(3);
    expect(minorUnitExponent("BHD")).toBe(3);
    expect(minorUnitExponent("USD")).toBe(2);
    expect(minorUnitExponent("EUR")).toBe(2);
  });

  test("every supported currency is a valid code and formats with its own number of decimals", () => {
    for (const code of SUPPORTED_CURRENCIES) {
      // en-US always uses "." for decimals and "," for thousands
      const digits = formatMoney(money(12345, code)).match(/\.(\d+)/)?.[1]?.length ?? 0;
      expect(digits).toBe(minorUnitExponent(code));
    }
    expect(formatMoney(money(1999, "USD"))).toBe("$19.99");
    expect(formatMoney(money(1999, "JPY"))).toBe("¥1,999");
    expect(formatMoney(money(1500, "KWD"))).toContain("1.500");
    expect(formatMoney(money(-250, "USD"))).toBe("-$2.50");
  });
});

describe("sub-cent totals", () => {
  test("tax rounded once per line: the charged total is exactly the sum of the lines", () => {
    const lines = [money(333, "USD"), money(333, "USD"), money(333, "USD")];
    // 8.25 % of 333 = 27.4725: the documented rounding point is per line, half away from zero
    const taxes = lines.map((line) => multiplyMoney(line, 825, 10_000));
    for (const tax of taxes) {
      expect(Number.isInteger(tax.amount)).toBe(true);
      expect(tax).toEqual({ amount: 27, currency: "USD" });
    }
    const lineTotals = lines.map((line, i) => addMoney(line, taxes[i] ?? money(0, "USD")));
    const charged = sumMoney(lineTotals, "USD");
    expect(charged).toEqual({ amount: 1080, currency: "USD" });
    expect(charged.amount).toBe(sumMoney(lines, "USD").amount + sumMoney(taxes, "USD").amount);
    // taxing the order total instead would charge 82 cents of tax, not 81: lines and charge would disagree
    expect(multiplyMoney(sumMoney(lines, "USD"), 825, 10_000).amount).toBe(82);
  });

  test("per-line rounding over many lines never drifts by a fraction of a cent", () => {
    const prices = Array.from({ length: 250 }, (_, i) => money(99 + ((i * 7919) % 5000), "USD"));
    const taxes = prices.map((p) => multiplyMoney(p, 825, 10_000));
    const lineTotals = prices.map((p, i) => addMoney(p, taxes[i] ?? money(0, "USD")));
    const charged = sumMoney(lineTotals, "USD");
    expect(Number.isSafeInteger(charged.amount)).toBe(true);
    expect(charged.amount).toBe(prices.reduce((n, p) => n + p.amount, 0) + taxes.reduce((n, t) => n + t.amount, 0));
    for (const [i, p] of prices.entries()) expect(Math.abs((taxes[i]?.amount ?? 0) - (p.amount * 825) / 10_000)).toBeLessThanOrEqual(0.5);
  });
});
