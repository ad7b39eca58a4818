import { type Static, Type } from "@sinclair/typebox";
import { idPattern } from "./ids.ts";
import { SUPPORTED_CURRENCIES } from "./money.ts";
import { Page, PageQuery } from "./pagination.ts";
import { MAX_PHYSICAL_MEASURE, MAX_PRICE_MINOR } from "./products.ts";
import { SingleLineText } from "./text.ts";

// ---- limits ----

/** Every ISO 3166-1 country and then some: a zone can never need more. */
export const MAX_RATE_COUNTRIES = 250;
export const MAX_SHIPPING_DAYS = 365;
/** An estimate reads all of a seller's rates: this bounds that read. */
export const MAX_SHIPPING_RATES_PER_SELLER = 200;
export const MAX_SHIPPING_MINOR = MAX_PRICE_MINOR;

export const SHIPPING_RATE_KINDS = ["flat", "weight"] as const;
export type ShippingRateKind = (typeof SHIPPING_RATE_KINDS)[number];

// ---- ids ----

const RATE_ID_EXAMPLE = "shr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C";
const SELLER_ID_EXAMPLE = "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5F";

export const ShippingRateId = Type.String({ pattern: idPattern("shippingRate"), error: "must be a shipping rate id", examples: [RATE_ID_EXAMPLE] });
export const ShippingRateIdParams = Type.Object({ id: ShippingRateId });

const SellerId = (description: string) =>
  Type.String({ pattern: idPattern("user"), error: "must be a seller (user) id", description, examples: [SELLER_ID_EXAMPLE] });

// ---- fields ----

const Country = (description: string) =>
  Type.String({ pattern: "^[A-Z]{2}$", error: "must be an ISO 3166-1 alpha-2 country code such as PT", description, examples: ["PT"] });

const Countries = Type.Array(Country("ISO 3166-1 alpha-2"), {
  maxItems: MAX_RATE_COUNTRIES,
  uniqueItems: true,
  error: `must be at most ${MAX_RATE_COUNTRIES} distinct ISO 3166-1 alpha-2 country codes`,
  description: "the zone: destinations this rate covers; empty = every country no other rate of yours names",
  examples: [["PT", "ES"]],
});

// Type.Unsafe only names the static type: a union mapped from an array reaches Elysia's types as `never`
const RateKind = Type.Unsafe<ShippingRateKind>(
  Type.Union(
    SHIPPING_RATE_KINDS.map((k) => Type.Literal(k)),
    {
      error: `must be one of ${SHIPPING_RATE_KINDS.join(", ")}`,
      description: "flat: baseMinor per shipment; weight: baseMinor plus perKgMinor for each started kilogram",
      examples: ["weight"],
    },
  ),
);

const Currency = (description: string) =>
  Type.Unsafe<(typeof SUPPORTED_CURRENCIES)[number]>(
    Type.Union(
      SUPPORTED_CURRENCIES.map((c) => Type.Literal(c)),
      { error: `must be one of the supported currencies: ${SUPPORTED_CURRENCIES.join(", ")}`, description, examples: ["EUR"] },
    ),
  );
const RateCurrency = Currency("ISO 4217; a rate applies only to shipments priced in this currency");

const Minor = (description: string, example: number) =>
  Type.Integer({
    minimum: 0,
    maximum: MAX_SHIPPING_MINOR,
    error: `must be a whole number of minor units from 0 to ${MAX_SHIPPING_MINOR}`,
    description,
    examples: [example],
  });

const BaseMinor = Minor("charged per shipment (minor units of currency)", 499);
const PerKgMinor = Minor("weight rates only: charged for each started kilogram on top of baseMinor; 0 or absent for flat rates", 150);
const FreeOverMinor = Type.Union([Minor("items worth at least this ship free", 5000), Type.Null()], {
  error: `must be a whole number of minor units from 0 to ${MAX_SHIPPING_MINOR}, or null`,
  description: "items worth at least this (minor units) ship free; null: never free",
});
const Days = (description: string, example: number) =>
  Type.Integer({
    minimum: 0,
    maximum: MAX_SHIPPING_DAYS,
    error: `must be a whole number of days from 0 to ${MAX_SHIPPING_DAYS}`,
    description,
    examples: [example],
  });
const MinDays = Days("soonest delivery, in days after dispatch", 2);
const MaxDays = Days("latest delivery, in days after dispatch; at least minDays", 5);
const RateName = SingleLineText({ maxLength: 100, examples: ["Iberia standard"], description: "shown to shoppers at checkout" });

// ---- seller API ----

const CREATE_EXAMPLE = {
  name: "Iberia standard",
  countries: ["PT", "ES"],
  kind: "weight",
  baseMinor: 499,
  perKgMinor: 150,
  freeOverMinor: 5000,
  currency: "EUR",
  minDays: 2,
  maxDays: 5,
};

