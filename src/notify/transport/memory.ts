import { newId, systemClock, type Clock } from '../../core/index.js';
import { closedError, monotonicClock, toEntry } from './entry.js';
import type { MailboxEntry, MailMessage, ReadableMailTransport } from './port.js';

export interface MemoryTransport extends ReadableMailTransport {
  /** Every accepted mail, oldest first; handy for synchronous assertions in tests. */
  readonly sent: readonly MailboxEntry[];
}

/** Keeps mails in memory; needs no network or disk. For unit tests. */
export function createMemoryTransport(options: { clock?: Clock } = {}): MemoryTransport {
  const clock = options.clock ?? systemClock;
  const tick = monotonicClock(() => clock.now());
  const sent: MailboxEntry[] = [];
  let closed = false;
  return {
    sent,
    async send(mail: MailMessage) {
      if (closed) throw closedError(mail.to);
      const id = newId();
      sent.push(toEntry(id, mail, new Date(tick()).toISOString()));
      return { messageId: id };
    },
    async list() {
      return sent.map((entry) => structuredClone(entry));
    },
    async get(id: string) {
      const entry = sent.find((e) => e.id === id);
      return entry ? structuredClone(entry) : undefined;
    },
    async close() {
      closed = true;
    },
  };
}
