export { DevMailbox, type StoredEmail } from "./dev-mailbox.ts";
export { EmailSendError, ResendEmailSender, type ResendOptions } from "./resend.ts";
export type { EmailMessage, EmailSender, SentEmail } from "./sender.ts";
