import type { PageProps } from '../routes';
import { seg, useApi } from '../api';
import { hashQuery, href } from '../router';
import { Badge, ErrorNotice, Loading, PageHeader, formatDuration, formatTime } from '../components';
import { FunctionLogs } from './function-logs';

interface FunctionSummary {
  name: string;
  version: string;
  timeoutMs: number;
  memorySizeMb: number;
  deployedAt: string;
}

interface Invocation {
  requestId: string;
  startedAt: string;
  durationMs: number;
  status: 'ok' | 'error';
  error?: string;
  trigger?: string;
}

/** Invocations refresh this often (ms). */
const INVOCATIONS_REFRESH_MS = 2000;

/**
 * `#/functions`: the deployed functions; `#/functions/<name>`: one function's
 * recent invocations (errors, durations) and its logs as they come
 * (`?requestId=` narrows the logs to one invocation, as the trace page links).
 */
export function FunctionsPage({ params }: PageProps) {
  const selected = params.functionName;
  const { data, error, loading } = useApi<{ functions: FunctionSummary[] }>('/api/v1/functions');
  return (
    <section>
      <PageHeader title="Functions" />
      <ErrorNotice error={error} title="Functions" />
      {data === undefined ? (
        loading ? <Loading what="functions" /> : null
      ) : data.functions.length === 0 ? (
        <p class="muted">No function is deployed.</p>
      ) : (
        <table class="table" aria-label="Functions">
          <thead>
            <tr>
              <th>Name</th>
              <th>Version</th>
              <th>Timeout</th>
              <th>Memory</th>
              <th>Deployed</th>
            </tr>
          </thead>
          <tbody>
            {data.functions.map((fn) => (
              <tr key={fn.name} class={fn.name === selected ? 'selected' : undefined}>
                <td>
                  <a href={href(`/functions/${seg(fn.name)}`)} aria-current={fn.name === selected ? 'true' : undefined}>
                    {fn.name}
                  </a>
                </td>
                <td>
                  <code>{fn.version}</code>
                </td>
                <td>{formatDuration(fn.timeoutMs)}</td>
                <td>{fn.memorySizeMb} MB</td>
                <td>{formatTime(fn.deployedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {selected ? <FunctionDetail key={selected} name={selected} requestId={hashQuery().get('requestId') ?? undefined} /> : null}
    </section>
  );
}

function FunctionDetail({ name, requestId }: { name: string; requestId: string | undefined }) {
  const { data, error } = useApi<{ invocations: Invocation[] }>(`/api/v1/functions/${seg(name)}/invocations?limit=50`, { refreshMs: INVOCATIONS_REFRESH_MS });
  const invocations = data?.invocations ?? [];
  const errors = invocations.filter((i) => i.status === 'error').length;
  const durations = invocations.map((i) => i.durationMs).sort((a, b) => a - b);
  const median = durations.length > 0 ? durations[Math.floor(durations.length / 2)] : undefined;
  return (
    <>
      <article class="panel" aria-label={`Invocations of ${name}`}>
        <h2>Invocations of {name}</h2>
        <ErrorNotice error={error} title="Invocations" />
        {data === undefined ? null : (
          <p>
            {invocations.length} recent invocation{invocations.length === 1 ? '' : 's'}, {errors} error{errors === 1 ? '' : 's'}
            {median !== undefined ? `, median ${formatDuration(median)}, slowest ${formatDuration(durations.at(-1))}` : ''}
          </p>
        )}
        {invocations.length === 0 ? null : (
          <table class="table" aria-label="Invocations">
            <thead>
              <tr>
                <th>Started</th>
                <th>Request id</th>
                <th>Trigger</th>
                <th>Duration</th>
                <th>Status</th>
                <th>Error</th>
              </tr>
            </thead>
            <tbody>
              {invocations.map((invocation) => (
                <tr key={invocation.requestId} class={invocation.requestId === requestId ? 'selected' : undefined}>
                  <td>{formatTime(invocation.startedAt)}</td>
                  <td>
                    <a href={href(`/functions/${seg(name)}?requestId=${encodeURIComponent(invocation.requestId)}`)} title="Show this invocation's logs">
                      <code>{invocation.requestId}</code>
                    </a>
                  </td>
                  <td>{invocation.trigger ?? '—'}</td>
                  <td>{formatDuration(invocation.durationMs)}</td>
                  <td>
                    <Badge value={invocation.status} />
                  </td>
                  <td>{invocation.error ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </article>
      <FunctionLogs key={`${name}\u0000${requestId ?? ''}`} name={name} requestId={requestId} />
    </>
  );
}
