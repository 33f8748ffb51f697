/**
 * Times and intervals as users write them, shared by the timeseries action,
 * the API and the CLI so all three accept the same spellings.
 */

const INTERVAL = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** An ISO 8601 date or date-time; the time zone is optional (none means UTC, see parseTime). */
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Epoch milliseconds (`1598536072677`) or ISO 8601 (`2020-08-27T13:47:52.677Z`).
 * An ISO time without an offset is taken as UTC, not as the server's local
 * time: the reference device sends `timeStampIso` without one, and a reading's
 * time must not depend on where the server runs. Fractions of a millisecond
 * are dropped. Undefined when the text is neither, or before 1970.
 */
export function parseTime(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) {
    const ms = Math.floor(Number(trimmed));
    return Number.isSafeInteger(ms) ? ms : undefined;
  }
  const match = ISO.exec(trimmed);
  if (!match) return undefined;
  const hasTime = trimmed.length > 10;
  // Date.parse reads a date-time without offset as local time; a bare date as UTC.
  const withZone = hasTime && match[1] === undefined ? `${trimmed.replace(' ', 'T')}Z` : trimmed.replace(' ', 'T');
  // Date.parse keeps only milliseconds, but rejects more than 3 fraction digits on some engines: cut them.
  const ms = Date.parse(withZone.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/** `500ms`, `30s`, `15m`, `1h`, `1d` → ms; undefined for anything else or zero. */
export function parseInterval(text: string): number | undefined {
  const match = INTERVAL.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? 0);
  return ms > 0 && Number.isSafeInteger(ms) ? ms : undefined;
}

/** The shortest spelling of an interval of ms (`86400000` → `1d`), for display. */
export function formatInterval(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit] ?? 1;
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
