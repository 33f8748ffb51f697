import type { Command } from 'commander';
import { SluiceError } from '../core/index.js';
import { apiRequest, resolveServer, type ConnectionOptions, type ServerTarget } from './client.js';
import { action, printJson, printTable } from './output.js';

/** The answers of `GET /api/v1/series[/NAME]` (src/api/routes-series.ts). */
interface SeriesList {
  series: Array<{ name: string; retention?: string; oldest?: string; newest?: string }>;
}
interface ReadingsAnswer {
  series: string;
  readings: Array<{ device: string; time: number; timestamp: string; values: Record<string, number> }>;
}
interface IntervalsAnswer {
  series: string;
  interval: string;
  intervals: Array<{ device: string; start: number; timestamp: string; fields: Record<string, { min: number; max: number; avg: number; count: number }> }>;
}

interface ReadingsFlags {
  series?: string;
  last: string;
  from?: string;
  to?: string;
  interval?: string;
  json: boolean;
}

const MAX_LAST = 10_000;

export function registerReadingsCommand(program: Command, connection: () => ConnectionOptions): void {
  program
    .command('readings')
    .description("print a device's readings from a series (timeseries actions): the newest first, or min/max/avg/count per --interval")
    .argument('<device>', 'device name, as the timeseries action stored it (the client id by default)')
    .option('--series <name>', 'the series (needed when more than one is declared)')
    .option('--last <n>', `at most N readings, or N intervals with --interval (1 to ${MAX_LAST})`, '20')
    .option('--from <time>', 'only readings at or after this time: ISO 8601 (2020-08-27T13:00Z) or epoch ms')
    .option('--to <time>', 'only readings at or before this time: ISO 8601 or epoch ms')
    .option('--interval <width>', 'summarise per interval of this width (15m, 1h, 1d): min, max, avg and count of each field')
    .option('--json', 'print the API answer as JSON', false)
    .action(
      action(async (device: string, flags: ReadingsFlags) => {
        const last = Number(flags.last);
        if (!Number.isInteger(last) || last < 1 || last > MAX_LAST) {
          throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', `--last must be a whole number from 1 to ${MAX_LAST}, got '${flags.last}'`, { place: { field: '--last' } });
        }
        const target = await resolveServer(connection());
        const series = flags.series ?? (await onlySeries(target));
        const params = new URLSearchParams({ device, limit: String(last) });
        if (flags.from !== undefined) params.set('from', flags.from);
        if (flags.to !== undefined) params.set('to', flags.to);
        if (flags.interval !== undefined) params.set('interval', flags.interval);
        const path = `/api/v1/series/${encodeURIComponent(series)}?${params.toString()}`;
        if (flags.interval === undefined) {
          const answer = await apiRequest<ReadingsAnswer>(target, 'GET', path);
          if (flags.json) return printJson(answer);
          printReadings(answer);
          return;
        }
        const answer = await apiRequest<IntervalsAnswer>(target, 'GET', path);
        if (flags.json) return printJson(answer);
        printIntervals(answer);
      }),
    );
}

/** Without --series: the one series there is, or an error that lists them. */
async function onlySeries(target: ServerTarget): Promise<string> {
  const { series } = await apiRequest<SeriesList>(target, 'GET', '/api/v1/series');
  const [only] = series;
  if (series.length === 1 && only) return only.name;
  const message =
    series.length === 0
      ? 'no series is declared; add one under series: in a stack, with a rule whose timeseries action writes to it'
      : `there are ${series.length} series (${series.map((s) => s.name).join(', ')}); choose one with --series NAME`;
  throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', message, { place: { field: '--series' } });
}

/** One row per reading, one column per field any of them has. */
function printReadings(answer: ReadingsAnswer): void {
  if (answer.readings.length === 0) {
    process.stdout.write(`no readings in series ${answer.series} for that device and range\n`);
    return;
  }
  const fields = [...new Set(answer.readings.flatMap((r) => Object.keys(r.values)))].sort();
  printTable(
    ['TIME', ...fields.map((f) => f.toUpperCase())],
    answer.readings.map((r) => [r.timestamp, ...fields.map((f) => (r.values[f] === undefined ? '-' : String(r.values[f])))]),
  );
}

/** One row per interval and field. */
function printIntervals(answer: IntervalsAnswer): void {
  if (answer.intervals.length === 0) {
    process.stdout.write(`no readings in series ${answer.series} for that device and range\n`);
    return;
  }
  const rows = answer.intervals.flatMap((interval) =>
    Object.entries(interval.fields).map(([field, s]) => [interval.timestamp, field, String(s.min), String(s.max), String(Math.round(s.avg * 1000) / 1000), String(s.count)]),
  );
  printTable([`START (${answer.interval})`, 'FIELD', 'MIN', 'MAX', 'AVG', 'COUNT'], rows);
}
