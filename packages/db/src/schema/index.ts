export * from "./accounts.ts";
export * from "./catalog.ts";
export * from "./email.ts";
export * from "./events.ts";
export * from "./payments.ts";
