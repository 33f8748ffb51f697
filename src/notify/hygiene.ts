/**
 * Alert hygiene (beyond SNS): per topic or subscription, a de-duplication
 * window keyed by a template over the notification, and an optional digest of
 * what the window suppressed.
 *
 * The reference alert — "Humidity 32 under threshold for device name
 * soilSensor2", published every 30 s per sensor — becomes one mail per device
 * per 15 minutes, plus (with `digest`) one summary per window of the alerts
 * it held back:
 *
 * ```yaml
 * dedupe: { key: '${regex:device name (\S+)}', window: 15m, digest: true }
 * ```
 *
 * ## Semantics
 * - A window belongs to (scope, key); the scope is whatever the caller keys
 *   the configuration by (a topic name, a subscription id). Windows of
 *   different scopes or keys are independent.
 * - The first notification for (scope, key) is sent and opens a window
 *   `[now, now + window)`. Later ones inside it are suppressed. One arriving at
 *   or after the window's end is sent and opens the next window (windows are
 *   not sliding: suppressed alerts do not extend them).
 * - With `digest`, suppressed notifications are recorded (count, first and
 *   last time, the last {@link MAX_DIGEST_SAMPLES} messages, each cut to
 *   {@link MAX_SAMPLE_CHARS} characters). When the window ends, if anything
 *   was suppressed, `onDigest` is called once with a {@link Digest};
 *   {@link formatDigest} turns it into a subject and a plain-text body.
 *   Without `digest`, suppressing writes nothing.
 * - Windows and pending digests are kept in the state store (collection
 *   `notify.hygiene`), so a restart neither lets a flood through (a window
 *   stays closed) nor loses a digest: {@link AlertGate.resume} schedules the
 *   open windows and delivers the digests of those that ended meanwhile.
 * - A notification that carries an `id` (a caller's message id) and repeats
 *   the one that opened its window is let through (`send`), not suppressed as
 *   a repeat of itself: a retried publish still gets out.
 * - Digests are delivered at least once: `onDigest` first, then the pending
 *   digest is deleted; a failing `onDigest` is logged and retried every
 *   {@link DIGEST_RETRY_MS}. A crash in between repeats a digest, never loses one.
 * - Time comes from the injected clock; due work is done by
 *   {@link AlertGate.tick}, which an unref'd timer calls in production and
 *   tests call directly.
 *
 * ## Key templates
 * Literal text with `${...}` placeholders:
 * - `${subject}`: the notification's subject;
 * - `${message}`: the message;
 * - `${attributes.NAME}`: the value of message attribute NAME (`Value`, or
 *   `StringValue`/`BinaryValue` in Publish's shape);
 * - `${json.PATH}`: a dotted path into the message parsed as JSON
 *   (`${json.device}`, `${json.reading.device}`, `${json.devices.0}`); strings
 *   as they are, numbers and booleans as text, objects and arrays as JSON;
 * - `${regex:PATTERN}`: the first capture group of PATTERN (a JavaScript
 *   regular expression, no flags) matched against the message — the first
 *   that took part in the match, so `a (x)|b (y)` works — or the whole
 *   match when PATTERN has no group. Braces in PATTERN must balance (as in
 *   `\d{2}`), or be escaped (`\}`).
 *
 * A placeholder that resolves to nothing (no subject, a missing attribute, a
 * message that is not JSON or lacks the path, a regex that does not match)
 * yields an empty string. A notification whose whole key is empty is always
 * sent and opens no window: the key says which alerts repeat one another, and
 * an alert it cannot place (say, a hand-written notice on an alert topic keyed
 * by device) must not be held back as a repeat of unrelated ones. A window
 * over everything takes a literal key (`key: all`).
 * There is no escape for a literal `${`.
 *
 * Catastrophic regexes are guarded against: at most the first
 * {@link MAX_REGEX_INPUT_CHARS} characters of a message are examined, and a
 * pattern with a repeated group that itself repeats without bound (`(a+)+`,
 * `(\w+\s?)*`: exponential backtracking) is refused.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { SluiceError, formatFieldPath, type Clock, type DocumentCollection, type StateStore } from '../core/index.js';

export const HYGIENE_COLLECTION = 'notify.hygiene';
/** Samples kept per window for its digest (the last ones). */
export const MAX_DIGEST_SAMPLES = 20;
/** Each sample's message is cut to this many characters (then `…`). */
export const MAX_SAMPLE_CHARS = 1_000;
/** A regex placeholder looks at no more of the message than this (64 KiB). */
export const MAX_REGEX_INPUT_CHARS = 64 * 1024;
export const MAX_KEY_TEMPLATE_CHARS = 1_024;
export const MAX_REGEX_PATTERN_CHARS = 512;
/** A key is stored and shown cut to this length; windows are identified by a hash of the whole key. */
export const MAX_STORED_KEY_CHARS = 1_024;
export const MIN_WINDOW_MS = 1_000;
export const MAX_WINDOW_MS = 7 * 24 * 3_600_000;
/** A digest whose `onDigest` failed is tried again after this long. */
export const DIGEST_RETRY_MS = 60_000;
/** SNS's limit on a subject. */
const MAX_SUBJECT_CHARS = 100;

