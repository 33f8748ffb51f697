/**
 * The `email-json` protocol, as SNS sends it: the mail body is the JSON
 * envelope, laid out as the HTTP body is (`serializeEnvelope`), for programs
 * that read a mailbox. A notification is the signed `Notification` envelope
 * (Message, MessageAttributes, UnsubscribeURL, ...); the confirmation is the
 * signed `SubscriptionConfirmation` envelope, whose `SubscribeURL` is the
 * confirm link, so it is confirmed by following the link, as email is.
 * Plain text only. Subjects: a notification's is the published subject, else
 * the topic's display name, else `Sluice Notification`; the confirmation's is
 * email's.
 */
import { newId, systemClock, type Clock } from '../../core/index.js';
import { buildSubscriptionConfirmation, serializeEnvelope, type EnvelopeSigner, type SignatureVersion } from '../sns-envelope.js';
import type { MailMessage, MailTransport } from '../transport/port.js';
import { CONFIRMATION_SUBJECT, DEFAULT_SUBJECT, LIST_UNSUBSCRIBE_POST } from './email.js';
import { normalizeEmailAddress } from './email-address.js';
import { notificationEnvelope } from './envelope.js';
import { tokenOf, type ConfirmationRequest, type Notification, type ProtocolDriver } from './protocol.js';

export interface EmailJsonProtocolOptions {
  transport: MailTransport;
  from: string;
  signer: EnvelopeSigner;
  signatureVersion?: SignatureVersion;
  clock?: Clock;
}

export function createEmailJsonProtocol(options: EmailJsonProtocolOptions): ProtocolDriver {
  const { transport, from, signer, signatureVersion } = options;
  const clock = options.clock ?? systemClock;
  return {
    protocol: 'email-json',
    requiresConfirmation: true,
    normalizeEndpoint: normalizeEmailAddress,
    async sendConfirmation(request) {
      await transport.send(emailJsonConfirmationMail(from, request, signer, clock.now(), signatureVersion));
    },
    async deliver(notification) {
      await transport.send(emailJsonNotificationMail(from, { ...notification, timestamp: notification.timestamp ?? clock.now() }, signer, signatureVersion));
    },
  };
}

export function emailJsonConfirmationMail(from: string, request: ConfirmationRequest, signer: EnvelopeSigner, now: number, signatureVersion?: SignatureVersion): MailMessage {
  const envelope = buildSubscriptionConfirmation(
    {
      messageId: newId(), topicArn: request.topic.arn, token: tokenOf(request), subscribeUrl: request.confirmUrl, timestamp: now,
      ...(signatureVersion !== undefined ? { signatureVersion } : {}),
    },
    signer,
  );
  return {
    from,
    to: request.subscription.endpoint,
    subject: CONFIRMATION_SUBJECT,
    text: `${serializeEnvelope(envelope)}\n`,
    headers: { 'X-Sluice-Topic-Arn': request.topic.arn, 'X-Sluice-Subscription-Arn': request.subscription.arn },
  };
}

export function emailJsonNotificationMail(from: string, notification: Notification, signer: EnvelopeSigner, signatureVersion?: SignatureVersion): MailMessage {
  const { topic, subscription } = notification;
  const envelope = notificationEnvelope(notification, signer, signatureVersion);
  return {
    from,
    to: subscription.endpoint,
    subject: notification.subject ?? topic.displayName ?? DEFAULT_SUBJECT,
    text: `${serializeEnvelope(envelope)}\n`,
    messageId: `<${notification.messageId}.${subscription.id}@sluice.local>`,
    headers: {
      'List-Unsubscribe': `<${notification.unsubscribeUrl}>`,
      'List-Unsubscribe-Post': LIST_UNSUBSCRIBE_POST,
      'X-Sluice-Message-Id': notification.messageId,
      'X-Sluice-Topic-Arn': topic.arn,
      'X-Sluice-Subscription-Arn': subscription.arn,
    },
  };
}
