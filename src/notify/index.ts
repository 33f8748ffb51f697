// The public surface of notify/: other capabilities import only from here.
export { NotificationService, DELIVERY_RECORD_RETENTION_MS, type NotificationServiceOptions } from './service.js';
export {
  PROTOCOLS, MESSAGE_ATTRIBUTE_DATA_TYPES,
  type Protocol, type Topic, type Subscription, type SubscriptionStatus, type SubscribeInput, type SubscribeOptions,
  type SubscriptionAttributesInput, type ConfirmOptions, type CreateTopicOptions, type FilterPolicyScope,
  type PublishInput, type PublishResult, type Delivery, type MessageAttributes, type PublishMessageAttributes, type MessageAttributeDataType,
  type DeliveryStatus, type DeliveryState, type MessageStatus,
} from './types.js';
export { validateSubscriptionInput, HTTP_PROTOCOLS, MIN_HMAC_SECRET_CHARS, MAX_HMAC_SECRET_CHARS } from './subscription-attributes.js';
export { MAX_MESSAGE_ATTRIBUTES, parseMessageAttributes } from './message-attributes.js';
export {
  AlertGate, alertHygieneConfigSchema, parseAlertHygieneConfig, formatDigest, HYGIENE_COLLECTION,
  type AlertHygieneConfig, type AlertHygienePolicy, type Digest, type HygieneTimers,
} from './hygiene.js';
export { FILTER_POLICY_SCOPES, parseFilterPolicy, type FilterPolicy } from './filter-policy.js';
export { NotificationSigner, SIGNING_CERT_PATH, HMAC_SIGNATURE_HEADER, verifyHmacSignature, type NotificationSignerOptions } from './signing.js';
export type { EnvelopeSigner, SignatureVersion } from './sns-envelope.js';
export type { NotificationFunctionInvoker, SnsLambdaEvent } from './protocols/function.js';
export type { NotificationMqttPublisher } from './protocols/mqtt.js';
export { HTTP_DELIVERY_TIMEOUT_MS } from './protocols/http.js';
export {
  DeliveryError, deliveryId, httpStatusOutcome, isRetryableDeliveryError,
  type NotificationOutbox, type OutboxEntryState, type QueuedDelivery, type QueuedDeliveryOutcome, type QueuedNotification, type DeliveryRetry,
} from './outbox.js';
export {
  BACKOFF_FUNCTIONS as DELIVERY_BACKOFF_FUNCTIONS, DEFAULT_DELIVERY_RETRY, MAX_DELIVERY_AGE_MS, SNS_DEFAULT_HEALTHY_RETRY_POLICY,
  deliveryRetryFor, parseDeliveryPolicy,
  type BackoffFunction as DeliveryBackoffFunction, type DeliveryPolicy, type HealthyRetryPolicy,
} from './outbox-policy.js';
export { renderConfirmedPage, renderUnsubscribedPage, renderTokenErrorPage, renderUnsubscribeProtectedPage } from './pages.js';
export type { MailMessage, MailTransport, MailboxEntry, ReadableMailTransport } from './transport/port.js';
export { createSmtpTransport, type SmtpTransportOptions } from './transport/smtp.js';
export { createMailboxTransport } from './transport/mailbox.js';
export { createMemoryTransport, type MemoryTransport } from './transport/memory.js';
export { CONFIRMATION_SUBJECT, DEFAULT_SUBJECT, FOOTER_SEPARATOR } from './protocols/email.js';
export { CONFIRM_TOKEN_TTL_MS } from './tokens.js';
export { COLLECTIONS as NOTIFY_COLLECTIONS } from './records.js';
