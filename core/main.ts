import { createApp } from "./app.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { createDeps } from "./platform/boot.ts";

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`bazaar core: ${error.message}\nSee .env.example for every variable.`);
    process.exit(78); // EX_CONFIG
  }
  throw error;
}

const deps = await createDeps(config);
const app = createApp(deps).listen({ hostname: config.host, port: config.port, maxRequestBodySize: config.maxBodyBytes });
deps.relay?.start();
deps.log.info("core listening", { url: `http://${config.host}:${app.server?.port}`, services: config.services, events: config.events.transport });

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  deps.log.info("shutting down: draining requests", { signal });
  // stop accepting, let in-flight requests finish, then deliver what they wrote to the outbox
  await app.server?.stop(false);
  await deps.relay?.stop();
  await deps.relay?.flush(5_000).catch((error: unknown) => deps.log.warn("outbox flush incomplete", { error }));
  await deps.database.close();
  deps.log.info("stopped");
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