// ---------------------------------------------------------------------------
// Notifications as the gate sees them

/** A message attribute in either shape: `{ Type, Value }` (queued, envelopes) or Publish's `{ DataType, StringValue | BinaryValue }`. */
export interface HygieneAttributeValue {
  Type?: string;
  Value?: string;
  DataType?: string;
  StringValue?: string;
  BinaryValue?: string | Uint8Array;
}

/** What a key template looks at; a `PublishInput` fits. */
export interface HygieneNotification {
  message: string;
  /**
   * The notification's id (a message id), if it has a stable one: a repeat of
   * the id that opened a window (a retried publish) is let through again, not
   * suppressed as a duplicate of itself.
   */
  id?: string;
  subject?: string;
  messageAttributes?: Record<string, HygieneAttributeValue>;
}

// ---------------------------------------------------------------------------
// Key templates

export type KeyFunction = (notification: HygieneNotification) => string;

type Part =
  | { kind: 'text'; text: string }
  | { kind: 'subject' }
  | { kind: 'message' }
  | { kind: 'attribute'; name: string }
  | { kind: 'json'; path: string[] }
  | { kind: 'regex'; regex: RegExp; groups: number };

class TemplateError extends Error {}

const PLACEHOLDER_HELP = 'expected ${subject}, ${message}, ${attributes.NAME}, ${json.PATH} or ${regex:PATTERN}';

/**
 * Compiles a key template once; the function it returns is cheap to call.
 * Throws SLUICE_ERR_REQUEST_INVALID naming `field` (default `dedupe.key`).
 */
export function compileKeyTemplate(text: string, field = 'dedupe.key'): KeyFunction {
  let parts: Part[];
  try {
    parts = parseTemplate(text);
  } catch (error) {
    if (error instanceof TemplateError) throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', `${field}: ${error.message}`, { place: { field } });
    throw error;
  }
  return keyFunction(parts);
}

/** Why a template does not compile, or undefined when it does. */
function templateProblem(text: string): string | undefined {
  try {
    parseTemplate(text);
    return undefined;
  } catch (error) {
    if (error instanceof TemplateError) return error.message;
    throw error;
  }
}

function parseTemplate(text: string): Part[] {
  if (text.length > MAX_KEY_TEMPLATE_CHARS) throw new TemplateError(`must be at most ${MAX_KEY_TEMPLATE_CHARS} characters`);
  const parts: Part[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('${', i)) {
      const end = placeholderEnd(text, i + 2);
      if (end < 0) throw new TemplateError(`unterminated placeholder at character ${i + 1}: a "\${" needs its "}"`);
      if (literal) parts.push({ kind: 'text', text: literal });
      literal = '';
      parts.push(parsePlaceholder(text.slice(i + 2, end)));
      i = end + 1;
    } else {
      literal += text[i];
      i += 1;
    }
  }
  if (literal) parts.push({ kind: 'text', text: literal });
  return parts;
}

/** Index of the `}` closing a placeholder whose body starts at `start`, or -1. Braces inside must balance; `\x` and `[...]` are skipped. */
function placeholderEnd(text: string, start: number): number {
  let depth = 0;
  let inClass = false;
  for (let i = start; i < text.length; i += 1) {
    const c = text[i];
    if (c === '\\') {
      i += 1;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
    } else if (c === '{') {
      depth += 1;
    } else if (c === '}') {
      if (depth === 0) return i;
      depth -= 1;
    }
  }
  return -1;
}

