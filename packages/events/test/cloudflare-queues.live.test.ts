// Publishes to a real Cloudflare Queue only when CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_QUEUE_ID and
// CLOUDFLARE_API_TOKEN are set (no network here); transports.test.ts covers the wire format locally.
import { describe, expect, test } from "bun:test";
import { createIdGenerator } from "@bazaar/contracts";
import { userRegistered } from "../src/catalogue.ts";
import { createEvent } from "../src/outbox.ts";
import { CloudflareQueuesTransport } from "../src/transports.ts";

const accountId = process.env.CLOUDFLARE_ACCOUNT_ID;
const queueId = process.env.CLOUDFLARE_QUEUE_ID;
const apiToken = process.env.CLOUDFLARE_API_TOKEN;

describe.skipIf(!accountId || !queueId || !apiToken)("Cloudflare Queues (live)", () => {
  test("accepts a batch of real envelopes through the HTTP publish API", async () => {
    const transport = new CloudflareQueuesTransport({ accountId: accountId ?? "", queueId: queueId ?? "", apiToken: apiToken ?? "" });
    const ids = createIdGenerator();
    const event = createEvent(userRegistered, { userId: ids("user"), email: "live-test@example.com", name: "Live test" }, { ids, now: Date.now() });
    expect(await transport.deliver([event])).toEqual(new Map());
  }, 30_000);
});
