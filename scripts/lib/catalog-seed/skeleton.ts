import type { schema } from "@bazaar/db";
import type { AttributeSpec } from "./data/attributes.ts";
import { BRANDS } from "./data/brands.ts";
import { CATEGORY_TREE, type CategorySpec, type LeafHints } from "./data/categories.ts";
import { OVERSEAS_WAREHOUSES, SELLER_COUNT, SELLER_COUNTRIES, STORE_FIRST, STORE_SECOND, sellerEmail } from "./data/sellers.ts";
import { Random } from "./random.ts";

export type CategoryRow = typeof schema.category.$inferInsert;
export type CategoryAttributeRow = typeof schema.categoryAttribute.$inferInsert;
export type BrandRow = typeof schema.brand.$inferInsert;
export type UserRow = typeof schema.user.$inferInsert;
export type StockLocationRow = typeof schema.stockLocation.$inferInsert;

const DAY = 86_400_000;
/** The demo catalogue is "as of" this moment, so every run writes the same timestamps. */
export const SEED_EPOCH = Date.UTC(2026, 10, 1);
/** When the categories, brands and sellers came to be: before any product. */
export const SKELETON_AT = SEED_EPOCH - 400 * DAY;

/** A category products can be filed under, with every attribute it has (inherited ones first). */
export interface Leaf {
  id: string;
  slug: string;
  root: string;
  hints: LeafHints;
  variantAttributes: readonly AttributeSpec[];
  describingAttributes: readonly AttributeSpec[];
}

export interface Seller {
  id: string;
  email: string;
  currency: string;
  /** root category slugs this seller lists in */
  roots: readonly string[];
  locationIds: readonly string[];
  /** relative size: bigger sellers list more products */
  weight: number;
}

export interface Skeleton {
  categories: CategoryRow[];
  attributes: CategoryAttributeRow[];
  brands: BrandRow[];
  /** seller accounts without their password hash (computed once, when the rows are written) */
  users: Omit<UserRow, "passwordHash">[];
  locations: StockLocationRow[];
  leaves: Leaf[];
  leavesByRoot: ReadonlyMap<string, Leaf[]>;
  brandsByRoot: ReadonlyMap<string, BrandRow[]>;
  sellers: Seller[];
}

/** Everything but the products: the same on every run. */
export function planSkeleton(): Skeleton {
  const categories: CategoryRow[] = [];
  const attributes: CategoryAttributeRow[] = [];
  const leaves: Leaf[] = [];

  const visit = (spec: CategorySpec, parent: CategoryRow | undefined, inherited: readonly AttributeSpec[], sortOrder: number, root: string) => {
    const id = Random.for("category", spec.slug).id("cat", SKELETON_AT);
    const path = `${parent?.path ?? "/"}${spec.slug}/`;
    const row: CategoryRow = {
      id,
      parentId: parent?.id ?? null,
      slug: spec.slug,
      name: spec.name,
      path,
      depth: (parent?.depth ?? 0) + 1,
      sortOrder,
      commissionBps: spec.commissionBps ?? null,
      createdAt: SKELETON_AT,
      updatedAt: SKELETON_AT,
    };
    categories.push(row);
    const own = spec.attributes ?? [];
    own.forEach((attribute, index) => {
      attributes.push({
        id: Random.for("attribute", spec.slug, attribute.key).id("att", SKELETON_AT),
        categoryId: id,
        key: attribute.key,
        label: attribute.label,
        type: attribute.type,
        unit: attribute.unit ?? null,
        options: attribute.type === "enum" ? [...(attribute.options ?? [])] : null,
        filterable: attribute.filterable ?? false,
        searchable: attribute.searchable ?? false,
        variantDefining: attribute.variantDefining ?? false,
        sortOrder: index * 10,
      });
    });
    const all = [...inherited, ...own];
    if (spec.products) {
      leaves.push({
        id,
        slug: spec.slug,
        root,
        hints: spec.products,
        variantAttributes: all.filter((a) => a.variantDefining),
        describingAttributes: all.filter((a) => !a.variantDefining),
      });
    }
    spec.children?.forEach((child, index) => {
      visit(child, row, all, index * 10, root);
    });
  };
  CATEGORY_TREE.forEach((root, index) => {
    visit(root, undefined, [], index * 10, root.slug);
  });

  const brands: BrandRow[] = BRANDS.map((brand) => ({
    id: Random.for("brand", brand.slug).id("brd", SKELETON_AT),
    slug: brand.slug,
    name: brand.name,
    createdAt: SKELETON_AT,
  }));
  const brandsByRoot = new Map<string, BrandRow[]>();
  BRANDS.forEach((brand, index) => {
    for (const root of brand.roots) brandsByRoot.set(root, [...(brandsByRoot.get(root) ?? []), brands[index] as BrandRow]);
  });

  const leavesByRoot = new Map<string, Leaf[]>();
  for (const leaf of leaves) leavesByRoot.set(leaf.root, [...(leavesByRoot.get(leaf.root) ?? []), leaf]);

  const departments = CATEGORY_TREE.map((root) => ({ slug: root.slug, leaves: leavesByRoot.get(root.slug)?.length ?? 0 }));
  const { users, locations, sellers } = planSellers(departments);
  return { categories, attributes, brands, users, locations, leaves, leavesByRoot, brandsByRoot, sellers };
}

