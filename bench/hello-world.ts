// The ceiling: the cheapest JSON response Bun.serve can give, in its own process so it doesn't share the load generator's event loop.
const port = Number(process.argv[2] ?? 0);
const body = JSON.stringify({ status: "ok" });
const server = Bun.serve({
  hostname: "127.0.0.1",
  port,
  fetch: () => new Response(body, { headers: { "content-type": "application/json" } }),
});
console.log(`listening ${server.port}`);
