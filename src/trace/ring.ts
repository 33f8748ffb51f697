import type {
  ActionResultRefs,
  ActionStatus,
  ActionTrace,
  JobDescriber,
  NotificationTrace,
  RuleTrace,
  TraceDetail,
  TraceStatus,
  TraceSummary,
  TracedAttempt,
  TracedJob,
  TracedMessage,
  TracedNotification,
  TracedRouting,
} from './model.js';
import { payloadPreview } from './payload.js';
import { SlotIndex } from './slot-index.js';
import { topicMatchesFilter } from './topic-filter.js';

/** The default number of messages traced (`sluice up --trace-messages`). */
export const DEFAULT_TRACE_MESSAGES = 10_000;
/** bytes of a payload a trace keeps. */
export const PAYLOAD_PREVIEW_BYTES = 4_096;
/** characters of an error message a trace keeps. */
const MAX_ERROR_CHARS = 1_000;
/** Notifications kept per trace (a function may publish in a loop). */
const MAX_NOTIFICATIONS = 100;
const NONE: readonly never[] = Object.freeze([]);
const HAS_BUCKET = 1;
const HAS_FUNCTION = 2;
const HAS_TOPIC = 4;
const COLON = 0x3a;
const ZERO = 0x30;

/**
 * One job's state. Its id is not kept (it is `<messageId>:<rule>:<index>`,
 * rebuilt when read), nor are result fields that repeat the target or the id:
 * every string a trace keeps lives until 10,000 more messages came.
 */
interface ActionRecord {
  readonly rule: string;
  readonly index: number;
  readonly kind: string;
  readonly target: string;
  status: ActionStatus;
  attempts: number;
  /** ms since the epoch */
  completedAt: number | undefined;
  durationMs: number | undefined;
  error: string | undefined;
  /** The result's fields, flat (one object fewer per action); unset where they equal the target or the job id. */
  bucket: string | undefined;
  key: string | undefined;
  functionName: string | undefined;
  requestId: string | undefined;
  /** The result's requestId is the job id. */
  requestIdIsJobId: boolean;
  topic: string | undefined;
  /** HAS_* bits: which of bucket, functionName, topic the result had (they may equal the target, and so be unset above). */
  resultHas: number;
  notificationMessageIds: string[] | undefined;
}

interface NotificationRecord extends TracedNotification {
  publishedBy: string;
}

/**
 * What the ring keeps of one message; mutable while its actions run. Few
 * objects on purpose: every object a trace holds lives until 10,000 more
 * messages came, and long-lived objects are what garbage collection pays for.
 */
export interface TraceRecord {
  readonly messageId: string;
  readonly topic: string;
  readonly clientId: string;
  readonly qos: number;
  /** ms since the epoch */
  readonly receivedAt: number;
  /** At most PAYLOAD_PREVIEW_BYTES, one character per byte (latin1): a copy, never a view into the broker's buffers. */
  readonly preview: string;
  readonly truncated: boolean;
  matchedRules: readonly string[];
  failures: TracedRouting['failures'];
  evaluated: readonly string[];
  evaluationMs: readonly number[];
  /** ms since the epoch */
  enqueuedAt: number;
  actions: readonly ActionRecord[];
  notifications: NotificationRecord[] | undefined;
}

export interface TraceQuery {
  /** A topic, or an MQTT filter with + and #. */
  topic?: string;
  clientId?: string;
  limit: number;
}

/**
 * The last `capacity` messages' traces, in memory. A fixed array used as a
 * ring: inserting is O(1) and drops the oldest trace. Nothing here does I/O
 * or sets timers. The one index, by message id, is a typed-array hash table
 * (`slot-index.ts`); a job (and a function invocation, whose request id is
 * its job's id) finds its trace through its id, `<messageId>:<rule>:<index>`.
 */
