import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceError, type StateStore } from '../core/index.js';
import { createMemoryStateStore } from '../state/index.js';
import {
  AlertGate,
  DIGEST_RETRY_MS,
  HYGIENE_COLLECTION,
  MAX_DIGEST_SAMPLES,
  MAX_REGEX_INPUT_CHARS,
  compileKeyTemplate,
  formatDigest,
  formatWindowLength,
  parseAlertHygieneConfig,
  type AlertHygieneConfig,
  type Digest,
  type HygieneNotification,
  type HygieneTimers,
} from './hygiene.js';

const T0 = Date.parse('2020-08-27T13:47:52.677Z');
const S = 1_000;
const M = 60 * S;
const SUBJECT = 'Attention:Humidity Under Threshold';
const BY_DEVICE: AlertHygieneConfig = { key: '${regex:device name (\\S+)}', window: '15m', digest: true };

function alert(device: string, humidity = 32): HygieneNotification {
  return { subject: SUBJECT, message: `Humidity ${humidity} under threshold for device name ${device}` };
}

interface FakeTimer { callback: () => void; delayMs: number; cleared: boolean; fire(): void }

function fakeTimers(): HygieneTimers & { all: FakeTimer[]; active(): FakeTimer[] } {
  const all: FakeTimer[] = [];
  return {
    all,
    active: () => all.filter((t) => !t.cleared),
    set(callback, delayMs) {
      const timer: FakeTimer = { callback, delayMs, cleared: false, fire() { this.cleared = true; this.callback(); } };
      all.push(timer);
      return timer;
    },
    clear(handle) {
      (handle as FakeTimer).cleared = true;
    },
  };
}

function setup(options: { state?: StateStore; clock?: { t: number; now(): number }; failDigests?: number; timers?: HygieneTimers | null } = {}) {
  const clock = options.clock ?? { t: T0, now() { return this.t; } };
  const state = options.state ?? createMemoryStateStore();
  const digests: Digest[] = [];
  const warnings: string[] = [];
  let failures = options.failDigests ?? 0;
  const gate = new AlertGate({
    state,
    clock,
    logger: { warn: (_obj, msg) => { warnings.push(msg ?? ''); } },
    onDigest: async (digest) => {
      if (failures > 0) {
        failures -= 1;
        throw new Error('outbox unavailable');
      }
      digests.push(digest);
    },
    timers: options.timers === undefined ? null : options.timers,
  });
  const at = async (ms: number): Promise<void> => {
    clock.t = T0 + ms;
    await gate.tick();
  };
  return { gate, clock, state, digests, warnings, at };
}

async function stored(state: StateStore): Promise<Array<{ id: string; doc: { kind: string } }>> {
  return state.collection<{ kind: string }>(HYGIENE_COLLECTION).list();
}

function expectInvalid(fn: () => unknown, field: string, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof SluiceError, String(error));
    assert.equal(error.code, 'SLUICE_ERR_REQUEST_INVALID');
    assert.equal(error.place?.field, field);
    assert.match(error.message, pattern);
    assert.ok(error.message.startsWith(`${field}: `), error.message);
    return true;
  });
}

// --- windows ---------------------------------------------------------------

test('the first alert is sent, repeats inside the window are suppressed', async () => {
  const { gate, at } = setup();
  const config = { key: '${regex:device name (\\S+)}', window: '15m' };
  assert.equal(await gate.admit('alerts', config, alert('soilSensor2')), 'send');
  await at(30 * S);
  assert.equal(await gate.admit('alerts', config, alert('soilSensor2', 31)), 'suppressed');
  await at(15 * M - 1);
  assert.equal(await gate.admit('alerts', config, alert('soilSensor2', 30)), 'suppressed');
});

test('different keys and different scopes have their own windows', async () => {
  const { gate } = setup();
  assert.equal(await gate.admit('alerts', BY_DEVICE, alert('soilSensor1')), 'send');
  assert.equal(await gate.admit('alerts', BY_DEVICE, alert('soilSensor2')), 'send');
  assert.equal(await gate.admit('sub-1', BY_DEVICE, alert('soilSensor1')), 'send');
  assert.equal(await gate.admit('alerts', BY_DEVICE, alert('soilSensor1')), 'suppressed');
  assert.equal(await gate.admit('alerts', BY_DEVICE, alert('soilSensor2')), 'suppressed');
  assert.equal(await gate.admit('sub-1', BY_DEVICE, alert('soilSensor1')), 'suppressed');
  assert.equal((await gate.openWindows()).length, 3);
});

