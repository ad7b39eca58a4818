import {
  AppError,
  type AttributeType,
  type AttributeView,
  type BrandPage,
  type BrandQuery,
  type BrandView,
  type CategoryDetail,
  type CategoryNode,
  type CategoryTree,
  type CategoryView,
  ConflictError,
  type CreateAttributeBody,
  type CreateBrandBody,
  type CreateCategoryBody,
  decodeCursor,
  type FieldError,
  MAX_CATEGORY_DEPTH,
  type MoveCategoryBody,
  NotFoundError,
  slugify,
  toPage,
  type UpdateAttributeBody,
  type UpdateBrandBody,
  type UpdateCategoryBody,
  ValidationError,
} from "@bazaar/contracts";
import { type Database, isConstraintError, type Queryable, type Tx } from "@bazaar/db";
import type { Ctx } from "../../platform/deps.ts";
import * as repo from "./repo.ts";

export { subtreeCondition } from "./repo.ts";

// ---- what other parts of the catalog use ----

/** The database handle or an open transaction (so a product write can check attributes inside its own). */
type Source = Database | Queryable;
const readerOf = (source: Source): repo.Reader => ("preparedRead" in source ? source.read : source);

/**
 * The materialised path of a category ("/electronics/phones/"), or undefined if there is none.
 * "This category and everything under it" is then `subtreeCondition(path)` on `category.path`.
 */
export async function pathOf(source: Source, categoryId: string): Promise<string | undefined> {
  return (await repo.categoryById(readerOf(source), categoryId))?.path;
}

/** The ids of a category and all its descendants; empty if there is no such category. */
export async function descendantIds(source: Source, categoryId: string): Promise<string[]> {
  const path = await pathOf(source, categoryId);
  return path ? repo.subtreeIds(readerOf(source), path) : [];
}

/**
 * What products in a category may say about themselves: the attributes of its ancestors (root
 * first) and then its own. Keys never repeat along a path (the writes below refuse that).
 * Undefined if there is no such category.
 */
export async function effectiveAttributes(source: Source, categoryId: string): Promise<AttributeView[] | undefined> {
  const reader = readerOf(source);
  const row = await repo.categoryById(reader, categoryId);
  if (!row) return undefined;
  return (await repo.attributesOnPath(reader, row.path)).map(toAttributeView);
}

// ---- public reads ----

/** The whole tree, nested; siblings by sortOrder, then name. */
export async function categoryTree(ctx: Ctx): Promise<CategoryTree> {
  const rows = await repo.allCategories(ctx.database.read);
  const nodes = new Map<string, CategoryNode>();
  for (const row of rows) {
    nodes.set(row.id, { id: row.id, slug: row.slug, name: row.name, path: row.path, depth: row.depth, sortOrder: row.sortOrder, children: [] });
  }
  const roots: CategoryNode[] = [];
  // rows come in sibling order, so appending keeps every children list ordered
  for (const row of rows) {
    const node = nodes.get(row.id) as CategoryNode;
    const parent = row.parentId ? nodes.get(row.parentId) : undefined;
    (parent ? parent.children : roots).push(node);
  }
  return { items: roots };
}

export async function categoryDetail(ctx: Ctx, slug: string): Promise<CategoryDetail> {
  const read = ctx.database.read;
  const row = await repo.categoryBySlug(read, slug);
  if (!row) throw new NotFoundError("category", slug);
  const [trail, children, attributes] = await Promise.all([
    repo.categoriesOnPath(read, row.path),
    repo.childrenOf(read, row.id),
    repo.attributesOnPath(read, row.path),
  ]);
  return {
    id: row.id,
    parentId: row.parentId,
    slug: row.slug,
    name: row.name,
    path: row.path,
    depth: row.depth,
    sortOrder: row.sortOrder,
    breadcrumbs: trail.map(toRef),
    children: children.map(toRef),
    attributes: attributes.map(toAttributeView),
  };
}

export async function listBrands(ctx: Ctx, query: BrandQuery): Promise<BrandPage> {
  const limit = query.limit ? Number(query.limit) : 20;
  const after = query.cursor ? brandPosition(query.cursor) : undefined;
  const slugPrefix = query.q ? slugify(query.q) : undefined;
  const rows = await repo.listBrands(ctx.database.read, { prefix: query.q, slugPrefix: slugPrefix || undefined, after, limit: limit + 1 });
  return toPage(rows, limit, toBrandView, (row) => ({ n: row.name, id: row.id }));
}

