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
 * The `email` protocol: plain-text mails as SNS sends them. The body is the
 * published message exactly, then `FOOTER_SEPARATOR` and the unsubscribe link.
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
  const html = [
    `<p>You have chosen to subscribe to the topic:<br><b>${escapeHtml(topicLine)}</b></p>`,
    `<p>To confirm this subscription, click or visit the link below (if this was in error no action is necessary):<br>`,
    `<a href="${escapeHtml(confirmUrl)}">Confirm subscription</a></p>`,
    `<p>The link works until ${escapeHtml(expires)}.</p>`,
    '<p>Please do not reply directly to this email.</p>',
  ].join('\n');
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
  const footer = [
    'If you wish to stop receiving notifications from this topic, please click or visit the link below to unsubscribe:',
    unsubscribeUrl,
    '',
    'Please do not reply directly to this email.',
    '',
  ].join('\n');
  return {
    from,
    to: subscription.endpoint,
    subject: notification.subject ?? topic.displayName ?? DEFAULT_SUBJECT,
    text: `${message}${FOOTER_SEPARATOR}${footer}`,
    messageId: `<${notification.messageId}.${subscription.id}@sluice.local>`,
    headers: {
      // RFC 2369: mail clients show their own "unsubscribe" button for this.
      'List-Unsubscribe': `<${unsubscribeUrl}>`,
      'X-Sluice-Message-Id': notification.messageId,
      'X-Sluice-Topic-Arn': topic.arn,
      'X-Sluice-Subscription-Arn': subscription.arn,
    },
  };
}
