import { buildNotification, type EnvelopeSigner, type MessageAttribute, type NotificationEnvelope, type SignatureVersion } from '../sns-envelope.js';
import type { Notification } from './protocol.js';

/** The signed SNS `Notification` envelope of one notification (http/https, email-json, function). */
export function notificationEnvelope(notification: Notification, signer: EnvelopeSigner, signatureVersion?: SignatureVersion): NotificationEnvelope {
  return buildNotification(
    {
      messageId: notification.messageId,
      topicArn: notification.topic.arn,
      message: notification.message,
      ...(notification.subject !== undefined ? { subject: notification.subject } : {}),
      timestamp: notification.timestamp ?? Date.now(),
      unsubscribeUrl: notification.unsubscribeUrl,
      // Validated at publish: the types are SNS's four.
      ...(notification.messageAttributes !== undefined ? { messageAttributes: notification.messageAttributes as Record<string, MessageAttribute> } : {}),
      ...(signatureVersion !== undefined ? { signatureVersion } : {}),
    },
    signer,
  );
}