function parsePlaceholder(body: string): Part {
  if (body === 'subject') return { kind: 'subject' };
  if (body === 'message') return { kind: 'message' };
  if (body.startsWith('regex:')) return compileRegexPart(body.slice('regex:'.length));
  if (body === 'attributes' || body.startsWith('attributes.')) {
    const name = body.slice('attributes.'.length);
    if (!name) throw new TemplateError('${attributes.NAME} needs an attribute name, e.g. ${attributes.device}');
    return { kind: 'attribute', name };
  }
  if (body === 'json' || body.startsWith('json.')) {
    const path = body.slice('json.'.length);
    if (!path) throw new TemplateError('${json.PATH} needs a path into the message, e.g. ${json.device}');
    const segments = path.split('.');
    if (segments.some((s) => s === '')) throw new TemplateError(`\${json.${path}}: a path is names (or array indexes) separated by single dots, e.g. \${json.reading.device}`);
    return { kind: 'json', path: segments };
  }
  const shown = body.length > 40 ? `${body.slice(0, 40)}…` : body;
  throw new TemplateError(`unknown placeholder \${${shown}}: ${PLACEHOLDER_HELP}`);
}

function compileRegexPart(pattern: string): Part {
  if (!pattern) throw new TemplateError('${regex:PATTERN} needs a pattern, e.g. ${regex:device name (\\S+)}');
  if (pattern.length > MAX_REGEX_PATTERN_CHARS) throw new TemplateError(`regex pattern must be at most ${MAX_REGEX_PATTERN_CHARS} characters`);
  let regex: RegExp;
  try {
    regex = new RegExp(pattern);
  } catch (error) {
    throw new TemplateError(`regex ${JSON.stringify(pattern)} is not valid: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (hasNestedUnboundedRepeat(pattern)) {
    throw new TemplateError(`regex ${JSON.stringify(pattern)} repeats a group that itself repeats without bound (like (a+)+), which can take exponential time: rewrite it without the nested repetition`);
  }
  // A pattern that matches the empty string alternatively reveals its group count.
  const groups = (new RegExp(`${pattern}|`).exec('')?.length ?? 1) - 1;
  return { kind: 'regex', regex, groups };
}

/**
 * Star height above one: a group containing an unbounded quantifier (`*`,
 * `+`, `{n,}`) that is itself quantified without bound. A syntactic check on
 * a pattern already known to compile; it errs towards accepting.
 */
function hasNestedUnboundedRepeat(pattern: string): boolean {
  const stack: boolean[] = [false]; // per open group: does it contain an unbounded repeat?
  let lastGroupRepeats = false; // the atom just closed is a group containing an unbounded repeat
  let lastIsAtom = false;
  for (let i = 0; i < pattern.length; i += 1) {
    const c = pattern[i];
    const quantifier = unboundedQuantifierAt(pattern, i);
    if (quantifier !== undefined) {
      if (quantifier.unbounded && lastIsAtom) {
        if (lastGroupRepeats) return true;
        stack[stack.length - 1] = true;
      }
      i += quantifier.length - 1;
      // A lazy or possessive-looking suffix (`+?`) belongs to the quantifier.
      if (pattern[i + 1] === '?') i += 1;
      lastIsAtom = false;
      lastGroupRepeats = false;
      continue;
    }
    lastGroupRepeats = false;
    lastIsAtom = true;
    if (c === '\\') {
      i += 1;
    } else if (c === '[') {
      i += 1;
      if (pattern[i] === '^') i += 1;
      while (i < pattern.length && pattern[i] !== ']') {
        if (pattern[i] === '\\') i += 1;
        i += 1;
      }
    } else if (c === '(') {
      stack.push(false);
      lastIsAtom = false;
      if (pattern[i + 1] === '?') {
        // (?:  (?=  (?!  (?<=  (?<!  (?<name>
        i += 1;
        if (pattern[i + 1] === '<' && pattern[i + 2] !== '=' && pattern[i + 2] !== '!') {
          const close = pattern.indexOf('>', i);
          i = close < 0 ? i : close;
        } else {
          i += pattern[i + 1] === '<' ? 2 : 1;
        }
      }
    } else if (c === ')') {
      const inner = stack.length > 1 ? (stack.pop() ?? false) : false;
      if (inner) stack[stack.length - 1] = true;
      lastGroupRepeats = inner;
    } else if (c === '|' || c === '^' || c === '$') {
      lastIsAtom = false;
    }
  }
  return false;
}

function unboundedQuantifierAt(pattern: string, i: number): { unbounded: boolean; length: number } | undefined {
  const c = pattern[i];
  if (c === '*' || c === '+') return { unbounded: true, length: 1 };
  if (c === '?') return { unbounded: false, length: 1 };
  if (c === '{') {
    const match = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i, i + 24));
    if (match) return { unbounded: match[2] !== undefined && match[3] === '', length: match[0].length };
  }
  return undefined;
}

function keyFunction(parts: readonly Part[]): KeyFunction {
  const needsJson = parts.some((p) => p.kind === 'json');
  return (notification) => {
    let json: unknown;
    if (needsJson) {
      try {
        json = JSON.parse(notification.message) as unknown;
      } catch {
        json = undefined;
      }
    }
    let key = '';
    for (const part of parts) key += resolvePart(part, notification, json);
    return key;
  };
}

function resolvePart(part: Part, notification: HygieneNotification, json: unknown): string {
  switch (part.kind) {
    case 'text':
      return part.text;
    case 'subject':
      return notification.subject ?? '';
    case 'message':
      return notification.message;
    case 'attribute':
      return attributeValue(notification.messageAttributes?.[part.name]);
    case 'json':
      return jsonText(jsonAt(json, part.path));
    case 'regex': {
      const match = part.regex.exec(notification.message.length > MAX_REGEX_INPUT_CHARS ? notification.message.slice(0, MAX_REGEX_INPUT_CHARS) : notification.message);
      if (!match) return '';
      if (part.groups === 0) return match[0];
      // The first group that took part in the match: with `a (x)|b (y)`, whichever matched.
      return match.slice(1).find((group) => group !== undefined) ?? '';
    }
  }
}

function attributeValue(attribute: HygieneAttributeValue | undefined): string {
  if (!attribute || typeof attribute !== 'object') return '';
  if (typeof attribute.Value === 'string') return attribute.Value;
  if (typeof attribute.StringValue === 'string') return attribute.StringValue;
  if (typeof attribute.BinaryValue === 'string') return attribute.BinaryValue;
  if (attribute.BinaryValue instanceof Uint8Array) return Buffer.from(attribute.BinaryValue).toString('base64');
  return '';
}

function jsonAt(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const segment of path) {
    if (Array.isArray(current)) {
      if (!/^\d+$/.test(segment)) return undefined;
      current = current[Number(segment)];
    } else if (typeof current === 'object' && current !== null && Object.hasOwn(current, segment)) {
      current = (current as Record<string, unknown>)[segment];
    } else {
      return undefined;
    }
  }
  return current;
}

function jsonText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

// ---------------------------------------------------------------------------
// Configuration

const WINDOW_UNITS_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const WINDOW_HELP = 'a duration with a unit from 1s to 7d, such as 30s, 15m, 1h or 1d';

/** `15m` → 900000; undefined if it is not a duration with a unit. */
function parseWindow(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(text);
  if (!match) return undefined;
  return Math.round(Number(match[1]) * (WINDOW_UNITS_MS[match[2] ?? ''] ?? Number.NaN));
}

const FIELDS = 'key, window, digest';

/** The `dedupe` block of a topic or subscription in the stack. */
export const alertHygieneConfigSchema = z
  .object({
    key: z
      .string({ error: 'key must be a template string, such as "${regex:device name (\\S+)}"' })
      .min(1, 'key must not be empty: it is a template such as "${regex:device name (\\S+)}"')
      .superRefine((text, ctx) => {
        const problem = templateProblem(text);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
      }),
    window: z.string({ error: `window must be ${WINDOW_HELP}` }).superRefine((text, ctx) => {
      const ms = parseWindow(text);
      if (ms === undefined) ctx.addIssue({ code: 'custom', message: `window ${JSON.stringify(text)} must be ${WINDOW_HELP}` });
      else if (ms < MIN_WINDOW_MS) ctx.addIssue({ code: 'custom', message: `window ${JSON.stringify(text)} is too short: at least 1s` });
      else if (ms > MAX_WINDOW_MS) ctx.addIssue({ code: 'custom', message: `window ${JSON.stringify(text)} is too long: at most 7d` });
    }),
    digest: z.boolean({ error: 'digest must be true or false' }).optional(),
  }, {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}: expected ${FIELDS}`
      : issue.code === 'invalid_type' ? `must be an object with ${FIELDS}`
      : undefined,
  })
  .strict();

export type AlertHygieneConfig = z.infer<typeof alertHygieneConfigSchema>;

/** A configuration, checked and compiled. */
export interface AlertHygienePolicy {
  readonly config: AlertHygieneConfig;
  readonly windowMs: number;
  readonly digest: boolean;
  readonly keyOf: KeyFunction;
}

/**
 * Checks and compiles a `dedupe` block. Throws SLUICE_ERR_REQUEST_INVALID
 * naming the field under `field` (default `dedupe`), e.g.
 * `dedupe.window: window "0s" is too short: at least 1s`.
 */
export function parseAlertHygieneConfig(input: unknown, field = 'dedupe'): AlertHygienePolicy {
  const parsed = alertHygieneConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = formatFieldPath(issue?.path ?? []);
    const place = path ? `${field}.${path}` : field;
    throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', `${place}: ${issue?.message ?? 'invalid'}`, {
      place: { field: place },
      details: { issues: parsed.error.issues.map((i) => ({ path: [field, formatFieldPath(i.path)].filter(Boolean).join('.'), message: i.message })) },
    });
  }
  const config = parsed.data;
  return {
    config,
    windowMs: parseWindow(config.window) ?? MIN_WINDOW_MS,
    digest: config.digest === true,
    keyOf: compileKeyTemplate(config.key, `${field}.key`),
  };
}

