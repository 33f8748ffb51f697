/**
 * The `function` protocol (SNS's `lambda`): each notification invokes a Sluice
 * function with the event SNS gives Lambda,
 *
 * ```json
 * { "Records": [{ "EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": "...",
 *   "Sns": { "Type": "Notification", "MessageId": "...", "TopicArn": "...", "Subject": null,
 *            "Message": "...", "Timestamp": "...", "SignatureVersion": "2", "Signature": "...",
 *            "SigningCertUrl": "...", "UnsubscribeUrl": "...", "MessageAttributes": {} } }] }
 * ```
 *
 * (`Subject` is null when the message has none, `MessageAttributes` `{}`
 * when it has none, as in Lambda's events.) No confirmation: SNS subscribes
 * Lambda functions at once. The invocation goes through the injected
 * `NotificationFunctionInvoker`; a function error or throttle rejects, and the
 * outbox retries it. The endpoint is a function name, or a Lambda-style ARN
 * (`arn:...:function:NAME`) reduced to the name. The function need not exist
 * yet (a stack subscribes before it deploys functions): until it does,
 * deliveries fail and are retried.
 */
import { SluiceError, systemClock, type Clock } from '../../core/index.js';
import type { EnvelopeSigner, SignatureVersion } from '../sns-envelope.js';
import { notificationEnvelope } from './envelope.js';
import type { Notification, ProtocolDriver } from './protocol.js';

/** The port onto the function runtime: invokes and waits; rejects when the function failed (a `DeliveryError` may say whether to retry). */
export interface NotificationFunctionInvoker {
  invoke(functionName: string, event: SnsLambdaEvent): Promise<void>;
}

export interface SnsLambdaEvent {
  Records: Array<{
    EventSource: 'aws:sns';
    EventVersion: '1.0';
    EventSubscriptionArn: string;
    Sns: {
      Type: 'Notification';
      MessageId: string;
      TopicArn: string;
      Subject: string | null;
      Message: string;
      Timestamp: string;
      SignatureVersion: string;
      Signature: string;
      SigningCertUrl: string;
      UnsubscribeUrl: string;
      MessageAttributes: Record<string, { Type: string; Value: string }>;
    };
  }>;
}

/** Lambda's function name rule, as Sluice's stack files use it. */
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export interface FunctionProtocolOptions {
  invoker: NotificationFunctionInvoker;
  signer: EnvelopeSigner;
  signatureVersion?: SignatureVersion;
  clock?: Clock;
}

export function createFunctionProtocol(options: FunctionProtocolOptions): ProtocolDriver {
  const clock = options.clock ?? systemClock;
  return {
    protocol: 'function',
    requiresConfirmation: false,
    normalizeEndpoint: normalizeFunctionEndpoint,
    async sendConfirmation() {
      // Never asked: function subscriptions are confirmed when made.
    },
    async deliver(notification) {
      const event = snsLambdaEvent({ ...notification, timestamp: notification.timestamp ?? clock.now() }, options.signer, options.signatureVersion);
      await options.invoker.invoke(notification.subscription.endpoint, event);
    },
  };
}

export function snsLambdaEvent(notification: Notification, signer: EnvelopeSigner, signatureVersion?: SignatureVersion): SnsLambdaEvent {
  const envelope = notificationEnvelope(notification, signer, signatureVersion);
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: notification.subscription.arn,
        Sns: {
          Type: 'Notification',
          MessageId: envelope.MessageId,
          TopicArn: envelope.TopicArn,
          Subject: envelope.Subject ?? null,
          Message: envelope.Message,
          Timestamp: envelope.Timestamp,
          SignatureVersion: envelope.SignatureVersion,
          Signature: envelope.Signature,
          SigningCertUrl: envelope.SigningCertURL,
          UnsubscribeUrl: envelope.UnsubscribeURL,
          MessageAttributes: envelope.MessageAttributes ?? {},
        },
      },
    ],
  };
}

/** A function name, or `arn:<partition>:lambda:<region>:<account>:function:<name>` (no version qualifier). */
export function normalizeFunctionEndpoint(endpoint: string): string {
  const text = endpoint.trim();
  const arn = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)$/.exec(text);
  const name = arn ? (arn[1] as string) : text;
  if (!FUNCTION_NAME.test(name)) {
    throw new SluiceError(
      'SLUICE_ERR_SUBSCRIPTION_INVALID',
      `invalid function endpoint ${JSON.stringify(endpoint)}: expected a function name (1 to 64 letters, digits, - or _) or its ARN arn:...:function:NAME`,
      { place: { field: 'endpoint' }, details: { protocol: 'function' } },
    );
  }
  return name;
}
