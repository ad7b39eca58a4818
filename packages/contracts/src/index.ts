import "./formats.ts";

export * from "./accounts.ts";
export * from "./admin-users.ts";
export * from "./catalog-browse.ts";
export * from "./catalog-categories.ts";
export * from "./catalog-images.ts";
export * from "./errors.ts";
export * from "./headers.ts";
export * from "./ids.ts";
export * from "./inventory.ts";
export * from "./money.ts";
export * from "./oauth.ts";
export * from "./pagination.ts";
export * from "./products.ts";
export * from "./profile.ts";
export * from "./text.ts";
export * from "./two-factor.ts";
export * from "./validation.ts";