test('an alert whose key is empty is always sent and opens no window', async () => {
  const { gate, state } = setup();
  for (let i = 0; i < 5; i += 1) assert.equal(await gate.admit('alerts', BY_DEVICE, { subject: SUBJECT, message: `notice number ${i}` }), 'send');
  assert.deepEqual(await stored(state), []);
  assert.equal(await gate.admit('alerts', BY_DEVICE, alert('soilSensor1')), 'send');
  assert.equal(await gate.admit('alerts', BY_DEVICE, alert('soilSensor1')), 'suppressed', 'keyed alerts still are de-duplicated');
  assert.equal(await gate.admit('alerts', BY_DEVICE, { message: 'another notice' }), 'send');
});

test('an alert at or after the window end is sent and opens the next window (windows do not slide)', async () => {
  const { gate, clock } = setup();
  const config = { key: '${subject}', window: '10s' };
  assert.equal(await gate.admit('t', config, alert('a')), 'send');
  clock.t = T0 + 9_999;
  assert.equal(await gate.admit('t', config, alert('a')), 'suppressed');
  clock.t = T0 + 10_000;
  assert.equal(await gate.admit('t', config, alert('a')), 'send');
  clock.t = T0 + 19_999;
  assert.equal(await gate.admit('t', config, alert('a')), 'suppressed');
  clock.t = T0 + 25_000;
  assert.equal(await gate.admit('t', config, alert('a')), 'send');
  const [open] = await gate.openWindows();
  assert.equal(open?.windowStart, new Date(T0 + 25_000).toISOString());
  assert.equal(open?.windowEnd, new Date(T0 + 35_000).toISOString());
});

test('concurrent admits of one key send exactly one', async () => {
  const { gate } = setup();
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => gate.admit('alerts', BY_DEVICE, alert('soilSensor2', i))));
  assert.deepEqual(results.filter((r) => r === 'send').length, 1);
  assert.deepEqual(results[0], 'send');
});

test('a parsed policy can be passed instead of the config', async () => {
  const { gate } = setup();
  const policy = parseAlertHygieneConfig({ key: '${json.device}', window: '1m' });
  assert.equal(await gate.admit('t', policy, { message: '{"device":"a"}' }), 'send');
  assert.equal(await gate.admit('t', policy, { message: '{"device":"a","v":2}' }), 'suppressed');
  assert.equal(await gate.admit('t', policy, { message: '{"device":"b"}' }), 'send');
});

test('an invalid config given to admit is refused', async () => {
  const { gate } = setup();
  await assert.rejects(gate.admit('t', { key: '${nope}', window: '1m' }, alert('a')), (error: unknown) => error instanceof SluiceError && error.place?.field === 'dedupe.key');
});

// --- digests ---------------------------------------------------------------

test('the digest comes once, at the window end, with the count and the last 20 samples', async () => {
  const { gate, digests, state, at } = setup();
  assert.equal(await gate.admit('alerts', BY_DEVICE, alert('soilSensor2', 40)), 'send');
  for (let i = 1; i <= 25; i += 1) {
    await at(i * 30 * S);
    assert.equal(await gate.admit('alerts', BY_DEVICE, alert('soilSensor2', 40 - i)), 'suppressed');
  }
  await at(15 * M - 1);
  assert.equal(digests.length, 0);
  await at(15 * M);
  assert.equal(digests.length, 1);
  const [digest] = digests;
  assert.ok(digest);
  assert.equal(digest.scope, 'alerts');
  assert.equal(digest.key, 'soilSensor2');
  assert.equal(digest.subject, SUBJECT);
  assert.equal(digest.windowStart, new Date(T0).toISOString());
  assert.equal(digest.windowEnd, new Date(T0 + 15 * M).toISOString());
  assert.equal(digest.suppressedCount, 25);
  assert.equal(digest.firstSuppressedAt, new Date(T0 + 30 * S).toISOString());
  assert.equal(digest.lastSuppressedAt, new Date(T0 + 25 * 30 * S).toISOString());
  assert.equal(digest.samples.length, MAX_DIGEST_SAMPLES);
  // The last 20: suppressed alerts 6..25, oldest first.
  assert.deepEqual(digest.samples[0], { at: new Date(T0 + 6 * 30 * S).toISOString(), subject: SUBJECT, message: 'Humidity 34 under threshold for device name soilSensor2' });
  assert.deepEqual(digest.samples.at(-1), { at: new Date(T0 + 25 * 30 * S).toISOString(), subject: SUBJECT, message: 'Humidity 15 under threshold for device name soilSensor2' });
  await at(20 * M);
  await at(60 * M);
  assert.equal(digests.length, 1, 'delivered once');
  assert.deepEqual(await stored(state), [], 'nothing left in the store');
});