function planSellers(departments: readonly { slug: string; leaves: number }[]) {
  const rootSlugs = departments.map((department) => department.slug);
  const shuffle = Random.for("sellers");
  const homes = shuffle.sample(
    SELLER_COUNTRIES.flatMap((country) => Array.from({ length: country.sellers }, () => country)),
    SELLER_COUNT,
  );
  const storeNames = shuffle.sample(
    STORE_FIRST.flatMap((first) => STORE_SECOND.map((second) => `${first} ${second}`)),
    SELLER_COUNT,
  );
  const users: Omit<UserRow, "passwordHash">[] = [];
  const locations: StockLocationRow[] = [];
  const sellers: Seller[] = [];
  const peopleUsed = new Map<string, number>();
  homes.forEach((home, index) => {
    const rng = Random.for("seller", index);
    const joinedAt = SKELETON_AT + index * 3_600_000;
    const id = rng.id("usr", joinedAt);
    const email = sellerEmail(index);
    const nextPerson = peopleUsed.get(home.country) ?? 0;
    peopleUsed.set(home.country, nextPerson + 1);
    users.push({
      id,
      email,
      name: `${home.people[nextPerson % home.people.length]} (${storeNames[index]})`,
      roles: ["buyer", "seller"],
      emailVerifiedAt: joinedAt,
      createdAt: joinedAt,
      updatedAt: joinedAt,
      status: "active",
      locale: home.locale,
      currency: home.currency,
    });
    const [firstCity, secondCity] = rng.sample(home.cities, 2);
    const sites: { name: string; country: string }[] = [{ name: `${firstCity} warehouse`, country: home.country }];
    if (rng.chance(0.45)) {
      if (home.country === "CN") {
        const overseas = rng.pick(OVERSEAS_WAREHOUSES);
        sites.push({ name: `${overseas.city} overseas warehouse`, country: overseas.country });
      } else {
        sites.push({ name: `${secondCity ?? firstCity} shop`, country: home.country });
      }
    }
    const locationIds = sites.map((site, n) => {
      const locationId = rng.id("loc", joinedAt + n);
      locations.push({ id: locationId, sellerId: id, name: site.name, country: site.country, createdAt: joinedAt + n });
      return locationId;
    });
    // every department has a seller of its own; after that, bigger departments have more sellers
    const primary = rootSlugs[index] ?? rng.weighted(departments.map((department) => [department.slug, department.leaves] as const));
    const others = rng.sample(
      rootSlugs.filter((slug) => slug !== primary),
      rng.weighted([
        [0, 5],
        [1, 3],
        [2, 2],
      ]),
    );
    sellers.push({ id, email, currency: home.currency, roots: [primary, ...others], locationIds, weight: rng.skewed(1, 12, 2) });
  });
  return { users, locations, sellers };
}
