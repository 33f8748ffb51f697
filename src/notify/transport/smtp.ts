import { readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { SluiceError, errorMessage, type Logger, type SmtpSettings } from '../../core/index.js';
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
 * Sends through an SMTP server with nodemailer. `smtp` is the resolved
 * `--smtp*` settings, or just a URL: `smtp://host:port` (STARTTLS when the
 * server offers it) or `smtps://user:pass@host:465` (TLS from the start);
 * query parameters are nodemailer's (`?pool=true`, ...). The settings add
 * the STARTTLS policy (`requireTLS`/`ignoreTLS`), a CA file to trust and
 * XOAUTH2. Timeouts are shorter than nodemailer's so a dead relay fails a
 * delivery in seconds instead of holding it for minutes.
 */
export function createSmtpTransport(smtp: string | SmtpSettings, logger: Logger, options: SmtpTransportOptions = {}): MailTransport {
  const settings: SmtpSettings = typeof smtp === 'string' ? { url: smtp, starttls: 'opportunistic' } : smtp;
  const host = describeSmtpUrl(settings.url);
  const transporter = nodemailer.createTransport(nodemailerOptions(settings, options));
  // Nodemailer re-emits transport errors on the transporter; unheard, an 'error' event would end the process.
  transporter.on('error', (error) => logger.warn({ smtp: host, err: errorMessage(error) }, 'SMTP transport error'));
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

/** Nodemailer's options for `settings`; nodemailer merges `tls` and `auth` key by key with what the URL says. */
export function nodemailerOptions(settings: SmtpSettings, options: SmtpTransportOptions = {}): SMTPTransport.Options {
  const { oauth2 } = settings;
  return {
    url: settings.url,
    connectionTimeout: options.connectionTimeoutMs ?? 10_000,
    greetingTimeout: options.greetingTimeoutMs ?? 10_000,
    socketTimeout: options.socketTimeoutMs ?? 60_000,
    ...(settings.starttls === 'required' ? { requireTLS: true } : {}),
    ...(settings.starttls === 'off' ? { ignoreTLS: true } : {}),
    ...(settings.caFile !== undefined ? { tls: { ca: readCaFile(settings.caFile) } } : {}),
    ...(oauth2
      ? {
          auth: {
            type: 'OAuth2' as const,
            user: oauth2.user,
            ...(oauth2.accessToken !== undefined ? { accessToken: oauth2.accessToken } : {}),
            ...(oauth2.clientId !== undefined ? { clientId: oauth2.clientId } : {}),
            ...(oauth2.clientSecret !== undefined ? { clientSecret: oauth2.clientSecret } : {}),
            ...(oauth2.refreshToken !== undefined ? { refreshToken: oauth2.refreshToken } : {}),
            ...(oauth2.tokenUrl !== undefined ? { accessUrl: oauth2.tokenUrl } : {}),
          },
        }
      : {}),
  };
}

/** Read once, at start-up, so a wrong path stops the server with a clear message instead of failing every delivery. */
function readCaFile(path: string): string {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `--smtp-ca ${path}: cannot read it: ${errorMessage(error)}`, { place: { field: 'smtpCa' }, cause: error });
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `--smtp-ca ${path}: expected PEM certificates ("-----BEGIN CERTIFICATE-----")`, { place: { field: 'smtpCa' } });
  }
  return pem;
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