// ---------------------------------------------------------------------------
// Digests

export interface DigestSample {
  /** ISO 8601. */
  at: string;
  subject?: string;
  /** Cut to {@link MAX_SAMPLE_CHARS} characters. */
  message: string;
}

/** What one window suppressed; `formatDigest` makes the notification. */
export interface Digest {
  scope: string;
  /** The window's key (cut to {@link MAX_STORED_KEY_CHARS}). */
  key: string;
  /** The subject of the alert that opened the window (the one that was sent), if it had one. */
  subject?: string;
  /** ISO 8601: when the first alert was sent. */
  windowStart: string;
  /** ISO 8601: when the window ended (not when the digest was made). */
  windowEnd: string;
  suppressedCount: number;
  /** ISO 8601. */
  firstSuppressedAt: string;
  /** ISO 8601. */
  lastSuppressedAt: string;
  /** The last suppressed alerts, at most {@link MAX_DIGEST_SAMPLES}, oldest first. */
  samples: DigestSample[];
}

/** `15 min`, `1 h`, `1 h 30 min`, `2 days`, `45 s`. */
export function formatWindowLength(ms: number): string {
  if (ms < 1_000) return `${ms} ms`;
  const units: Array<[number, string, string]> = [
    [86_400_000, 'day', 'days'],
    [3_600_000, 'h', 'h'],
    [60_000, 'min', 'min'],
    [1_000, 's', 's'],
  ];
  const out: string[] = [];
  let rest = Math.round(ms / 1_000) * 1_000;
  for (const [size, one, many] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) out.push(`${n} ${n === 1 ? one : many}`);
    rest -= n * size;
  }
  return out.join(' ');
}

