// The real Resend SDK against a local stand-in for api.resend.com that speaks its wire format:
// POST /emails, Bearer auth, snake_case JSON, Idempotency-Key, `{ statusCode, name, message }` errors.
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { EmailSendError, ResendEmailSender } from "../src/resend.ts";

const API_KEY = "re_test_0123456789abcdef";
const FROM = "Bazaar <no-reply@bazaar.example>";

interface Captured {
  method: string;
  path: string;
  headers: Headers;
  body: Record<string, unknown>;
}

function resendError(statusCode: number, name: string, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ statusCode, name, message }, { status: statusCode, headers });
}

describe("ResendEmailSender", () => {
  const captured: Captured[] = [];
  /** Answers given in place of the normal behaviour (outages, rate limits). */
  let override: (() => Response) | null = null;
  /** Resend keeps the first result per idempotency key and replays it; another payload under the key is a 409. */
  const idempotent = new Map<string, { body: string; id: string }>();
  /** ids of the emails the fake accepted for delivery (replays are not new emails) */
  const created: string[] = [];
  let serial = 0;

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const path = new URL(request.url).pathname;
      const text = await request.text();
      const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
      captured.push({ method: request.method, path, headers: request.headers, body });
      if (override) return override();
      if (request.method !== "POST" || path !== "/emails") return resendError(404, "not_found", "The requested endpoint does not exist.");
      const auth = request.headers.get("authorization");
      if (!auth) return resendError(401, "missing_api_key", "Missing API key in the authorization header.");
      if (auth !== `Bearer ${API_KEY}`) return resendError(403, "invalid_api_key", "API key is invalid");
      for (const field of ["from", "to", "subject"]) {
        if (!body[field]) return resendError(422, "missing_required_field", `Missing \`${field}\` field.`);
      }
      const to = Array.isArray(body.to) ? body.to : [body.to];
      if (!to.every((address) => typeof address === "string" && /^[^\s@<>]+@[^\s@<>]+$/.test(address))) {
        return resendError(
          422,
          "validation_error",
          "Invalid `to` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.",
        );
      }
      const key = request.headers.get("idempotency-key");
      const first = key ? idempotent.get(key) : undefined;
      if (first && first.body !== text) {
        return resendError(
          409,
          "invalid_idempotent_request",
          "Same idempotency key used with a different request payload. Change your idempotency key or payload.",
        );
      }
      if (first) return Response.json({ id: first.id });
      const id = `4ef9a417-02e9-4d39-ad75-${String(++serial).padStart(12, "0")}`;
      created.push(id);
      if (key) idempotent.set(key, { body: text, id });
      return Response.json({ id });
    },
  });
  const baseUrl = `http://127.0.0.1:${server.port}`;
  const sender = (options: { apiKey?: string; baseUrl?: string; timeoutMs?: number } = {}) =>
    new ResendEmailSender({ apiKey: API_KEY, from: FROM, baseUrl, ...options });

  const message = {
    to: "ada@example.com",
    subject: "Confirm your email address",
    text: "Open https://bazaar.example/verify?t=abc",
    html: '<p>Open <a href="https://bazaar.example/verify?t=abc">this link</a></p>',
    tag: "verify_email",
    idempotencyKey: "evt_01:ada@example.com:verify_email",
  };

  /** The send must fail with an EmailSendError; returns it for inspection. */
  async function failure(send: Promise<unknown>): Promise<EmailSendError> {
    const error = await send.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EmailSendError);
    return error as EmailSendError;
  }

  beforeEach(() => {
    captured.length = 0;
    created.length = 0;
    override = null;
  });
  afterAll(() => server.stop(true));

  test("sends one POST /emails with Bearer auth, the fields in Resend's JSON names and the idempotency key", async () => {
    const result = await sender().send(message);

    expect(result.id).toMatch(/^4ef9a417-/);
    expect(captured).toHaveLength(1);
    const [request] = captured;
    expect(request?.method).toBe("POST");
    expect(request?.path).toBe("/emails");
    expect(request?.headers.get("authorization")).toBe(`Bearer ${API_KEY}`);
    expect(request?.headers.get("content-type")).toBe("application/json");
    expect(request?.headers.get("idempotency-key")).toBe(message.idempotencyKey);
    expect(request?.body).toEqual({
      from: FROM,
      to: "ada@example.com",
      subject: message.subject,
      text: message.text,
      html: message.html,
      tags: [{ name: "category", value: "verify_email" }],
    });
  });

  test("a retried send with the same key returns the first id, and Resend sends once", async () => {
    const retry = { ...message, idempotencyKey: "evt_02:ada@example.com:verify_email" };
    const first = await sender().send(retry);
    const again = await sender().send(retry);

    expect(again.id).toBe(first.id);
    expect(created).toEqual([first.id]);
    expect(captured.map((c) => c.headers.get("idempotency-key"))).toEqual([retry.idempotencyKey, retry.idempotencyKey]);
  });

  test("without html, tag or key the request carries none of them", async () => {
    await sender().send({ to: "bob@example.com", subject: "Hi", text: "Plain" });

    expect(captured[0]?.headers.has("idempotency-key")).toBe(false);
    expect(captured[0]?.body).toEqual({ from: FROM, to: "bob@example.com", subject: "Hi", text: "Plain" });
  });

  test("a tag with characters Resend refuses is made safe instead of failing the mail", async () => {
    await sender().send({ ...message, tag: "order.placed v2", idempotencyKey: "evt_03" });

    expect(captured[0]?.body.tags).toEqual([{ name: "category", value: "order_placed_v2" }]);
  });

  test("a base URL with a trailing slash still reaches /emails", async () => {
    await sender({ baseUrl: `${baseUrl}/` }).send({ ...message, idempotencyKey: "evt_04" });

    expect(captured[0]?.path).toBe("/emails");
  });

  test("422 validation error is thrown as permanent, with Resend's name and message", async () => {
    const error = await failure(sender().send({ ...message, to: "not an address", idempotencyKey: "evt_05" }));

    expect(error.retryable).toBe(false);
    expect(error.status).toBe(422);
    expect(error.code).toBe("validation_error");
    expect(error.message).toContain("Invalid `to` field");
  });

  test("the same key with another payload (409 invalid_idempotent_request) is permanent", async () => {
    await sender().send({ ...message, idempotencyKey: "evt_06" });
    const error = await failure(sender().send({ ...message, subject: "Changed", idempotencyKey: "evt_06" }));

    expect(error).toMatchObject({ retryable: false, status: 409, code: "invalid_idempotent_request" });
  });

  test("a wrong API key (403) is permanent", async () => {
    const error = await failure(sender({ apiKey: "re_wrong" }).send({ ...message, idempotencyKey: "evt_07" }));

    expect(error).toMatchObject({ retryable: false, status: 403, code: "invalid_api_key" });
  });

  test("429 rate limit is retryable", async () => {
    override = () =>
      resendError(
        429,
        "rate_limit_exceeded",
        "Too many requests. You can only make 2 requests per second. See rate limit response headers for more information.",
        {
          "retry-after": "1",
        },
      );
    const error = await failure(sender().send(message));

    expect(error).toMatchObject({ retryable: true, status: 429, code: "rate_limit_exceeded" });
  });

  test("500 is retryable, as JSON error or as a bare page from a proxy", async () => {
    override = () => resendError(500, "internal_server_error", "An unexpected error occurred.");
    expect(await failure(sender().send(message))).toMatchObject({ retryable: true, status: 500, code: "internal_server_error" });

    override = () => new Response("<html>502 Bad Gateway</html>", { status: 502, headers: { "content-type": "text/html" } });
    expect(await failure(sender().send(message))).toMatchObject({ retryable: true, status: 502, code: "application_error" });
  });

  test("an unreachable API is retryable, with no status", async () => {
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
    const deadUrl = `http://127.0.0.1:${closed.port}`;
    await closed.stop(true);

    const error = await failure(sender({ baseUrl: deadUrl }).send(message));

    expect(error).toMatchObject({ retryable: true, status: null, code: "application_error" });
  });

  test("a send that hangs past the timeout fails as retryable instead of holding the handler", async () => {
    const hanging = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Promise<Response>(() => {}) });
    try {
      const started = performance.now();
      const error = await failure(sender({ baseUrl: `http://127.0.0.1:${hanging.port}`, timeoutMs: 100 }).send(message));

      expect(error).toMatchObject({ retryable: true, status: null });
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      await hanging.stop(true);
    }
  });
});
