// The shipping estimate cart and checkout use: what a seller charges to send a shipment to a country. The full
// shipping service (carriers, labels, tracking) replaces this later behind the same function.
import type { schema } from "@bazaar/db";
import type { Ctx } from "../platform/deps.ts";
import { ratesOf } from "./repo.ts";

export type ShippingCtx = Pick<Ctx, "database">;

export interface ShipmentInput {
  sellerId: string;
  /** ISO 3166-1 alpha-2 destination */
  country: string;
  /** the seller's currency: the items' and the rate's */
  currency: string;
  /** what the shipment's items are worth, minor units of `currency` (for free-shipping thresholds) */
  itemsMinor: number;
  /** the shipment's weight: items without a weight count 0 g */
  weightGrams: number;
}

export interface ShippingEstimate {
  /** the seller's rate used; null for the platform's default (a seller who set no rates) */
  rateId: string | null;
  name: string;
  /** minor units of the input's currency */
  amountMinor: number;
  minDays: number;
  maxDays: number;
}

/** A seller who has set no rates ships everywhere, with shipping included in their prices. */
export const DEFAULT_SHIPPING: ShippingEstimate = { rateId: null, name: "Standard shipping", amountMinor: 0, minDays: 5, maxDays: 20 };

type RateRow = typeof schema.shippingRate.$inferSelect;

/** The charge of one rate for a shipment: flat, or base plus each started kilogram; free at or over the threshold. */
export function chargeOf(rate: Pick<RateRow, "kind" | "baseMinor" | "perKgMinor" | "freeOverMinor">, itemsMinor: number, weightGrams: number): number {
  if (rate.freeOverMinor !== null && itemsMinor >= rate.freeOverMinor) return 0;
  if (rate.kind === "flat") return rate.baseMinor;
  return rate.baseMinor + Math.ceil(Math.max(0, weightGrams) / 1000) * rate.perKgMinor;
}

/**
 * The cheapest of the seller's rates (in the shipment's currency) whose zone names the country; else of their
 * catch-all rates (a zone of no countries); null when the seller has rates but none reaches the country: they do
 * not ship there. A seller with no rates at all gets DEFAULT_SHIPPING.
 */
export async function estimateShipping(ctx: ShippingCtx, input: ShipmentInput): Promise<ShippingEstimate | null> {
  // a NaN here would become a NaN charge that wins no comparison and lands in an order
  if (!Number.isFinite(input.itemsMinor) || !Number.isFinite(input.weightGrams)) {
    throw new RangeError(`shipment amounts must be finite numbers, got itemsMinor ${input.itemsMinor} and weightGrams ${input.weightGrams}`);
  }
  const rates = await ratesOf(ctx.database.db, input.sellerId);
  // a copy: a caller adjusting its estimate must not change the default for everyone
  if (rates.length === 0) return { ...DEFAULT_SHIPPING };
  const usable = rates.filter((rate) => rate.currency === input.currency);
  const named = usable.filter((rate) => rate.countries.includes(input.country));
  const candidates = named.length > 0 ? named : usable.filter((rate) => rate.countries.length === 0);
  let best: ShippingEstimate | null = null;
  for (const rate of candidates) {
    const amountMinor = chargeOf(rate, input.itemsMinor, input.weightGrams);
    if (!best || amountMinor < best.amountMinor || (amountMinor === best.amountMinor && rate.maxDays < best.maxDays)) {
      best = { rateId: rate.id, name: rate.name, amountMinor, minDays: rate.minDays, maxDays: rate.maxDays };
    }
  }
  return best;
}
