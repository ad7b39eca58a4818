// The embedded default on the real libSQL engine: a fresh migrated file for this test file.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestDatabase, type TestDatabase } from "@bazaar/db/testing";
import { DevMailbox } from "../src/dev-mailbox.ts";

const FROM = "Bazaar <no-reply@bazaar.localhost>";
const T0 = Date.parse("2026-11-25T06:00:00.000Z");

describe("DevMailbox", () => {
  let database: TestDatabase;
  let now = T0;
  let mailbox: DevMailbox;

  beforeAll(async () => {
    database = await createTestDatabase();
    mailbox = new DevMailbox(database, FROM, () => now);
  });
  afterAll(() => database.destroy());

  test("stores every field of a sent mail, with the configured sender and the injected clock", async () => {
    now = T0;
    const { id } = await mailbox.send({
      to: "ada@example.com",
      subject: "Confirm your email address",
      text: "Open the link",
      html: "<p>Open the link</p>",
      tag: "verify_email",
      idempotencyKey: "evt_1:ada@example.com:verify_email",
    });

    expect(id).toMatch(/^mail_/);
    expect(await mailbox.list({ to: "ada@example.com" })).toEqual([
      {
        id,
        to: "ada@example.com",
        from: FROM,
        subject: "Confirm your email address",
        text: "Open the link",
        html: "<p>Open the link</p>",
        tag: "verify_email",
        idempotencyKey: "evt_1:ada@example.com:verify_email",
        sentAt: T0,
      },
    ]);
  });

  test("the same idempotency key stores once and returns the first id, even with other content", async () => {
    now = T0 + 1000;
    const message = { to: "bob@example.com", subject: "Reset your password", text: "first", idempotencyKey: "evt_2:bob@example.com:reset_password" };
    const first = await mailbox.send(message);
    now = T0 + 2000;
    const again = await mailbox.send({ ...message, text: "second" });
    const concurrent = await Promise.all([mailbox.send(message), mailbox.send(message), mailbox.send(message)]);

    expect(again.id).toBe(first.id);
    expect(concurrent.map((sent) => sent.id)).toEqual([first.id, first.id, first.id]);
    const stored = await mailbox.list({ to: "bob@example.com" });
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ id: first.id, text: "first", sentAt: T0 + 1000 });
  });

  test("mails without a key are all stored", async () => {
    now = T0 + 3000;
    await mailbox.send({ to: "carol@example.com", subject: "One", text: "1" });
    await mailbox.send({ to: "carol@example.com", subject: "One", text: "1" });

    expect(await mailbox.list({ to: "carol@example.com" })).toHaveLength(2);
  });

  test("lists one recipient's mail newest first, bounded by limit", async () => {
    for (const [offset, subject] of [
      [10_000, "oldest"],
      [30_000, "newest"],
      [20_000, "middle"],
    ] as const) {
      now = T0 + offset;
      await mailbox.send({ to: "dave@example.com", subject, text: subject });
    }
    now = T0 + 40_000;
    await mailbox.send({ to: "someone-else@example.com", subject: "not dave's", text: "x" });

    expect((await mailbox.list({ to: "dave@example.com" })).map((mail) => mail.subject)).toEqual(["newest", "middle", "oldest"]);
    expect((await mailbox.list({ to: "dave@example.com", limit: 2 })).map((mail) => mail.subject)).toEqual(["newest", "middle"]);
    expect((await mailbox.list({ limit: 1 }))[0]?.subject).toBe("not dave's");
  });
});
