import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, testFunctions } from './eval.test-support.js';
import { parseJodaPattern } from './time.js';

// Doc examples cite /work/awsdocs/developerguide/iot-sql-functions.md#<anchor>.
const JUNE_9_2017 = Date.UTC(2017, 5, 9, 17, 19, 46); // the time in the second parse_time example
const JUNE_2_2017 = 1496361600000; // 2017-06-02T00:00:00Z
const JAN_1_2017 = Date.UTC(2017, 0, 1); // a Sunday, in ISO week 52 of 2016
const WITH_MILLIS = JUNE_2_2017 + 123;
const TWO_BC = new Date('-000001-07-01T00:00:00Z').getTime(); // proleptic year -1

testFunctions(
  {
    parse_time: [
      // #iot-sql-function-parse-time
      [`parse_time("yyyy.MM.dd G 'at' HH:mm:ss z", 100000000, 'America/Belize' )`, '1970.01.01 AD at 21:46:40 CST'],
      [`parse_time("yyyy.MM.dd G 'at' HH:mm:ss z", timestamp() )`, '2017.06.09 AD at 17:19:46 UTC'], // the zone defaults to UTC
      [`parse_time('yyyy', timestamp(), 'UTC')`, '2017'],
      [`parse_time("yyyy-MM-dd'T'HH:mm:ss.SSSZ", ${JUNE_2_2017}, "America/Los_Angeles")`, '2017-06-01T17:00:00.000-0700'],
      // Joda's zone letters: Z, ZZ, ZZZ, z, zzzz
      [`parse_time("HH:mm ZZ", ${JUNE_2_2017}, "America/Los_Angeles")`, '17:00 -07:00'],
      [`parse_time("ZZZ", ${JUNE_2_2017}, "America/Los_Angeles")`, 'America/Los_Angeles'],
      [`parse_time("z|zzzz", ${JUNE_2_2017}, "America/Los_Angeles")`, 'PDT|Pacific Daylight Time'],
      [`parse_time("Z ZZ z", ${JUNE_2_2017})`, '+0000 +00:00 UTC'],
      [`parse_time("z", ${JUNE_2_2017}, "Europe/Berlin")`, 'CEST'],
      [`parse_time("z", ${JUNE_2_2017}, "Asia/Kolkata")`, 'IST'],
      [`parse_time("HH:mm z ZZ", ${JUNE_2_2017}, "+05:30")`, '05:30 +05:30 +05:30'],
      // Calendar letters
      [`parse_time("EEE EEEE MMM MMMM M MM d dd D DDD", ${JAN_1_2017})`, 'Sun Sunday Jan January 1 01 1 01 1 001'],
      [`parse_time("xxxx-'W'ww-e", ${JAN_1_2017})`, '2016-W52-7'], // Joda x is the ISO week year
      [`parse_time("YYYY yyyy yy C", ${JAN_1_2017})`, '2017 2017 17 20'],
      [`parse_time("y G|YYYY G|yyyy", ${TWO_BC})`, '-1 BC|0002 BC|-0001'], // Joda Y is the year of era
      [`parse_time("H k K h a", ${JUNE_2_2017})`, '0 24 0 12 AM'],
      [`parse_time("HH:mm:ss.S|SS|SSS|SSSSSS", ${WITH_MILLIS})`, '00:00:00.1|12|123|123000'],
      [`parse_time("''yyyy'''s'", ${JUNE_2_2017})`, "'2017's"],
      [`parse_time("yyyy", '${JUNE_2_2017}')`, '2017'], // a String that converts
      [`parse_time("yyyy", 1.5)`, '1970'],
      [`parse_time("yyyy-qq", ${JUNE_2_2017})`, undefined], // q is no Joda letter
      [`parse_time("yyyy", ${JUNE_2_2017}, "Mars/Olympus")`, undefined],
      [`parse_time("yyyy", ${JUNE_2_2017}, "SYSTEM")`, undefined],
      [`parse_time("yyyy", ${JUNE_2_2017}, 5)`, undefined],
      [`parse_time("yyyy", t)`, undefined],
      [`parse_time("yyyy", 'x')`, undefined],
      [`parse_time(5, ${JUNE_2_2017})`, undefined],
      [`parse_time("yyyy", missing)`, undefined],
    ],
    time_to_epoch: [
      // #iot-sql-function-time-to-epoch
      [`time_to_epoch("2020-04-03 09:45:18 UTC+01:00", "yyyy-MM-dd HH:mm:ss VV")`, 1585903518000],
      [`time_to_epoch("18 December 2015", "dd MMMM yyyy")`, 1450396800000],
      [`time_to_epoch("2007-12-03 10:15:30.592 America/Los_Angeles", "yyyy-MM-dd HH:mm:ss.SSS z")`, 1196705730592],
      [`time_to_epoch("2007-12-03T10:15:30+01:00", "yyyy-MM-dd'T'HH:mm:ssXXX")`, 1196673330000],
      [`time_to_epoch("2007-12-03 10:15", "yyyy-MM-dd HH:mm")`, 1196676900000], // no zone: UTC
      [`time_to_epoch("Mon, 3 Dec 2007 10:15:30 GMT", "EEE, d MMM yyyy HH:mm:ss z")`, 1196676930000],
      [`time_to_epoch("2007-12-03 10:15 PM", "yyyy-MM-dd hh:mm a")`, 1196720100000],
      [`time_to_epoch("2007-13-03", "yyyy-MM-dd")`, undefined], // no month 13
      [`time_to_epoch("10:15", "HH:mm")`, undefined], // no date
      [`time_to_epoch("2007", "yyyy-MM-dd")`, undefined],
      [`time_to_epoch("2007-12-03", "yyyy-MM-dd bb")`, undefined], // invalid pattern
      [`time_to_epoch(2007, "yyyy")`, undefined],
      [`time_to_epoch("2007-12-03", missing)`, undefined],
    ],
  },
  { message: { timestamp: JUNE_9_2017 } },
);

test('Joda patterns tokenize as Joda does', () => {
  assert.deepEqual(parseJodaPattern("yyyy-MM-dd'T'HH"), [
    { letter: 'y', count: 4 },
    { text: '-' },
    { letter: 'M', count: 2 },
    { text: '-' },
    { letter: 'd', count: 2 },
    { text: 'T' },
    { letter: 'H', count: 2 },
  ]);
  assert.deepEqual(parseJodaPattern("'it''s"), [{ text: "it's" }]); // an unclosed quote runs to the end
  assert.equal(parseJodaPattern('yyyy-uu'), undefined);
});

test('parse_time() and time_to_epoch() round-trip', () => {
  const text = evaluate(`parse_time("yyyy-MM-dd'T'HH:mm:ss.SSSZZ", ${WITH_MILLIS}, 'Asia/Tokyo')`);
  assert.equal(text, '2017-06-02T09:00:00.123+09:00');
  assert.equal(evaluate(`time_to_epoch('${String(text)}', "yyyy-MM-dd'T'HH:mm:ss.SSSXXX")`), WITH_MILLIS);
});
