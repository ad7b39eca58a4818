import { type Static, Type } from "@sinclair/typebox";
import { idPattern } from "./ids.ts";
import { Page, PageQuery } from "./pagination.ts";
import { SingleLineText } from "./text.ts";

/** Upper bound of any stock quantity or adjustment: far above any real shelf, far below integer trouble. */
export const MAX_STOCK_QUANTITY = 1_000_000_000;

/** Why a seller changed on-hand stock by hand ("sold" and "import" are written by checkout and imports only). */
export const STOCK_ADJUSTMENT_REASONS = ["received", "returned", "damaged", "correction", "lost"] as const;
export type StockAdjustmentReason = (typeof STOCK_ADJUSTMENT_REASONS)[number];

const LOCATION_EXAMPLE_ID = "loc_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C";
const VARIANT_EXAMPLE_ID = "var_01JD4M3Z8Q5V7W9X1Y2Z3A4B5D";
const PRODUCT_EXAMPLE_ID = "prd_01JD4M3Z8Q5V7W9X1Y2Z3A4B5E";
const SELLER_EXAMPLE_ID = "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5F";

export const StockLocationId = Type.String({ pattern: idPattern("location"), error: "must be a stock location id", examples: [LOCATION_EXAMPLE_ID] });
/** A variant id as the inventory routes take it. */
export const StockVariantId = Type.String({ pattern: idPattern("variant"), error: "must be a variant id", examples: [VARIANT_EXAMPLE_ID] });

export const StockLocationIdParams = Type.Object({ id: StockLocationId });
export const VariantStockParams = Type.Object({ id: StockVariantId });

const StockQuantity = (description: string, example: number) =>
  Type.Integer({ minimum: 0, maximum: MAX_STOCK_QUANTITY, error: `must be a whole number from 0 to ${MAX_STOCK_QUANTITY}`, description, examples: [example] });

const LocationCountry = Type.String({
  pattern: "^[A-Z]{2}$",
  error: "must be an ISO 3166-1 alpha-2 country code such as PT",
  description: "ISO 3166-1 alpha-2: where the stock ships from",
  examples: ["PT"],
});
const LocationName = SingleLineText({ maxLength: 100, examples: ["Lisbon warehouse"] });

/** Page size and cursor of inventory's lists. */
export const StockPageQuery = Type.Object({
  limit: PageQuery.properties.limit,
  cursor: PageQuery.properties.cursor,
});
export type StockPageQuery = Static<typeof StockPageQuery>;

// ---- stock locations ----

export const CreateStockLocationBody = Type.Object(
  { name: LocationName, country: LocationCountry },
  { additionalProperties: false, example: { name: "Lisbon warehouse", country: "PT" } },
);
export type CreateStockLocationBody = Static<typeof CreateStockLocationBody>;

export const UpdateStockLocationBody = Type.Object(
  { name: Type.Optional(LocationName), country: Type.Optional(LocationCountry) },
  { additionalProperties: false, example: { name: "Porto warehouse" } },
);
export type UpdateStockLocationBody = Static<typeof UpdateStockLocationBody>;

const LOCATION_EXAMPLE = {
  id: LOCATION_EXAMPLE_ID,
  sellerId: SELLER_EXAMPLE_ID,
  name: "Lisbon warehouse",
  country: "PT",
  createdAt: "2026-11-25T06:00:00.000Z",
};

export const StockLocationView = Type.Object(
  {
    id: StockLocationId,
    sellerId: Type.String({ examples: [SELLER_EXAMPLE_ID] }),
    name: Type.String({ examples: ["Lisbon warehouse"] }),
    country: Type.String({ examples: ["PT"] }),
    createdAt: Type.String({ format: "date-time" }),
  },
  { $id: "StockLocationView", example: LOCATION_EXAMPLE },
);
export type StockLocationView = Static<typeof StockLocationView>;

export const StockLocationPage = Type.Composite([Page(StockLocationView)], {
  $id: "StockLocationPage",
  example: { items: [LOCATION_EXAMPLE], nextCursor: null },
});
export type StockLocationPage = Static<typeof StockLocationPage>;

// ---- stock of a variant ----

const LEVEL_EXAMPLE = {
  locationId: LOCATION_EXAMPLE_ID,
  locationName: "Lisbon warehouse",
  onHand: 12,
  reserved: 2,
  available: 10,
  lowStockThreshold: 3,
  updatedAt: "2026-11-25T06:00:00.000Z",
};

export const StockLevelView = Type.Object(
  {
    locationId: StockLocationId,
    locationName: Type.String({ examples: ["Lisbon warehouse"] }),
    onHand: Type.Integer({ description: "units physically there", examples: [12] }),
    reserved: Type.Integer({ description: "units held for checkouts in progress", examples: [2] }),
    available: Type.Integer({ description: "onHand - reserved: what can still be sold", examples: [10] }),
    lowStockThreshold: Type.Integer({ description: "inventory.low_stock is emitted when available drops to this or below", examples: [3] }),
    updatedAt: Type.String({ format: "date-time" }),
  },
  { $id: "StockLevelView", example: LEVEL_EXAMPLE },
);
export type StockLevelView = Static<typeof StockLevelView>;

