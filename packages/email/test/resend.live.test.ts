// Sends one real mail through Resend only when RESEND_API_KEY and RESEND_TEST_TO are set (no network
// here); resend.test.ts covers the wire format locally. RESEND_TEST_FROM defaults to Resend's
// onboarding sender, which may only mail the account owner's own address.
import { describe, expect, test } from "bun:test";
import { EmailSendError, ResendEmailSender } from "../src/resend.ts";

const apiKey = process.env.RESEND_API_KEY;
const to = process.env.RESEND_TEST_TO;
const from = process.env.RESEND_TEST_FROM ?? "Bazaar live test <onboarding@resend.dev>";

describe.skipIf(!apiKey || !to)("Resend (live)", () => {
  const sender = () => new ResendEmailSender({ apiKey: apiKey ?? "", from });

  test("delivers one mail and replays the same id for the same idempotency key", async () => {
    const message = {
      to: to ?? "",
      subject: "Bazaar live test",
      text: "Sent by packages/email/test/resend.live.test.ts.",
      html: "<p>Sent by <code>packages/email/test/resend.live.test.ts</code>.</p>",
      tag: "live_test",
      idempotencyKey: `live-test-${crypto.randomUUID()}`,
    };
    const first = await sender().send(message);
    const replay = await sender().send(message);

    expect(first.id).toBeString();
    expect(replay.id).toBe(first.id);
  }, 30_000);

  test("an invalid recipient comes back as a permanent EmailSendError", async () => {
    const error = await sender()
      .send({ to: "not an address", subject: "x", text: "x" })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(EmailSendError);
    expect((error as EmailSendError).retryable).toBe(false);
  }, 30_000);
});