function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/**
 * A digest as a notification: a subject of at most 100 characters such as
 * `Digest: 7 more alerts like "Attention:Humidity Under Threshold" (key soilSensor2) in 15 min`,
 * and a plain-text body listing the samples.
 */
export function formatDigest(digest: Digest): { subject: string; message: string } {
  const count = digest.suppressedCount;
  const alerts = count === 1 ? 'alert' : 'alerts';
  const length = formatWindowLength(Date.parse(digest.windowEnd) - Date.parse(digest.windowStart));
  const alertSubject = digest.subject === undefined ? '' : oneLine(digest.subject);
  const key = oneLine(digest.key);

  const head = `Digest: ${count} more ${alerts}`;
  const tail = ` in ${length}`;
  // The alert's subject first, the key at least 12 characters (at most 32), both cut with `…` to fit.
  const room = MAX_SUBJECT_CHARS - head.length - tail.length - (alertSubject ? ' like ""'.length : 0) - (key ? ' (key )'.length : 0);
  const keyMax = key ? Math.max(Math.min(key.length, 12), Math.min(key.length, 32, room - alertSubject.length)) : 0;
  const subjectMax = room - keyMax;
  const keyText = key ? ` (key ${cut(key, keyMax)})` : '';
  const like = alertSubject && subjectMax >= 4 ? ` like "${cut(alertSubject, subjectMax)}"` : '';
  const subject = cut(`${head}${like}${keyText}${tail}`, MAX_SUBJECT_CHARS);

  const lines: string[] = [];
  const what = alertSubject ? `like "${alertSubject}"` : 'with the same key';
  lines.push(`${count} more ${alerts} ${what} ${count === 1 ? 'was' : 'were'} held back after the first one was sent.`);
  lines.push('');
  lines.push(`Scope:  ${digest.scope}`);
  lines.push(`Key:    ${key === '' ? '(empty)' : key}`);
  lines.push(`Window: ${digest.windowStart} to ${digest.windowEnd} (${length})`);
  lines.push(`First held back at ${digest.firstSuppressedAt}, last at ${digest.lastSuppressedAt}.`);
  lines.push('');
  const shown = digest.samples.length;
  lines.push(shown === count ? (count === 1 ? 'It was:' : `All ${count}, oldest first:`) : `The last ${shown} of ${count}, oldest first:`);
  for (const sample of digest.samples) {
    const sampleSubject = sample.subject !== undefined && oneLine(sample.subject) !== alertSubject ? ` [${oneLine(sample.subject)}]` : '';
    const [first = '', ...more] = sample.message.split(/\r?\n/);
    lines.push(`${sample.at}${sampleSubject}  ${first}`);
    for (const line of more) lines.push(`    ${line}`);
  }
  return { subject, message: `${lines.join('\n')}\n` };
}

