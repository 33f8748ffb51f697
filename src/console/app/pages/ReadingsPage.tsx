import type { PageProps } from '../routes';
import { seg, useApi } from '../api';
import { hashQuery, navigate } from '../router';
import { LineChart, type ChartSeries } from '../charts';
import { ErrorNotice, Loading, PageHeader, formatTime } from '../components';

interface SeriesInfo {
  name: string;
  retention?: string;
  oldest?: string;
  newest?: string;
}

interface Reading {
  device: string;
  time: number;
  values: Record<string, number>;
}

interface Interval {
  device: string;
  start: number;
  fields: Record<string, { min: number; max: number; avg: number; count: number }>;
}

/** Readings of one device shown at once (the newest). */
const READINGS_LIMIT = 500;
/** The picker lists the devices seen among this many newest readings of the series. */
const DEVICE_SCAN_LIMIT = 1000;
const REFRESH_MS = 5000;
/** '' is every reading as stored; the others are the server's downsampled view (min/max/avg per interval). */
const INTERVALS = ['', '1m', '5m', '15m', '1h', '1d'];

/** The page's choices live in the hash (`#/readings?series=&device=&interval=`), so a view can be linked to. */
function choose(next: { series?: string; device?: string; interval?: string }): void {
  const query = hashQuery();
  for (const [key, value] of Object.entries(next)) {
    if (value === undefined || value === '') query.delete(key);
    else query.set(key, value);
  }
  const text = query.toString();
  navigate(`/readings${text ? `?${text}` : ''}`);
}

/** `#/readings`: a device's readings over time (humidity for the soil sensors), as stored or downsampled. */
export function ReadingsPage(_props: PageProps) {
  const query = hashQuery();
  const list = useApi<{ series: SeriesInfo[] }>('/api/v1/series');
  const seriesName = query.get('series') ?? list.data?.series[0]?.name;
  const interval = query.get('interval') ?? '';
  const scan = useApi<{ readings: Reading[] }>(seriesName ? `/api/v1/series/${seg(seriesName)}?limit=${DEVICE_SCAN_LIMIT}` : null, { refreshMs: REFRESH_MS * 6 });
  const devices = [...new Set((scan.data?.readings ?? []).map((r) => r.device))].sort();
  const device = query.get('device') ?? devices[0];

  return (
    <section>
      <PageHeader title="Readings" />
      <ErrorNotice error={list.error ?? scan.error} title="Series" />
      {list.data === undefined ? (
        list.loading ? <Loading what="series" /> : null
      ) : list.data.series.length === 0 ? (
        <p class="muted">No series is declared (a stack's timeseries action declares one).</p>
      ) : (
        <form class="row" onSubmit={(event) => event.preventDefault()}>
          <label>
            Series
            <select value={seriesName} onChange={(event) => choose({ series: event.currentTarget.value, device: '' })}>
              {list.data.series.map((s) => (
                <option key={s.name} value={s.name}>
                  {s.name}
                  {s.retention ? ` (kept ${s.retention})` : ''}
                </option>
              ))}
            </select>
          </label>
          <label>
            Device
            <select value={device ?? ''} onChange={(event) => choose({ device: event.currentTarget.value })}>
              {devices.length === 0 ? <option value="">no readings yet</option> : null}
              {devices.map((d) => (
                <option key={d} value={d}>
                  {d}
                </option>
              ))}
            </select>
          </label>
          <label>
            Interval
            <select value={interval} onChange={(event) => choose({ interval: event.currentTarget.value })}>
              {INTERVALS.map((i) => (
                <option key={i} value={i}>
                  {i === '' ? 'every reading' : `average per ${i}`}
                </option>
              ))}
            </select>
          </label>
        </form>
      )}
      {seriesName && device ? <DeviceChart key={`${seriesName}\u0000${device}\u0000${interval}`} series={seriesName} device={device} interval={interval} /> : null}
    </section>
  );
}

function DeviceChart({ series, device, interval }: { series: string; device: string; interval: string }) {
  const base = `/api/v1/series/${seg(series)}?device=${encodeURIComponent(device)}`;
  const path = interval === '' ? `${base}&limit=${READINGS_LIMIT}` : `${base}&interval=${encodeURIComponent(interval)}&order=asc&limit=${READINGS_LIMIT}`;
  const { data, error } = useApi<{ readings?: Reading[]; intervals?: Interval[] }>(path, { refreshMs: REFRESH_MS });
  const chart = data === undefined ? undefined : interval === '' ? fromReadings(data.readings ?? []) : fromIntervals(data.intervals ?? []);
  const title = `${device}: ${series}${interval ? ` (average per ${interval})` : ''}`;
  return (
    <article class="panel" aria-label={`Chart of ${device}`}>
      <ErrorNotice error={error} title="Readings" />
      {chart === undefined ? <Loading what="readings" /> : <LineChart title={title} x={chart.x} series={chart.series} height={260} yLabel={chart.series.length === 1 ? chart.series[0]?.label : undefined} />}
      {chart && chart.x.length > 0 ? (
        <p class="muted">
          {chart.x.length} point{chart.x.length === 1 ? '' : 's'} from {formatTime(chart.x[0])} to {formatTime(chart.x.at(-1))}
        </p>
      ) : null}
    </article>
  );
}

/** One line per field, aligned on the reading times; a reading without a field leaves a gap. */
function fromReadings(readings: Reading[]): { x: number[]; series: ChartSeries[] } {
  const sorted = [...readings].sort((a, b) => a.time - b.time);
  const fields = [...new Set(sorted.flatMap((r) => Object.keys(r.values)))].sort();
  return {
    x: sorted.map((r) => r.time),
    series: fields.map((field) => ({ label: field, values: sorted.map((r) => r.values[field] ?? null) })),
  };
}

function fromIntervals(intervals: Interval[]): { x: number[]; series: ChartSeries[] } {
  const sorted = [...intervals].sort((a, b) => a.start - b.start);
  const fields = [...new Set(sorted.flatMap((i) => Object.keys(i.fields)))].sort();
  return {
    x: sorted.map((i) => i.start),
    series: fields.map((field) => ({ label: `${field} (avg)`, values: sorted.map((i) => i.fields[field]?.avg ?? null) })),
  };
}
