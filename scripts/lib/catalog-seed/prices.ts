import { minorUnitExponent } from "@bazaar/contracts";

/** Rough units of each seller currency per US dollar: enough for believable local prices. */
const PER_USD: Record<string, number> = {
  USD: 1,
  EUR: 0.92,
  GBP: 0.79,
  JPY: 150,
  KRW: 1350,
  BRL: 5.1,
  PLN: 4,
  TRY: 33,
  MXN: 17.5,
  INR: 83,
};

/**
 * A US-cent price as a shop in `currency` would write it, in that currency's minor units:
 * "x.99" where there are cents, round tens or hundreds where there are none (¥2,980, ₩39,900).
 */
export function localPrice(usdCents: number, currency: string): number {
  const rate = PER_USD[currency];
  if (rate === undefined) throw new Error(`no demo exchange rate for ${currency}`);
  const major = (usdCents / 100) * rate;
  const exponent = minorUnitExponent(currency);
  if (exponent === 0) {
    if (major >= 10_000) return Math.ceil(major / 1_000) * 1_000 - 100;
    if (major >= 1_000) return Math.ceil(major / 100) * 100 - 20;
    return Math.max(10, Math.ceil(major / 10) * 10);
  }
  const unit = 10 ** exponent;
  if (major < 1) return Math.max(1, Math.round(major * unit));
  return Math.ceil(major) * unit - 1;
}