test('samples are cut, so a window stores a bounded amount', async () => {
  const { gate, digests, state, at } = setup();
  await gate.admit('t', { key: 'all', window: '1h', digest: true }, { message: 'first' });
  for (let i = 0; i < 100; i += 1) await gate.admit('t', { key: 'all', window: '1h', digest: true }, { message: `${i} ${'x'.repeat(10_000)}` });
  const [entry] = await stored(state);
  assert.ok(JSON.stringify(entry).length < 25_000, 'about 20 KB at most');
  await at(60 * M);
  assert.equal(digests[0]?.suppressedCount, 100);
  assert.equal(digests[0]?.samples.length, 20);
  assert.equal(digests[0]?.samples[0]?.message.length, 1_000);
  assert.ok(digests[0]?.samples[0]?.message.startsWith('80 xxx'));
  assert.ok(digests[0]?.samples[0]?.message.endsWith('…'));
  assert.equal(digests[0]?.subject, undefined);
});

test('no digest when nothing was suppressed, or digest is off; ended windows are removed', async () => {
  const { gate, digests, state, at } = setup();
  await gate.admit('t', BY_DEVICE, alert('quiet'));
  const off = { key: '${regex:device name (\\S+)}', window: '15m', digest: false };
  await gate.admit('t', off, alert('loud'));
  for (let i = 1; i < 10; i += 1) assert.equal(await gate.admit('t', off, alert('loud')), 'suppressed');
  assert.equal((await stored(state)).length, 2);
  await at(15 * M);
  assert.equal(digests.length, 0);
  assert.deepEqual(await stored(state), []);
});

test('a window that ends without a tick still digests when the next alert opens a new window', async () => {
  const { gate, clock, digests } = setup();
  await gate.admit('t', BY_DEVICE, alert('s1'));
  clock.t = T0 + M;
  await gate.admit('t', BY_DEVICE, alert('s1'));
  clock.t = T0 + 16 * M;
  assert.equal(await gate.admit('t', BY_DEVICE, alert('s1', 12)), 'send');
  assert.equal(digests.length, 0, 'not delivered inside admit');
  await gate.tick();
  assert.equal(digests.length, 1);
  assert.equal(digests[0]?.suppressedCount, 1);
  assert.equal(digests[0]?.windowEnd, new Date(T0 + 15 * M).toISOString());
  const [open] = await gate.openWindows();
  assert.equal(open?.windowStart, new Date(T0 + 16 * M).toISOString());
});

test('a failing onDigest is logged and retried until it succeeds, then the digest is delivered once', async () => {
  const { gate, digests, warnings, state, at } = setup({ failDigests: 2 });
  await gate.admit('t', BY_DEVICE, alert('s1'));
  await gate.admit('t', BY_DEVICE, alert('s1'));
  await at(15 * M);
  assert.equal(digests.length, 0);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0] ?? '', /digest failed/);
  await at(15 * M + DIGEST_RETRY_MS - 1);
  assert.equal(warnings.length, 1, 'not retried early');
  await at(15 * M + DIGEST_RETRY_MS);
  assert.equal(warnings.length, 2);
  await at(15 * M + 2 * DIGEST_RETRY_MS);
  assert.equal(digests.length, 1);
  await at(15 * M + 5 * DIGEST_RETRY_MS);
  assert.equal(digests.length, 1);
  assert.deepEqual(await stored(state), []);
});

