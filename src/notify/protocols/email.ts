import type { MailMessage, MailTransport } from '../transport/port.js';
import { escapeHtml } from '../html.js';
import { normalizeEmailAddress } from './email-address.js';
import type { ConfirmationRequest, Notification, ProtocolDriver } from './protocol.js';

export const CONFIRMATION_SUBJECT = 'Sluice Notification - Subscription Confirmation';
/** SNS's rule: the topic's display name, else a fixed product name. */
export const DEFAULT_SUBJECT = 'Sluice Notification';
/** Separates the published message from the footer; a reader (or test) can split on it. */
export const FOOTER_SEPARATOR = '\n\n--\n';

export interface EmailProtocolOptions {
  transport: MailTransport;
  /** The sender, e.g. `Sluice <no-reply@sluice.local>`. */
  from: string;
}

/**
 * The `email` protocol, as SNS sends it: the text part is the published
 * message exactly, then `FOOTER_SEPARATOR` and the unsubscribe link. Sluice
 * adds an HTML part (the message escaped, line breaks kept, the same footer)
 * and RFC 8058 one-click unsubscribe headers.
 */
export function createEmailProtocol(options: EmailProtocolOptions): ProtocolDriver {
  const { transport, from } = options;
  return {
    protocol: 'email',
    requiresConfirmation: true,
    normalizeEndpoint: normalizeEmailAddress,
    async sendConfirmation(request) {
      await transport.send(confirmationMail(from, request));
    },
    async deliver(notification) {
      await transport.send(notificationMail(from, notification));
    },
  };
}

export function confirmationMail(from: string, request: ConfirmationRequest): MailMessage {
  const { topic, subscription, confirmUrl } = request;
  const expires = new Date(request.expiresAt).toISOString();
  const topicLine = topic.displayName ? `${topic.displayName} (${topic.arn})` : topic.arn;
  const text = [
    'You have chosen to subscribe to the topic:',
    topicLine,
    '',
    'To confirm this subscription, click or visit the link below (if this was in error no action is necessary):',
    confirmUrl,
    '',
    `The link works until ${expires}.`,
    '',
    'Please do not reply directly to this email.',
    '',
  ].join('\n');
  const html = htmlDocument(CONFIRMATION_SUBJECT, [
    `<p>You have chosen to subscribe to the topic:<br><b>${escapeHtml(topicLine)}</b></p>`,
    '<p>To confirm this subscription, click or visit the link below (if this was in error no action is necessary):<br>',
    `<a href="${escapeHtml(confirmUrl)}">Confirm subscription</a></p>`,
    `<p>The link works until ${escapeHtml(expires)}.</p>`,
    '<p>Please do not reply directly to this email.</p>',
  ]);
  return {
    from,
    to: subscription.endpoint,
    subject: CONFIRMATION_SUBJECT,
    text,
    html,
    headers: { 'X-Sluice-Topic-Arn': topic.arn, 'X-Sluice-Subscription-Arn': subscription.arn },
  };
}

export function notificationMail(from: string, notification: Notification): MailMessage {
  const { topic, subscription, message, unsubscribeUrl } = notification;
  const subject = notification.subject ?? topic.displayName ?? DEFAULT_SUBJECT;
  const footer = [
    'If you wish to stop receiving notifications from this topic, please click or visit the link below to unsubscribe:',
    unsubscribeUrl,
    '',
    'Please do not reply directly to this email.',
    '',
  ].join('\n');
  const html = htmlDocument(subject, [
    `<div>${htmlLines(message)}</div>`,
    // The footer is set apart and smaller, like the text part's "--" signature separator.
    '<hr style="border:0;border-top:1px solid #ccc;margin:1.5em 0 0.5em">',
    '<p style="font-size:smaller;color:#555">',
    'If you wish to stop receiving notifications from this topic, please click or visit the link below to unsubscribe:<br>',
    `<a href="${escapeHtml(unsubscribeUrl)}">${escapeHtml(unsubscribeUrl)}</a><br><br>`,
    'Please do not reply directly to this email.',
    '</p>',
  ]);
  return {
    from,
    to: subscription.endpoint,
    subject,
    text: `${message}${FOOTER_SEPARATOR}${footer}`,
    html,
    messageId: `<${notification.messageId}.${subscription.id}@sluice.local>`,
    headers: {
      // RFC 2369: mail clients show their own "unsubscribe" button for this. With RFC 8058's
      // List-Unsubscribe-Post they POST "List-Unsubscribe=One-Click" to the URL instead of opening
      // it, which unsubscribes without a page (POST /notify/unsubscribe/:token).
      'List-Unsubscribe': `<${unsubscribeUrl}>`,
      'List-Unsubscribe-Post': LIST_UNSUBSCRIBE_POST,
      'X-Sluice-Message-Id': notification.messageId,
      'X-Sluice-Topic-Arn': topic.arn,
      'X-Sluice-Subscription-Arn': subscription.arn,
    },
  };
}

/** RFC 8058's one value of `List-Unsubscribe-Post`, and the body a mail client POSTs. */
export const LIST_UNSUBSCRIBE_POST = 'List-Unsubscribe=One-Click';

/**
 * Text as HTML: escaped, each line break a `<br>` (not CSS `white-space`, which
 * some mail clients ignore), runs of spaces kept (they may align columns).
 */
export function htmlLines(text: string): string {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => escapeHtml(line).replace(/ {2,}/g, (run) => ` ${'&nbsp;'.repeat(run.length - 1)}`))
    .join('<br>\n');
}

/** A complete, self-contained HTML document: no scripts, no images, nothing loaded from elsewhere. */
function htmlDocument(title: string, body: string[]): string {
  return [
    '<!doctype html>',
    '<html>',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    '</head>',
    '<body style="font-family:sans-serif;line-height:1.4">',
    ...body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
