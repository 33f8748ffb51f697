/**
 * parse_time(pattern, epochMillis[, zone]) formats with a Joda-Time pattern
 * (org.joda.time.format.DateTimeFormat); time_to_epoch(text, pattern) parses
 * with a java.time (JDK 11 DateTimeFormatter) pattern. js-joda is a port of
 * java.time, so time_to_epoch hands its pattern straight to it (with the
 * en-US locale for month and day names). Joda patterns differ from java.time
 * in several letters (Joda `Y` is year of era but week-based year in
 * java.time, `x` is Joda's week year, `Z` prints -0700 / `ZZ` -07:00 / `ZZZ`
 * the zone id, `C` is the century, `e` the ISO day of week, and weeks are
 * always ISO), so parse_time interprets Joda patterns itself, letter by letter,
 * over js-joda's calendar fields, rather than translating them.
 * Zone names (`z`, `zzzz`) come from the ICU data in Node (Intl): for zones
 * with no common English abbreviation ICU prints "GMT+9" where Java prints
 * "JST"; abbreviations used in Britain, India or Australia (CEST, BST, IST,
 * AEST) are found by also asking those English locales.
 */
import { createRequire } from 'node:module';
import type * as JsJoda from '@js-joda/core';
import type { DateTimeFormatter, ZoneId } from '@js-joda/core';
import type * as JsJodaLocale from '@js-joda/locale';
import { toNumber } from '../values.js';
import type { FunctionEntries } from './types.js';

/**
 * js-joda and its time-zone and locale data take most of a second to load,
 * which every CLI command and every rule compile would pay on start-up; they
 * load on the first parse_time/time_to_epoch call instead. `require` (their
 * CommonJS builds), so the plugins register into the same js-joda instance.
 */
const requireModule = createRequire(import.meta.url);
let jodaModules: { joda: typeof JsJoda; Locale: typeof JsJodaLocale.Locale } | undefined;