// --- restarts --------------------------------------------------------------

test('after a restart the window stays closed and its pending digest is delivered at the end', async () => {
  const state = createMemoryStateStore();
  const clock = { t: T0, now() { return this.t; } };
  const first = setup({ state, clock });
  await first.gate.admit('alerts', BY_DEVICE, alert('soilSensor2'));
  clock.t = T0 + 30 * S;
  await first.gate.admit('alerts', BY_DEVICE, alert('soilSensor2'));
  first.gate.close();

  clock.t = T0 + 5 * M;
  const second = setup({ state, clock });
  await second.gate.resume();
  assert.equal(second.digests.length, 0);
  assert.equal(await second.gate.admit('alerts', BY_DEVICE, alert('soilSensor2')), 'suppressed', 'no flood after a restart');
  await second.at(15 * M);
  assert.equal(second.digests.length, 1);
  assert.equal(second.digests[0]?.suppressedCount, 2);
  assert.deepEqual(second.digests[0]?.samples.map((s) => s.at), [new Date(T0 + 30 * S).toISOString(), new Date(T0 + 5 * M).toISOString()]);
  assert.equal(first.digests.length, 0);
});

test('a window that ended while the server was down digests at resume', async () => {
  const state = createMemoryStateStore();
  const clock = { t: T0, now() { return this.t; } };
  const first = setup({ state, clock });
  await first.gate.admit('alerts', BY_DEVICE, alert('soilSensor1'));
  await first.gate.admit('alerts', BY_DEVICE, alert('soilSensor1'));
  await first.gate.admit('alerts', BY_DEVICE, alert('soilSensor2'));
  first.gate.close();

  clock.t = T0 + 2 * 3_600 * S;
  const second = setup({ state, clock });
  await second.gate.resume();
  assert.equal(second.digests.length, 1);
  assert.equal(second.digests[0]?.key, 'soilSensor1');
  assert.equal(second.digests[0]?.windowEnd, new Date(T0 + 15 * M).toISOString());
  assert.deepEqual(await stored(state), []);
  assert.equal(await second.gate.admit('alerts', BY_DEVICE, alert('soilSensor1')), 'send');
});

test('a digest whose delivery had not succeeded before a restart is delivered at resume', async () => {
  const state = createMemoryStateStore();
  const clock = { t: T0, now() { return this.t; } };
  const first = setup({ state, clock, failDigests: 99 });
  await first.gate.admit('t', BY_DEVICE, alert('s1'));
  await first.gate.admit('t', BY_DEVICE, alert('s1'));
  await first.at(15 * M);
  assert.equal(first.digests.length, 0);
  assert.deepEqual((await stored(state)).map((e) => e.doc.kind), ['digest']);
  first.gate.close();

  const second = setup({ state, clock });
  await second.gate.resume();
  assert.equal(second.digests.length, 1);
  assert.deepEqual(await stored(state), []);
});

// --- the timer -------------------------------------------------------------

test('one unref-style timer fires at the earliest window end and runs tick', async () => {
  const timers = fakeTimers();
  const { gate, clock, digests } = setup({ timers });
  await gate.admit('t', BY_DEVICE, alert('s1'));
  assert.deepEqual(timers.active().map((t) => t.delayMs), [15 * M]);
  clock.t = T0 + M;
  await gate.admit('t', BY_DEVICE, alert('s2'));
  await gate.admit('t', BY_DEVICE, alert('s1'));
  assert.deepEqual(timers.active().map((t) => t.delayMs), [15 * M], 'still the earliest end');
  clock.t = T0 + 15 * M;
  timers.active()[0]?.fire();
  await gate.tick(); // waits for the tick the timer started
  assert.equal(digests.length, 1);
  assert.deepEqual(timers.active().map((t) => t.delayMs), [M], 's2 ends a minute later');
  clock.t = T0 + 16 * M;
  timers.active()[0]?.fire();
  await gate.tick();
  assert.deepEqual(timers.active(), [], 'nothing left to wait for');
  gate.close();
});