// ---------------------------------------------------------------------------
// The gate

/** How the gate sets its one timer; the default is an unref'd setTimeout. */
export interface HygieneTimers {
  set(callback: () => void, delayMs: number): unknown;
  clear(handle: unknown): void;
}

export const realHygieneTimers: HygieneTimers = {
  set(callback, delayMs) {
    const timer = setTimeout(callback, delayMs);
    timer.unref();
    return timer;
  },
  clear(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/** Warnings only; a pino Logger fits. */
export interface HygieneLogger {
  warn(obj: object, msg?: string): void;
}

export interface AlertGateOptions {
  state: StateStore;
  clock: Clock;
  /** Called once per window that suppressed something, with digest on. Should not go through the gate again. */
  onDigest: (digest: Digest) => Promise<void>;
  logger: HygieneLogger;
  /** Default {@link realHygieneTimers}; `null`: no timer, the owner calls `tick()`. */
  timers?: HygieneTimers | null;
}

export type AdmitResult = 'send' | 'suppressed';

interface StoredSample {
  at: number;
  subject?: string;
  message: string;
}

interface WindowDoc {
  kind: 'window';
  scope: string;
  key: string;
  windowStart: number;
  windowEnd: number;
  subject?: string;
  /** The id of the notification that opened the window, when it had one. */
  openedBy?: string;
  suppressedCount: number;
  firstSuppressedAt?: number;
  lastSuppressedAt?: number;
  samples: StoredSample[];
}

interface DigestDoc {
  kind: 'digest';
  digest: Digest;
}

type HygieneDoc = WindowDoc | DigestDoc;

/** Longest delay a Node timer takes. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const POLICY_CACHE_SIZE = 256;

/**
 * De-duplication windows and digests; see the file's comment. One per
 * process; mutations of one window are serialized in it.
 */
export class AlertGate {
  private readonly collection: DocumentCollection<HygieneDoc>;
  private readonly clock: Clock;
  private readonly onDigest: (digest: Digest) => Promise<void>;
  private readonly logger: HygieneLogger;
  private readonly timers: HygieneTimers | null;
  /** Open windows this process knows of: id → end. */
  private readonly windowEnds = new Map<string, number>();
  /** Pending digests: id → when to try (again). */
  private readonly dueDigests = new Map<string, number>();
  private readonly locks = new Map<string, Promise<void>>();
  private readonly policies = new Map<string, AlertHygienePolicy>();
  private ticking: Promise<void> = Promise.resolve();
  private timer: { handle: unknown; at: number } | undefined;
  private closed = false;

  constructor(options: AlertGateOptions) {
    this.collection = options.state.collection<HygieneDoc>(HYGIENE_COLLECTION);
    this.clock = options.clock;
    this.onDigest = options.onDigest;
    this.logger = options.logger;
    this.timers = options.timers === undefined ? realHygieneTimers : options.timers;
  }

  /**
   * Whether to send this notification now. The caller checks this before
   * publishing (or delivering) and drops it on `suppressed`. `config` is a
   * `dedupe` block (compiled on first use, cached) or an already parsed policy.
   */
  async admit(scope: string, config: AlertHygieneConfig | AlertHygienePolicy, notification: HygieneNotification): Promise<AdmitResult> {
    const policy = this.policyOf(config);
    const fullKey = policy.keyOf(notification);
    if (fullKey === '') return 'send';
    const id = windowId(scope, fullKey);
    const result = await this.withLock(id, async (): Promise<AdmitResult> => {
      const now = this.clock.now();
      const existing = await this.collection.get(id);
      if (existing?.kind === 'window' && now < existing.windowEnd) {
        this.windowEnds.set(id, existing.windowEnd);
        if (notification.id !== undefined && existing.openedBy === notification.id) return 'send';
        if (policy.digest) {
          existing.suppressedCount += 1;
          existing.firstSuppressedAt ??= now;
          existing.lastSuppressedAt = now;
          const sample: StoredSample = { at: now, message: cut(notification.message, MAX_SAMPLE_CHARS) };
          if (notification.subject !== undefined) sample.subject = notification.subject;
          existing.samples.push(sample);
          if (existing.samples.length > MAX_DIGEST_SAMPLES) existing.samples.splice(0, existing.samples.length - MAX_DIGEST_SAMPLES);
          await this.collection.put(id, existing);
        }
        return 'suppressed';
      }
      if (existing?.kind === 'window') await this.retire(id, existing);
      const opened: WindowDoc = {
        kind: 'window',
        scope,
        key: cut(fullKey, MAX_STORED_KEY_CHARS),
        windowStart: now,
        windowEnd: now + policy.windowMs,
        suppressedCount: 0,
        samples: [],
      };
      if (notification.subject !== undefined) opened.subject = notification.subject;
      if (notification.id !== undefined) opened.openedBy = notification.id;
      await this.collection.put(id, opened);
      this.windowEnds.set(id, opened.windowEnd);
      return 'send';
    });
    this.schedule();
    return result;
  }

  /**
   * Picks up what the state store holds (after a restart): schedules open
   * windows, and ends those whose time is past, delivering their digests
   * before it returns.
   */
  async resume(): Promise<void> {
    for (const { id, doc } of await this.collection.list()) {
      if (doc.kind === 'window') this.windowEnds.set(id, doc.windowEnd);
      else if (!this.dueDigests.has(id)) this.dueDigests.set(id, 0);
    }
    await this.tick();
  }

  /** Ends the windows due by `clock.now()` and delivers pending digests. Called by the timer; tests call it. */
  tick(): Promise<void> {
    const run = this.ticking.then(() => this.runTick());
    this.ticking = run.catch(() => undefined);
    return run;
  }

  /** Stops the timer. Stored windows and digests stay for the next `resume()`. */
  close(): void {
    this.closed = true;
    if (this.timer && this.timers) this.timers.clear(this.timer.handle);
    this.timer = undefined;
  }

  /**
   * Drops the windows and pending digests of a scope whose topic or
   * subscription was deleted, so a topic created again under the same name
   * starts with no window and is not sent the old one's digest.
   */
  async forget(scope: string): Promise<number> {
    let dropped = 0;
    for (const { id, doc } of await this.collection.list()) {
      if ((doc.kind === 'window' ? doc.scope : doc.digest.scope) !== scope) continue;
      await this.withLock(id, async () => {
        if (await this.collection.delete(id)) dropped += 1;
        this.windowEnds.delete(id);
        this.dueDigests.delete(id);
      });
    }
    return dropped;
  }

  /** The open windows (for inspection and tests). */
  async openWindows(): Promise<Array<{ scope: string; key: string; windowStart: string; windowEnd: string; suppressedCount: number }>> {
    const out = [];
    for (const { doc } of await this.collection.list()) {
      if (doc.kind !== 'window') continue;
      out.push({ scope: doc.scope, key: doc.key, windowStart: iso(doc.windowStart), windowEnd: iso(doc.windowEnd), suppressedCount: doc.suppressedCount });
    }
    return out;
  }

  private async runTick(): Promise<void> {
    try {
      const now = this.clock.now();
      const ended = [...this.windowEnds].filter(([, end]) => end <= now).sort(([a, ea], [b, eb]) => ea - eb || (a < b ? -1 : a > b ? 1 : 0));
      for (const [id] of ended) {
        await this.withLock(id, async () => {
          const doc = await this.collection.get(id);
          if (doc?.kind === 'window' && doc.windowEnd <= now) {
            await this.retire(id, doc);
            await this.collection.delete(id);
            this.windowEnds.delete(id);
          } else if (doc?.kind === 'window') {
            this.windowEnds.set(id, doc.windowEnd);
          } else {
            this.windowEnds.delete(id);
          }
        });
      }
      const due = [...this.dueDigests].filter(([, at]) => at <= now).map(([id]) => id).sort();
      for (const id of due) await this.deliver(id);
    } finally {
      this.schedule();
    }
  }

  /** Turns an ended window's suppressed alerts into a pending digest (stored first). Returns whether there was one. */
  private async retire(windowDocId: string, doc: WindowDoc): Promise<boolean> {
    if (doc.suppressedCount === 0 || doc.firstSuppressedAt === undefined || doc.lastSuppressedAt === undefined) return false;
    const digest: Digest = {
      scope: doc.scope,
      key: doc.key,
      windowStart: iso(doc.windowStart),
      windowEnd: iso(doc.windowEnd),
      suppressedCount: doc.suppressedCount,
      firstSuppressedAt: iso(doc.firstSuppressedAt),
      lastSuppressedAt: iso(doc.lastSuppressedAt),
      samples: doc.samples.map((s) => ({ at: iso(s.at), ...(s.subject !== undefined ? { subject: s.subject } : {}), message: s.message })),
    };
    if (doc.subject !== undefined) digest.subject = doc.subject;
    // Named by the window's end, so pending digests sort by time, and retiring twice (a crash between) stores one.
    const id = `digest:${String(doc.windowEnd).padStart(15, '0')}:${windowDocId.slice('window:'.length)}`;
    await this.collection.put(id, { kind: 'digest', digest });
    this.dueDigests.set(id, 0);
    return true;
  }

  private async deliver(id: string): Promise<void> {
    const doc = await this.collection.get(id);
    if (doc?.kind !== 'digest') {
      this.dueDigests.delete(id);
      return;
    }
    try {
      await this.onDigest(doc.digest);
    } catch (error) {
      this.dueDigests.set(id, this.clock.now() + DIGEST_RETRY_MS);
      this.logger.warn(
        { scope: doc.digest.scope, key: doc.digest.key, err: error instanceof Error ? error.message : String(error) },
        `alert hygiene: sending a digest failed; trying again in ${DIGEST_RETRY_MS / 1000} s`,
      );
      return;
    }
    this.dueDigests.delete(id);
    await this.collection.delete(id);
  }

  /** One timer, at the earliest window end or digest retry. */
  private schedule(): void {
    if (!this.timers || this.closed) return;
    let next = Number.POSITIVE_INFINITY;
    for (const end of this.windowEnds.values()) next = Math.min(next, end);
    for (const at of this.dueDigests.values()) next = Math.min(next, at);
    if (this.timer && this.timer.at === next) return;
    if (this.timer) this.timers.clear(this.timer.handle);
    this.timer = undefined;
    if (next === Number.POSITIVE_INFINITY) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, next - this.clock.now()));
    const handle = this.timers.set(() => {
      this.timer = undefined;
      this.tick().catch((error: unknown) => {
        this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'alert hygiene: tick failed');
      });
    }, delay);
    this.timer = { handle, at: next };
  }

  private policyOf(config: AlertHygieneConfig | AlertHygienePolicy): AlertHygienePolicy {
    if ('keyOf' in config) return config;
    const cacheKey = JSON.stringify([config.key, config.window, config.digest === true]);
    let policy = this.policies.get(cacheKey);
    if (!policy) {
      policy = parseAlertHygieneConfig(config);
      if (this.policies.size >= POLICY_CACHE_SIZE) this.policies.clear();
      this.policies.set(cacheKey, policy);
    }
    return policy;
  }

  private async withLock<T>(id: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(id) ?? Promise.resolve();
    const run = previous.then(work);
    const tail = run.then(() => undefined, () => undefined);
    this.locks.set(id, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    }
  }
}

function windowId(scope: string, key: string): string {
  return `window:${createHash('sha256').update(JSON.stringify([scope, key])).digest('hex').slice(0, 40)}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
