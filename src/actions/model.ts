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
  | { kind: 'http'; url: string; headers: HttpHeader[]; timeoutMs: number }
  | ArchiveTarget
  /** `device` and `time` are templates here; a TimeseriesTarget carries them rendered. */
  | TimeseriesTarget;

/**
 * The `timeseries` action (the counterpart of the reference architecture's
 * DynamoDB table of readings): the SELECT output's `fields` stored as one
 * reading of `device` at `time` in `series` (`actions/timeseries.ts`).
 */
export interface TimeseriesTarget {
  kind: 'timeseries';
  series: string;
  device: string;
  /** Epoch ms or ISO 8601 once rendered; unset: the message's timestamp(). */
  time?: string;
  /** Top-level fields of the SELECT output; their numbers are stored. */
  fields: string[];
}

/**
 * The `archive` action (the counterpart of AWS IoT's Firehose action with an
 * S3 destination): messages buffered and written in batches under Hive
 * partitions. No templates: one action is one stream of batches.
 */
export interface ArchiveTarget {
  kind: 'archive';
  bucket: string;
  /** Key prefix without leading or trailing `/` (stacks require one). */
  prefix: string;
  format: 'ndjson' | 'parquet';
  /** ms a batch may wait for more messages (Firehose's buffering interval). */
  maxBatchDelayMs: number;
  /** bytes at which a batch is written at once (Firehose's buffering size). */
  maxBatchBytes: number;
}

/**
 * The most `archive` jobs the executor holds leased for one archive (they
 * wait there until their batch is written), and so the most messages one
 * batch holds: the durable queue keeps each message until its object exists.
 */
export const ARCHIVE_MAX_BATCH_MESSAGES = 10_000;

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
  | ArchiveTarget
  | TimeseriesTarget
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
    case 'archive':
      // AWS IoT batches to S3 through Kinesis Data Firehose.
      return 'FirehoseAction';
    case 'timeseries':
      // AWS has no action of this shape (its nearest are DynamoDBv2 and Timestream): Sluice's own name.
      return 'TimeseriesAction';
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
    case 'archive':
      return target.prefix === '' ? target.bucket : `${target.bucket}/${target.prefix}`;
    case 'timeseries':
      return target.series;
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
