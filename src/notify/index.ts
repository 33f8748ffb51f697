// The public surface of notify/: other capabilities import only from here.
export { NotificationService, type NotificationServiceOptions } from './service.js';
export {
  PROTOCOLS,
  type Protocol, type Topic, type Subscription, type SubscriptionStatus, type SubscribeInput,
  type PublishInput, type PublishResult, type Delivery,
} from './types.js';
export { renderConfirmedPage, renderUnsubscribedPage, renderTokenErrorPage } from './pages.js';
export type { MailMessage, MailTransport, MailboxEntry, ReadableMailTransport } from './transport/port.js';
export { createSmtpTransport, type SmtpTransportOptions } from './transport/smtp.js';
export { createMailboxTransport } from './transport/mailbox.js';
export { createMemoryTransport, type MemoryTransport } from './transport/memory.js';
export { CONFIRMATION_SUBJECT, DEFAULT_SUBJECT, FOOTER_SEPARATOR } from './protocols/email.js';
export { CONFIRM_TOKEN_TTL_MS } from './tokens.js';
export { COLLECTIONS as NOTIFY_COLLECTIONS } from './records.js';
