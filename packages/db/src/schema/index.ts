export * from "./accounts.ts";
export * from "./cart.ts";
export * from "./catalog.ts";
export * from "./email.ts";
export * from "./events.ts";
export * from "./orders.ts";
export * from "./payments.ts";
export * from "./shipping.ts";
