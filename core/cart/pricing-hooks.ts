// Where promotions and tax will plug into pricing. Both answer per seller group (one future sub-order), in the
// cart's currency, after the lines and shipping are converted; both answer 0 until those services exist.
import type { PricedLine, PricedShipping } from "./priced-cart.ts";

/** What a hook sees of one seller group. */
export interface PricingHookInput {
  sellerId: string;
  /** the cart's currency: the hook answers in its minor units */
  currency: string;
  /** the destination, when known */
  country: string | null;
  lines: readonly PricedLine[];
  /** sum of the lines' chargeMinor */
  itemsMinor: number;
  shipping: PricedShipping | null;
}

export interface PricingHooks {
  /** a discount to take off the group (clamped to 0 … items + shipping) */
  discount(input: PricingHookInput): number | Promise<number>;
  /** tax to add to the group, computed on what is left after the discount (negative answers count as 0) */
  tax(input: PricingHookInput & { discountMinor: number }): number | Promise<number>;
}

/** The hooks priceCart uses unless told otherwise: no promotions, no tax yet. */
export const DEFAULT_PRICING_HOOKS: PricingHooks = {
  discount: () => 0,
  tax: () => 0,
};