function brandPosition(cursor: string): { name: string; id: string } {
  const { n, id } = decodeCursor(cursor);
  if (typeof n !== "string" || typeof id !== "string")
    throw new AppError("BAD_REQUEST", "cursor is not a cursor this API issued", [{ path: "/cursor", message: "invalid cursor" }]);
  return { name: n, id };
}

// ---- categories (admin) ----

export async function createCategory(ctx: Ctx, input: CreateCategoryBody): Promise<CategoryView> {
  const slug = input.slug ?? slugFromName(input.name);
  const now = ctx.clock();
  const row = await writing({ slug: "/slug" }, () =>
    ctx.database.transaction(async (tx) => {
      const parent = input.parentId ? await existingParent(tx, input.parentId) : undefined;
      const depth = (parent?.depth ?? 0) + 1;
      if (depth > MAX_CATEGORY_DEPTH) throw tooDeep();
      const [inserted] = await repo.insertCategory(tx, {
        id: ctx.ids("category"),
        parentId: parent?.id ?? null,
        slug,
        name: input.name,
        path: `${parent?.path ?? "/"}${slug}/`,
        depth,
        sortOrder: input.sortOrder ?? 0,
        commissionBps: input.commissionBps ?? null,
        createdAt: now,
        updatedAt: now,
      });
      return inserted;
    }),
  );
  return toCategoryView(row as repo.CategoryRow);
}

/** A new slug re-roots the whole subtree: its descendants' paths change in the same transaction. */
export async function updateCategory(ctx: Ctx, id: string, input: UpdateCategoryBody): Promise<CategoryView> {
  const now = ctx.clock();
  const row = await writing({ slug: "/slug" }, () =>
    ctx.database.transaction(async (tx) => {
      const current = await existingCategory(tx, id);
      const slug = input.slug ?? current.slug;
      const path = `${parentPathOf(current.path)}${slug}/`;
      // descendants first: if the slug is taken, the update of the category itself fails and all of this rolls back
      if (path !== current.path) await repo.rewriteDescendants(tx, current.path, path, 0, now);
      return repo.updateCategory(tx, id, {
        name: input.name ?? current.name,
        slug,
        path,
        sortOrder: input.sortOrder ?? current.sortOrder,
        commissionBps: input.commissionBps === undefined ? current.commissionBps : input.commissionBps,
        updatedAt: now,
      });
    }),
  );
  return toCategoryView(row as repo.CategoryRow);
}

/**
 * Moves a category and everything under it below another parent (or to the root). Refused (409)
 * under itself or a descendant, beyond MAX_CATEGORY_DEPTH, or where an attribute key in the
 * subtree is already defined above the new place. Paths and depths change in one transaction.
 */
export async function moveCategory(ctx: Ctx, id: string, input: MoveCategoryBody): Promise<CategoryView> {
  const now = ctx.clock();
  const row = await writing({}, () =>
    ctx.database.transaction(async (tx) => {
      const current = await existingCategory(tx, id);
      const parent = input.parentId ? await existingParent(tx, input.parentId) : undefined;
      if (parent?.path.startsWith(current.path)) {
        throw new ConflictError("A category cannot move under itself or one of its descendants", "/parentId");
      }
      const path = `${parent?.path ?? "/"}${current.slug}/`;
      const depthDelta = (parent?.depth ?? 0) + 1 - current.depth;
      const sortOrder = input.sortOrder ?? current.sortOrder;
      if (path === current.path && sortOrder === current.sortOrder) return current;
      if ((await repo.deepestIn(tx, current.path)) + depthDelta > MAX_CATEGORY_DEPTH) throw tooDeep();
      if (parent) {
        const above = new Set((await repo.attributesOnPath(tx, parent.path)).map((a) => a.key));
        const clash = (await repo.keysInSubtree(tx, current.path)).filter((key) => above.has(key));
        if (clash.length) throw new ConflictError(`Attributes ${clash.join(", ")} are already defined above the new parent`, "/parentId");
      }
      if (path !== current.path) await repo.rewriteDescendants(tx, current.path, path, depthDelta, now);
      return repo.updateCategory(tx, id, { parentId: parent?.id ?? null, path, depth: current.depth + depthDelta, sortOrder, updatedAt: now });
    }),
  );
  return toCategoryView(row as repo.CategoryRow);
}

