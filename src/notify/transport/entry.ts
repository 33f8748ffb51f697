import { SluiceError } from '../../core/index.js';
import type { MailboxEntry, MailMessage } from './port.js';

/** The stored form of a mail; copies the headers so later edits by the caller do not leak in. */
export function toEntry(id: string, mail: MailMessage, date: string): MailboxEntry {
  return {
    id,
    from: mail.from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    ...(mail.html !== undefined ? { html: mail.html } : {}),
    headers: { ...(mail.headers ?? {}) },
    date,
  };
}

export function closedError(to: string): SluiceError {
  return new SluiceError('SLUICE_ERR_MAIL_SEND', `mail to ${to} could not be sent: the transport is closed`);
}

/**
 * Millisecond timestamps that never go backwards or repeat within one
 * transport, so "newest last" holds even for mails sent in the same millisecond.
 */
export function monotonicClock(now: () => number): () => number {
  let last = -Infinity;
  return () => {
    last = Math.max(now(), last + 1);
    return last;
  };
}
