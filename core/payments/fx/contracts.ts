import { PaymentCurrency, type SUPPORTED_CURRENCIES } from "@bazaar/contracts";
import { type Static, Type } from "@sinclair/typebox";
import { RATE_PATTERN } from "./convert.ts";

const AS_OF = "2026-11-25T00:00:00.000Z";

export const FxRatesQuery = Type.Object(
  {
    base: Type.Optional(
      Type.Unsafe<(typeof SUPPORTED_CURRENCIES)[number]>({
        ...PaymentCurrency,
        description: "the currency the rates are quoted against (default USD)",
        examples: ["USD"],
      }),
    ),
  },
  { additionalProperties: false },
);
export type FxRatesQuery = Static<typeof FxRatesQuery>;

export const FxRateView = Type.Object(
  {
    quote: Type.String({ description: "ISO 4217 code", examples: ["EUR"] }),
    rate: Type.String({
      pattern: RATE_PATTERN,
      description: "units of `quote` one unit of `base` buys: an exact decimal with at most 9 places (never a float)",
      examples: ["0.8612"],
    }),
    asOf: Type.String({ format: "date-time", description: "when the rate was published (the older leg's, for a derived rate)", examples: [AS_OF] }),
  },
  { additionalProperties: false },
);
export type FxRateView = Static<typeof FxRateView>;

export const FxRateList = Type.Object(
  {
    base: Type.String({ examples: ["USD"] }),
    rates: Type.Array(FxRateView, { description: "one per supported currency a rate is known for, by code" }),
  },
  {
    $id: "FxRateList",
    additionalProperties: false,
    example: {
      base: "USD",
      rates: [
        { quote: "EUR", rate: "0.8612", asOf: AS_OF },
        { quote: "JPY", rate: "154.62", asOf: AS_OF },
        { quote: "KWD", rate: "0.30712", asOf: AS_OF },
      ],
    },
  },
);
export type FxRateList = Static<typeof FxRateList>;
