import type { Protocol, Subscription, Topic } from '../types.js';

export interface ConfirmationRequest {
  topic: Topic;
  subscription: Subscription;
  /** `<publicUrl>/notify/confirm/<token>`. */
  confirmUrl: string;
  /** When the link stops working, milliseconds since the epoch. */
  expiresAt: number;
}

export interface Notification {
  topic: Topic;
  subscription: Subscription;
  messageId: string;
  message: string;
  /** As published; each protocol picks its own default when absent. */
  subject?: string;
  /** `<publicUrl>/notify/unsubscribe/<token>`. */
  unsubscribeUrl: string;
}

/**
 * One driver per protocol (one file each in this folder), so adding
 * email-json, http/https, function or mqtt means adding a file and a line in
 * the service's driver table, not touching the publish path.
 */
export interface ProtocolDriver {
  readonly protocol: Protocol;
  /** SNS: email and http(s) endpoints must confirm before they receive anything; Lambda ones need not. */
  readonly requiresConfirmation: boolean;
  /** The endpoint in the form it is stored and compared in; throws SLUICE_ERR_SUBSCRIPTION_INVALID naming it. */
  normalizeEndpoint(endpoint: string): string;
  sendConfirmation(request: ConfirmationRequest): Promise<void>;
  /** Rejects when the delivery failed; the service records and logs it. */
  deliver(notification: Notification): Promise<void>;
}