export const VariantStockView = Type.Object(
  {
    variantId: StockVariantId,
    productId: Type.String({ examples: [PRODUCT_EXAMPLE_ID] }),
    levels: Type.Array(StockLevelView, { description: "one per location that has ever held this variant, by location id" }),
    onHand: Type.Integer({ description: "over every location", examples: [12] }),
    reserved: Type.Integer({ examples: [2] }),
    available: Type.Integer({ examples: [10] }),
  },
  {
    $id: "VariantStockView",
    example: { variantId: VARIANT_EXAMPLE_ID, productId: PRODUCT_EXAMPLE_ID, levels: [LEVEL_EXAMPLE], onHand: 12, reserved: 2, available: 10 },
  },
);
export type VariantStockView = Static<typeof VariantStockView>;

const StockNote = SingleLineText({ maxLength: 500, examples: ["Counted on the shelf"], description: "kept in the adjustment trail" });

export const SetVariantStockBody = Type.Object(
  {
    levels: Type.Array(
      Type.Object(
        {
          locationId: StockLocationId,
          onHand: StockQuantity("the counted units at this location; the difference is recorded as a correction", 12),
          lowStockThreshold: StockQuantity("inventory.low_stock fires when available drops to this or below", 3),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 50, error: "must list 1 to 50 locations" },
    ),
    note: Type.Optional(StockNote),
  },
  {
    additionalProperties: false,
    example: { levels: [{ locationId: LOCATION_EXAMPLE_ID, onHand: 12, lowStockThreshold: 3 }], note: "Stocktake" },
  },
);
export type SetVariantStockBody = Static<typeof SetVariantStockBody>;

// ---- adjustments ----

export const CreateStockAdjustmentBody = Type.Object(
  {
    locationId: StockLocationId,
    delta: Type.Integer({
      minimum: -MAX_STOCK_QUANTITY,
      maximum: MAX_STOCK_QUANTITY,
      error: `must be a whole number from -${MAX_STOCK_QUANTITY} to ${MAX_STOCK_QUANTITY}, not 0`,
      description: "units added (positive) or removed (negative); never 0",
      examples: [24],
    }),
    reason: Type.Union(
      STOCK_ADJUSTMENT_REASONS.map((r) => Type.Literal(r)),
      { error: `must be one of ${STOCK_ADJUSTMENT_REASONS.join(", ")}`, examples: ["received"] },
    ),
    note: Type.Optional(StockNote),
  },
  { additionalProperties: false, example: { locationId: LOCATION_EXAMPLE_ID, delta: 24, reason: "received", note: "Shipment from the supplier" } },
);
export type CreateStockAdjustmentBody = Static<typeof CreateStockAdjustmentBody>;

const ADJUSTMENT_EXAMPLE = {
  id: "adj_01JD4M3Z8Q5V7W9X1Y2Z3A4B5G",
  variantId: VARIANT_EXAMPLE_ID,
  locationId: LOCATION_EXAMPLE_ID,
  delta: 24,
  onHandAfter: 36,
  reason: "received",
  note: "Shipment from the supplier",
  actorId: SELLER_EXAMPLE_ID,
  occurredAt: "2026-11-25T06:00:00.000Z",
};

export const StockAdjustmentView = Type.Object(
  {
    id: Type.String({ examples: [ADJUSTMENT_EXAMPLE.id] }),
    variantId: StockVariantId,
    locationId: StockLocationId,
    delta: Type.Integer({ examples: [24] }),
    onHandAfter: Type.Integer({ examples: [36] }),
    reason: Type.String({ description: `${STOCK_ADJUSTMENT_REASONS.join(", ")}, or sold (a committed checkout)`, examples: ["received"] }),
    note: Type.Union([Type.String(), Type.Null()]),
    actorId: Type.String({ description: "the user who made it, or the checkout that sold it", examples: [SELLER_EXAMPLE_ID] }),
    occurredAt: Type.String({ format: "date-time" }),
  },
  { $id: "StockAdjustmentView", example: ADJUSTMENT_EXAMPLE },
);
export type StockAdjustmentView = Static<typeof StockAdjustmentView>;

export const StockAdjustmentResult = Type.Object(
  { adjustment: StockAdjustmentView, level: StockLevelView },
  { $id: "StockAdjustmentResult", example: { adjustment: ADJUSTMENT_EXAMPLE, level: { ...LEVEL_EXAMPLE, onHand: 36, available: 34 } } },
);
export type StockAdjustmentResult = Static<typeof StockAdjustmentResult>;

export const StockAdjustmentQuery = Type.Object({ ...StockPageQuery.properties, locationId: Type.Optional(StockLocationId) });
export type StockAdjustmentQuery = Static<typeof StockAdjustmentQuery>;

export const StockAdjustmentPage = Type.Composite([Page(StockAdjustmentView)], {
  $id: "StockAdjustmentPage",
  example: { items: [ADJUSTMENT_EXAMPLE], nextCursor: null },
});
export type StockAdjustmentPage = Static<typeof StockAdjustmentPage>;
