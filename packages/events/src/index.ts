export * from "./catalogue.ts";
export * from "./dead-letters.ts";
export * from "./envelope.ts";
export * from "./event-bus.ts";
export * from "./outbox.ts";
export * from "./relay.ts";
export * from "./retention.ts";
export * from "./transports.ts";
