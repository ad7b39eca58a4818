export * from "./accounts.ts";
export * from "./email.ts";
export * from "./events.ts";
