import { useState } from 'preact/hooks';
import { ApiError, apiFetch, saveBlob, seg } from '../api';
import { href } from '../router';
import { Badge, ErrorNotice, formatDuration } from '../components';
import type { TraceAction, TraceDetail, TraceNotification, TraceRule } from './trace-types';

/** The API path of an object's bytes; a key's slashes stay slashes. */
export function objectPath(bucket: string, key: string): string {
  return `/api/v1/buckets/${seg(bucket)}/objects/${key.split('/').map(seg).join('/')}`;
}

/**
 * Fetches an object with the operator's token (a plain link could not carry
 * it) and hands it to the browser as a download.
 */
export function ObjectLink({ bucket, objectKey }: { bucket: string; objectKey: string }) {
  const [error, setError] = useState<unknown>(undefined);
  const path = objectPath(bucket, objectKey);
  const download = async (event: Event): Promise<void> => {
    event.preventDefault();
    setError(undefined);
    try {
      const blob = await apiFetch<Blob>(path, { as: 'blob' });
      saveBlob(blob, objectKey.split('/').at(-1) || 'object');
    } catch (caught) {
      setError(caught instanceof ApiError ? caught : new ApiError(0, String(caught)));
    }
  };
  return (
    <>
      <a href={path} onClick={(event) => void download(event)} title="Download the object">
        {bucket}/{objectKey}
      </a>
      <ErrorNotice error={error} title="Download" />
    </>
  );
}

interface Span {
  offsetMs: number;
  durationMs: number;
}

function actionSpan(action: TraceAction, receivedAt: number): Span {
  const enqueued = Date.parse(action.enqueuedAt);
  return { offsetMs: Math.max(0, enqueued - receivedAt), durationMs: action.durationMs ?? 0 };
}

/** From the message's arrival to the end of its last action (ms, at least 1): the width of every timeline. */
export function traceSpanMs(trace: TraceDetail, receivedAt: number): number {
  let end = 1;
  for (const rule of trace.rules) {
    end = Math.max(end, rule.evaluationMs);
    for (const action of rule.actions) {
      const span = actionSpan(action, receivedAt);
      end = Math.max(end, span.offsetMs + span.durationMs);
    }
  }
  return end;
}

/** One matched rule: its evaluation, then each action on a timeline from the message's arrival. */
export function RuleTimeline(props: { rule: TraceRule; receivedAt: number; totalMs: number; notifications: TraceNotification[] }) {
  const { rule, receivedAt, totalMs, notifications } = props;
  const spans = rule.actions.map((action) => actionSpan(action, receivedAt));
  return (
    <article class="panel" aria-label={`Rule ${rule.rule}`}>
      <h2>
        Rule <a href={href(`/rules/${seg(rule.rule)}`)}>{rule.rule}</a>
      </h2>
      <p>
        Evaluated in {formatDuration(rule.evaluationMs)}
        {rule.error ? null : `; ${rule.actions.length} action${rule.actions.length === 1 ? '' : 's'}`}
      </p>
      {rule.error ? <ErrorNotice error={new Error(rule.error)} title="Evaluation failed" /> : null}
      <ol class="timeline">
        {rule.actions.map((action, index) => (
          <ActionStep key={action.jobId} action={action} span={spans[index] ?? { offsetMs: 0, durationMs: 0 }} totalMs={totalMs} notifications={notifications} />
        ))}
      </ol>
    </article>
  );
}

