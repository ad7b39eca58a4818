import { type Static, Type } from "@sinclair/typebox";
import { idPattern } from "./ids.ts";
import { SUPPORTED_CURRENCIES } from "./money.ts";
import { Page, PageQuery } from "./pagination.ts";

/** Units of one variant a cart line may hold. */
export const MAX_CART_LINE_QUANTITY = 999;
/** Different variants one cart may hold. */
export const MAX_CART_LINES = 100;
/** The header a guest sends its cart token in (the token itself is shown once, when the cart is created). */
export const CART_TOKEN_HEADER = "x-cart-token";
/** A cart token: 32 random bytes, base64url without padding. */
export const CART_TOKEN_PATTERN = "^[A-Za-z0-9_-]{43}$";

const CART_ID = "crt_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C";
const VARIANT_ID = "var_01JD4M3Z8Q5V7W9X1Y2Z3A4B5D";
const PRODUCT_ID = "prd_01JD4M3Z8Q5V7W9X1Y2Z3A4B5E";
const SELLER_ID = "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5F";
const CATEGORY_ID = "cat_01JD4M3Z8Q5V7W9X1Y2Z3A4B5G";
const CART_TOKEN = "q3Jx0F9c2kR7mN4pL8sV1wY6zA5bC0dE3fG7hJ2kL9m";

export const CartVariantId = Type.String({ pattern: idPattern("variant"), error: "must be a variant id", examples: [VARIANT_ID] });

const CartQuantity = (description: string) =>
  Type.Integer({
    minimum: 1,
    maximum: MAX_CART_LINE_QUANTITY,
    error: `must be a whole number from 1 to ${MAX_CART_LINE_QUANTITY}`,
    description,
    examples: [2],
  });

const CartCurrency = Type.Unsafe<(typeof SUPPORTED_CURRENCIES)[number]>(
  Type.Union(
    SUPPORTED_CURRENCIES.map((c) => Type.Literal(c)),
    { error: `must be one of the supported currencies: ${SUPPORTED_CURRENCIES.join(", ")}`, description: "ISO 4217 code", examples: ["EUR"] },
  ),
);

// ---- requests ----

/** Who the cart belongs to when no one is signed in: the guest's cart token (see POST /v1/cart). */
export const CartTokenHeaders = Type.Object({
  [CART_TOKEN_HEADER]: Type.Optional(
    Type.String({
      pattern: CART_TOKEN_PATTERN,
      error: "must be the cart token POST /v1/cart issued (43 characters, base64url)",
      description: "a guest's cart token; with a Bearer token too, that guest cart is merged into the user's",
      examples: [CART_TOKEN],
    }),
  ),
});
export type CartTokenHeaders = Static<typeof CartTokenHeaders>;

export const CartQuery = Type.Object(
  {
    currency: Type.Optional(CartCurrency),
    country: Type.Optional(
      Type.String({
        pattern: "^[A-Z]{2}$",
        error: "must be an ISO 3166-1 alpha-2 country code such as PT",
        description: "destination: shipping is estimated for it, and sellers who do not ship there are flagged",
        examples: ["PT"],
      }),
    ),
  },
  { additionalProperties: false },
);
export type CartQuery = Static<typeof CartQuery>;

export const AddCartLineBody = Type.Object(
  {
    variantId: CartVariantId,
    quantity: CartQuantity("added to the line's quantity when the variant is already in the cart"),
  },
  { additionalProperties: false, example: { variantId: VARIANT_ID, quantity: 2 } },
);
export type AddCartLineBody = Static<typeof AddCartLineBody>;

export const UpdateCartLineBody = Type.Object({ quantity: CartQuantity("the line's new quantity") }, { additionalProperties: false, example: { quantity: 3 } });
export type UpdateCartLineBody = Static<typeof UpdateCartLineBody>;

/** The cart and wishlist routes that take no body: anything sent in one is refused (422) rather than ignored. */
export const CartNoBody = Type.Optional(Type.Object({}, { additionalProperties: false, description: "nothing: send no body, or {}", example: {} }));

export const CartLineParams = Type.Object({ variantId: CartVariantId });
export type CartLineParams = Static<typeof CartLineParams>;

// ---- the priced cart ----

