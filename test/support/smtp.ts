import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  /** The RFC 5322 Message-ID, as a receiver would use it to show a mail once. */
  messageId: string;
  headers: Map<string, unknown>;
}

/** A real SMTP server on a free port that parses what it receives, for end-to-end mail tests. */
export class MailCatcher {
  readonly messages: ReceivedMail[] = [];
  readonly #server: SMTPServer;
  readonly #waiters: Array<() => void> = [];
  port = 0;
  #listening = false;

  constructor() {
    this.#server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, session, callback) => {
        simpleParser(stream)
          .then((parsed) => {
            this.messages.push({
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              messageId: parsed.messageId ?? '',
              headers: parsed.headers,
            });
            for (const wake of this.#waiters.splice(0)) wake();
            callback();
          })
          .catch((error: Error) => callback(error));
      },
    });
  }

  /** Port 0 picks a free port; an outage test passes the old port to come back on it. */
  async start(port = 0): Promise<string> {
    // A client killed mid-session (the crash tests do that) resets its connection; that is not the catcher's failure.
    this.#server.on('error', () => undefined);
    this.#server.listen(port, '127.0.0.1');
    await once(this.#server.server, 'listening');
    this.#listening = true;
    this.port = (this.#server.server.address() as AddressInfo).port;
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** Resolves with the first message (from `fromIndex` on) that matches, waiting for new mail as it arrives. */
  async waitFor(match: (mail: ReceivedMail) => boolean, fromIndex = 0, timeoutMs = 20_000): Promise<ReceivedMail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(fromIndex).find(match);
      if (found) return found;
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new Error(`no matching mail within ${timeoutMs} ms; received: ${JSON.stringify(this.messages.map((m) => m.subject))}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async stop(): Promise<void> {
    if (!this.#listening) return;
    this.#listening = false;
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

export function findLink(text: string, pathPart: string): string {
  const match = new RegExp(`https?://\\S*${pathPart}[A-Za-z0-9_-]+`).exec(text);
  if (!match) throw new Error(`no ${pathPart} link in mail:\n${text}`);
  return match[0];
}