function js(): { joda: typeof JsJoda; Locale: typeof JsJodaLocale.Locale } {
  if (!jodaModules) {
    const joda = requireModule('@js-joda/core') as typeof JsJoda;
    requireModule('@js-joda/timezone');
    requireModule('@js-joda/locale_en-us');
    const { Locale } = requireModule('@js-joda/locale') as typeof JsJodaLocale;
    jodaModules = { joda, Locale };
  }
  return jodaModules;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

type JodaToken = { readonly text: string } | { readonly letter: string; readonly count: number };

/** The letters Joda's DateTimeFormat knows; any other letter makes the pattern invalid (Undefined). */
const JODA_LETTERS = new Set(['G', 'C', 'Y', 'x', 'w', 'e', 'E', 'y', 'D', 'M', 'd', 'a', 'K', 'h', 'H', 'k', 'm', 's', 'S', 'z', 'Z']);

function isLetter(c: string): boolean {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/**
 * Joda's tokenizer: a run of one letter is a field; anything else is text, in
 * which '...' quotes letters and '' is a quote. An unclosed quote runs to the end.
 */
export function parseJodaPattern(pattern: string): JodaToken[] | undefined {
  const tokens: JodaToken[] = [];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (isLetter(c)) {
      let count = 1;
      while (pattern[i + count] === c) count++;
      if (!JODA_LETTERS.has(c)) return undefined;
      tokens.push({ letter: c, count });
      i += count;
      continue;
    }
    let text = '';
    let quoted = false;
    for (; i < pattern.length; i++) {
      const t = pattern[i] as string;
      if (t === "'") {
        if (pattern[i + 1] === "'") {
          text += "'";
          i++;
        } else {
          quoted = !quoted;
        }
      } else if (!quoted && isLetter(t)) {
        break;
      } else {
        text += t;
      }
    }
    tokens.push({ text });
  }
  return tokens;
}

/** Joda pads to the minimum digits and keeps the sign in front: -0005. */
function pad(value: number, digits: number): string {
  const text = String(Math.abs(value)).padStart(digits, '0');
  return value < 0 ? `-${text}` : text;
}

/** `yy`, `YY`, `xx`: the last two digits of the absolute year. */
function twoDigits(year: number): string {
  return pad(Math.abs(year) % 100, 2);
}

function offsetText(totalSeconds: number, colon: boolean): string {
  const sign = totalSeconds < 0 ? '-' : '+';
  const abs = Math.abs(totalSeconds);
  const hours = pad(Math.floor(abs / 3600), 2);
  const minutes = pad(Math.floor((abs % 3600) / 60), 2);
  return colon ? `${sign}${hours}:${minutes}` : `${sign}${hours}${minutes}`;
}

const SHORT_NAME_LOCALES = ['en-US', 'en-GB', 'en-IN', 'en-AU'];
const zoneNameFormats = new Map<string, Intl.DateTimeFormat | null>();

function intlZoneName(locale: string, zoneId: string, style: 'short' | 'long', epochMs: number): string | undefined {
  const key = `${locale}|${zoneId}|${style}`;
  let format = zoneNameFormats.get(key);
  if (format === undefined) {
    try {
      format = new Intl.DateTimeFormat(locale, { timeZone: zoneId, timeZoneName: style });
    } catch {
      format = null; // a zone id ICU does not know, such as UTC+01:00
    }
    zoneNameFormats.set(key, format);
  }
  return format?.formatToParts(epochMs).find((part) => part.type === 'timeZoneName')?.value;
}

/** Joda prints a fixed-offset zone's name as the offset (+05:30); a region's from its name data. */
function zoneName(zone: ZoneId, offsetSeconds: number, epochMs: number, long: boolean): string {
  const fallback = offsetText(offsetSeconds, true);
  if (zone instanceof js().joda.ZoneOffset) return fallback;
  if (long) return intlZoneName('en-US', zone.id(), 'long', epochMs) ?? fallback;
  let first: string | undefined;
  for (const locale of SHORT_NAME_LOCALES) {
    const name = intlZoneName(locale, zone.id(), 'short', epochMs);
    if (name === undefined) return fallback;
    first ??= name;
    if (!/^GMT[+-]/.test(name)) return name;
  }
  return first ?? fallback;
}

function formatJoda(tokens: readonly JodaToken[], zone: ZoneId, epochMs: number): string {
  const { ChronoField, Instant, IsoFields, ZonedDateTime } = js().joda;
  const t = ZonedDateTime.ofInstant(Instant.ofEpochMilli(epochMs), zone);
  const offset = t.offset().totalSeconds();
  let out = '';
  for (const token of tokens) {
    if ('text' in token) {
      out += token.text;
      continue;
    }
    const { letter, count } = token;
    const hour = t.hour();
    switch (letter) {
      case 'G':
        out += t.get(ChronoField.ERA) === 1 ? 'AD' : 'BC';
        break;
      case 'C':
        out += pad(Math.floor(t.get(ChronoField.YEAR_OF_ERA) / 100), count);
        break;
      case 'Y':
        out += count === 2 ? twoDigits(t.get(ChronoField.YEAR_OF_ERA)) : pad(t.get(ChronoField.YEAR_OF_ERA), count);
        break;
      case 'y':
        out += count === 2 ? twoDigits(t.year()) : pad(t.year(), count);
        break;
      case 'x':
        out += count === 2 ? twoDigits(t.get(IsoFields.WEEK_BASED_YEAR)) : pad(t.get(IsoFields.WEEK_BASED_YEAR), count);
        break;
      case 'w':
        out += pad(t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR), count);
        break;
      case 'e':
        out += pad(t.dayOfWeek().value(), count);
        break;
      case 'E': {
        const day = DAYS[t.dayOfWeek().value() - 1] as string;
        out += count >= 4 ? day : day.slice(0, 3);
        break;
      }
      case 'D':
        out += pad(t.dayOfYear(), count);
        break;
      case 'M': {
        const month = MONTHS[t.monthValue() - 1] as string;
        out += count >= 4 ? month : count === 3 ? month.slice(0, 3) : pad(t.monthValue(), count);
        break;
      }
      case 'd':
        out += pad(t.dayOfMonth(), count);
        break;
      case 'a':
        out += hour < 12 ? 'AM' : 'PM';
        break;
      case 'K':
        out += pad(hour % 12, count);
        break;
      case 'h':
        out += pad(hour % 12 === 0 ? 12 : hour % 12, count);
        break;
      case 'H':
        out += pad(hour, count);
        break;
      case 'k':
        out += pad(hour === 0 ? 24 : hour, count);
        break;
      case 'm':
        out += pad(t.minute(), count);
        break;
      case 's':
        out += pad(t.second(), count);
        break;
      case 'S': {
        // The fraction to `count` digits, truncated; the clock has milliseconds.
        const millis = pad(Math.floor(t.nano() / 1_000_000), 3);
        out += count <= 3 ? millis.slice(0, count) : millis + '0'.repeat(count - 3);
        break;
      }
      case 'z':
        out += zoneName(zone, offset, epochMs, count >= 4);
        break;
      case 'Z':
        out += count >= 3 ? zone.id() : offsetText(offset, count === 2);
        break;
    }
  }
  return out;
}

