import {
  AddCartLineBody,
  CART_TOKEN_HEADER,
  CartLineParams,
  CartNoBody,
  CartQuery,
  CartTokenHeaders,
  CartView,
  MergeCartResult,
  UpdateCartLineBody,
  ValidationError,
} from "@bazaar/contracts";
import { plugin } from "../http/plugin.ts";
import { problems } from "../http/problems.ts";
import { requestContext } from "../http/request-context.ts";
import type { Deps } from "../platform/deps.ts";
import * as carts from "./service.ts";
import { shopperContext } from "./shopper.ts";

const TAGS = ["cart"];

const WHO =
  "Signed in (Bearer token): your cart, on every device. As a guest: the cart of the `X-Cart-Token` header. With both, the guest cart is first merged into yours (and its token stops working).";

/** Shoppers' carts: guests behind a cart token, signed-in users by their account; the guest's cart merges on sign-in. */
export function cartRoutes(deps: Deps) {
  return plugin("cart/carts")
    .use(requestContext(deps))
    .use(shopperContext(deps))
    .post(
      "/v1/cart",
      async ({ ctx, shopper, query, set }) => {
        const opened = await carts.openCart(ctx, shopper, query);
        set.status = opened.created ? 201 : 200;
        if (opened.cartToken) set.headers[CART_TOKEN_HEADER] = opened.cartToken;
        return opened.view;
      },
      {
        shopper: "any",
        headers: CartTokenHeaders,
        query: CartQuery,
        body: CartNoBody,
        response: { 200: CartView, 201: CartView, ...problems(400, 401, 403, 404, 413, 415, 422) },
        detail: {
          operationId: "openCart",
          tags: TAGS,
          summary: "Start a cart (or get the one you have)",
          description: `${WHO} A guest without a token gets a new cart (201) and its \`cartToken\`, in the body and the \`X-Cart-Token\` response header, shown only this once: keep it and send it with every cart request. A token that names no cart is a 404 (drop it and call this again).`,
        },
      },
    )
    .get("/v1/cart", ({ ctx, shopper, query }) => carts.getCart(ctx, shopper, query), {
      shopper: "any",
      headers: CartTokenHeaders,
      query: CartQuery,
      response: { 200: CartView, ...problems(401, 403, 404, 422) },
      detail: {
        operationId: "getCart",
        tags: TAGS,
        summary: "Your cart, priced now: per seller and overall, with every line's problems",
        description: `${WHO} Every line is checked against the catalog now: a product no longer for sale (\`unavailable\`), fewer units available than the line holds (\`insufficient_stock\`), a price that differs from the one you were shown (\`price_changed\`: the line shows the new price; add or update it, or accept all changes, to take it) and, with \`country\`, a seller who does not ship there (\`undeliverable\`). Lines are grouped per seller and currency (each group becomes one sub-order) and converted into \`currency\` (default USD) at one rate per group. No cart yet: an empty cart with \`cartId\` null.`,
      },
    })
    .post(
      "/v1/cart/lines",
      async ({ ctx, shopper, body, query, set }) => {
        const added = await carts.addLine(ctx, shopper, body, query);
        if (added.cartToken) set.headers[CART_TOKEN_HEADER] = added.cartToken;
        return added.view;
      },
      {
        shopper: "any",
        headers: CartTokenHeaders,
        query: CartQuery,
        body: AddCartLineBody,
        response: { 200: CartView, ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
        detail: {
          operationId: "addCartLine",
          tags: TAGS,
          summary: "Add a variant to your cart (more of it when it is there already)",
          description: `${WHO} A guest with no token gets a new cart here, and its \`cartToken\` in the answer (shown only this once). The variant's current price is recorded as the one you saw. Refused: an unknown or not-for-sale variant (422 naming \`/variantId\`), a line passing 999 units (409 naming \`/quantity\`), a 101st line (409).`,
        },
      },
    )
    .patch("/v1/cart/lines/:variantId", ({ ctx, shopper, params, body, query }) => carts.changeLine(ctx, shopper, params.variantId, body.quantity, query), {
      shopper: "any",
      headers: CartTokenHeaders,
      params: CartLineParams,
      query: CartQuery,
      body: UpdateCartLineBody,
      response: { 200: CartView, ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
      detail: {
        operationId: "updateCartLine",
        tags: TAGS,
        summary: "Set how many of a variant your cart holds",
        description: `${WHO} Records the variant's current price as the one you saw (accepting a changed price). 404 when your cart has no line of it; 422 when it is no longer for sale (remove it instead).`,
      },
    })
    .delete("/v1/cart/lines/:variantId", ({ ctx, shopper, params, query }) => carts.deleteLine(ctx, shopper, params.variantId, query), {
      shopper: "any",
      headers: CartTokenHeaders,
      params: CartLineParams,
      query: CartQuery,
      response: { 200: CartView, ...problems(401, 403, 404, 422) },
      detail: {
        operationId: "removeCartLine",
        tags: TAGS,
        summary: "Remove a variant from your cart",
        description: `${WHO} 404 when your cart has no line of it.`,
      },
    })
    .delete(
      "/v1/cart",
      async ({ ctx, shopper, set }) => {
        await carts.emptyCart(ctx, shopper);
        set.status = 204;
      },
      {
        shopper: "any",
        headers: CartTokenHeaders,
        response: problems(401, 403, 404, 422),
        detail: {
          operationId: "clearCart",
          tags: TAGS,
          summary: "Empty your cart",
          description: `${WHO} 204, also when there was nothing to clear. A guest's token keeps working.`,
          responses: { 204: { description: "The cart is empty" } },
        },
      },
    )
    .post("/v1/cart/accept-changes", ({ ctx, shopper, query }) => carts.acceptCartChanges(ctx, shopper, query), {
      shopper: "any",
      headers: CartTokenHeaders,
      query: CartQuery,
      body: CartNoBody,
      response: { 200: CartView, ...problems(400, 401, 403, 404, 413, 415, 422) },
      detail: {
        operationId: "acceptCartChanges",
        tags: TAGS,
        summary: "Accept every changed price in your cart",
        description: `${WHO} Each line's current price becomes the one you saw, clearing its \`price_changed\` problem. Stock and availability problems stay until you change the lines.`,
      },
    })
    .post(
      "/v1/cart/merge",
      ({ ctx, shopper, query }) => {
        if (!shopper.userId || !shopper.cartToken) {
          throw new ValidationError([{ path: `/${CART_TOKEN_HEADER}`, message: "is required: the guest cart to merge into yours" }]);
        }
        return carts.mergeCart(ctx, shopper.userId, shopper.cartToken, query);
      },
      {
        shopper: "user",
        headers: CartTokenHeaders,
        query: CartQuery,
        body: CartNoBody,
        response: { 200: MergeCartResult, ...problems(400, 401, 403, 413, 415, 422) },
        detail: {
          operationId: "mergeCart",
          tags: TAGS,
          summary: "Right after signing in: merge the guest cart of X-Cart-Token into yours",
          description:
            "Quantities of a variant in both add up (capped at 999); guest-only lines join while your cart has room (at most 100 lines; the rest are listed in `dropped`). The guest cart is then deleted, all in one transaction: calling this twice, or racing it, merges once (a token already merged merges nothing). Every cart route does the same when it sees both a Bearer token and an X-Cart-Token.",
        },
      },
    );
}
