import { topicArn } from '../core/index.js';
import type { SqlVersion } from '../rules/index.js';

/** An HTTP header of an `http` action (AWS HttpActionHeader); in an ActionConfig the value is a template. */
export interface HttpHeader {
  key: string;
  value: string;
}

/**
 * An action as a rule declares it: templates not yet rendered. AWS's action
 * names and fields (TopicRulePayload), so the kinds to come (sns, ...) slot
 * into the same union.
 */
export type ActionConfig =
  | { kind: 's3'; bucket: string; key: string; contentType?: string }
  | { kind: 'function'; functionName: string }
  | { kind: 'republish'; topic: string; qos: 0 | 1 }
  /** `url` and header values are templates; `timeoutMs` is milliseconds per attempt. */
  | { kind: 'http'; url: string; headers: HttpHeader[]; timeoutMs: number };

/**
 * An action with its templates rendered against one message: what a job carries.
 * `notification` is no rule's action: it is one notification's delivery to one
 * subscription, which the notification service queues as its durable outbox
 * (`notifications.ts`).
 */
export type ActionTarget =
  | { kind: 's3'; bucket: string; key: string; contentType?: string }
  | { kind: 'function'; functionName: string }
  | { kind: 'republish'; topic: string; qos: 0 | 1 }
  | { kind: 'http'; url: string; headers: HttpHeader[]; timeoutMs: number }
  /** `topic` is the topic's name; `protocol` the subscription's when the job was made. */
  | { kind: 'notification'; topic: string; subscriptionId: string; protocol: string };

/**
 * SNS's backoff functions (a DeliveryPolicy's `backoffFunction`): how the delay
 * grows from the shortest to the longest over a job's retries. See
 * `retry-policy.ts` for the curves.
 */
export const BACKOFF_FUNCTIONS = ['linear', 'arithmetic', 'geometric', 'exponential'] as const;
export type BackoffFunction = (typeof BACKOFF_FUNCTIONS)[number];

/** A rule's own bounds on retries; unset fields take the action kind's defaults. */
export interface RuleRetryLimits {
  maxAttempts?: number;
  /** ms */
  maxAgeMs?: number;
  /** ms: the first retry's delay bound (jittered backoff), or the shortest delay (a `backoff` function). */
  baseDelayMs?: number;
  /** ms: the longest delay between two attempts. */
  maxDelayMs?: number;
  /**
   * Unset: exponential backoff with full jitter (rules). Set: SNS's schedule,
   * from `baseDelayMs` on the first retry to `maxDelayMs` on the last, without
   * jitter (notification deliveries under a delivery policy).
   */
  backoff?: BackoffFunction;
}

export interface RuleDefinition {
  name: string;
  sql: string;
  /** AWS `awsIotSqlVersion`; default 2016-03-23 */
  sqlVersion?: SqlVersion;
  enabled: boolean;
  actions: ActionConfig[];
  errorAction?: ActionConfig;
  retry?: RuleRetryLimits;
}

/** What an action receives: the rule's SELECT output and where the message came from. */
export interface ActionInput {
  topic: string;
  clientId: string;
  /** ms since the epoch, as `timestamp()` */
  timestamp: number;
  /** The SELECT output as bytes: the original payload for a plain `SELECT *`. */
  payload: Buffer;
  /** The SELECT output as a value; undefined for a binary payload passed through. */
  value: unknown;
}

/**
 * One unit of work. Plain data, so the durable queue (issue 3) can store it.
 * The id is stable for a given message, rule and action, so a retry writes the
 * same object key and reuses the same invocation id.
 */
export interface ActionJob {
  id: string;
  ruleName: string;
  actionIndex: number;
  target: ActionTarget;
  input: ActionInput;
  /** The payload as the device sent it, for the error action's `base64OriginalPayload`. */
  originalPayload: Buffer;
  errorTarget?: ActionTarget;
  /** The rule's retry limits when the job was made; the rule may change or go before the job runs. */
  retry?: RuleRetryLimits;
}

/** AWS's names for the failed action in error-action messages. */
export function awsActionName(target: ActionTarget): string {
  switch (target.kind) {
    case 's3':
      return 'S3Action';
    case 'function':
      return 'LambdaAction';
    case 'republish':
      return 'RepublishAction';
    case 'http':
      return 'HttpAction';
    case 'notification':
      return 'SnsAction';
  }
}

/** What the action acts on, for error-action messages, logs and metrics. */
export function targetResource(target: ActionTarget): string {
  switch (target.kind) {
    case 's3':
      return target.bucket;
    case 'function':
      return target.functionName;
    case 'republish':
      return target.topic;
    case 'http':
      return httpResource(target.url);
    case 'notification':
      // The subscription's ARN (`<topicArn>:<id>`), as SNS names it.
      return `${topicArn(target.topic)}:${target.subscriptionId}`;
  }
}

/**
 * An http target's URL as it may be shown: origin and path only. The query
 * string (often an API key) and any credentials never reach logs, metrics or
 * error-action messages.
 */
export function httpResource(url: string): string {
  if (!URL.canParse(url)) return 'invalid URL';
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}
