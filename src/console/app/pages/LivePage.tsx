import { Component } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { PageProps } from '../routes';
import { apiFetch, seg } from '../api';
import { useSession } from '../session';
import { useMqtt, type QoS } from '../mqtt';
import { hashQuery, navigate } from '../router';
import { liveStore, MAX_MESSAGES, type LiveMessage } from '../live-store';
import { Badge, ErrorNotice, PageHeader, StatusNotice, formatClock } from '../components';

/** A trace summary as GET /api/v1/traces lists it (the fields this page needs). */
interface TraceSummary {
  messageId: string;
  topic: string;
  receivedAt: string;
  payload: { text?: string; base64?: string; truncated: boolean };
}

/** Re-renders when the live store says so (at most once per animation frame). */
function useLiveStore(): typeof liveStore {
  const [, setTick] = useState(0);
  useEffect(() => liveStore.subscribeView(() => setTick((tick) => tick + 1)), []);
  return liveStore;
}

/** An MQTT test client over the console's WebSocket connection: subscribe, publish, watch messages. */
export function LivePage(_props: PageProps) {
  const { canWrite } = useSession();
  const { state, error: connectionError } = useMqtt();
  const store = useLiveStore();
  const [autoError, setAutoError] = useState<unknown>(undefined);

  // `#/live?subscribe=FILTER` (where the demo's sign-in link lands) subscribes on arrival.
  useEffect(() => {
    const filter = hashQuery().get('subscribe');
    if (!filter || store.subscriptions.some((entry) => entry.filter === filter)) return;
    store.subscribe(filter, 0).catch(setAutoError);
  }, [store]);

  return (
    <section>
      <PageHeader title="Live">
        <span>
          Broker: <Badge value={state} />
        </span>
      </PageHeader>
      {state !== 'connected' && connectionError ? <ErrorNotice error={connectionError} title="MQTT connection" /> : null}
      {autoError ? <ErrorNotice error={autoError} title="Subscribe" /> : null}
      <div class="grid">
        <SubscribePanel />
        {canWrite ? <PublishPanel /> : null}
      </div>
      <MessagesPanel messages={store.messages} paused={store.paused} waiting={store.waitingCount} />
    </section>
  );
}

function QosSelect({ label, value, onChange }: { label: string; value: QoS; onChange: (qos: QoS) => void }) {
  return (
    <label>
      {label}
      <select value={String(value)} onChange={(event) => onChange(Number(event.currentTarget.value) as QoS)}>
        <option value="0">0</option>
        <option value="1">1</option>
        <option value="2">2</option>
      </select>
    </label>
  );
}