test('resume sets the timer for windows left open', async () => {
  const state = createMemoryStateStore();
  const clock = { t: T0, now() { return this.t; } };
  const first = setup({ state, clock });
  await first.gate.admit('t', BY_DEVICE, alert('s1'));
  clock.t = T0 + 10 * M;
  const timers = fakeTimers();
  const second = setup({ state, clock, timers });
  await second.gate.resume();
  assert.deepEqual(timers.active().map((t) => t.delayMs), [5 * M]);
  second.gate.close();
  assert.deepEqual(timers.active(), []);
});

// --- the reference scenario ------------------------------------------------

test('reference: two sensors alerting every 30 s for an hour, keyed by device, 15 m window → 4 mails and 4 digests each', async () => {
  const { gate, digests, at } = setup();
  const sent: string[] = [];
  let suppressed = 0;
  for (let t = 0; t < 3_600 * S; t += 30 * S) {
    await at(t);
    for (const device of ['soilSensor1', 'soilSensor2']) {
      const result = await gate.admit('alerts', BY_DEVICE, alert(device));
      if (result === 'send') sent.push(`${t / S}:${device}`);
      else suppressed += 1;
    }
  }
  await at(3_600 * S);
  // Readings at 0, 30, ..., 3570 s: windows open at 0, 900, 1800 and 2700 s, each holding back the 29 readings after its first.
  assert.deepEqual(sent, ['0:soilSensor1', '0:soilSensor2', '900:soilSensor1', '900:soilSensor2', '1800:soilSensor1', '1800:soilSensor2', '2700:soilSensor1', '2700:soilSensor2']);
  assert.equal(suppressed, 240 - 8);
  assert.equal(digests.length, 8);
  for (const device of ['soilSensor1', 'soilSensor2']) {
    const mine = digests.filter((d) => d.key === device);
    assert.deepEqual(mine.map((d) => d.suppressedCount), [29, 29, 29, 29]);
    assert.deepEqual(mine.map((d) => d.windowEnd), [1, 2, 3, 4].map((n) => new Date(T0 + n * 15 * M).toISOString()));
    for (const digest of mine) {
      assert.equal(digest.samples.length, 20);
      assert.equal(digest.lastSuppressedAt, new Date(Date.parse(digest.windowStart) + 870 * S).toISOString());
    }
  }
  assert.equal(formatDigest(digests.find((d) => d.key === 'soilSensor1') as Digest).subject, 'Digest: 29 more alerts like "Attention:Humidity Under Threshold" (key soilSensor1) in 15 min');
});

// --- key templates ---------------------------------------------------------

test('templates: subject, message, attributes (both shapes) and literal text', () => {
  const n: HygieneNotification = {
    subject: 'Hot',
    message: 'body',
    messageAttributes: { device: { Type: 'String', Value: 'd1' }, site: { DataType: 'String', StringValue: 'north' }, 'a.b': { Type: 'Number', Value: '7' } },
  };
  assert.equal(compileKeyTemplate('${subject}|${message}')(n), 'Hot|body');
  assert.equal(compileKeyTemplate('dev-${attributes.device}@${attributes.site}/${attributes.a.b}')(n), 'dev-d1@north/7');
  assert.equal(compileKeyTemplate('constant')(n), 'constant');
  assert.equal(compileKeyTemplate('cost $5 {x}')(n), 'cost $5 {x}');
  assert.equal(compileKeyTemplate('${attributes.bin}')({ message: '', messageAttributes: { bin: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) } } }), 'AQID');
});

test('templates: json paths', () => {
  const key = compileKeyTemplate('${json.device}/${json.reading.level}/${json.tags.1}/${json.ok}/${json.reading}');
  assert.equal(key({ message: JSON.stringify({ device: 'd1', reading: { level: 3 }, tags: ['a', 'b'], ok: true }) }), 'd1/3/b/true/{"level":3}');
  assert.equal(key({ message: '{"device": null}' }), '////');
  assert.equal(key({ message: 'not json' }), '////');
  assert.equal(compileKeyTemplate('${json.constructor}')({ message: '{}' }), '', 'own properties only');
  assert.equal(compileKeyTemplate('${json.0.id}')({ message: '[{"id":"x"}]' }), 'x');
});

