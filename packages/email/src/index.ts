export { DevMailbox } from "./dev-mailbox.ts";
export type { EmailMessage, EmailSender, SentEmail } from "./sender.ts";
