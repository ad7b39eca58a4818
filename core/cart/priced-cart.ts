// The cart as checkout and the cart routes see it: every line re-validated against the catalog now, grouped by
// seller, priced in the shopper's currency with shipping to their destination. The cart service computes it
// (`priceCart`); checkout turns a cart with no problems into an order, with exactly these amounts.

/** Why a line cannot be bought as it stands: flagged on the line, never changed silently. */
export type LineProblem =
  /** the catalog's price is no longer the one the shopper was shown (`seenPriceMinor`) */
  | { code: "price_changed"; seenPriceMinor: number; priceMinor: number }
  /** fewer available than the line's quantity (0: out of stock) */
  | { code: "insufficient_stock"; available: number }
  /** the product is not for sale any more (archived, suspended, deleted) */
  | { code: "unavailable" }
  /** the seller does not ship to the destination country */
  | { code: "undeliverable"; country: string };

/**
 * One cart line priced now. A line whose variant no longer exists at all keeps its place, flagged `unavailable`,
 * with empty productId/sellerId/categoryId/sku/title, unitPriceMinor 0 (nothing to charge) and its seen price.
 */
export interface PricedLine {
  variantId: string;
  productId: string;
  sellerId: string;
  categoryId: string;
  sku: string;
  title: string;
  options: Record<string, string>;
  quantity: number;
  /** the seller's price of one now, in `settlementCurrency` */
  unitPriceMinor: number;
  /** the price of one the shopper was last shown */
  seenPriceMinor: number;
  settlementCurrency: string;
  /** quantity × unitPriceMinor */
  settlementMinor: number;
  /** settlementMinor converted to the cart's currency at the group's rate, rounded once (half to even) */
  chargeMinor: number;
  weightGrams: number | null;
  problems: LineProblem[];
}

/** The shipping a group is quoted, from the seller's rate for the destination. */
export interface PricedShipping {
  rateId: string | null;
  name: string;
  /** in the seller's currency */
  settlementMinor: number;
  /** in the cart's currency */
  chargeMinor: number;
  minDays: number;
  maxDays: number;
}

/**
 * One seller's lines in one currency: what becomes one sub-order. Lines whose variant no longer exists form their
 * own group with sellerId "" (in the currency they were seen in), never shipped.
 */
export interface PricedSellerGroup {
  sellerId: string;
  settlementCurrency: string;
  /** settlementCurrency → the cart's currency, parts per billion, and when that rate was published */
  fxRatePpb: number;
  fxAsOf: number;
  lines: PricedLine[];
  /** sum of the lines' chargeMinor */
  itemsMinor: number;
  /** null when no destination was given, or the seller does not ship there */
  shipping: PricedShipping | null;
  /** the discounts hook's answer (0 until promotions exist), in the cart's currency */
  discountMinor: number;
  /** the tax hook's answer (0 until tax exists), in the cart's currency */
  taxMinor: number;
  /** itemsMinor + shipping.chargeMinor − discountMinor + taxMinor */
  totalMinor: number;
}

export interface PricedCart {
  cartId: string;
  /** the shopper's display and charge currency */
  currency: string;
  /** the destination the shipping is estimated for, when known */
  country: string | null;
  sellers: PricedSellerGroup[];
  itemsMinor: number;
  shippingMinor: number;
  discountMinor: number;
  taxMinor: number;
  totalMinor: number;
  /** some line has a problem (checkout refuses such a cart, naming them) */
  hasProblems: boolean;
}