export class TraceRing<J extends TracedJob = TracedJob> {
  readonly capacity: number;
  readonly #describe: JobDescriber<J>;
  readonly #slots: Array<TraceRecord | undefined>;
  #next = 0;
  #size = 0;
  readonly #index: SlotIndex;
  readonly #idOf = (slot: number): string | undefined => this.#slots[slot]?.messageId;

  constructor(capacity: number, describe: JobDescriber<J>) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`trace capacity must be a positive integer; got ${capacity}`);
    this.capacity = capacity;
    this.#describe = describe;
    this.#slots = new Array<TraceRecord | undefined>(capacity).fill(undefined);
    this.#index = new SlotIndex(capacity);
  }

  get size(): number {
    return this.#size;
  }

  /**
   * Records a message once its rules ran: what routing found (its arrays are
   * kept, not copied) and the jobs it made; the oldest trace goes when the
   * ring is full. `enqueuedAt`: ms since the epoch.
   */
  record(messageId: string, message: TracedMessage, routing: TracedRouting, jobs: readonly J[], enqueuedAt: number): TraceRecord {
    const { payload } = message;
    const truncated = payload.length > PAYLOAD_PREVIEW_BYTES;
    const describe = this.#describe;
    const record: TraceRecord = {
      messageId,
      topic: message.topic,
      clientId: message.clientId,
      qos: message.qos,
      receivedAt: message.receivedAt,
      preview: payload.toString('latin1', 0, truncated ? PAYLOAD_PREVIEW_BYTES : payload.length),
      truncated,
      // Empty arrays are not kept: a busy broker's messages mostly match nothing.
      matchedRules: routing.matchedRules.length === 0 ? NONE : routing.matchedRules,
      // Only the message of a failure (rare): its Error, stack and all, is not kept.
      failures: routing.failures.length === 0 ? NONE : routing.failures.map((f) => ({ ruleName: f.ruleName, error: { message: clip(f.error.message) ?? '' } })),
      evaluated: routing.evaluated?.length ? routing.evaluated : NONE,
      evaluationMs: routing.evaluationMs?.length ? routing.evaluationMs : NONE,
      enqueuedAt,
      actions:
        jobs.length === 0
          ? NONE
          : jobs.map(
              (job): ActionRecord => ({
                rule: job.ruleName,
                index: job.actionIndex,
                kind: describe.kind(job),
                target: describe.target(job),
                status: 'queued',
                attempts: 0,
                completedAt: undefined,
                durationMs: undefined,
                error: undefined,
                bucket: undefined,
                key: undefined,
                functionName: undefined,
                requestId: undefined,
                requestIdIsJobId: false,
                topic: undefined,
                resultHas: 0,
                notificationMessageIds: undefined,
              }),
            ),
      notifications: undefined,
    };
    const slot = this.#next;
    const old = this.#slots[slot];
    if (old) this.#index.remove(old.messageId, slot);
    else this.#size += 1;
    this.#slots[slot] = record;
    this.#index.add(messageId, slot);
    this.#next = slot + 1 === this.capacity ? 0 : slot + 1;
    return record;
  }

  /** The jobs could not be queued (QoS 0 over the backlog limit, a queue write error): they will never run. */
  enqueueFailed(trace: TraceRecord, error: string, at: number): void {
    for (const action of trace.actions) {
      if (action.status !== 'queued') continue;
      action.status = 'failed';
      action.error = clip(error);
      action.completedAt = at;
    }
  }

  /** An attempt of a traced job finished; jobs of untraced (or evicted) messages are ignored. */
  attempted(jobId: string, attempt: TracedAttempt): void {
    const action = this.#action(jobId);
    if (!action) return;
    action.status = attempt.outcome;
    action.attempts = attempt.attempts;
    action.durationMs = attempt.finishedAt - attempt.startedAt;
    action.completedAt = attempt.outcome === 'retrying' ? undefined : attempt.finishedAt;
    action.error = clip(attempt.error);
    const { result } = attempt;
    if (result) {
      action.bucket = result.bucket === action.target ? undefined : result.bucket;
      action.key = result.key;
      action.functionName = result.functionName === action.target ? undefined : result.functionName;
      action.requestIdIsJobId = result.requestId === jobId;
      action.requestId = action.requestIdIsJobId ? undefined : result.requestId;
      action.topic = result.topic === action.target ? undefined : result.topic;
      // Which fields the result had at all, where they equal the target.
      action.resultHas = (result.bucket !== undefined ? HAS_BUCKET : 0) | (result.functionName !== undefined ? HAS_FUNCTION : 0) | (result.topic !== undefined ? HAS_TOPIC : 0);
    }
  }

  /**
   * A function invocation published a notification. `requestId` is the
   * invocation's, which for a rule's function action is the job id; a
   * retried invocation publishes the same message id again, kept once.
   */
  notificationPublished(requestId: string, notification: TracedNotification): void {
    const action = this.#action(requestId);
    if (!action) return;
    const trace = this.#lookup(requestId, messageIdLength(requestId));
    if (!trace) return;
    const ids = (action.notificationMessageIds ??= []);
    if (ids.includes(notification.messageId)) return;
    const notifications = (trace.notifications ??= []);
    if (notifications.length >= MAX_NOTIFICATIONS) return;
    ids.push(notification.messageId);
    const publishedBy = action.kind === 'lambda' ? `function:${action.target}` : `rule:${action.rule}`;
    notifications.push({ ...notification, publishedBy });
  }

  /** Newest first. */
  list(query: TraceQuery): TraceSummary[] {
    const out: TraceSummary[] = [];
    for (let i = 1; i <= this.#size && out.length < query.limit; i++) {
      const record = this.#slots[(this.#next - i + this.capacity) % this.capacity];
      if (!record) continue;
      if (query.clientId !== undefined && record.clientId !== query.clientId) continue;
      if (query.topic !== undefined && !topicMatchesFilter(query.topic, record.topic)) continue;
      out.push(summaryOf(record));
    }
    return out;
  }

  /** The trace with its notifications' deliveries left empty (the API joins them from the notification service). */
  get(messageId: string): TraceDetail | undefined {
    const record = this.#lookup(messageId, messageId.length);
    if (!record) return undefined;
    return {
      ...summaryOf(record),
      rules: rulesOf(record),
      notifications: (record.notifications ?? []).map(
        (n): NotificationTrace => ({
          messageId: n.messageId,
          topic: n.topic,
          ...(n.subject !== undefined ? { subject: n.subject } : {}),
          publishedBy: n.publishedBy,
          ...(n.suppressed === true ? { suppressed: true } : {}),
          deliveries: [],
        }),
      ),
    };
  }

  /** The trace of the message whose id is `key.slice(0, end)`. */
  #lookup(key: string, end: number): TraceRecord | undefined {
    const slot = this.#index.get(key, end, this.#idOf);
    return slot < 0 ? undefined : this.#slots[slot];
  }

  #action(jobId: string): ActionRecord | undefined {
    const trace = this.#lookup(jobId, messageIdLength(jobId));
    if (!trace) return undefined;
    const end = messageIdLength(jobId);
    for (const action of trace.actions) if (isJobOf(jobId, end, action)) return action;
    return undefined;
  }
}

