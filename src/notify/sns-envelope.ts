/**
 * The HTTP(S) bodies and headers SNS posts to http/https subscribers, built
 * the way SNS builds them so that receivers written for SNS (and its
 * signature validators) work against Sluice unchanged:
 *
 * - `Notification`: Type, MessageId, TopicArn, Subject (only when set),
 *   Message, Timestamp, SignatureVersion, Signature, SigningCertURL,
 *   UnsubscribeURL, MessageAttributes (only when there are any,
 *   `{ Name: { Type, Value } }`).
 * - `SubscriptionConfirmation` and `UnsubscribeConfirmation`: Type, MessageId,
 *   Token, TopicArn, Message, SubscribeURL, Timestamp, SignatureVersion,
 *   Signature, SigningCertURL.
 *
 * The body is laid out as SNS lays it out (two-space indent, `"Key" : value`);
 * it parses to the same object with the same key order. Timestamps are ISO
 * 8601 in UTC with milliseconds (`2012-05-02T00:54:06.655Z`).
 *
 * Headers, as SNS: `x-amz-sns-message-type`, `x-amz-sns-message-id`,
 * `x-amz-sns-topic-arn`, `x-amz-sns-subscription-arn` (Notification and
 * UnsubscribeConfirmation; SNS leaves it off the SubscriptionConfirmation),
 * `Content-Type: text/plain; charset=UTF-8`. The User-Agent is
 * `Sluice Notification Agent (SNS-compatible)` rather than SNS's
 * `Amazon Simple Notification Service Agent`: Sluice does not pretend to be
 * Amazon. (SNS's validators do not look at the User-Agent; a receiver that
 * matches Amazon's exact string would need to accept this one too.)
 *
 * Signing is delegated to an `EnvelopeSigner` (`NotificationSigner` in
 * `signing.ts`); the optional HMAC header is described there.
 */
import { SluiceError } from '../core/index.js';
import { HMAC_SIGNATURE_HEADER, hmacSignatureHeader } from './signing.js';

export const SNS_MESSAGE_TYPES = ['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation'] as const;
export type SnsMessageType = (typeof SNS_MESSAGE_TYPES)[number];

/** "1" = SHA1withRSA, "2" = SHA256withRSA. Sluice defaults to "2". */
export type SignatureVersion = '1' | '2';
export const DEFAULT_SIGNATURE_VERSION: SignatureVersion = '2';

/** SNS's message attribute data types. `Binary` values are base64. */
export const MESSAGE_ATTRIBUTE_TYPES = ['String', 'String.Array', 'Number', 'Binary'] as const;
export type MessageAttributeType = (typeof MESSAGE_ATTRIBUTE_TYPES)[number];
export interface MessageAttribute {
  Type: MessageAttributeType;
  Value: string;
}

export const USER_AGENT = 'Sluice Notification Agent (SNS-compatible)';
export const CONTENT_TYPE = 'text/plain; charset=UTF-8';

export interface NotificationEnvelope {
  Type: 'Notification';
  MessageId: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: SignatureVersion;
  Signature: string;
  SigningCertURL: string;
  UnsubscribeURL: string;
  MessageAttributes?: Record<string, MessageAttribute>;
}

export interface ConfirmationEnvelope {
  Type: 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
  MessageId: string;
  Token: string;
  TopicArn: string;
  Message: string;
  SubscribeURL: string;
  Timestamp: string;
  SignatureVersion: SignatureVersion;
  Signature: string;
  SigningCertURL: string;
}

export type SnsEnvelope = NotificationEnvelope | ConfirmationEnvelope;

/** The fields a signature covers (a whole envelope also fits this type). */
export type SignableFields =
  | Pick<NotificationEnvelope, 'Type' | 'MessageId' | 'TopicArn' | 'Subject' | 'Message' | 'Timestamp'>
  | Pick<ConfirmationEnvelope, 'Type' | 'MessageId' | 'Token' | 'TopicArn' | 'Message' | 'SubscribeURL' | 'Timestamp'>;

export interface EnvelopeSigner {
  /** `SigningCertURL`: where receivers fetch the certificate. */
  readonly signingCertUrl: string;
  /** Base64 signature of the fields' canonical string. */
  sign(fields: SignableFields, version?: SignatureVersion): string;
}

export interface NotificationInput {
  messageId: string;
  topicArn: string;
  message: string;
  /** Left out of the envelope (and the signature) when undefined or empty. */
  subject?: string;
  /** Date or milliseconds since the epoch. */
  timestamp: Date | number;
  unsubscribeUrl: string;
  /** Left out of the envelope when undefined or empty. */
  messageAttributes?: Record<string, MessageAttribute>;
  signatureVersion?: SignatureVersion;
}

export interface SubscriptionConfirmationInput {
  messageId: string;
  topicArn: string;
  /** The confirmation token (SNS's `Token`, also inside `subscribeUrl`). */
  token: string;
  subscribeUrl: string;
  timestamp: Date | number;
  signatureVersion?: SignatureVersion;
}

export interface UnsubscribeConfirmationInput extends SubscriptionConfirmationInput {
  /** Named in the message text. `subscribeUrl` re-confirms the subscription, as SNS. */
  subscriptionArn: string;
}

/** SNS's text for a SubscriptionConfirmation (a real newline between the sentences). */
export function subscriptionConfirmationText(topicArn: string): string {
  return `You have chosen to subscribe to the topic ${topicArn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`;
}

/** SNS's text for an UnsubscribeConfirmation. */
export function unsubscribeConfirmationText(subscriptionArn: string): string {
  return `You have chosen to deactivate subscription ${subscriptionArn}.\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message.`;
}

