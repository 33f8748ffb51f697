import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SluiceError, formatInterval, parseInterval, parseTime } from '../core/index.js';
import type { ReadingsStore, SeriesInfo } from '../readings/index.js';

/** The original architecture's "20 most recent readings per sensor". */
export const DEFAULT_READINGS_LIMIT = 20;
const MAX_READINGS_LIMIT = 10_000;

const time = (field: string) =>
  z
    .string()
    .transform((text, ctx) => {
      const ms = parseTime(text);
      if (ms !== undefined) return ms;
      ctx.addIssue({ code: 'custom', message: `${field} must be epoch milliseconds or an ISO 8601 time such as 2020-08-27T13:47:52Z; got '${text}'` });
      return z.NEVER;
    })
    .optional();

const seriesQuery = z
  .object({
    device: z.string().min(1, 'device must not be empty').optional(),
    from: time('from'),
    to: time('to'),
    limit: z.coerce
      .number({ error: 'limit must be a number' })
      .int('limit must be a whole number')
      .min(1, 'limit must be at least 1')
      .max(MAX_READINGS_LIMIT, `limit must be at most ${MAX_READINGS_LIMIT}`)
      .default(DEFAULT_READINGS_LIMIT),
    order: z.enum(['asc', 'desc'], { error: "order must be 'asc' (oldest first) or 'desc' (newest first)" }).default('desc'),
    interval: z
      .string()
      .transform((text, ctx) => {
        const ms = parseInterval(text);
        if (ms !== undefined) return ms;
        ctx.addIssue({ code: 'custom', message: `interval must be a whole number with a unit (ms, s, m, h, d), such as 15m or 1h; got '${text}'` });
        return z.NEVER;
      })
      .optional(),
  })
  .strict()
  .superRefine((query, ctx) => {
    if (query.from !== undefined && query.to !== undefined && query.from > query.to) {
      ctx.addIssue({ code: 'custom', message: 'from must not be after to', path: ['from'] });
    }
  });

/** A series as the API shows it: times as ISO 8601 beside the epoch ms the store keeps. */
function seriesView(series: SeriesInfo) {
  return {
    name: series.name,
    ...(series.retentionMs !== undefined ? { retentionMs: series.retentionMs, retention: formatInterval(series.retentionMs) } : {}),
    ...(series.oldest !== undefined ? { oldest: new Date(series.oldest).toISOString() } : {}),
    ...(series.newest !== undefined ? { newest: new Date(series.newest).toISOString() } : {}),
  };
}

/**
 * `GET /api/v1/series`: the declared series. `GET /api/v1/series/NAME`:
 * readings (newest first, 20 by default) of one device or all, within an
 * inclusive [from, to]; with `interval`, min/max/avg/count per interval,
 * device and field instead. GETs only, so read-only tokens may query.
 */
export async function seriesRoutes(app: FastifyInstance, deps: { readings: ReadingsStore }): Promise<void> {
  app.get('/api/v1/series', async () => ({ series: (await deps.readings.listSeries()).map(seriesView) }));

  app.get('/api/v1/series/:name', async (request) => {
    const { name } = z.object({ name: z.string().min(1) }).parse(request.params);
    const query = seriesQuery.parse(request.query);
    const series = await deps.readings.getSeries(name);
    if (!series) {
      const known = (await deps.readings.listSeries()).map((s) => s.name);
      throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no such series: ${name} (${known.length > 0 ? `series: ${known.join(', ')}` : 'no series is declared'})`, {
        details: { series: name },
      });
    }
    const range = {
      ...(query.device !== undefined ? { device: query.device } : {}),
      ...(query.from !== undefined ? { from: query.from } : {}),
      ...(query.to !== undefined ? { to: query.to } : {}),
      order: query.order,
      limit: query.limit,
    };
    if (query.interval === undefined) {
      const readings = await deps.readings.query(name, range);
      return {
        series: name,
        readings: readings.map((r) => ({ device: r.device, time: r.time, timestamp: new Date(r.time).toISOString(), values: r.values })),
      };
    }
    const intervals = await deps.readings.downsample(name, { ...range, intervalMs: query.interval });
    return {
      series: name,
      interval: formatInterval(query.interval),
      intervalMs: query.interval,
      intervals: intervals.map((i) => ({ device: i.device, start: i.start, timestamp: new Date(i.start).toISOString(), fields: i.fields })),
    };
  });
}