test('templates: regex capture, whole match without a group, braces in the pattern', () => {
  const n = alert('soilSensor2');
  assert.equal(compileKeyTemplate('${regex:device name (\\S+)}')(n), 'soilSensor2');
  assert.equal(compileKeyTemplate('${regex:Humidity \\d+}')(n), 'Humidity 32');
  assert.equal(compileKeyTemplate('${regex:(\\d{2}) under}:${regex:[}](x)|name (\\w+)}')(n), '32:soilSensor2');
  assert.equal(compileKeyTemplate('${regex:(?<dev>soil\\w+)}')(n), 'soilSensor2');
  assert.equal(compileKeyTemplate('${regex:(?:Humidity) (\\d+)}')(n), '32');
  assert.equal(compileKeyTemplate('${regex:Temperature (\\d+)|Humidity (\\d+)}')(n), '32', 'the first group that took part');
  assert.equal(compileKeyTemplate('${regex:(\\w+) (\\d+) under}')(n), 'Humidity', 'the first group, not the last');
});

test('templates: placeholders that resolve to nothing are empty', () => {
  const key = compileKeyTemplate('[${subject}][${attributes.device}][${json.device}][${regex:device (\\d+)}][${regex:x|(y)}]');
  assert.equal(key({ message: 'x' }), '[][][][][]');
});

test('templates: a regex looks at the first 64 KiB of the message only', () => {
  const key = compileKeyTemplate('${regex:device name (\\S+)}');
  const padding = 'x'.repeat(MAX_REGEX_INPUT_CHARS - 'device name a'.length);
  assert.equal(key({ message: `${padding}device name a` }), 'a');
  assert.equal(key({ message: `${padding}xdevice name a` }), '');
});

test('templates: errors at compile time name the field', () => {
  expectInvalid(() => compileKeyTemplate('${device}'), 'dedupe.key', /unknown placeholder \$\{device\}: expected \$\{subject\}/);
  expectInvalid(() => compileKeyTemplate('${subject'), 'dedupe.key', /unterminated placeholder at character 1/);
  expectInvalid(() => compileKeyTemplate('${regex:(unclosed}'), 'dedupe.key', /regex "\(unclosed" is not valid/);
  expectInvalid(() => compileKeyTemplate('${regex:}'), 'dedupe.key', /needs a pattern/);
  expectInvalid(() => compileKeyTemplate('${regex:(a+)+$}'), 'dedupe.key', /exponential time/);
  expectInvalid(() => compileKeyTemplate('${regex:name ((\\w+\\s?)*)!}'), 'dedupe.key', /exponential time/);
  expectInvalid(() => compileKeyTemplate('${regex:(?:a*b)+}'), 'dedupe.key', /exponential time/);
  expectInvalid(() => compileKeyTemplate('${regex:(a{2,})*}'), 'dedupe.key', /exponential time/);
  expectInvalid(() => compileKeyTemplate('${attributes}'), 'dedupe.key', /attribute name/);
  expectInvalid(() => compileKeyTemplate('${attributes.}'), 'dedupe.key', /attribute name/);
  expectInvalid(() => compileKeyTemplate('${json}'), 'dedupe.key', /needs a path/);
  expectInvalid(() => compileKeyTemplate('${json.a..b}'), 'dedupe.key', /single dots/);
  expectInvalid(() => compileKeyTemplate('x'.repeat(1_025)), 'dedupe.key', /at most 1024/);
  expectInvalid(() => compileKeyTemplate('${nope}', 'topics.alerts.dedupe.key'), 'topics.alerts.dedupe.key', /unknown placeholder/);
  // Bounded repetition of a repeating group, and repetition of a bounded group, are fine.
  assert.equal(compileKeyTemplate('${regex:(a+){2}}')({ message: 'aa' }), 'a');
  assert.equal(compileKeyTemplate('${regex:(ab)+}')({ message: 'abab' }), 'ab');
  assert.equal(compileKeyTemplate('${regex:(a\\+)+}')({ message: 'a+' }), 'a+');
});

// --- configuration ---------------------------------------------------------