/** Only a leaf without products goes; its attribute definitions go with it. */
export async function deleteCategory(ctx: Ctx, id: string): Promise<void> {
  await writing({}, () =>
    ctx.database.transaction(async (tx) => {
      await existingCategory(tx, id);
      if (await repo.hasChildren(tx, id)) throw new ConflictError("The category has subcategories; move or delete them first");
      if (await repo.hasProducts(tx, id)) throw new ConflictError("Products are listed in the category; move them first");
      await repo.deleteCategory(tx, id);
    }),
  );
}

// ---- attributes (admin) ----

/** The category's effective attributes, inherited ones included (each says where it is defined). */
export async function listCategoryAttributes(ctx: Ctx, categoryId: string): Promise<{ items: AttributeView[] }> {
  const items = await effectiveAttributes(ctx.database, categoryId);
  if (!items) throw new NotFoundError("category", categoryId);
  return { items };
}

export async function createAttribute(ctx: Ctx, categoryId: string, input: CreateAttributeBody): Promise<AttributeView> {
  const shape = { type: input.type, unit: input.unit ?? null, options: input.options ?? null };
  assertAttributeShape(shape);
  const row = await writing({ key: "/key" }, () =>
    ctx.database.transaction(async (tx) => {
      const owner = await existingCategory(tx, categoryId);
      // keys are unique along every root-to-leaf path, so a category's effective attributes never collide
      const definedAt = await repo.keyDefinedAround(tx, owner.path, input.key);
      if (definedAt) throw new ConflictError(`Attribute "${input.key}" is already defined at ${definedAt}`, "/key");
      return repo.insertAttribute(tx, {
        id: ctx.ids("attribute"),
        categoryId,
        key: input.key,
        label: input.label,
        ...shape,
        filterable: input.filterable ?? false,
        searchable: input.searchable ?? false,
        variantDefining: input.variantDefining ?? false,
        sortOrder: input.sortOrder ?? 0,
      });
    }),
  );
  return toAttributeView(row);
}

/** Key and type stay as created: product values are stored by key in the type's column. */
export async function updateAttribute(ctx: Ctx, categoryId: string, attributeId: string, input: UpdateAttributeBody): Promise<AttributeView> {
  const row = await ctx.database.transaction(async (tx) => {
    const current = await existingAttribute(tx, categoryId, attributeId);
    const shape = {
      type: current.type as AttributeType,
      unit: input.unit === undefined ? current.unit : input.unit,
      options: input.options === undefined ? current.options : input.options,
    };
    assertAttributeShape(shape);
    return repo.updateAttribute(tx, attributeId, {
      label: input.label ?? current.label,
      unit: shape.unit,
      options: shape.options,
      filterable: input.filterable ?? current.filterable,
      searchable: input.searchable ?? current.searchable,
      variantDefining: input.variantDefining ?? current.variantDefining,
      sortOrder: input.sortOrder ?? current.sortOrder,
    });
  });
  return toAttributeView(row as repo.AttributeRow);
}

/** Refused while a product in the category's subtree has a value for it. */
export async function deleteAttribute(ctx: Ctx, categoryId: string, attributeId: string): Promise<void> {
  await ctx.database.transaction(async (tx) => {
    const current = await existingAttribute(tx, categoryId, attributeId);
    const owner = await existingCategory(tx, categoryId);
    if (await repo.attributeInUse(tx, owner.path, current.key)) throw new ConflictError(`Products have a value for "${current.key}"; remove those first`);
    await repo.deleteAttribute(tx, attributeId);
  });
}

/** An enum lists its options; only a number has a unit; text and boolean have neither. */
function assertAttributeShape(shape: { type: AttributeType; unit: string | null; options: string[] | null }): void {
  const errors: FieldError[] = [];
  if (shape.type === "enum" && !shape.options?.length) errors.push({ path: "/options", message: "is required for an enum: the values it allows" });
  if (shape.type !== "enum" && shape.options !== null) errors.push({ path: "/options", message: `only enum attributes have options, not ${shape.type}` });
  if (shape.type !== "number" && shape.unit !== null) errors.push({ path: "/unit", message: `only number attributes have a unit, not ${shape.type}` });
  if (errors.length) throw new ValidationError(errors);
}

// ---- brands (admin) ----

export async function createBrand(ctx: Ctx, input: CreateBrandBody): Promise<BrandView> {
  const slug = input.slug ?? slugFromName(input.name);
  const row = await writing({ slug: "/slug" }, () =>
    ctx.database.transaction((tx) => repo.insertBrand(tx, { id: ctx.ids("brand"), slug, name: input.name, createdAt: ctx.clock() })),
  );
  return toBrandView(row);
}

