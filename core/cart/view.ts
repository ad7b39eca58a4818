import type { CartView } from "@bazaar/contracts";
import type { PricedCart } from "./priced-cart.ts";

/** The priced cart as the API shows it (timestamps as ISO 8601, counts added); `cartId` null when there is no cart yet. */
export function toCartView(priced: PricedCart, cartId: string | null, extra: { cartToken?: string } = {}): CartView {
  const lines = priced.sellers.flatMap((g) => g.lines);
  return {
    cartId,
    currency: priced.currency,
    country: priced.country,
    sellers: priced.sellers.map((g) => ({
      sellerId: g.sellerId,
      settlementCurrency: g.settlementCurrency,
      fxRatePpb: g.fxRatePpb,
      fxAsOf: new Date(g.fxAsOf).toISOString(),
      lines: g.lines.map((l) => ({ ...l, options: { ...l.options }, problems: l.problems.map((p) => ({ ...p })) })),
      itemsMinor: g.itemsMinor,
      shipping: g.shipping ? { ...g.shipping } : null,
      discountMinor: g.discountMinor,
      taxMinor: g.taxMinor,
      totalMinor: g.totalMinor,
    })),
    lineCount: lines.length,
    itemCount: lines.reduce((total, l) => total + l.quantity, 0),
    itemsMinor: priced.itemsMinor,
    shippingMinor: priced.shippingMinor,
    discountMinor: priced.discountMinor,
    taxMinor: priced.taxMinor,
    totalMinor: priced.totalMinor,
    hasProblems: priced.hasProblems,
    ...(extra.cartToken ? { cartToken: extra.cartToken } : {}),
  };
}