test('config: valid blocks parse, windows from 1s to 7d', () => {
  const policy = parseAlertHygieneConfig({ key: '${subject}', window: '15m', digest: true });
  assert.equal(policy.windowMs, 15 * M);
  assert.equal(policy.digest, true);
  assert.equal(policy.keyOf({ subject: 's', message: '' }), 's');
  assert.equal(parseAlertHygieneConfig({ key: 'k', window: '1s' }).windowMs, S);
  assert.equal(parseAlertHygieneConfig({ key: 'k', window: '7d' }).windowMs, 7 * 24 * 3_600 * S);
  assert.equal(parseAlertHygieneConfig({ key: 'k', window: '1.5h' }).windowMs, 90 * M);
  assert.equal(parseAlertHygieneConfig({ key: 'k', window: '1000ms' }).digest, false);
});

test('config: errors name the field', () => {
  expectInvalid(() => parseAlertHygieneConfig({ window: '15m' }), 'dedupe.key', /key must be a template string/);
  expectInvalid(() => parseAlertHygieneConfig({ key: '', window: '15m' }), 'dedupe.key', /must not be empty/);
  expectInvalid(() => parseAlertHygieneConfig({ key: '${foo}', window: '15m' }), 'dedupe.key', /unknown placeholder/);
  expectInvalid(() => parseAlertHygieneConfig({ key: '${regex:[}', window: '15m' }), 'dedupe.key', /unterminated|not valid/);
  expectInvalid(() => parseAlertHygieneConfig({ key: 'k' }), 'dedupe.window', /window must be a duration/);
  expectInvalid(() => parseAlertHygieneConfig({ key: 'k', window: '15' }), 'dedupe.window', /"15" must be a duration with a unit/);
  expectInvalid(() => parseAlertHygieneConfig({ key: 'k', window: 900 }), 'dedupe.window', /window must be a duration/);
  expectInvalid(() => parseAlertHygieneConfig({ key: 'k', window: '500ms' }), 'dedupe.window', /too short: at least 1s/);
  expectInvalid(() => parseAlertHygieneConfig({ key: 'k', window: '8d' }), 'dedupe.window', /too long: at most 7d/);
  expectInvalid(() => parseAlertHygieneConfig({ key: 'k', window: '1m', digest: 'yes' }), 'dedupe.digest', /digest must be true or false/);
  expectInvalid(() => parseAlertHygieneConfig({ key: 'k', window: '1m', windw: '2m' }), 'dedupe', /unknown field "windw": expected key, window, digest/);
  expectInvalid(() => parseAlertHygieneConfig('15m'), 'dedupe', /must be an object with key, window, digest/);
  expectInvalid(() => parseAlertHygieneConfig({ key: 'k', window: '0s' }, 'subscriptions[2].dedupe'), 'subscriptions[2].dedupe.window', /too short/);
});

// --- formatting ------------------------------------------------------------

function digestOf(overrides: Partial<Digest> = {}): Digest {
  return {
    scope: 'alerts',
    key: 'soilSensor2',
    subject: SUBJECT,
    windowStart: new Date(T0).toISOString(),
    windowEnd: new Date(T0 + 15 * M).toISOString(),
    suppressedCount: 7,
    firstSuppressedAt: new Date(T0 + 30 * S).toISOString(),
    lastSuppressedAt: new Date(T0 + 210 * S).toISOString(),
    samples: Array.from({ length: 7 }, (_, i) => ({ at: new Date(T0 + (i + 1) * 30 * S).toISOString(), subject: SUBJECT, message: `Humidity ${31 - i} under threshold for device name soilSensor2` })),
    ...overrides,
  };
}

test('formatDigest: subject and body', () => {
  const { subject, message } = formatDigest(digestOf());
  assert.equal(subject, 'Digest: 7 more alerts like "Attention:Humidity Under Threshold" (key soilSensor2) in 15 min');
  assert.equal(message, [
    '7 more alerts like "Attention:Humidity Under Threshold" were held back after the first one was sent.',
    '',
    'Scope:  alerts',
    'Key:    soilSensor2',
    'Window: 2020-08-27T13:47:52.677Z to 2020-08-27T14:02:52.677Z (15 min)',
    'First held back at 2020-08-27T13:48:22.677Z, last at 2020-08-27T13:51:22.677Z.',
    '',
    'All 7, oldest first:',
    '2020-08-27T13:48:22.677Z  Humidity 31 under threshold for device name soilSensor2',
    '2020-08-27T13:48:52.677Z  Humidity 30 under threshold for device name soilSensor2',
    '2020-08-27T13:49:22.677Z  Humidity 29 under threshold for device name soilSensor2',
    '2020-08-27T13:49:52.677Z  Humidity 28 under threshold for device name soilSensor2',
    '2020-08-27T13:50:22.677Z  Humidity 27 under threshold for device name soilSensor2',
    '2020-08-27T13:50:52.677Z  Humidity 26 under threshold for device name soilSensor2',
    '2020-08-27T13:51:22.677Z  Humidity 25 under threshold for device name soilSensor2',
    '',
  ].join('\n'));
});