export function buildNotification(input: NotificationInput, signer: EnvelopeSigner): NotificationEnvelope {
  const version = input.signatureVersion ?? DEFAULT_SIGNATURE_VERSION;
  const fields = {
    Type: 'Notification' as const,
    MessageId: input.messageId,
    TopicArn: input.topicArn,
    ...(input.subject ? { Subject: input.subject } : {}),
    Message: input.message,
    Timestamp: isoTimestamp(input.timestamp),
  };
  const attributes = checkAttributes(input.messageAttributes);
  return {
    ...fields,
    SignatureVersion: version,
    Signature: signer.sign(fields, version),
    SigningCertURL: signer.signingCertUrl,
    UnsubscribeURL: input.unsubscribeUrl,
    ...(attributes ? { MessageAttributes: attributes } : {}),
  };
}

export function buildSubscriptionConfirmation(input: SubscriptionConfirmationInput, signer: EnvelopeSigner): ConfirmationEnvelope {
  return confirmation('SubscriptionConfirmation', subscriptionConfirmationText(input.topicArn), input, signer);
}

export function buildUnsubscribeConfirmation(input: UnsubscribeConfirmationInput, signer: EnvelopeSigner): ConfirmationEnvelope {
  return confirmation('UnsubscribeConfirmation', unsubscribeConfirmationText(input.subscriptionArn), input, signer);
}

function confirmation(
  type: ConfirmationEnvelope['Type'],
  message: string,
  input: SubscriptionConfirmationInput,
  signer: EnvelopeSigner,
): ConfirmationEnvelope {
  const version = input.signatureVersion ?? DEFAULT_SIGNATURE_VERSION;
  const fields = {
    Type: type,
    MessageId: input.messageId,
    Token: input.token,
    TopicArn: input.topicArn,
    Message: message,
    SubscribeURL: input.subscribeUrl,
    Timestamp: isoTimestamp(input.timestamp),
  };
  return { ...fields, SignatureVersion: version, Signature: signer.sign(fields, version), SigningCertURL: signer.signingCertUrl };
}

/**
 * The request body, laid out as SNS does:
 * `{\n  "Type" : "Notification",\n  ...\n}`, message attributes one per line.
 * Parses back to the envelope, keys in the same order.
 */
export function serializeEnvelope(envelope: SnsEnvelope): string {
  const lines = Object.entries(envelope)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `  ${JSON.stringify(key)} : ${key === 'MessageAttributes' ? attributesJson(value as Record<string, MessageAttribute>) : JSON.stringify(value)}`);
  return `{\n${lines.join(',\n')}\n}`;
}

function attributesJson(attributes: Record<string, MessageAttribute>): string {
  const lines = Object.entries(attributes).map(
    ([name, attribute]) => `    ${JSON.stringify(name)} : ${JSON.stringify({ Type: attribute.Type, Value: attribute.Value })}`,
  );
  return `{\n${lines.join(',\n')}\n  }`;
}

export interface EnvelopeHeaderOptions {
  /** Sent as `x-amz-sns-subscription-arn` on Notification and UnsubscribeConfirmation. */
  subscriptionArn?: string;
}

/** The headers SNS sends with an envelope (Content-Length is the HTTP client's). */
export function envelopeHeaders(envelope: SnsEnvelope, options: EnvelopeHeaderOptions = {}): Record<string, string> {
  return {
    'x-amz-sns-message-type': envelope.Type,
    'x-amz-sns-message-id': envelope.MessageId,
    'x-amz-sns-topic-arn': envelope.TopicArn,
    ...(options.subscriptionArn !== undefined && envelope.Type !== 'SubscriptionConfirmation'
      ? { 'x-amz-sns-subscription-arn': options.subscriptionArn }
      : {}),
    'Content-Type': CONTENT_TYPE,
    'User-Agent': USER_AGENT,
  };
}

export interface HttpRequestOptions extends EnvelopeHeaderOptions {
  /** The subscription's HMAC secret: adds `X-Sluice-Signature: sha256=<hex>` over the body's UTF-8 bytes. */
  hmacSecret?: string | Buffer;
}

export interface EnvelopeHttpRequest {
  /** Send exactly these bytes (`Buffer.from(body, 'utf8')`): the HMAC covers them. */
  body: string;
  headers: Record<string, string>;
}

/** Body and headers of the POST for one subscriber, serialized once so the HMAC covers exactly what is sent. */
export function envelopeHttpRequest(envelope: SnsEnvelope, options: HttpRequestOptions = {}): EnvelopeHttpRequest {
  const body = serializeEnvelope(envelope);
  const headers = envelopeHeaders(envelope, options);
  if (options.hmacSecret !== undefined) headers[HMAC_SIGNATURE_HEADER] = hmacSignatureHeader(options.hmacSecret, body);
  return { body, headers };
}

function isoTimestamp(value: Date | number): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', `invalid timestamp ${String(value)}`, { place: { field: 'Timestamp' } });
  return date.toISOString();
}

function checkAttributes(attributes: Record<string, MessageAttribute> | undefined): Record<string, MessageAttribute> | undefined {
  if (!attributes || Object.keys(attributes).length === 0) return undefined;
  const result: Record<string, MessageAttribute> = {};
  for (const [name, attribute] of Object.entries(attributes)) {
    if (!(MESSAGE_ATTRIBUTE_TYPES as readonly string[]).includes(attribute.Type) || typeof attribute.Value !== 'string') {
      throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', `message attribute ${JSON.stringify(name)}: Type must be one of ${MESSAGE_ATTRIBUTE_TYPES.join(', ')} and Value a string`, {
        place: { field: `MessageAttributes.${name}` },
      });
    }
    result[name] = { Type: attribute.Type, Value: attribute.Value };
  }
  return result;
}