export const CartLineProblem = Type.Union(
  [
    Type.Object(
      { code: Type.Literal("price_changed"), seenPriceMinor: Type.Integer(), priceMinor: Type.Integer() },
      { description: "the price is no longer the one shown: add or update the line again, or accept all changes, to take the new one" },
    ),
    Type.Object(
      { code: Type.Literal("insufficient_stock"), available: Type.Integer({ minimum: 0 }) },
      { description: "fewer available than the line's quantity (0: out of stock)" },
    ),
    Type.Object({ code: Type.Literal("unavailable") }, { description: "the product is not for sale any more" }),
    Type.Object({ code: Type.Literal("undeliverable"), country: Type.String() }, { description: "the seller does not ship to the country" }),
  ],
  { description: "why a line cannot be bought as it stands; checkout refuses a cart with any" },
);
export type CartLineProblem = Static<typeof CartLineProblem>;

const LINE_EXAMPLE = {
  variantId: VARIANT_ID,
  productId: PRODUCT_ID,
  sellerId: SELLER_ID,
  categoryId: CATEGORY_ID,
  sku: "TEE-RED-M",
  title: "Organic cotton T-shirt",
  options: { colour: "red", size: "M" },
  quantity: 2,
  unitPriceMinor: 1999,
  seenPriceMinor: 1999,
  settlementCurrency: "EUR",
  settlementMinor: 3998,
  chargeMinor: 4642,
  weightGrams: 180,
  problems: [],
};

export const CartLineView = Type.Object(
  {
    variantId: CartVariantId,
    productId: Type.String({ description: "empty when the variant no longer exists" }),
    sellerId: Type.String({ description: "empty when the variant no longer exists" }),
    categoryId: Type.String(),
    sku: Type.String(),
    title: Type.String(),
    options: Type.Record(Type.String(), Type.String()),
    quantity: Type.Integer({ minimum: 1, maximum: MAX_CART_LINE_QUANTITY }),
    unitPriceMinor: Type.Integer({ description: "the seller's price of one now, in settlementCurrency" }),
    seenPriceMinor: Type.Integer({ description: "the price of one the shopper was last shown" }),
    settlementCurrency: Type.String({ examples: ["EUR"] }),
    settlementMinor: Type.Integer({ description: "quantity × unitPriceMinor" }),
    chargeMinor: Type.Integer({ description: "settlementMinor in the cart's currency at the group's rate, rounded once (half to even)" }),
    weightGrams: Type.Union([Type.Integer(), Type.Null()]),
    problems: Type.Array(CartLineProblem),
  },
  { $id: "CartLineView", example: LINE_EXAMPLE },
);
export type CartLineView = Static<typeof CartLineView>;

export const CartShippingView = Type.Object(
  {
    rateId: Type.Union([Type.String(), Type.Null()], { description: "null: the platform's default (the seller set no rates)" }),
    name: Type.String({ examples: ["Standard shipping"] }),
    settlementMinor: Type.Integer({ description: "in the seller's currency" }),
    chargeMinor: Type.Integer({ description: "in the cart's currency" }),
    minDays: Type.Integer(),
    maxDays: Type.Integer(),
  },
  { $id: "CartShippingView" },
);
export type CartShippingView = Static<typeof CartShippingView>;

const GROUP_EXAMPLE = {
  sellerId: SELLER_ID,
  settlementCurrency: "EUR",
  fxRatePpb: 1_161_170_460,
  fxAsOf: "2026-11-25T06:00:00.000Z",
  lines: [LINE_EXAMPLE],
  itemsMinor: 4642,
  shipping: { rateId: null, name: "Standard shipping", settlementMinor: 0, chargeMinor: 0, minDays: 5, maxDays: 20 },
  discountMinor: 0,
  taxMinor: 0,
  totalMinor: 4642,
};

export const CartSellerView = Type.Object(
  {
    sellerId: Type.String({ description: "empty for lines whose variant no longer exists" }),
    settlementCurrency: Type.String({ examples: ["EUR"] }),
    fxRatePpb: Type.Integer({ description: "settlementCurrency → the cart's currency, parts per billion" }),
    fxAsOf: Type.String({ format: "date-time", description: "when that rate was published" }),
    lines: Type.Array(CartLineView, { description: "in the order they were first added" }),
    itemsMinor: Type.Integer({ description: "sum of the lines' chargeMinor" }),
    shipping: Type.Union([CartShippingView, Type.Null()], { description: "null when no country was given, or the seller does not ship there" }),
    discountMinor: Type.Integer(),
    taxMinor: Type.Integer(),
    totalMinor: Type.Integer({ description: "itemsMinor + shipping − discount + tax" }),
  },
  { $id: "CartSellerView", description: "one seller's lines in one currency: what becomes one sub-order", example: GROUP_EXAMPLE },
);
export type CartSellerView = Static<typeof CartSellerView>;

