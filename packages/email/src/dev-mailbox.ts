import { type Database, schema } from "@bazaar/db";
import { desc, eq } from "drizzle-orm";
import type { EmailMessage, EmailSender, SentEmail } from "./sender.ts";

export type StoredEmail = typeof schema.devMail.$inferSelect;

/** The embedded default: "sending" stores the message in the database, where developers and tests read it. */
export class DevMailbox implements EmailSender {
  readonly name = "dev-mailbox";

  constructor(
    private readonly database: Database,
    private readonly from: string,
    private readonly clock: () => number = Date.now,
  ) {}

  async send(message: EmailMessage): Promise<SentEmail> {
    const id = `mail_${crypto.randomUUID()}`;
    const [stored] = await this.database.write((db) =>
      db
        .insert(schema.devMail)
        .values({
          id,
          to: message.to,
          from: this.from,
          subject: message.subject,
          text: message.text,
          html: message.html ?? null,
          tag: message.tag ?? null,
          idempotencyKey: message.idempotencyKey ?? null,
          sentAt: this.clock(),
        })
        // a retried send with the same key keeps the first message, like Resend's idempotency
        .onConflictDoNothing({ target: schema.devMail.idempotencyKey })
        .returning({ id: schema.devMail.id }),
    );
    if (stored) return stored;
    const [first] = await this.database.db
      .select({ id: schema.devMail.id })
      .from(schema.devMail)
      .where(eq(schema.devMail.idempotencyKey, message.idempotencyKey ?? ""));
    return { id: first?.id ?? id };
  }

  /** Newest first; only one recipient's when `to` is given. */
  async list(options: { to?: string; limit?: number } = {}): Promise<StoredEmail[]> {
    const query = this.database.db.select().from(schema.devMail);
    const filtered = options.to ? query.where(eq(schema.devMail.to, options.to)) : query;
    return filtered.orderBy(desc(schema.devMail.sentAt), desc(schema.devMail.id)).limit(options.limit ?? 50);
  }
}
