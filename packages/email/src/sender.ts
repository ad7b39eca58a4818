export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** what kind of mail this is ("verify-email"), for filtering and provider tags */
  tag?: string;
  /**
   * The same key sends at most once, so a retried event handler cannot mail twice.
   * Build it from event id + recipient + template.
   */
  idempotencyKey?: string;
}

export interface SentEmail {
  id: string;
}

/** One interface, two implementations: the development mailbox (default) and Resend (production). */
export interface EmailSender {
  readonly name: string;
  send(message: EmailMessage): Promise<SentEmail>;
}
