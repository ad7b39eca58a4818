import { CartNoBody, MoveToCartResult, WishlistItemView, WishlistPage, WishlistParams, WishlistQuery } from "@bazaar/contracts";
import { authentication } from "../../http/authentication.ts";
import { plugin } from "../../http/plugin.ts";
import { problems } from "../../http/problems.ts";
import { requestContext } from "../../http/request-context.ts";
import type { Deps } from "../../platform/deps.ts";
import * as wishlist from "./service.ts";

const TAGS = ["cart"];

/** The signed-in user's own wishlist: it takes no user id, so there is no one else's to name. */
export function wishlistRoutes(deps: Deps) {
  return plugin("cart/wishlist")
    .use(requestContext(deps))
    .use(authentication(deps))
    .group("/v1/me/wishlist", (app) =>
      app
        .get("", ({ ctx, actor, query }) => wishlist.listWishlist(ctx, actor.userId, query), {
          auth: true,
          query: WishlistQuery,
          response: { 200: WishlistPage, ...problems(400, 401, 403, 422) },
          detail: {
            operationId: "listWishlist",
            tags: TAGS,
            summary: "Your wishlist, newest first, with each variant's current price and whether it is in stock",
          },
        })
        .put(
          "/:variantId",
          async ({ ctx, actor, params, set }) => {
            const { item, created } = await wishlist.addToWishlist(ctx, actor.userId, params.variantId);
            set.status = created ? 201 : 200;
            return item;
          },
          {
            auth: true,
            params: WishlistParams,
            body: CartNoBody,
            response: { 200: WishlistItemView, 201: WishlistItemView, ...problems(400, 401, 403, 413, 415, 422) },
            detail: {
              operationId: "addToWishlist",
              tags: TAGS,
              summary: "Wish for a variant (idempotent: 201 when added, 200 when it was there already)",
              description:
                "You are told (`wishlist.price_dropped`, `wishlist.back_in_stock`) when it gets cheaper than now or comes back in stock. An unknown or not-for-sale variant is a 422 naming `/variantId`.",
            },
          },
        )
        .delete(
          "/:variantId",
          async ({ ctx, actor, params, set }) => {
            await wishlist.removeFromWishlist(ctx, actor.userId, params.variantId);
            set.status = 204;
          },
          {
            auth: true,
            params: WishlistParams,
            response: problems(401, 403, 404, 422),
            detail: {
              operationId: "removeFromWishlist",
              tags: TAGS,
              summary: "Take a variant off your wishlist (404 when it is not on it)",
              responses: { 204: { description: "Removed" } },
            },
          },
        )
        .post("/:variantId/move-to-cart", ({ ctx, actor, params }) => wishlist.moveToCart(ctx, actor.userId, params.variantId), {
          auth: true,
          params: WishlistParams,
          body: CartNoBody,
          response: { 200: MoveToCartResult, ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
          detail: {
            operationId: "moveWishlistItemToCart",
            tags: TAGS,
            summary: "Put one of a wished-for variant into your cart and take it off the wishlist, in one go",
            description:
              "Both happen or neither: a variant no longer for sale (422 naming `/variantId`), a full cart or a line at 999 (409) leave the wishlist as it was. 404 when it is not on your wishlist.",
          },
        }),
    );
}
