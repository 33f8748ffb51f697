import { useEffect, useRef, useState } from 'preact/hooks';
import { apiFetch, seg } from '../api';
import { href } from '../router';
import { ErrorNotice } from '../components';
import { formatLogLine, type LogLine } from './trace-timeline';


/** New lines are asked for this often (ms). */
const POLL_MS = 1000;
/** Lines kept in the page; older ones drop off the top, so a chatty function cannot fill the tab's memory. */
const MAX_LINES = 2000;
/**
 * Lines of concurrent invocations reach the log a little out of time order,
 * so each poll asks from this long before the newest line seen and keeps only
 * lines with a higher seq.
 */
const OVERLAP_MS = 10_000;

/** A function's logs that follow: polled every second, appended, optionally narrowed to one request id. */
export function FunctionLogs({ name, requestId }: { name: string; requestId: string | undefined }) {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [error, setError] = useState<unknown>(undefined);
  const [following, setFollowing] = useState(true);
  const last = useRef<{ seq: number; time: number }>({ seq: 0, time: 0 });
  const bottom = useRef<HTMLPreElement>(null);

  useEffect(() => {
    if (!following) return undefined;
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async (): Promise<void> => {
      const query = new URLSearchParams({ limit: '500' });
      if (last.current.time > 0) query.set('since', new Date(last.current.time - OVERLAP_MS).toISOString());
      if (requestId !== undefined) query.set('requestId', requestId);
      try {
        const answer = await apiFetch<{ lines: LogLine[] }>(`/api/v1/functions/${seg(name)}/logs?${query.toString()}`);
        if (cancelled) return;
        const fresh = answer.lines.filter((line) => line.seq > last.current.seq);
        if (fresh.length > 0) {
          for (const line of fresh) {
            last.current.seq = Math.max(last.current.seq, line.seq);
            last.current.time = Math.max(last.current.time, Date.parse(line.timestamp));
          }
          setLines((previous) => [...previous, ...fresh].slice(-MAX_LINES));
        }
        setError(undefined);
      } catch (caught) {
        if (!cancelled) setError(caught);
      } finally {
        if (!cancelled) timer = setTimeout(() => void poll(), POLL_MS);
      }
    };
    void poll();
    return () => {
      cancelled = true;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [name, requestId, following]);

  // Keeps the newest line in view while following.
  useEffect(() => {
    if (following && bottom.current) bottom.current.scrollTop = bottom.current.scrollHeight;
  }, [lines, following]);

  return (
    <article class="panel" aria-label={`Logs of ${name}`}>
      <h2>
        Logs of {name}
        {requestId ? (
          <>
            {' '}
            for request <code>{requestId}</code> (<a href={href(`/functions/${seg(name)}`)}>all requests</a>)
          </>
        ) : null}
      </h2>
      <label class="inline">
        <input type="checkbox" checked={following} onChange={(event) => setFollowing(event.currentTarget.checked)} /> Follow (new lines every second)
      </label>
      <ErrorNotice error={error} title="Logs" />
      {lines.length === 0 ? (
        <p class="muted">No log lines yet.</p>
      ) : (
        <pre class="logs" ref={bottom} style={{ maxHeight: '28rem', overflow: 'auto' }} aria-label="Log lines">
          {lines.map((line) => formatLogLine(line, requestId === undefined)).join('\n')}
        </pre>
      )}
    </article>
  );
}
