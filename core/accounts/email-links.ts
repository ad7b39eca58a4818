import { type Database, type Db, type Queryable, type Statement, schema } from "@bazaar/db";
import type { EmailSender } from "@bazaar/email";
import { and, eq, gt, isNull } from "drizzle-orm";
import type { Secrets } from "../platform/secrets.ts";
import { sha256 } from "./tokens.ts";

export type LinkPurpose = "verify_email" | "reset_password";

const LINKS: Record<LinkPurpose, { prefix: string; ttlMs: number; path: string }> = {
  verify_email: { prefix: "ev", ttlMs: 48 * 3_600_000, path: "/account/verify-email" },
  reset_password: { prefix: "pr", ttlMs: 30 * 60_000, path: "/account/reset-password" },
};

export type LinkToken = typeof schema.accountToken.$inferSelect;

/**
 * The single-use links we email. A link's token is an HMAC of the id of the event that asked
 * for it, so the request stores only the token's hash (with the event, atomically) and the mail
 * handler recomputes the same token when it runs — even when it runs twice. The raw token is
 * never stored anywhere but in the email.
 */
export class EmailLinks {
  constructor(
    private readonly secrets: Secrets,
    private readonly email: EmailSender,
    private readonly publicUrl: string,
  ) {}

  token(purpose: LinkPurpose, eventId: string): string {
    return `${LINKS[purpose].prefix}_${this.secrets.hmac(`email-link:${purpose}`, eventId)}`;
  }

  url(purpose: LinkPurpose, eventId: string): string {
    return `${this.publicUrl}${LINKS[purpose].path}?token=${this.token(purpose, eventId)}`;
  }

  /** The stored half of a link, for the batch that writes the event with id `eventId`. */
  tokenRow(db: Db, purpose: LinkPurpose, eventId: string, owner: { userId: string; email: string }, now: number): Statement {
    return db.insert(schema.accountToken).values({
      tokenHash: sha256(this.token(purpose, eventId)),
      userId: owner.userId,
      purpose,
      email: owner.email,
      createdAt: now,
      expiresAt: now + LINKS[purpose].ttlMs,
    });
  }

  /** Whether the request that wrote event `eventId` stored a link of this purpose (none for a provider-verified sign-up). */
  async owed(database: Database, purpose: LinkPurpose, eventId: string): Promise<boolean> {
    const hash = sha256(this.token(purpose, eventId));
    const [row] = await database.db
      .select({ hash: schema.accountToken.tokenHash })
      .from(schema.accountToken)
      .where(eq(schema.accountToken.tokenHash, hash))
      .limit(1);
    return row !== undefined;
  }

  /** The live (unused, unexpired) token, without using it. */
  async peek(database: Database, purpose: LinkPurpose, token: string, now: number): Promise<LinkToken | undefined> {
    const [row] = await database.db
      .select()
      .from(schema.accountToken)
      .where(this.live(purpose, token, now))
      .limit(1);
    return row;
  }

  /** Uses the token up; exactly one of concurrent callers gets the row. */
  async consume(tx: Queryable, purpose: LinkPurpose, token: string, now: number): Promise<LinkToken | undefined> {
    const [row] = await tx
      .update(schema.accountToken)
      .set({ usedAt: now })
      .where(this.live(purpose, token, now))
      .returning();
    return row;
  }

  /** Kills every still-live link of this purpose for the user (after a reset, older reset mails are dead). */
  async burnAll(tx: Queryable, userId: string, purpose: LinkPurpose, now: number): Promise<void> {
    await tx
      .update(schema.accountToken)
      .set({ usedAt: now })
      .where(and(eq(schema.accountToken.userId, userId), eq(schema.accountToken.purpose, purpose), isNull(schema.accountToken.usedAt)));
  }

  /** Mails the link owed for event `eventId`; a second run for the same event sends nothing new. */
  async send(purpose: LinkPurpose, eventId: string, to: { email: string; name?: string }): Promise<void> {
    const url = this.url(purpose, eventId);
    const mail = purpose === "verify_email" ? verifyEmailMail(url, to.name) : resetPasswordMail(url);
    await this.email.send({ to: to.email, ...mail, tag: purpose, idempotencyKey: `${eventId}:${to.email}:${purpose}` });
  }

  private live(purpose: LinkPurpose, token: string, now: number) {
    return and(
      eq(schema.accountToken.tokenHash, sha256(token)),
      eq(schema.accountToken.purpose, purpose),
      isNull(schema.accountToken.usedAt),
      gt(schema.accountToken.expiresAt, now),
    );
  }
}

// The notifications service will own templates (localised, one layout); these two are accounts' own until then.
function verifyEmailMail(url: string, name?: string) {
  const hello = name ? `Hi ${name},` : "Hi,";
  return {
    subject: "Confirm your email address",
    text: `${hello}\n\nConfirm your email address for Bazaar by opening this link (valid for 48 hours):\n${url}\n\nIf you did not create an account, ignore this email.\n`,
    html: layout(
      `<p>${escapeHtml(hello)}</p><p>Confirm your email address for Bazaar (the link is valid for 48 hours):</p>${button(url, "Confirm email")}<p>If you did not create an account, ignore this email.</p>`,
    ),
  };
}

function resetPasswordMail(url: string) {
  return {
    subject: "Reset your Bazaar password",
    text: `Someone asked to reset the password of your Bazaar account.\n\nTo choose a new password, open this link (valid for 30 minutes, once):\n${url}\n\nIf it was not you, ignore this email: your password stays as it is.\n`,
    html: layout(
      `<p>Someone asked to reset the password of your Bazaar account.</p>${button(url, "Choose a new password")}<p>The link works once, for 30 minutes. If it was not you, ignore this email: your password stays as it is.</p>`,
    ),
  };
}

function layout(body: string): string {
  return `<!doctype html><html><body style="font-family:system-ui,sans-serif;max-width:32rem;margin:auto;padding:1rem">${body}<p style="color:#888;font-size:.8rem">Bazaar</p></body></html>`;
}

function button(url: string, label: string): string {
  return `<p><a href="${escapeHtml(url)}" style="background:#e4572e;color:#fff;padding:.6rem 1rem;border-radius:.3rem;text-decoration:none">${escapeHtml(label)}</a></p><p style="font-size:.8rem">${escapeHtml(url)}</p>`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