export const CreateShippingRateBody = Type.Object(
  {
    name: RateName,
    countries: Countries,
    kind: RateKind,
    baseMinor: BaseMinor,
    perKgMinor: Type.Optional(PerKgMinor),
    freeOverMinor: Type.Optional(FreeOverMinor),
    currency: RateCurrency,
    minDays: MinDays,
    maxDays: MaxDays,
  },
  { additionalProperties: false, example: CREATE_EXAMPLE },
);
export type CreateShippingRateBody = Static<typeof CreateShippingRateBody>;

export const UpdateShippingRateBody = Type.Object(
  {
    name: Type.Optional(RateName),
    countries: Type.Optional(Countries),
    kind: Type.Optional(RateKind),
    baseMinor: Type.Optional(BaseMinor),
    perKgMinor: Type.Optional(PerKgMinor),
    freeOverMinor: Type.Optional(FreeOverMinor),
    currency: Type.Optional(RateCurrency),
    minDays: Type.Optional(MinDays),
    maxDays: Type.Optional(MaxDays),
  },
  { additionalProperties: false, example: { baseMinor: 599, freeOverMinor: null } },
);
export type UpdateShippingRateBody = Static<typeof UpdateShippingRateBody>;

const RATE_EXAMPLE = {
  id: RATE_ID_EXAMPLE,
  sellerId: SELLER_ID_EXAMPLE,
  ...CREATE_EXAMPLE,
  createdAt: "2026-11-25T06:00:00.000Z",
  updatedAt: "2026-11-25T06:00:00.000Z",
};

export const ShippingRateView = Type.Object(
  {
    id: ShippingRateId,
    sellerId: Type.String({ examples: [SELLER_ID_EXAMPLE] }),
    name: Type.String({ examples: ["Iberia standard"] }),
    countries: Type.Array(Type.String(), { description: "ISO 3166-1 alpha-2 codes; empty = everywhere no other rate names" }),
    kind: Type.String({ description: SHIPPING_RATE_KINDS.join(" or "), examples: ["weight"] }),
    baseMinor: Type.Integer({ examples: [499] }),
    perKgMinor: Type.Integer({ description: "0 for flat rates", examples: [150] }),
    freeOverMinor: Type.Union([Type.Integer(), Type.Null()]),
    currency: Type.String({ examples: ["EUR"] }),
    minDays: Type.Integer({ examples: [2] }),
    maxDays: Type.Integer({ examples: [5] }),
    createdAt: Type.String({ format: "date-time" }),
    updatedAt: Type.String({ format: "date-time" }),
  },
  { $id: "ShippingRateView", example: RATE_EXAMPLE },
);
export type ShippingRateView = Static<typeof ShippingRateView>;

export const ShippingRatePage = Type.Composite([Page(ShippingRateView)], {
  $id: "ShippingRatePage",
  example: { items: [RATE_EXAMPLE], nextCursor: null },
});
export type ShippingRatePage = Static<typeof ShippingRatePage>;

export const ShippingRateQuery = Type.Object({
  limit: PageQuery.properties.limit,
  cursor: PageQuery.properties.cursor,
  sellerId: Type.Optional(SellerId("admins only: whose rates to list (default: your own)")),
});
export type ShippingRateQuery = Static<typeof ShippingRateQuery>;

// ---- estimates ----

export const ShippingEstimateBody = Type.Object(
  {
    sellerId: SellerId("whose shipping: the seller of the items"),
    country: Country("ISO 3166-1 alpha-2: the destination"),
    currency: Currency("ISO 4217: the currency the items are priced in (the seller's)"),
    itemsMinor: Minor("what the shipment's items are worth, minor units of currency (for free-shipping thresholds)", 3998),
    weightGrams: Type.Integer({
      minimum: 0,
      maximum: MAX_PHYSICAL_MEASURE,
      error: `must be a whole number of grams from 0 to ${MAX_PHYSICAL_MEASURE}`,
      description: "the shipment's weight (items without a weight count 0 g)",
      examples: [1200],
    }),
  },
  { additionalProperties: false, example: { sellerId: SELLER_ID_EXAMPLE, country: "PT", currency: "EUR", itemsMinor: 3998, weightGrams: 1200 } },
);
export type ShippingEstimateBody = Static<typeof ShippingEstimateBody>;

export const ShippingEstimateView = Type.Object(
  {
    rateId: Type.Union([ShippingRateId, Type.Null()], { description: "the seller's rate used; null: the platform default (a seller who set no rates)" }),
    name: Type.String({ examples: ["Iberia standard"] }),
    amountMinor: Type.Integer({ description: "minor units of currency", examples: [799] }),
    currency: Type.String({ examples: ["EUR"] }),
    minDays: Type.Integer({ examples: [2] }),
    maxDays: Type.Integer({ examples: [5] }),
  },
  {
    $id: "ShippingEstimateView",
    example: { rateId: RATE_ID_EXAMPLE, name: "Iberia standard", amountMinor: 799, currency: "EUR", minDays: 2, maxDays: 5 },
  },
);
export type ShippingEstimateView = Static<typeof ShippingEstimateView>;