/** A job id is `<messageId>:<rule>:<index>`. */
function messageIdLength(jobId: string): number {
  const colon = jobId.indexOf(':');
  return colon < 0 ? jobId.length : colon;
}

/** Whether `jobId` (whose message id is its first `end` characters) is this action's, without building strings. */
function isJobOf(jobId: string, end: number, action: ActionRecord): boolean {
  const ruleStart = end + 1;
  const indexStart = ruleStart + action.rule.length + 1;
  if (indexStart >= jobId.length || jobId.charCodeAt(indexStart - 1) !== COLON || !jobId.startsWith(action.rule, ruleStart)) return false;
  let index = 0;
  for (let i = indexStart; i < jobId.length; i++) {
    const digit = jobId.charCodeAt(i) - ZERO;
    if (digit < 0 || digit > 9) return false;
    index = index * 10 + digit;
  }
  return index === action.index;
}

function jobIdOf(messageId: string, action: ActionRecord): string {
  return `${messageId}:${action.rule}:${action.index}`;
}

function summaryOf(record: TraceRecord): TraceSummary {
  return {
    messageId: record.messageId,
    topic: record.topic,
    clientId: record.clientId,
    qos: record.qos,
    receivedAt: new Date(record.receivedAt).toISOString(),
    payload: payloadPreview(Buffer.from(record.preview, 'latin1'), record.truncated),
    rulesMatched: [...record.matchedRules],
    status: statusOf(record),
  };
}

