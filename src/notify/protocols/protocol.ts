import type { MessageAttributes, Protocol, Subscription, Topic } from '../types.js';

export interface ConfirmationRequest {
  topic: Topic;
  subscription: Subscription;
  /** `<publicUrl>/notify/confirm/<token>`. */
  confirmUrl: string;
  /** The token in `confirmUrl` (SNS's `Token`); drivers that need it read it from the URL when absent. */
  token?: string;
  /** When the link stops working, milliseconds since the epoch. */
  expiresAt: number;
  /** http/https: the subscription's HMAC secret, for `X-Sluice-Signature`. */
  hmacSecret?: string;
}

/** SNS's UnsubscribeConfirmation: sent (best effort) once an http/https subscription was removed. */
export interface UnsubscribeConfirmationRequest {
  topic: Topic;
  /** As it was before it was removed. */
  subscription: Subscription;
  /** SNS's `SubscribeURL`: `<publicUrl>/notify/confirm/<token>`, which restores the subscription (for 3 days). */
  subscribeUrl: string;
  token: string;
  hmacSecret?: string;
}

export interface Notification {
  topic: Topic;
  subscription: Subscription;
  messageId: string;
  /** The message for this subscription's protocol (with MessageStructure json: its own key, else `default`). */
  message: string;
  /** As published; each protocol picks its own default when absent. */
  subject?: string;
  /** `<publicUrl>/notify/unsubscribe/<token>`. */
  unsubscribeUrl: string;
  /** When it was published, ms since the epoch (SNS's `Timestamp`); now when absent. */
  timestamp?: number;
  /** SNS message attributes, `{ Name: { Type, Value } }`, for the protocols that carry them. */
  messageAttributes?: MessageAttributes;
  /** http/https: the subscription's HMAC secret, for `X-Sluice-Signature`. */
  hmacSecret?: string;
}

/**
 * One driver per protocol (one file each in this folder), so adding a
 * protocol means adding a file and a line in the service's driver table, not
 * touching the publish path.
 */
export interface ProtocolDriver {
  readonly protocol: Protocol;
  /** SNS: email and http(s) endpoints must confirm before they receive anything; Lambda ones need not. */
  readonly requiresConfirmation: boolean;
  /** The endpoint in the form it is stored and compared in; throws SLUICE_ERR_SUBSCRIPTION_INVALID naming it. */
  normalizeEndpoint(endpoint: string): string;
  sendConfirmation(request: ConfirmationRequest): Promise<void>;
  /**
   * Rejects when the delivery failed; the service records and logs it. A
   * `DeliveryError` (outbox.ts) says whether retrying can help; other errors
   * are classified by `isRetryableDeliveryError`.
   */
  deliver(notification: Notification): Promise<void>;
  /** http/https: SNS's UnsubscribeConfirmation, after the subscription was removed. */
  sendUnsubscribeConfirmation?(request: UnsubscribeConfirmationRequest): Promise<void>;
}

/** The token at the end of a `/notify/confirm/<token>` link. */
export function tokenOf(request: Pick<ConfirmationRequest, 'token' | 'confirmUrl'>): string {
  return request.token ?? request.confirmUrl.slice(request.confirmUrl.lastIndexOf('/') + 1);
}
