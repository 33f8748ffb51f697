/**
 * The mail transport port. Every driver (SMTP, the dev mailbox, in-memory) has
 * this one small shape, as nodemailer's transports do, so the notification
 * service never knows where a mail goes.
 */
export interface MailMessage {
  /** RFC 5322 address, display name allowed: `Sluice <no-reply@sluice.local>`. */
  from: string;
  /** One bare address; one mail per subscriber, never a recipient list. */
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** Extra header fields, e.g. `List-Unsubscribe`. */
  headers?: Record<string, string>;
  /**
   * RFC 5322 Message-ID, `<id@domain>`. A notification's is derived from its
   * message and subscription, so a mail handed over again after a crash is the
   * same message to the receiver, which shows it once. Made up when absent.
   */
  messageId?: string;
}

export interface MailTransport {
  /** Resolves once the mail is accepted (by the SMTP server, or written). Rejects with SLUICE_ERR_MAIL_SEND. */
  send(mail: MailMessage): Promise<{ messageId: string }>;
  /** Idempotent; a send after close rejects. */
  close(): Promise<void>;
}

/** A mail as a readable transport (mailbox, in-memory) keeps it. */
export interface MailboxEntry {
  id: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html?: string;
  headers: Record<string, string>;
  /** ISO 8601 time the mail was accepted. */
  date: string;
}

/** Transports whose mails can be read back: the dev mailbox and the in-memory driver. */
export interface ReadableMailTransport extends MailTransport {
  /** Oldest first, newest last. */
  list(): Promise<MailboxEntry[]>;
  get(id: string): Promise<MailboxEntry | undefined>;
}
