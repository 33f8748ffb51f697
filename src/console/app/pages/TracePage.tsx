import { useEffect, useState } from 'preact/hooks';
import type { PageProps } from '../routes';
import { seg, useApi } from '../api';
import { href } from '../router';
import { Badge, ErrorNotice, Loading, PageHeader, formatClock, formatTime, prettyJson } from '../components';
import { RuleTimeline, traceSpanMs } from './trace-timeline';
import { isPendingTrace, type TraceDetail, type TraceSummary } from './trace-types';

/** While anything in a trace is still under way, it is fetched again this often (ms). */
const PENDING_REFRESH_MS = 1000;
/** The recent-traces list refreshes this often (ms): new messages show without a click. */
const LIST_REFRESH_MS = 2000;

/**
 * `#/trace/<messageId>`: what happened to one message (which rules matched,
 * what each action did and how long it took, the notifications it caused);
 * `#/trace`: the recent messages, newest first, each linking to its trace.
 */
export function TracePage({ params }: PageProps) {
  const messageId = params.messageId;
  return messageId ? <TraceView messageId={messageId} /> : <RecentTraces />;
}

function RecentTraces() {
  const [topic, setTopic] = useState('');
  const [clientId, setClientId] = useState('');
  const query = new URLSearchParams({ limit: '50' });
  if (topic.trim() !== '') query.set('topic', topic.trim());
  if (clientId.trim() !== '') query.set('clientId', clientId.trim());
  const { data, error, loading } = useApi<{ traces: TraceSummary[] }>(`/api/v1/traces?${query.toString()}`, { refreshMs: LIST_REFRESH_MS });

  return (
    <section>
      <PageHeader title="Message traces" />
      <p class="muted">The server keeps the trace of the most recent messages: which rules matched each one and what their actions did.</p>
      <form class="row" onSubmit={(event) => event.preventDefault()}>
        <label>
          Topic
          <input type="text" value={topic} placeholder="device/soilSensor2/devicePayload" onInput={(event) => setTopic(event.currentTarget.value)} />
        </label>
        <label>
          Client id
          <input type="text" value={clientId} placeholder="soilSensor2" onInput={(event) => setClientId(event.currentTarget.value)} />
        </label>
      </form>
      <ErrorNotice error={error} title="Traces" />
      {data === undefined ? (
        loading ? <Loading what="traces" /> : null
      ) : data.traces.length === 0 ? (
        <p class="muted">No traced messages yet{topic || clientId ? ' match these filters' : ''}.</p>
      ) : (
        <table class="table" aria-label="Recent messages">
          <thead>
            <tr>
              <th>Received</th>
              <th>Topic</th>
              <th>Client</th>
              <th>Rules matched</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {data.traces.map((trace) => (
              <tr key={trace.messageId}>
                <td>
                  <a href={href(`/trace/${seg(trace.messageId)}`)} title={`Trace of message ${trace.messageId}`}>
                    {formatClock(Date.parse(trace.receivedAt))}
                  </a>
                </td>
                <td>
                  <code>{trace.topic}</code>
                </td>
                <td>{trace.clientId}</td>
                <td>{trace.rulesMatched.length > 0 ? trace.rulesMatched.join(', ') : <span class="muted">none</span>}</td>
                <td>
                  <Badge value={trace.status} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function TraceView({ messageId }: { messageId: string }) {
  const [pending, setPending] = useState(true);
  const { data, error, loading, reload } = useApi<TraceDetail>(`/api/v1/traces/${seg(messageId)}`, pending ? { refreshMs: PENDING_REFRESH_MS } : {});
  const stillPending = data !== undefined && isPendingTrace(data);
  // Polling stops once nothing is under way; a manual refresh is always there.
  useEffect(() => {
    if (data !== undefined) setPending(stillPending);
  }, [data, stillPending]);

  return (
    <section>
      <PageHeader title="Message trace">
        <a href={href('/trace')}>All recent messages</a>
        <button type="button" class="secondary" onClick={reload}>
          Refresh
        </button>
      </PageHeader>
      <ErrorNotice error={error} title="Trace" />
      {data === undefined ? loading ? <Loading what="the trace" /> : null : <TraceBody trace={data} pending={stillPending} />}
    </section>
  );
}

function TraceBody({ trace, pending }: { trace: TraceDetail; pending: boolean }) {
  const receivedAt = Date.parse(trace.receivedAt);
  // One scale for every rule's timeline, so their bars compare.
  const totalMs = traceSpanMs(trace, receivedAt);
  return (
    <>
      {pending ? (
        <p class="notice" role="status" aria-live="polite">
          Actions are still pending; refreshing every second.
        </p>
      ) : null}
      <article class="panel" aria-label="Message">
        <h2>Message</h2>
        <dl class="facts" style={{ display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '0.2rem 1rem', margin: 0 }}>
          <dt>Message id</dt>
          <dd>
            <code>{trace.messageId}</code>
          </dd>
          <dt>Topic</dt>
          <dd>
            <code>{trace.topic}</code>
          </dd>
          <dt>Client</dt>
          <dd>{trace.clientId || '—'}</dd>
          <dt>QoS</dt>
          <dd>{trace.qos}</dd>
          <dt>Received</dt>
          <dd>
            {formatTime(trace.receivedAt)} ({formatClock(receivedAt)})
          </dd>
          <dt>Status</dt>
          <dd>
            <Badge value={trace.status} />
          </dd>
        </dl>
        <Payload payload={trace.payload} />
      </article>
      {trace.rules.length === 0 ? (
        <p class="muted">No rule matched this message.</p>
      ) : (
        trace.rules.map((rule) => <RuleTimeline key={rule.rule} rule={rule} receivedAt={receivedAt} totalMs={totalMs} notifications={trace.notifications} />)
      )}
      <Notifications trace={trace} />
    </>
  );
}

function Payload({ payload }: { payload: TraceDetail['payload'] }) {
  const body = payload.text !== undefined ? prettyJson(payload.text) : payload.base64 !== undefined ? `(binary, base64) ${payload.base64}` : '(empty)';
  return (
    <>
      <h3>Payload{payload.truncated ? ' (truncated)' : ''}</h3>
      <pre class="payload">{body}</pre>
    </>
  );
}

function Notifications({ trace }: { trace: TraceDetail }) {
  if (trace.notifications.length === 0) return null;
  return (
    <article class="panel" aria-label="Notifications">
      <h2>Notifications</h2>
      {trace.notifications.map((notification) => (
        <div key={notification.messageId} class="notification">
          <p>
            <strong>{notification.subject ?? '(no subject)'}</strong> to topic <code>{notification.topic}</code>, published by {notification.publishedBy}
          </p>
          {notification.deliveries.length === 0 ? (
            <p class="muted">No deliveries yet (no confirmed subscription, or still queued).</p>
          ) : (
            <table class="table" aria-label={`Deliveries of ${notification.messageId}`}>
              <thead>
                <tr>
                  <th>Protocol</th>
                  <th>Endpoint</th>
                  <th>Status</th>
                  <th>At</th>
                </tr>
              </thead>
              <tbody>
                {notification.deliveries.map((delivery) => (
                  <tr key={`${delivery.subscriptionId}-${delivery.at}`}>
                    <td>{delivery.protocol}</td>
                    <td>{delivery.endpoint}</td>
                    <td>
                      <Badge value={delivery.status} />
                    </td>
                    <td>{formatTime(delivery.at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      ))}
    </article>
  );
}