export async function updateBrand(ctx: Ctx, id: string, input: UpdateBrandBody): Promise<BrandView> {
  const row = await writing({ slug: "/slug" }, () =>
    ctx.database.transaction(async (tx) => {
      const current = await repo.brandById(tx, id);
      if (!current) throw new NotFoundError("brand", id);
      return repo.updateBrand(tx, id, { name: input.name ?? current.name, slug: input.slug ?? current.slug });
    }),
  );
  return toBrandView(row as repo.BrandRow);
}

/** Refused while products name the brand (the foreign key backs this up against a race). */
export async function deleteBrand(ctx: Ctx, id: string): Promise<void> {
  await writing({}, () =>
    ctx.database.transaction(async (tx) => {
      if (!(await repo.brandById(tx, id))) throw new NotFoundError("brand", id);
      if (await repo.brandInUse(tx, id)) throw new ConflictError("Products use this brand; change them first");
      await repo.deleteBrand(tx, id);
    }),
  );
}

// ---- helpers ----

function slugFromName(name: string): string {
  const slug = slugify(name);
  if (!slug) throw new ValidationError([{ path: "/slug", message: "cannot be made from this name (no letters a-z or digits in it); send one" }]);
  return slug;
}

/**
 * Runs a write and turns the database's refusals into 409s: a unique slug or key taken (named by
 * `fields`, by the column in the message), a row still referenced, any other constraint.
 */
async function writing<T>(fields: { slug?: string; key?: string }, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isConstraintError(error, "UNIQUE")) {
      const message = constraintMessage(error);
      if (fields.slug && /\.slug\b/.test(message)) throw new ConflictError("This slug is taken", fields.slug);
      if (fields.key && /\.key\b/.test(message)) throw new ConflictError("This key is already defined on the category", fields.key);
      throw new ConflictError("It conflicts with an existing record");
    }
    if (isConstraintError(error, "FOREIGNKEY")) throw new ConflictError("Other records still refer to it");
    if (isConstraintError(error)) throw new ConflictError("The database refused the change; nothing was written");
    throw error;
  }
}

/** The database's own words ("UNIQUE constraint failed: category.slug"), not the query drizzle wraps around them. */
function constraintMessage(error: unknown): string {
  let innermost = "";
  // the innermost cause is the driver's; outer wrappers quote the query and its parameters, which a client chose
  for (let e = error as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) innermost = e.message ?? "";
  return innermost;
}

async function existingCategory(tx: Tx, id: string): Promise<repo.CategoryRow> {
  const row = await repo.categoryById(tx, id);
  if (!row) throw new NotFoundError("category", id);
  return row;
}

/** A parent named in a body that does not exist is a bad field, not a missing resource. */
async function existingParent(tx: Tx, id: string): Promise<repo.CategoryRow> {
  const row = await repo.categoryById(tx, id);
  if (!row) throw new ValidationError([{ path: "/parentId", message: "is not an existing category" }]);
  return row;
}

async function existingAttribute(tx: Tx, categoryId: string, attributeId: string): Promise<repo.AttributeRow> {
  const row = await repo.attributeOf(tx, categoryId, attributeId);
  if (!row) throw new NotFoundError("attribute", attributeId);
  return row;
}

function tooDeep(): ConflictError {
  return new ConflictError(`Categories nest at most ${MAX_CATEGORY_DEPTH} levels deep`, "/parentId");
}

/** "/a/b/c/" → "/a/b/" */
function parentPathOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/", path.length - 2) + 1);
}

function toRef(row: repo.CategoryRow) {
  return { id: row.id, slug: row.slug, name: row.name };
}

export function toCategoryView(row: repo.CategoryRow): CategoryView {
  return {
    id: row.id,
    parentId: row.parentId,
    slug: row.slug,
    name: row.name,
    path: row.path,
    depth: row.depth,
    sortOrder: row.sortOrder,
    commissionBps: row.commissionBps,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

export function toAttributeView(row: repo.AttributeRow): AttributeView {
  return {
    id: row.id,
    categoryId: row.categoryId,
    key: row.key,
    label: row.label,
    type: row.type as AttributeType,
    unit: row.unit,
    options: row.options,
    filterable: row.filterable,
    searchable: row.searchable,
    variantDefining: row.variantDefining,
    sortOrder: row.sortOrder,
  };
}

function toBrandView(row: repo.BrandRow): BrandView {
  return { id: row.id, slug: row.slug, name: row.name, createdAt: new Date(row.createdAt).toISOString() };
}
