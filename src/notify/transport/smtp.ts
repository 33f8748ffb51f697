import nodemailer from 'nodemailer';
import { SluiceError, errorMessage, type Logger } from '../../core/index.js';
import type { MailMessage, MailTransport } from './port.js';

export interface SmtpTransportOptions {
  /** Time to open the TCP connection, in milliseconds (nodemailer's default is 2 minutes). */
  connectionTimeoutMs?: number;
  /** Time to wait for the server's greeting, in milliseconds. */
  greetingTimeoutMs?: number;
  /** Idle time allowed on an open socket, in milliseconds (nodemailer's default is 10 minutes). */
  socketTimeoutMs?: number;
}

/**
 * Sends through an SMTP server with nodemailer. `url` is `smtp://host:port`
 * (STARTTLS when the server offers it) or `smtps://user:pass@host:465`
 * (TLS from the start); query parameters are nodemailer's (`?pool=true`, ...).
 * Timeouts are shorter than nodemailer's so a dead relay fails a delivery in
 * seconds instead of holding it for minutes.
 */
export function createSmtpTransport(url: string, logger: Logger, options: SmtpTransportOptions = {}): MailTransport {
  const host = describeSmtpUrl(url);
  const transporter = nodemailer.createTransport({
    url,
    connectionTimeout: options.connectionTimeoutMs ?? 10_000,
    greetingTimeout: options.greetingTimeoutMs ?? 10_000,
    socketTimeout: options.socketTimeoutMs ?? 60_000,
  });
  let closed = false;
  return {
    async send(mail: MailMessage) {
      if (closed) throw new SluiceError('SLUICE_ERR_MAIL_SEND', `mail to ${mail.to} could not be sent: the transport is closed`);
      try {
        const info = await transporter.sendMail({
          from: mail.from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          ...(mail.html !== undefined ? { html: mail.html } : {}),
          ...(mail.headers ? { headers: mail.headers } : {}),
          ...(mail.messageId !== undefined ? { messageId: mail.messageId } : {}),
        });
        logger.debug({ smtp: host, to: mail.to, messageId: info.messageId }, 'mail sent');
        return { messageId: info.messageId };
      } catch (error) {
        throw new SluiceError('SLUICE_ERR_MAIL_SEND', `mail to ${mail.to} could not be sent through ${host}: ${errorMessage(error)}`, { cause: error });
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      transporter.close();
    },
  };
}

/**
 * `host:port` of an SMTP URL, for logs and errors: the URL may carry a
 * password, so it is never logged whole. Rejects anything but smtp:/smtps:.
 */
export function describeSmtpUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', 'invalid SMTP URL: expected smtp://host:port or smtps://user:pass@host:465', { place: { field: 'smtp' } });
  }
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') {
    throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `invalid SMTP URL scheme ${JSON.stringify(parsed.protocol)}: expected smtp: or smtps:`, { place: { field: 'smtp' } });
  }
  const port = parsed.port || (parsed.protocol === 'smtps:' ? '465' : '587');
  return `${parsed.protocol}//${parsed.hostname}:${port}`;
}
