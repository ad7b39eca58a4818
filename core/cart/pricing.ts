// priceCart: the cart as it would be bought now. Every line is checked against the catalog as it is now (for
// sale, in stock, price unchanged since the shopper saw it), lines are grouped by seller and currency (one group
// becomes one sub-order), and each group is converted into the cart's currency at one rate. Rounding happens
// exactly once per amount: each line's settlementMinor and the group's shipping are converted (half to even) and
// every total above them is a sum of those integers, so the groups add up to the cart to the minor unit.
import { AppError, isCountryCode, NotFoundError, ValidationError } from "@bazaar/contracts";
import { type CartVariant, variantsForCart } from "../catalog/index.ts";
import { convert, type ResolvedRate, rateFor } from "../payments/index.ts";
import type { Ctx } from "../platform/deps.ts";
import { estimateShipping } from "../shipping/index.ts";
import type { LineProblem, PricedCart, PricedLine, PricedSellerGroup, PricedShipping } from "./priced-cart.ts";
import { DEFAULT_PRICING_HOOKS, type PricingHooks } from "./pricing-hooks.ts";
import * as repo from "./repo.ts";

export type PricingCtx = Pick<Ctx, "database" | "clock">;

export interface PriceCartOptions {
  /** the shopper's display and charge currency (a supported ISO 4217 code) */
  currency: string;
  /** ISO 3166-1 alpha-2 destination; null: no shipping estimate, no deliverability check */
  country: string | null;
  /** discounts and tax (tests and, later, promotions and tax plug in here); default: none */
  hooks?: Partial<PricingHooks>;
}

/**
 * The cart `cartId` as checkout would buy it now: every line re-validated (see LineProblem), grouped by (seller,
 * currency) in the order the groups' first lines were added, converted into `opts.currency` at one rate per group.
 * Throws NotFoundError for an unknown cart and ValidationError (naming /currency or /country) for a currency no
 * rate reaches or a country that is not one.
 */
export async function priceCart(ctx: PricingCtx, cartId: string, opts: PriceCartOptions): Promise<PricedCart> {
  if (opts.country !== null && !isCountryCode(opts.country)) {
    throw new ValidationError([{ path: "/country", message: "is not an ISO 3166-1 alpha-2 country code" }]);
  }
  const cart = await repo.findCart(ctx.database.db, { cartId });
  if (!cart) throw new NotFoundError("cart", cartId);
  const lines = await repo.linesOf(ctx.database.db, cartId);
  return priceLines(ctx, cartId, lines, opts);
}

/** The priced view of no cart at all (nothing was ever added): no groups, all totals 0. */
export function emptyPricedCart(cartId: string, opts: Pick<PriceCartOptions, "currency" | "country">): PricedCart {
  return {
    cartId,
    currency: opts.currency,
    country: opts.country,
    sellers: [],
    itemsMinor: 0,
    shippingMinor: 0,
    discountMinor: 0,
    taxMinor: 0,
    totalMinor: 0,
    hasProblems: false,
  };
}

interface Group {
  sellerId: string;
  currency: string;
  /** false for the lines whose variant no longer exists (nothing to ship, no seller to ask) */
  real: boolean;
  entries: { row: repo.CartLineRow; variant: CartVariant | undefined }[];
}

async function priceLines(ctx: PricingCtx, cartId: string, rows: repo.CartLineRow[], opts: PriceCartOptions): Promise<PricedCart> {
  const hooks: PricingHooks = { ...DEFAULT_PRICING_HOOKS, ...opts.hooks };
  const variants = await variantsForCart(
    ctx,
    rows.map((r) => r.variantId),
  );

  // Map keeps insertion order: groups come out in the order of their first-added line
  const groups = new Map<string, Group>();
  for (const row of rows) {
    const variant = variants.get(row.variantId);
    const sellerId = variant?.sellerId ?? "";
    const currency = variant?.currency ?? row.seenCurrency;
    const key = `${sellerId} ${currency}`;
    let group = groups.get(key);
    if (!group) {
      group = { sellerId, currency, real: variant !== undefined, entries: [] };
      groups.set(key, group);
    }
    group.entries.push({ row, variant });
  }

  const rates = new Map<string, ResolvedRate>();
  const sellers: PricedSellerGroup[] = [];
  for (const group of groups.values()) {
    let rate = rates.get(group.currency);
    if (!rate) {
      rate = await rateInto(ctx, group.currency, opts.currency);
      rates.set(group.currency, rate);
    }
    sellers.push(await priceGroup(ctx, group, rate, opts, hooks));
  }

  const sum = (pick: (g: PricedSellerGroup) => number) => sellers.reduce((total, g) => total + pick(g), 0);
  return {
    cartId,
    currency: opts.currency,
    country: opts.country,
    sellers,
    itemsMinor: sum((g) => g.itemsMinor),
    shippingMinor: sum((g) => g.shipping?.chargeMinor ?? 0),
    discountMinor: sum((g) => g.discountMinor),
    taxMinor: sum((g) => g.taxMinor),
    totalMinor: sum((g) => g.totalMinor),
    hasProblems: sellers.some((g) => g.lines.some((l) => l.problems.length > 0)),
  };
}

