// Owned by the email sender (packages/email): the development mailbox, where the embedded
// default "sends" mail so developers and tests can read it.
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const devMail = sqliteTable(
  "dev_mail",
  {
    id: text("id").primaryKey(),
    to: text("to").notNull(),
    from: text("from").notNull(),
    subject: text("subject").notNull(),
    text: text("text").notNull(),
    html: text("html"),
    /** the sender's dedupe key: a retried send with the same key stores nothing new */
    idempotencyKey: text("idempotency_key").unique(),
    tag: text("tag"),
    sentAt: integer("sent_at").notNull(),
  },
  (t) => [index("dev_mail_to_idx").on(t.to, t.sentAt)],
);
