import { expect, test } from "bun:test";
import { createServer } from "node:net";
import { freePort, startEdge } from "../../scripts/lib/start-edge.ts";

// The harness is shared by these tests, `bun run dev` and the benchmark: its failures must be quick and say why.
test("a port in use is refused before wrangler starts", async () => {
  const port = await freePort();
  const squatter = createServer().listen(port, "127.0.0.1");
  await new Promise((resolve) => squatter.once("listening", resolve));
  try {
    await expect(startEdge({ port, coreOrigin: "http://127.0.0.1:1" })).rejects.toThrow(`127.0.0.1:${port} is already in use`);
  } finally {
    squatter.close();
  }
});

test("a Worker that cannot start fails fast with its own error, not a timeout", async () => {
  const started = Date.now();
  const failure = startEdge({ coreOrigin: "http://127.0.0.1:1", vars: { EVENTS_SECRET: "too-short" }, timeoutMs: 30_000 });
  await expect(failure).rejects.toThrow(/answered \/edge\/health with 500[\s\S]*EVENTS_SECRET: must be set/);
  expect(Date.now() - started).toBeLessThan(15_000);
}, 30_000);
