import type { PageProps } from '../routes';
import { useApi } from '../api';
import { LineChart } from '../charts';
import { ErrorNotice, Loading, PageHeader } from '../components';

/** GET /api/v1/overview (see the API contract): totals now and one sample per second for the last 300 s. */
export interface Overview {
  connectedClients: number;
  totals: {
    messagesReceived: number;
    ruleMatches: number;
    actionSuccesses: number;
    actionFailures: number;
    alertsSent: number;
    queuePending: number;
    deadLetters: number;
  };
  history: Array<{
    t: number;
    messagesPerSecond: number;
    ruleMatchesPerSecond: number;
    actionSuccessesPerSecond: number;
    actionFailuresPerSecond: number;
    alertsPerSecond: number;
    queuePending: number;
  }>;
}

const REFRESH_MS = 2000;

export function OverviewPage(_props: PageProps) {
  const { data, error, loading } = useApi<Overview>('/api/v1/overview', { refreshMs: REFRESH_MS });
  const history = data?.history ?? [];
  const latest = history[history.length - 1];
  const x = history.map((sample) => sample.t);
  const column = (pick: (sample: Overview['history'][number]) => number): number[] => history.map(pick);

  return (
    <section>
      <PageHeader title="Overview">
        <span class="muted">Refreshes every {REFRESH_MS / 1000} s</span>
      </PageHeader>
      <ErrorNotice error={error} title="Could not load the overview" />
      {data === undefined && loading ? <Loading what="the overview" /> : null}
      {data ? (
        <>
          <dl class="stats" aria-label="Current figures">
            <Stat label="Connected devices" value={data.connectedClients} note="MQTT clients, this console included" />
            <Stat label="Messages/s" value={latest ? round(latest.messagesPerSecond) : 0} />
            <Stat label="Messages received" value={data.totals.messagesReceived} />
            <Stat label="Rule matches" value={data.totals.ruleMatches} />
            <Stat label="Action successes" value={data.totals.actionSuccesses} />
            <Stat label="Action failures" value={data.totals.actionFailures} />
            <Stat label="Alerts sent" value={data.totals.alertsSent} />
            <Stat label="Queue depth" value={data.totals.queuePending} />
            <Stat label="Dead letters" value={data.totals.deadLetters} />
          </dl>
          <div class="grid">
            <LineChart title="Messages per second" x={x} yLabel="msg/s" series={[{ label: 'messages/s', values: column((s) => s.messagesPerSecond) }]} />
            <LineChart title="Rule matches per second" x={x} yLabel="/s" series={[{ label: 'matches/s', values: column((s) => s.ruleMatchesPerSecond) }]} />
            <LineChart
              title="Action results per second"
              x={x}
              yLabel="/s"
              series={[
                { label: 'successes/s', values: column((s) => s.actionSuccessesPerSecond), color: '#16a34a' },
                { label: 'failures/s', values: column((s) => s.actionFailuresPerSecond), color: '#dc2626' },
              ]}
            />
            <LineChart title="Alerts per second" x={x} yLabel="/s" series={[{ label: 'alerts/s', values: column((s) => s.alertsPerSecond), color: '#d97706' }]} />
            <LineChart title="Queue depth" x={x} yLabel="jobs" series={[{ label: 'pending jobs', values: column((s) => s.queuePending), color: '#7c3aed' }]} />
          </div>
        </>
      ) : null}
    </section>
  );
}

function Stat({ label, value, note }: { label: string; value: number; note?: string }) {
  return (
    <div class="stat">
      <dt>{label}</dt>
      <dd>
        {value.toLocaleString()}
        {note ? <small>{note}</small> : null}
      </dd>
    </div>
  );
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
