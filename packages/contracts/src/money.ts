import { type Static, Type } from "@sinclair/typebox";

/** ISO 4217 minor-unit exponents that differ from 2; every other supported code uses 2. */
const EXPONENT: Record<string, number> = { JPY: 0, KRW: 0, VND: 0, CLP: 0, ISK: 0, BHD: 3, KWD: 3, OMR: 3, TND: 3, JOD: 3 };

export const SUPPORTED_CURRENCIES = [
  "USD",
  "EUR",
  "GBP",
  "CNY",
  "JPY",
  "KRW",
  "INR",
  "BRL",
  "MXN",
  "CAD",
  "AUD",
  "RUB",
  "TRY",
  "PLN",
  "SEK",
  "CHF",
  "AED",
  "SAR",
  "IDR",
  "VND",
  "THB",
  "KWD",
  "BHD",
  "CLP",
] as const;

export const CurrencyCode = Type.String({ pattern: "^[A-Z]{3}$", description: "ISO 4217 code", examples: ["USD"] });

export const Money = Type.Object(
  {
    amount: Type.Integer({ description: "Integer minor units (cents for USD, yen for JPY)", examples: [1999] }),
    currency: CurrencyCode,
  },
  { additionalProperties: false, examples: [{ amount: 1999, currency: "USD" }] },
);
export type Money = Static<typeof Money>;

export function minorUnitExponent(currency: string): number {
  return EXPONENT[currency] ?? 2;
}

export function money(amount: number, currency: string): Money {
  if (!Number.isSafeInteger(amount)) throw new RangeError(`money amount must be an integer of minor units, got ${amount}`);
  if (!/^[A-Z]{3}$/.test(currency)) throw new RangeError(`not an ISO 4217 code: ${currency}`);
  return { amount, currency };
}

export function addMoney(a: Money, b: Money): Money {
  if (a.currency !== b.currency) throw new RangeError(`cannot add ${a.currency} to ${b.currency}`);
  return money(a.amount + b.amount, a.currency);
}

export function sumMoney(items: Money[], currency: string): Money {
  return items.reduce((total, m) => addMoney(total, m), money(0, currency));
}

/**
 * Multiplies by a rational factor and rounds once, half away from zero: the one
 * documented rounding point for tax, FX and commission on a line.
 */
export function multiplyMoney(m: Money, numerator: number, denominator = 1): Money {
  const exact = (m.amount * numerator) / denominator;
  return money(Math.sign(exact) * Math.round(Math.abs(exact)) + 0, m.currency); // + 0: never -0
}

/** Formats for humans (logs, emails); never parse this back. */
export function formatMoney(m: Money, locale = "en-US"): string {
  const exp = minorUnitExponent(m.currency);
  return new Intl.NumberFormat(locale, { style: "currency", currency: m.currency, minimumFractionDigits: exp, maximumFractionDigits: exp }).format(
    m.amount / 10 ** exp,
  );
}