function statusOf(record: TraceRecord): TraceStatus {
  if (record.matchedRules.length === 0 && record.failures.length === 0) return 'no-rules';
  let pending = false;
  let failed = record.failures.length > 0;
  for (const action of record.actions) {
    if (action.status === 'queued' || action.status === 'retrying') pending = true;
    else if (action.status === 'failed' || action.status === 'dead-letter') failed = true;
  }
  if (pending) return 'pending';
  return failed ? 'failed' : 'ok';
}

/** The rules that matched or failed, in the order they were evaluated. */
function rulesOf(record: TraceRecord): RuleTrace[] {
  const errors = new Map(record.failures.map((f) => [f.ruleName, f.error.message]));
  const names = record.evaluated.length > 0 ? record.evaluated : [...record.matchedRules, ...errors.keys()];
  const rules: RuleTrace[] = [];
  names.forEach((rule, i) => {
    const error = errors.get(rule);
    if (error === undefined && !record.matchedRules.includes(rule)) return;
    rules.push({
      rule,
      evaluationMs: round3(record.evaluated.length > 0 ? (record.evaluationMs[i] ?? 0) : 0),
      ...(error !== undefined ? { error } : {}),
      actions: record.actions.filter((a) => a.rule === rule).map((a) => actionView(a, record)),
    });
  });
  return rules;
}

function actionView(a: ActionRecord, trace: TraceRecord): ActionTrace {
  const jobId = jobIdOf(trace.messageId, a);
  const bucket = a.bucket ?? (a.resultHas & HAS_BUCKET ? a.target : undefined);
  const functionName = a.functionName ?? (a.resultHas & HAS_FUNCTION ? a.target : undefined);
  const requestId = a.requestIdIsJobId ? jobId : a.requestId;
  const topic = a.topic ?? (a.resultHas & HAS_TOPIC ? a.target : undefined);
  const refs: ActionResultRefs = {
    ...(bucket !== undefined ? { bucket } : {}),
    ...(a.key !== undefined ? { key: a.key } : {}),
    ...(functionName !== undefined ? { functionName } : {}),
    ...(requestId !== undefined ? { requestId } : {}),
    ...(a.notificationMessageIds !== undefined ? { notificationMessageIds: [...a.notificationMessageIds] } : {}),
    ...(topic !== undefined ? { topic } : {}),
  };
  const result = Object.keys(refs).length > 0 ? refs : undefined;
  const enqueuedAt = trace.enqueuedAt;
  return {
    jobId,
    kind: a.kind,
    target: a.target,
    status: a.status,
    attempts: a.attempts,
    enqueuedAt: new Date(enqueuedAt).toISOString(),
    completedAt: a.completedAt === undefined ? null : new Date(a.completedAt).toISOString(),
    durationMs: a.durationMs ?? null,
    ...(a.error !== undefined ? { error: a.error } : {}),
    ...(result !== undefined ? { result } : {}),
  };
}

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function clip(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text;
}