function SubscribePanel() {
  const store = useLiveStore();
  const [filter, setFilter] = useState('#');
  const [qos, setQos] = useState<QoS>(0);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);

  const subscribe = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const trimmed = filter.trim();
      if (trimmed === '') throw new Error('enter a topic filter, e.g. # or device/+/devicePayload');
      await store.subscribe(trimmed, qos);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="panel">
      <h2>Subscribe</h2>
      <form class="row" onSubmit={(event) => void subscribe(event)}>
        <label>
          Topic filter
          <input value={filter} onInput={(event) => setFilter(event.currentTarget.value)} size={30} />
        </label>
        <QosSelect label="Subscription QoS" value={qos} onChange={setQos} />
        <button type="submit" disabled={busy}>
          Subscribe
        </button>
      </form>
      <ErrorNotice error={error} title="Subscribe failed" />
      <h3>Subscriptions</h3>
      {store.subscriptions.length === 0 ? (
        <p class="muted">None yet. Subscribe to # to see every message.</p>
      ) : (
        <ul aria-label="Subscriptions" class="plain-list stack">
          {store.subscriptions.map((entry) => (
            <li key={entry.filter} class="row">
              <code>{entry.filter}</code> <span class="muted">QoS {entry.qos}</span>
              <button type="button" class="secondary" aria-label={`Unsubscribe from ${entry.filter}`} onClick={() => store.unsubscribe(entry.filter)}>
                Unsubscribe
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function PublishPanel() {
  const { connection } = useMqtt();
  const [topic, setTopic] = useState('device/console/test');
  const [qos, setQos] = useState<QoS>(0);
  const [retain, setRetain] = useState(false);
  const [payload, setPayload] = useState('{"name":"console","humidity":30}');
  const [error, setError] = useState<unknown>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);

  const publish = async (event: Event): Promise<void> => {
    event.preventDefault();
    setError(undefined);
    setDone(undefined);
    try {
      if (!connection) throw new Error('not signed in');
      if (topic.trim() === '' || /[+#]/.test(topic)) throw new Error('enter a topic name without wildcards (+ or #)');
      await connection.publish(topic.trim(), payload, { qos, retain });
      setDone(`Published to ${topic.trim()} at ${formatClock(Date.now())}`);
    } catch (caught) {
      setError(caught);
    }
  };

  return (
    <div class="panel">
      <h2>Publish</h2>
      <form class="stack" onSubmit={(event) => void publish(event)}>
        <div class="row">
          <label>
            Topic
            <input value={topic} onInput={(event) => setTopic(event.currentTarget.value)} size={30} />
          </label>
          <QosSelect label="QoS" value={qos} onChange={setQos} />
          <label class="inline">
            <input type="checkbox" checked={retain} onChange={(event) => setRetain(event.currentTarget.checked)} />
            Retain
          </label>
        </div>
        <label>
          Payload
          <textarea class="code" rows={4} value={payload} onInput={(event) => setPayload(event.currentTarget.value)} />
        </label>
        <div>
          <button type="submit">Publish</button>
        </div>
      </form>
      <ErrorNotice error={error} title="Publish failed" />
      <StatusNotice>{done}</StatusNotice>
    </div>
  );
}

function MessagesPanel({ messages, paused, waiting }: { messages: LiveMessage[]; paused: boolean; waiting: number }) {
  const [text, setText] = useState('');
  const [traceError, setTraceError] = useState<unknown>(undefined);
  const [opening, setOpening] = useState<number | undefined>(undefined);
  const needle = text.trim().toLowerCase();
  const shown = useMemo(
    () => (needle === '' ? messages : messages.filter((message) => message.topic.toLowerCase().includes(needle) || message.text.toLowerCase().includes(needle) || message.display.toLowerCase().includes(needle))),
    [messages, needle],
  );

  const openTrace = async (message: LiveMessage): Promise<void> => {
    setTraceError(undefined);
    setOpening(message.seq);
    try {
      const messageId = await findTrace(message);
      navigate(`/trace/${seg(messageId)}`);
    } catch (caught) {
      setTraceError(caught);
    } finally {
      setOpening(undefined);
    }
  };

  return (
    <div class="panel">
      <div class="page-header">
        <h2>
          Messages <span class="muted">({messages.length}{messages.length >= MAX_MESSAGES ? `, the newest ${MAX_MESSAGES}` : ''})</span>
        </h2>
        <div class="page-actions">
          <label>
            Filter messages
            <input type="search" value={text} onInput={(event) => setText(event.currentTarget.value)} placeholder="topic or payload text" />
          </label>
          <button type="button" class="secondary" onClick={() => liveStore.setPaused(!paused)}>
            {paused ? 'Resume' : 'Pause'}
          </button>
          <button type="button" class="secondary" onClick={() => liveStore.clear()}>
            Clear
          </button>
        </div>
      </div>
      {paused ? <p role="status">Paused; {waiting} new message{waiting === 1 ? '' : 's'} waiting.</p> : null}
      <ErrorNotice error={traceError} title="Could not open the trace" />
      {shown.length === 0 ? (
        <p class="muted">{messages.length === 0 ? 'No messages yet.' : 'No message matches the filter.'}</p>
      ) : (
        <ol class="messages" aria-label="Messages">
          {shown.map((message) => (
            <MessageRow key={message.seq} message={message} opening={opening === message.seq} onOpen={openTrace} />
          ))}
        </ol>
      )}
    </div>
  );
}

interface MessageRowProps {
  message: LiveMessage;
  opening: boolean;
  onOpen: (message: LiveMessage) => Promise<void>;
}

/** A class component so a row renders once: messages never change, and 500 rows re-rendering every frame would be slow. */
class MessageRow extends Component<MessageRowProps> {
  override shouldComponentUpdate(next: MessageRowProps): boolean {
    return next.message !== this.props.message || next.opening !== this.props.opening;
  }

  override render() {
    const { message, opening, onOpen } = this.props;
    const clock = formatClock(message.receivedAt);
    return (
      <li class="message" onClick={() => void onOpen(message)}>
        <div class="message-meta">
          <span class="message-topic">{message.topic}</span>
          <time dateTime={new Date(message.receivedAt).toISOString()}>{clock}</time>
          <span>QoS {message.qos}</span>
          {message.retain ? <span>retained</span> : null}
          <button
            type="button"
            class="link"
            aria-label={`Open trace: ${message.topic} at ${clock}`}
            disabled={opening}
            onClick={(event) => {
              event.stopPropagation();
              void onOpen(message);
            }}
          >
            {opening ? 'Finding trace…' : 'Open trace'}
          </button>
        </div>
        <pre>{message.display}</pre>
      </li>
    );
  }
}

/**
 * The server keeps traces by message id, which MQTT does not carry to
 * subscribers; so look the message up by topic, then take the trace with the
 * same payload received nearest to when this browser got it.
 */
async function findTrace(message: LiveMessage): Promise<string> {
  const answer = await apiFetch<{ traces: TraceSummary[] }>(`/api/v1/traces?topic=${encodeURIComponent(message.topic)}&limit=20`);
  const base64 = bytesToBase64(message.payload);
  const samePayload = answer.traces.filter((trace) =>
    trace.payload.text !== undefined
      ? trace.payload.truncated
        ? message.text.startsWith(trace.payload.text)
        : trace.payload.text === message.text
      : trace.payload.base64 !== undefined && (trace.payload.truncated ? base64.startsWith(trace.payload.base64) : trace.payload.base64 === base64),
  );
  const nearest = samePayload
    .map((trace) => ({ trace, distance: Math.abs(Date.parse(trace.receivedAt) - message.receivedAt) }))
    .sort((a, b) => a.distance - b.distance)[0];
  if (!nearest) {
    throw new Error(
      `the server has no trace of this message on '${message.topic}' (traces are kept for the most recent messages only, and not at all with --trace-messages 0)`,
    );
  }
  return nearest.trace.messageId;
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