test('formatDigest: singular, more than the samples, other subjects, multi-line messages, no subject or key', () => {
  const one = formatDigest(digestOf({ suppressedCount: 1, samples: [{ at: new Date(T0).toISOString(), subject: 'Other', message: 'line 1\nline 2' }] }));
  assert.equal(one.subject, 'Digest: 1 more alert like "Attention:Humidity Under Threshold" (key soilSensor2) in 15 min');
  assert.match(one.message, /^1 more alert like .* was held back/);
  assert.match(one.message, /\nIt was:\n2020-08-27T13:47:52.677Z \[Other\] {2}line 1\n {4}line 2\n$/);
  const many = formatDigest(digestOf({ suppressedCount: 29 }));
  assert.match(many.message, /\nThe last 7 of 29, oldest first:\n/);
  const bare = formatDigest(digestOf({ subject: undefined, key: '', windowEnd: new Date(T0 + 90 * M).toISOString() }));
  assert.equal(bare.subject, 'Digest: 7 more alerts in 1 h 30 min');
  assert.match(bare.message, /with the same key were held back/);
  assert.match(bare.message, /Key: {4}\(empty\)/);
});

test('formatDigest: the subject stays within SNS\'s 100 characters, on one line', () => {
  const long = formatDigest(digestOf({ subject: `Alert\n${'S'.repeat(120)}`, key: `k\t${'K'.repeat(200)}`, suppressedCount: 123_456 }));
  assert.ok(long.subject.length <= 100, `${long.subject.length}: ${long.subject}`);
  assert.match(long.subject, /^Digest: 123456 more alerts like "Alert S+…" \(key k K+…\) in 15 min$/);
  // eslint-disable-next-line no-control-regex
  assert.doesNotMatch(long.subject, /[\u0000-\u001f]/);
  const longKey = formatDigest(digestOf({ key: 'K'.repeat(500) }));
  assert.ok(longKey.subject.length <= 100);
  assert.match(longKey.subject, /like "Attention:Humidity Under Threshold" \(key K{19}…\) in 15 min$/);
});

test('formatWindowLength', () => {
  assert.equal(formatWindowLength(15 * M), '15 min');
  assert.equal(formatWindowLength(S), '1 s');
  assert.equal(formatWindowLength(90 * M), '1 h 30 min');
  assert.equal(formatWindowLength(7 * 24 * 60 * M), '7 days');
  assert.equal(formatWindowLength(25 * 60 * M), '1 day 1 h');
  assert.equal(formatWindowLength(500), '500 ms');
});

test('forget drops a scope\'s windows and pending digests, and only that scope\'s', async () => {
  const { gate, digests, state, at } = setup();
  await gate.admit('topic:a', BY_DEVICE, alert('s1'));
  await gate.admit('topic:a', BY_DEVICE, alert('s1'));
  await gate.admit('topic:a', BY_DEVICE, alert('s2'));
  await gate.admit('topic:b', BY_DEVICE, alert('s1'));
  await gate.admit('topic:b', BY_DEVICE, alert('s1'));
  assert.equal(await gate.forget('topic:a'), 2);
  assert.deepEqual((await gate.openWindows()).map((w) => w.scope), ['topic:b']);
  assert.equal(await gate.admit('topic:a', BY_DEVICE, alert('s1')), 'send', 'a forgotten scope starts afresh');
  await at(15 * M);
  assert.deepEqual(digests.map((d) => d.scope), ['topic:b']);
  assert.equal((await stored(state)).length, 0);
});
