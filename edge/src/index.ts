import { createApp } from "./app.ts";
import type { Env } from "./env.ts";
import { consumeEvents } from "./events/consume-events.ts";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: (batch, env) => consumeEvents(batch, env),
} satisfies ExportedHandler<Env>;