/** The group's rate into the cart's currency; a currency no stored rate reaches is the request's /currency at fault. */
async function rateInto(ctx: PricingCtx, from: string, to: string): Promise<ResolvedRate> {
  try {
    return await rateFor(ctx, from, to);
  } catch (error) {
    if (error instanceof ValidationError) {
      throw new ValidationError([{ path: "/currency", message: `prices in ${from} cannot be shown in ${to}: no exchange rate is known` }]);
    }
    throw error;
  }
}

function converted(amountMinor: number, from: string, to: string, ratePpb: number): number {
  try {
    return convert(amountMinor, from, to, ratePpb);
  } catch (error) {
    if (error instanceof RangeError) throw new ValidationError([{ path: "/currency", message: `the cart's amounts are too large to show in ${to}` }]);
    throw error;
  }
}

async function priceGroup(ctx: PricingCtx, group: Group, rate: ResolvedRate, opts: PriceCartOptions, hooks: PricingHooks): Promise<PricedSellerGroup> {
  const lines = group.entries.map(({ row, variant }) => priceLine(row, variant, rate, opts.currency));

  let shipping: PricedShipping | null = null;
  if (opts.country !== null && group.real) {
    const estimate = await estimateShipping(ctx, {
      sellerId: group.sellerId,
      country: opts.country,
      currency: group.currency,
      itemsMinor: lines.reduce((total, l) => total + l.settlementMinor, 0),
      weightGrams: lines.reduce((total, l) => total + (l.weightGrams ?? 0) * l.quantity, 0),
    });
    if (estimate) {
      shipping = {
        rateId: estimate.rateId,
        name: estimate.name,
        settlementMinor: estimate.amountMinor,
        chargeMinor: converted(estimate.amountMinor, group.currency, opts.currency, rate.ratePpb),
        minDays: estimate.minDays,
        maxDays: estimate.maxDays,
      };
    } else {
      const country = opts.country;
      for (const line of lines) if (!line.problems.some((p) => p.code === "unavailable")) line.problems.push({ code: "undeliverable", country });
    }
  }

  const itemsMinor = lines.reduce((total, l) => total + l.chargeMinor, 0);
  const hookInput = { sellerId: group.sellerId, currency: opts.currency, country: opts.country, lines, itemsMinor, shipping };
  const beforeDiscount = itemsMinor + (shipping?.chargeMinor ?? 0);
  const discountMinor = Math.min(Math.max(0, wholeMinor(await hooks.discount(hookInput), "discount")), beforeDiscount);
  const taxMinor = Math.max(0, wholeMinor(await hooks.tax({ ...hookInput, discountMinor }), "tax"));
  return {
    sellerId: group.sellerId,
    settlementCurrency: group.currency,
    fxRatePpb: rate.ratePpb,
    fxAsOf: rate.asOf,
    lines,
    itemsMinor,
    shipping,
    discountMinor,
    taxMinor,
    totalMinor: beforeDiscount - discountMinor + taxMinor,
  };
}

/** A hook answers whole minor units; anything else is a bug in the hook, not the shopper's problem. */
function wholeMinor(value: number, hook: string): number {
  if (!Number.isSafeInteger(value)) throw new AppError("INTERNAL", `the ${hook} hook answered ${value}, not whole minor units`);
  return value;
}

function priceLine(row: repo.CartLineRow, variant: CartVariant | undefined, rate: ResolvedRate, cartCurrency: string): PricedLine {
  const problems: LineProblem[] = [];
  if (!variant?.forSale) problems.push({ code: "unavailable" });
  else {
    if (variant.priceMinor !== row.seenPriceMinor || variant.currency !== row.seenCurrency) {
      problems.push({ code: "price_changed", seenPriceMinor: row.seenPriceMinor, priceMinor: variant.priceMinor });
    }
    if (variant.available < row.quantity) problems.push({ code: "insufficient_stock", available: variant.available });
  }
  // a variant that no longer exists has no price now and nothing to charge; it stays on show, flagged, until removed
  const unitPriceMinor = variant?.priceMinor ?? 0;
  const settlementCurrency = variant?.currency ?? row.seenCurrency;
  const settlementMinor = unitPriceMinor * row.quantity;
  return {
    variantId: row.variantId,
    productId: variant?.productId ?? "",
    sellerId: variant?.sellerId ?? "",
    categoryId: variant?.categoryId ?? "",
    sku: variant?.sku ?? "",
    title: variant?.title ?? "",
    options: variant?.options ?? {},
    quantity: row.quantity,
    unitPriceMinor,
    seenPriceMinor: row.seenPriceMinor,
    settlementCurrency,
    settlementMinor,
    chargeMinor: converted(settlementMinor, settlementCurrency, cartCurrency, rate.ratePpb),
    weightGrams: variant?.weightGrams ?? null,
    problems,
  };
}