/** Rules use literal patterns and zones, so these are compiled once; the bound keeps dynamic ones in check. */
const CACHE_LIMIT = 256;

function cached<T>(cache: Map<string, T | null>, key: string, make: () => T | undefined): T | undefined {
  const hit = cache.get(key);
  if (hit !== undefined) return hit ?? undefined;
  let value: T | undefined;
  try {
    value = make();
  } catch {
    value = undefined;
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value ?? null);
  return value;
}

const jodaPatterns = new Map<string, JodaToken[] | null>();
const zones = new Map<string, ZoneId | null>();
const javaPatterns = new Map<string, DateTimeFormatter | null>();

/**
 * Joda zone ids: tz database names ("America/Los_Angeles"), "UTC" and
 * offsets ("+05:30"). js-joda also takes "Z" and "UTC+01:00"; "SYSTEM" (the
 * host's zone) is refused, as it would make a rule's output depend on the host.
 */
function zoneOf(id: string): ZoneId | undefined {
  if (id.toUpperCase() === 'SYSTEM') return undefined;
  return cached(zones, id, () => js().joda.ZoneId.of(id));
}

function parseTime(args: readonly unknown[]): string | undefined {
  const [pattern, timestamp] = args;
  const zoneId = args.length === 3 ? args[2] : 'UTC';
  if (typeof pattern !== 'string' || typeof zoneId !== 'string' || typeof timestamp === 'boolean') return undefined;
  const ms = toNumber(timestamp);
  if (ms === undefined) return undefined;
  const tokens = cached(jodaPatterns, pattern, () => parseJodaPattern(pattern));
  const zone = zoneOf(zoneId);
  if (!tokens || !zone) return undefined;
  try {
    return formatJoda(tokens, zone, Math.floor(ms));
  } catch {
    return undefined; // an instant beyond js-joda's range
  }
}

/**
 * The text must give at least a date. Missing time fields are midnight and
 * a missing zone is UTC, as AWS documents; an offset in the text picks
 * between the two readings of a local time that a DST change makes ambiguous.
 */
function timeToEpoch(text: unknown, pattern: unknown): number | undefined {
  if (typeof text !== 'string' || typeof pattern !== 'string') return undefined;
  const { joda, Locale } = js();
  const { DateTimeFormatter, LocalDateTime, LocalTime, TemporalQueries, ZoneOffset, ZonedDateTime } = joda;
  const formatter = cached(javaPatterns, pattern, () => DateTimeFormatter.ofPattern(pattern).withLocale(Locale.US));
  if (!formatter) return undefined;
  try {
    const parsed = formatter.parse(text);
    const date = parsed.query(TemporalQueries.localDate());
    if (!date) return undefined;
    const time = parsed.query(TemporalQueries.localTime()) ?? LocalTime.MIDNIGHT;
    const zone = parsed.query(TemporalQueries.zone()) ?? ZoneOffset.UTC;
    const offset = parsed.query(TemporalQueries.offset());
    return ZonedDateTime.ofLocal(LocalDateTime.of(date, time), zone, offset).toInstant().toEpochMilli();
  } catch {
    return undefined;
  }
}

export const TIME_FUNCTIONS: FunctionEntries = [
  ['parse_time', { minArgs: 2, maxArgs: 3, call: (args) => parseTime(args) }],
  ['time_to_epoch', { minArgs: 2, maxArgs: 2, call: (args) => timeToEpoch(args[0], args[1]) }],
];