const CART_EXAMPLE = {
  cartId: CART_ID,
  currency: "USD",
  country: "PT",
  sellers: [GROUP_EXAMPLE],
  lineCount: 1,
  itemCount: 2,
  itemsMinor: 4642,
  shippingMinor: 0,
  discountMinor: 0,
  taxMinor: 0,
  totalMinor: 4642,
  hasProblems: false,
};

export const CartView = Type.Object(
  {
    cartId: Type.Union([Type.String({ examples: [CART_ID] }), Type.Null()], { description: "null: no cart yet (nothing was ever added)" }),
    currency: Type.String({ description: "every *Minor amount outside a line's settlement figures is in this currency", examples: ["USD"] }),
    country: Type.Union([Type.String(), Type.Null()], { description: "the destination shipping was estimated for" }),
    sellers: Type.Array(CartSellerView, { description: "by the first-added line of each" }),
    lineCount: Type.Integer({ description: `lines in the cart (at most ${MAX_CART_LINES})` }),
    itemCount: Type.Integer({ description: "units over all lines" }),
    itemsMinor: Type.Integer(),
    shippingMinor: Type.Integer(),
    discountMinor: Type.Integer(),
    taxMinor: Type.Integer(),
    totalMinor: Type.Integer(),
    hasProblems: Type.Boolean({ description: "some line has a problem: checkout refuses the cart until it is resolved" }),
    cartToken: Type.Optional(
      Type.String({
        description: `only in the response that created a guest cart: send it as ${CART_TOKEN_HEADER} from now on; it is never shown again`,
        examples: [CART_TOKEN],
      }),
    ),
  },
  { $id: "CartView", example: CART_EXAMPLE },
);
export type CartView = Static<typeof CartView>;

export const MergeCartResult = Type.Object(
  {
    cart: CartView,
    merged: Type.Object({
      lines: Type.Integer({ description: "guest lines taken into the cart" }),
      capped: Type.Array(CartVariantId, { description: `variants whose summed quantity was capped at ${MAX_CART_LINE_QUANTITY}` }),
      dropped: Type.Array(CartVariantId, { description: `guest lines left out because the cart already held ${MAX_CART_LINES} lines` }),
    }),
  },
  { $id: "MergeCartResult", example: { cart: CART_EXAMPLE, merged: { lines: 1, capped: [], dropped: [] } } },
);
export type MergeCartResult = Static<typeof MergeCartResult>;

// ---- wishlist ----

export const WishlistParams = Type.Object({ variantId: CartVariantId });
export type WishlistParams = Static<typeof WishlistParams>;

export const WishlistQuery = Type.Object({ limit: PageQuery.properties.limit, cursor: PageQuery.properties.cursor }, { additionalProperties: false });
export type WishlistQuery = Static<typeof WishlistQuery>;

const WISH_EXAMPLE = {
  variantId: VARIANT_ID,
  productId: PRODUCT_ID,
  title: "Organic cotton T-shirt",
  sku: "TEE-RED-M",
  options: { colour: "red", size: "M" },
  priceMinor: 1999,
  currency: "EUR",
  forSale: true,
  inStock: true,
  addedAt: "2026-11-25T06:00:00.000Z",
};

export const WishlistItemView = Type.Object(
  {
    variantId: CartVariantId,
    productId: Type.String(),
    title: Type.String({ description: "empty when the variant no longer exists" }),
    sku: Type.String(),
    options: Type.Record(Type.String(), Type.String()),
    priceMinor: Type.Integer({ description: "the current price (the last known one when the variant no longer exists)" }),
    currency: Type.String(),
    forSale: Type.Boolean({ description: "its product is on sale" }),
    inStock: Type.Boolean({ description: "some unit is available now" }),
    addedAt: Type.String({ format: "date-time" }),
  },
  { $id: "WishlistItemView", example: WISH_EXAMPLE },
);
export type WishlistItemView = Static<typeof WishlistItemView>;

export const WishlistPage = Type.Composite([Page(WishlistItemView)], { $id: "WishlistPage", example: { items: [WISH_EXAMPLE], nextCursor: null } });
export type WishlistPage = Static<typeof WishlistPage>;

export const MoveToCartResult = Type.Object(
  {
    cartId: Type.String({ examples: [CART_ID] }),
    variantId: CartVariantId,
    quantity: Type.Integer({ description: "the cart line's quantity now" }),
  },
  { $id: "MoveToCartResult", example: { cartId: CART_ID, variantId: VARIANT_ID, quantity: 1 } },
);
export type MoveToCartResult = Static<typeof MoveToCartResult>;
