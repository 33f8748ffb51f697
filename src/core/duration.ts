import { SluiceError, type ErrorPlace } from './errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses `250ms`, `30s`, `5m`, `1h` or a bare number of milliseconds.
 * Durations in stack files and flags are written with units so nobody guesses.
 */
export function parseDuration(text: string | number, place?: ErrorPlace): number {
  if (typeof text === 'number') {
    if (Number.isFinite(text) && text >= 0) return text;
  } else {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
    if (match) {
      const value = Number(match[1]);
      const unit = match[2] ?? 'ms';
      return Math.round(value * (UNIT_MS[unit] ?? 1));
    }
  }
  throw new SluiceError(
    'SLUICE_ERR_CONFIG_INVALID',
    `invalid duration ${JSON.stringify(text)}: expected a number with a unit, such as 250ms, 30s, 5m or 1h`,
    place ? { place } : {},
  );
}
