import { ProductIdOrSlugParams, PublicProductDetail, PublicProductPage, PublicProductQuery } from "@bazaar/contracts";
import { plugin } from "../../http/plugin.ts";
import { problems } from "../../http/problems.ts";
import { requestContext } from "../../http/request-context.ts";
import type { Deps } from "../../platform/deps.ts";
import { cacheableJson, EpochCache, PUBLIC_CACHE_CONTROL } from "./http-cache.ts";
import { assertNoParameters, parseProductListQuery } from "./list-query.ts";
import { catalogEpoch } from "./repo.ts";
import { getPublicProductPage, listPublicProducts } from "./service.ts";

const TAGS = ["catalog"];

/** How late, at most, a change another process made shows in this one's kept responses (its own show at once). */
export const CATALOG_RECHECK_MS = 100;
/** The bodies a process keeps (UTF-16 code units: about 32 MB). */
const KEPT_RESPONSES_SIZE = 16 * 1024 * 1024;

const CACHING = `Public and cacheable: \`Cache-Control: ${PUBLIC_CACHE_CONTROL}\` and a strong \`ETag\` (a hash of the body); send it back in \`If-None-Match\` to get 304 Not Modified without a body. A change to the catalog shows at once (a core instance other than the one that made it may take up to ${CATALOG_RECHECK_MS} ms).`;

/**
 * The query is read from the URL by the route itself (repeatable `brand`, open-ended `attr.<key>`), so it
 * is documented here from its schema rather than through Elysia's `query` validation.
 */
const LIST_PARAMETERS = Object.entries(PublicProductQuery.properties).map(([name, schema]) => ({
  name,
  in: "query" as const,
  required: false,
  schema: JSON.parse(JSON.stringify(schema)) as Record<string, unknown>,
  ...(schema.type === "array" ? { style: "form", explode: true } : {}),
  ...(schema.description ? { description: schema.description } : {}),
}));

/** The public, anonymous catalog read API: lists with filters and product pages, both made to be cached at the edge. */
export function browseRoutes(deps: Deps) {
  const responses = new EpochCache({
    readEpoch: () => catalogEpoch(deps.database),
    writesFinished: () => deps.database.writesFinished,
    recheckMs: CATALOG_RECHECK_MS,
    maxBytes: KEPT_RESPONSES_SIZE,
    clock: deps.clock,
  });
  return plugin("catalog/browse")
    .use(requestContext(deps))
    .get(
      "/v1/products",
      async ({ ctx, request }) => {
        const query = parseProductListQuery(searchOf(request));
        // the parsed query is canonical (sorted brands and attributes, fixed field order): any parameter order is one key
        return cacheableJson(request, await responses.get(`list ${JSON.stringify(query)}`, () => listPublicProducts(ctx, query)));
      },
      {
        response: { 200: PublicProductPage, ...problems(422) },
        detail: {
          operationId: "listPublicProducts",
          tags: TAGS,
          summary: "List active products: filters, sorts, cursor pages",
          description: `Only active products. Filters combine with AND (brands with OR among themselves); \`category\` includes every category under it. Sorts page over (sort key, id), so a page never repeats or skips a product when others are added meanwhile; a cursor belongs to its sort. Parameter order does not matter. An unknown parameter, a repeated one (other than \`brand\`), a slug or attribute key that names nothing, or a malformed value is a 422 naming the parameter. ${CACHING}`,
          parameters: LIST_PARAMETERS as never,
        },
      },
    )
    .get(
      "/v1/products/:idOrSlug",
      async ({ ctx, params, request }) => {
        assertNoParameters(searchOf(request));
        return cacheableJson(request, await responses.get(`product ${params.idOrSlug}`, () => getPublicProductPage(ctx, params.idOrSlug)));
      },
      {
        params: ProductIdOrSlugParams,
        response: { 200: PublicProductDetail, ...problems(404, 422) },
        detail: {
          operationId: "getPublicProduct",
          tags: TAGS,
          summary: "An active product's page: variants, gallery, attributes, seller, breadcrumbs",
          description: `By id (prd_…) or slug. Drafts, archived and suspended products are 404, as are unknown ones. Variants show a stock status (in_stock, low, out), never a count. The page takes no query parameters (422). ${CACHING}`,
        },
      },
    );
}

function searchOf(request: Request): URLSearchParams {
  const url = request.url;
  const start = url.indexOf("?");
  return new URLSearchParams(start === -1 ? "" : url.slice(start + 1));
}
