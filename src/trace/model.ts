/**
 * The trace of one message as the API shows it (`GET /api/v1/traces`,
 * `GET /api/v1/traces/:messageId`): which rules matched, what each of their
 * actions did, and the notifications the functions it invoked published.
 * Times are ISO 8601; durations are milliseconds.
 */

/** The first bytes of the payload: UTF-8 text when it is valid text, else base64. */
export interface PayloadPreview {
  text?: string;
  base64?: string;
  /** The payload was longer than the preview (PAYLOAD_PREVIEW_BYTES). */
  truncated: boolean;
}

/**
 * no-rules: no rule matched (nor failed); pending: some action is queued or
 * retrying; failed: a rule could not evaluate it or an action failed for good;
 * ok: every action succeeded.
 */
export type TraceStatus = 'no-rules' | 'pending' | 'ok' | 'failed';

export interface TraceSummary {
  messageId: string;
  topic: string;
  clientId: string;
  qos: number;
  receivedAt: string;
  payload: PayloadPreview;
  rulesMatched: string[];
  status: TraceStatus;
}

/**
 * queued: not yet run, or running its first attempt; retrying: an attempt
 * failed and another is scheduled; ok: done; failed: failed for good and
 * handed to the rule's error action or the function's onFailure destination
 * (or dropped before it was queued); dead-letter: failed for good, in the
 * dead-letter store.
 */
export type ActionStatus = 'queued' | 'retrying' | 'ok' | 'failed' | 'dead-letter';

/** What an action left behind, to follow up on through the rest of the API. */
export interface ActionResultRefs {
  /** s3: the object written; archive: the batch object holding the message. */
  bucket?: string;
  key?: string;
  /** lambda: the invocation; its logs carry this request id. */
  functionName?: string;
  requestId?: string;
  /** lambda: notifications the invocation published (sns.publish). */
  notificationMessageIds?: string[];
  /** republish: where the message went. */
  topic?: string;
}

export interface ActionTrace {
  jobId: string;
  /** The action's kind as the stack names it; a rule's `function` action is `lambda`. */
  kind: string;
  /** What it acts on: bucket, function name, topic, origin, series. */
  target: string;
  status: ActionStatus;
  /** Attempts made so far (a throttled attempt does not count). */
  attempts: number;
  enqueuedAt: string;
  completedAt: string | null;
  /** The last attempt's duration. */
  durationMs: number | null;
  error?: string;
  result?: ActionResultRefs;
}

export interface RuleTrace {
  rule: string;
  evaluationMs: number;
  /** The rule could not evaluate this message; it queued nothing. */
  error?: string;
  actions: ActionTrace[];
}

export interface NotificationDeliveryView {
  subscriptionId: string;
  protocol: string;
  endpoint: string;
  /** The notification service's delivery status: delivered, queued, retrying, dead_letter, skipped, failed. */
  status: string;
  /** When it was delivered or dead-lettered; else when it was published. */
  at: string;
  attempts: number;
  /** The last failed attempt's error, or why it was skipped. */
  error?: string;
}

export interface NotificationTrace {
  messageId: string;
  topic: string;
  subject?: string;
  /** `function:NAME` for a function's sns.publish. */
  publishedBy: string;
  /** The topic's dedupe window held it back: no deliveries. */
  suppressed?: boolean;
  deliveries: NotificationDeliveryView[];
}

export interface TraceDetail extends TraceSummary {
  rules: RuleTrace[];
  notifications: NotificationTrace[];
}

/** A message as the broker hands it to the pipeline (its own object is passed: nothing is copied but the preview). */
export interface TracedMessage {
  topic: string;
  clientId: string;
  qos: number;
  /** ms since the epoch */
  receivedAt: number;
  payload: Buffer;
}

/**
 * What routing found, as the rules engine reports it; the ring keeps these
 * arrays as they are (no copies on the hot path).
 */
export interface TracedRouting {
  /** Rules that matched, in evaluation order. */
  matchedRules: readonly string[];
  /** Rules that could not evaluate the message. */
  failures: ReadonlyArray<{ ruleName: string; error: { message: string } }>;
  /** The rules evaluated, and how long each took (ms), index by index. */
  evaluated?: readonly string[];
  evaluationMs?: readonly number[];
}

/** A job routing made; `id` is `<messageId>:<ruleName>:<actionIndex>` (the ring rebuilds it rather than keep it). */
export interface TracedJob {
  id: string;
  ruleName: string;
  actionIndex: number;
}

/** How the ring names a job's kind and target (`s3` / bucket, `lambda` / function name, ...). */
export interface JobDescriber<J extends TracedJob> {
  kind(job: J): string;
  target(job: J): string;
}

/** One attempt's outcome, from the executor (its report is kept as it is). Times are ms since the epoch. */
export interface TracedAttempt {
  outcome: Exclude<ActionStatus, 'queued'>;
  attempts: number;
  startedAt: number;
  finishedAt: number;
  error?: string;
  result?: Omit<ActionResultRefs, 'notificationMessageIds'>;
}

/** A notification a traced invocation published. */
export interface TracedNotification {
  messageId: string;
  topic: string;
  subject?: string;
  suppressed?: boolean;
}
