import { DevMailbox } from "@bazaar/email";
import { Type } from "@sinclair/typebox";
import { plugin } from "../http/plugin.ts";
import { problems } from "../http/problems.ts";
import type { Deps } from "./deps.ts";

const MailView = Type.Object({
  id: Type.String(),
  to: Type.String(),
  from: Type.String(),
  subject: Type.String(),
  text: Type.String(),
  html: Type.Union([Type.String(), Type.Null()]),
  tag: Type.Union([Type.String(), Type.Null()]),
  sentAt: Type.String({ format: "date-time" }),
});
const MailList = Type.Object(
  { messages: Type.Array(MailView) },
  {
    example: {
      messages: [
        {
          id: "mail_5b0c…",
          to: "ada@example.com",
          from: "Bazaar <no-reply@bazaar.localhost>",
          subject: "Confirm your email address",
          text: "Hi Ada, …",
          html: "<!doctype html>…",
          tag: "verify_email",
          sentAt: "2026-11-25T06:00:00.000Z",
        },
      ],
    },
  },
);

/**
 * The development mailbox, browsable: what "sending" mail stored, newest first. Mounted only in
 * development with the dev mailbox as the email sender — never in production.
 */
export function devMailboxRoutes(deps: Deps) {
  const mailbox = new DevMailbox(deps.database, "");
  return plugin("dev-mailbox").get(
    "/dev/mailbox",
    async ({ query }) => ({
      messages: (await mailbox.list({ ...(query.to ? { to: query.to.trim().toLowerCase() } : {}), limit: query.limit ?? 50 })).map((m) => ({
        id: m.id,
        to: m.to,
        from: m.from,
        subject: m.subject,
        text: m.text,
        html: m.html,
        tag: m.tag,
        sentAt: new Date(m.sentAt).toISOString(),
      })),
    }),
    {
      query: Type.Object({ to: Type.Optional(Type.String({ maxLength: 254 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) }),
      response: { 200: MailList, ...problems(422) },
      detail: { operationId: "devListMailbox", tags: ["development"], summary: "Mail the development mailbox holds (development only)" },
    },
  );
}

/**
 * It holds password-reset links, so it needs more than BAZAAR_ENV=development (the default, easy to
 * forget in production): a core on a loopback address with a local database file.
 */
export function devMailboxEnabled(deps: Deps): boolean {
  const { env, email, host, databaseUrl } = deps.config;
  const loopback = host === "127.0.0.1" || host === "::1" || host === "localhost";
  return env === "development" && email.provider === "dev" && loopback && databaseUrl.startsWith("file:");
}
