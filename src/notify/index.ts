// The public surface of notify/: other capabilities import only from here.
export { NotificationService, DELIVERY_RECORD_RETENTION_MS, type NotificationServiceOptions } from './service.js';
export {
  PROTOCOLS,
  type Protocol, type Topic, type Subscription, type SubscriptionStatus, type SubscribeInput,
  type PublishInput, type PublishResult, type Delivery, type MessageAttributes,
  type DeliveryStatus, type DeliveryState, type MessageStatus,
} from './types.js';
export {
  DeliveryError, deliveryId, httpStatusOutcome, isRetryableDeliveryError,
  type NotificationOutbox, type OutboxEntryState, type QueuedDelivery, type QueuedDeliveryOutcome, type QueuedNotification, type DeliveryRetry,
} from './outbox.js';
export {
  BACKOFF_FUNCTIONS as DELIVERY_BACKOFF_FUNCTIONS, DEFAULT_DELIVERY_RETRY, MAX_DELIVERY_AGE_MS, SNS_DEFAULT_HEALTHY_RETRY_POLICY,
  deliveryRetryFor, parseDeliveryPolicy,
  type BackoffFunction as DeliveryBackoffFunction, type DeliveryPolicy, type HealthyRetryPolicy,
} from './outbox-policy.js';
export { renderConfirmedPage, renderUnsubscribedPage, renderTokenErrorPage } from './pages.js';
export type { MailMessage, MailTransport, MailboxEntry, ReadableMailTransport } from './transport/port.js';
export { createSmtpTransport, type SmtpTransportOptions } from './transport/smtp.js';
export { createMailboxTransport } from './transport/mailbox.js';
export { createMemoryTransport, type MemoryTransport } from './transport/memory.js';
export { CONFIRMATION_SUBJECT, DEFAULT_SUBJECT, FOOTER_SEPARATOR } from './protocols/email.js';
export { CONFIRM_TOKEN_TTL_MS } from './tokens.js';
export { COLLECTIONS as NOTIFY_COLLECTIONS } from './records.js';
