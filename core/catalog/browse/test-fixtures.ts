// Catalog rows for the browse tests, inserted with drizzle as the other catalog parts would leave them.
import { createIdGenerator } from "@bazaar/contracts";
import { type Database, schema } from "@bazaar/db";

export interface VariantFixture {
  price: number;
  compareAt?: number;
  options?: Record<string, string>;
  /** one stock level per entry (each at its own location) */
  stock?: { onHand: number; reserved?: number; threshold?: number }[];
  sku?: string;
}

export interface ProductFixture {
  sellerId: string;
  categoryId: string;
  brandId?: string | null;
  title?: string;
  slug?: string;
  description?: string;
  status?: "draft" | "active" | "archived" | "suspended";
  currency?: string;
  publishedAt?: number | null;
  popularity?: number;
  rating?: { averageX100: number; count: number };
  variants?: VariantFixture[];
  /** `variant` is an index into `variants` */
  images?: { alt?: string; position?: number; variant?: number }[];
  attributes?: Record<string, string | number | boolean>;
}

export function catalogFixtures(database: Database, now: () => number = Date.now) {
  const ids = createIdGenerator(now);
  let products = 0;
  const categories = new Map<string, { path: string; depth: number }>();
  let locationsOf: Map<string, string[]> | undefined;

  async function locations(sellerId: string, count: number): Promise<string[]> {
    locationsOf ??= new Map();
    const have = locationsOf.get(sellerId) ?? [];
    while (have.length < count) {
      const id = ids("location");
      await database.write((db) =>
        db.insert(schema.stockLocation).values({ id, sellerId, name: `Warehouse ${have.length + 1}`, country: "PT", createdAt: now() }),
      );
      have.push(id);
    }
    locationsOf.set(sellerId, have);
    return have;
  }

  return {
    async category(slug: string, options: { name?: string; parentId?: string; sortOrder?: number } = {}): Promise<string> {
      const id = ids("category");
      const parent = options.parentId ? categories.get(options.parentId) : undefined;
      const path = `${parent?.path ?? "/"}${slug}/`;
      const depth = (parent?.depth ?? 0) + 1;
      await database.write((db) =>
        db.insert(schema.category).values({
          id,
          parentId: options.parentId ?? null,
          slug,
          name: options.name ?? slug,
          path,
          depth,
          sortOrder: options.sortOrder ?? 0,
          createdAt: now(),
          updatedAt: now(),
        }),
      );
      categories.set(id, { path, depth });
      return id;
    },

    async attribute(
      categoryId: string,
      definition: {
        key: string;
        type: "text" | "number" | "enum" | "boolean";
        label?: string;
        unit?: string;
        options?: string[];
        filterable?: boolean;
        sortOrder?: number;
      },
    ): Promise<string> {
      const id = ids("attribute");
      await database.write((db) =>
        db.insert(schema.categoryAttribute).values({
          id,
          categoryId,
          key: definition.key,
          label: definition.label ?? definition.key,
          type: definition.type,
          unit: definition.unit ?? null,
          options: definition.options ?? null,
          filterable: definition.filterable ?? true,
          sortOrder: definition.sortOrder ?? 0,
        }),
      );
      return id;
    },

    async brand(slug: string, name = slug): Promise<string> {
      const id = ids("brand");
      await database.write((db) => db.insert(schema.brand).values({ id, slug, name, createdAt: now() }));
      return id;
    },

    /** A product with its variants, stock, images and attributes; price range and in-stock flag derived as the products part keeps them. */
    async product(fixture: ProductFixture): Promise<{ id: string; slug: string; variantIds: string[]; imageIds: string[] }> {
      products++;
      const id = ids("product");
      const slug = fixture.slug ?? `product-${products}-${id.slice(-6).toLowerCase()}`;
      const currency = fixture.currency ?? "EUR";
      const variants = fixture.variants ?? [{ price: 1000, stock: [{ onHand: 5 }] }];
      const prices = variants.map((v) => v.price);
      const available = variants.some((v) => (v.stock ?? []).some((s) => s.onHand - (s.reserved ?? 0) > 0));
      const status = fixture.status ?? "active";
      await database.write((db) =>
        db.insert(schema.product).values({
          id,
          sellerId: fixture.sellerId,
          slug,
          title: fixture.title ?? `Product ${products}`,
          description: fixture.description ?? "",
          brandId: fixture.brandId ?? null,
          categoryId: fixture.categoryId,
          status,
          currency,
          minPriceMinor: prices.length ? Math.min(...prices) : null,
          maxPriceMinor: prices.length ? Math.max(...prices) : null,
          inStock: available,
          popularity: fixture.popularity ?? 0,
          ratingAverageX100: fixture.rating?.averageX100 ?? null,
          ratingCount: fixture.rating?.count ?? 0,
          createdAt: now(),
          updatedAt: now(),
          publishedAt: fixture.publishedAt === undefined ? (status === "active" ? now() : null) : fixture.publishedAt,
        }),
      );
      const variantIds: string[] = [];
      for (const [position, v] of variants.entries()) {
        const variantId = ids("variant");
        variantIds.push(variantId);
        await database.write((db) =>
          db.insert(schema.variant).values({
            id: variantId,
            productId: id,
            sellerId: fixture.sellerId,
            sku: v.sku ?? `SKU-${variantId.slice(-10)}`,
            options: v.options ?? {},
            priceMinor: v.price,
            compareAtMinor: v.compareAt ?? null,
            currency,
            position,
            createdAt: now(),
            updatedAt: now(),
          }),
        );
        const stock = v.stock ?? [];
        const at = await locations(fixture.sellerId, stock.length);
        for (const [i, s] of stock.entries()) {
          await database.write((db) =>
            db.insert(schema.stockLevel).values({
              variantId,
              locationId: at[i] ?? "",
              onHand: s.onHand,
              reserved: s.reserved ?? 0,
              lowStockThreshold: s.threshold ?? 0,
              updatedAt: now(),
            }),
          );
        }
      }
      const imageIds: string[] = [];
      for (const [i, image] of (fixture.images ?? []).entries()) {
        const imageId = ids("image");
        imageIds.push(imageId);
        await database.write((db) =>
          db.insert(schema.productImage).values({
            id: imageId,
            productId: id,
            variantId: image.variant === undefined ? null : (variantIds[image.variant] ?? null),
            key: `products/${id}/${imageId}`,
            contentType: "image/webp",
            width: 1600,
            height: 1200,
            alt: image.alt ?? "",
            position: image.position ?? i,
            createdAt: now(),
          }),
        );
      }
      for (const [key, value] of Object.entries(fixture.attributes ?? {})) {
        await database.write((db) =>
          db.insert(schema.productAttribute).values({
            productId: id,
            key,
            valueText: typeof value === "number" ? null : String(value),
            valueNumber: typeof value === "number" ? value : null,
          }),
        );
      }
      return { id, slug, variantIds, imageIds };
    },

    /** A user row to be a seller (accounts' table: only what the product page reads from it matters here). */
    async seller(name: string): Promise<string> {
      const id = ids("user");
      await database.write((db) =>
        db.insert(schema.user).values({
          id,
          email: `${id.toLowerCase()}@example.com`,
          name,
          passwordHash: "",
          roles: ["buyer", "seller"],
          createdAt: now(),
          updatedAt: now(),
        }),
      );
      return id;
    },
  };
}
