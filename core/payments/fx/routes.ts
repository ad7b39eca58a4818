import { ValidationError } from "@bazaar/contracts";
import { cacheableJson, cachedResponses, PUBLIC_CACHE_CONTROL } from "../../catalog/browse/http-cache.ts";
import { plugin } from "../../http/plugin.ts";
import { requestContext } from "../../http/request-context.ts";
import type { Deps } from "../../platform/deps.ts";
import { FxRateList, FxRatesQuery } from "./contracts.ts";
import { listRates, PIVOT_CURRENCY } from "./service.ts";

/** The public exchange-rate table: what prices are shown and charged with. */
export function fxRoutes(deps: Deps) {
  return plugin("payments/fx")
    .use(requestContext(deps))
    .get(
      "/v1/fx/rates",
      async ({ ctx, query, request }) => {
        // the schema would take the last of a repeated base: ambiguous, and one more cache key per variant
        if (new URL(request.url).searchParams.getAll("base").length > 1) throw new ValidationError([{ path: "/base", message: "must be given once" }]);
        return cacheableJson(request, await listRates(ctx, query.base ?? PIVOT_CURRENCY));
      },
      {
        query: FxRatesQuery,
        detail: {
          operationId: "listFxRates",
          tags: ["payments"],
          summary: "Exchange rates against a base currency (default USD)",
          description: `One rate per supported currency a stored rate reaches: quoted directly, inverted, or crossed through USD, rounded once to nine decimals. Rates are exact decimal strings, never floats; amounts convert with them rounding half to even. An unsupported or repeated \`base\`, or any other query parameter, is 422. Cacheable: \`Cache-Control: ${PUBLIC_CACHE_CONTROL}\` and a strong \`ETag\`; send \`If-None-Match\` to get 304 when nothing changed.`,
          responses: cachedResponses("the rates", FxRateList, {
            422: "`base` is not a supported currency or is repeated, or the query has another parameter",
          }),
        },
      },
    );
}