function ActionStep({ action, span, totalMs, notifications }: { action: TraceAction; span: Span; totalMs: number; notifications: TraceNotification[] }) {
  const left = (span.offsetMs / totalMs) * 100;
  const width = Math.max((span.durationMs / totalMs) * 100, 0.5);
  return (
    <li class="timeline-step" aria-label={`${action.kind} action ${action.target}`}>
      <div class="timeline-head">
        <strong>{action.kind}</strong> <code>{action.target}</code> <Badge value={action.status} />
        <span class="muted">
          {' '}
          {action.attempts} attempt{action.attempts === 1 ? '' : 's'} · started +{formatDuration(span.offsetMs)} · took {formatDuration(action.durationMs)}
        </span>
      </div>
      <div class="timeline-track" style={{ position: 'relative', height: '6px', background: 'rgba(127,127,127,0.15)', borderRadius: '3px', margin: '4px 0' }}>
        <div
          class="timeline-bar"
          style={{ position: 'absolute', left: `${Math.min(left, 99.5)}%`, width: `${Math.min(width, 100 - Math.min(left, 99.5))}%`, top: 0, bottom: 0, background: '#2563eb', borderRadius: '3px' }}
        />
      </div>
      {action.error ? <ErrorNotice error={new Error(action.error)} title={`Attempt ${action.attempts}`} /> : null}
      <ActionResult action={action} notifications={notifications} />
    </li>
  );
}

function ActionResult({ action, notifications }: { action: TraceAction; notifications: TraceNotification[] }) {
  const result = action.result;
  if (!result) return null;
  const parts = [];
  if (result.bucket !== undefined && result.key !== undefined) {
    parts.push(
      <p key="object">
        Stored object: <ObjectLink bucket={result.bucket} objectKey={result.key} />
      </p>,
    );
  }
  if (result.functionName !== undefined) parts.push(<Invocation key="invocation" functionName={result.functionName} requestId={result.requestId} />);
  if (result.topic !== undefined && result.bucket === undefined) {
    parts.push(
      <p key="topic">
        Topic: <code>{result.topic}</code>
      </p>,
    );
  }
  for (const id of result.notificationMessageIds ?? []) {
    const notification = notifications.find((n) => n.messageId === id);
    parts.push(
      <p key={`n-${id}`}>
        Notification <code>{id}</code>:{' '}
        {notification
          ? notification.deliveries.length === 0
            ? 'no deliveries yet'
            : notification.deliveries.map((d) => `${d.protocol} ${d.endpoint} ${d.status}`).join('; ')
          : 'not delivered yet'}
      </p>,
    );
  }
  return <div class="timeline-result">{parts}</div>;
}

export interface LogLine {
  seq: number;
  timestamp: string;
  requestId: string | null;
  level: string;
  message: string;
}

/** A function invocation: its request id, a link to the Functions page filtered to it, and its log lines on demand. */
function Invocation({ functionName, requestId }: { functionName: string; requestId: string | undefined }) {
  const [lines, setLines] = useState<LogLine[] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const functionHref = href(`/functions/${seg(functionName)}${requestId ? `?requestId=${encodeURIComponent(requestId)}` : ''}`);
  const load = async (open: boolean): Promise<void> => {
    if (!open || requestId === undefined) return;
    try {
      const answer = await apiFetch<{ lines: LogLine[] }>(`/api/v1/functions/${seg(functionName)}/logs?requestId=${encodeURIComponent(requestId)}`);
      setLines(answer.lines);
      setError(undefined);
    } catch (caught) {
      setError(caught);
    }
  };
  return (
    <div class="invocation">
      <p>
        Function invocation: <strong>{functionName}</strong>
        {requestId ? (
          <>
            {' '}
            request <code>{requestId}</code> · <a href={functionHref}>logs on the Functions page</a>
          </>
        ) : null}
      </p>
      {requestId ? (
        <details onToggle={(event) => void load(event.currentTarget.open)}>
          <summary>Log lines of this invocation</summary>
          <ErrorNotice error={error} title="Logs" />
          {lines === undefined ? null : lines.length === 0 ? <p class="muted">No log lines.</p> : <pre class="logs">{lines.map((line) => formatLogLine(line, false)).join('\n')}</pre>}
        </details>
      ) : null}
    </div>
  );
}

/**
 * One log line as text; platform lines (START, END, REPORT) already begin with
 * their kind, so it is not repeated. The request id is left out where every
 * line shown is of one request.
 */
export function formatLogLine(line: LogLine, showRequestId = true): string {
  const level = line.message.startsWith(line.level) ? '' : `${line.level} `;
  return `${line.timestamp} ${showRequestId ? `${line.requestId ?? '-'} ` : ''}${level}${line.message}`;
}
