import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LINE_OVERHEAD, MAX_LINE_LENGTH, FunctionLogStore, formatLogLine, type FunctionLogLine } from './log-store.js';
import { fixture, setup } from './test-helpers.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const REPORT = (id: string) =>
  new RegExp(`^REPORT RequestId: ${id}\\tDuration: \\d+\\.\\d{2} ms\\tBilled Duration: \\d+ ms\\tMemory Size: 64 MB\\tMax Memory Used: \\d+ MB`);

test('an invocation logs START, its console lines with request id and level, END and REPORT, as Lambda does', async (t) => {
  const { runtime } = await setup(t);
  await runtime.deploy(await fixture('echo.ts', { memorySizeMb: 64 }));
  const [summary] = runtime.list();
  await runtime.invoke('echo', { name: 'soilSensor1' }, { requestId: 'req-1' });
  await runtime.invoke('echo', { name: 'soilSensor2' }, { requestId: 'req-2' });

  const first = runtime.logs.query('echo', { requestId: 'req-1' });
  assert.deepEqual(first.map((l) => l.level), ['START', 'INFO', 'ERROR', 'END', 'REPORT']);
  assert.equal(first[0]?.message, `START RequestId: req-1 Version: ${summary?.version}`);
  assert.deepEqual(first.slice(1, 3).map((l) => l.message), ['greeting soilSensor1', 'to stderr']);
  assert.equal(first[3]?.message, 'END RequestId: req-1');
  assert.match(first[4]?.message ?? '', REPORT('req-1'));
  assert.match(first[4]?.message ?? '', /\tInit Duration: \d+\.\d{2} ms$/, 'the cold start reports its init duration');
  for (const line of first) {
    assert.equal(line.requestId, 'req-1');
    assert.match(line.timestamp, ISO);
  }
  const info = first[1] as FunctionLogLine;
  assert.equal(formatLogLine(info), `${info.timestamp}\treq-1\tINFO\tgreeting soilSensor1`);
  assert.equal(formatLogLine(first[0] as FunctionLogLine), first[0]?.message, 'platform lines print as they are');

  const second = runtime.logs.query('echo', { requestId: 'req-2' });
  assert.equal(second.length, 5);
  assert.match(second[4]?.message ?? '', REPORT('req-2'));
  assert.doesNotMatch(second[4]?.message ?? '', /Init Duration/, 'a warm invocation has no init phase');
  const used = Number(/Max Memory Used: (\d+) MB/.exec(second[4]?.message ?? '')?.[1]);
  assert.ok(used >= 1 && used <= 64, `Max Memory Used ${used} MB`);

  // The whole log, oldest first, with increasing positions.
  const all = runtime.logs.query('echo');
  assert.deepEqual(all.map((l) => l.requestId), [...Array(5).fill('req-1'), ...Array(5).fill('req-2')]);
  assert.deepEqual(all.map((l) => l.seq), Array.from({ length: 10 }, (_, i) => i + 1));
});

test('console levels map to Lambda levels; import-time lines have no request id', async (t) => {
  const { runtime } = await setup(t);
  await runtime.deploy(await fixture('levels.ts'));
  await runtime.invoke('levels', {}, { requestId: 'lv-1' });
  const lines = runtime.logs.query('levels');
  assert.deepEqual(
    lines.map((l) => [l.level, l.requestId, l.message.split('\n')[0]]),
    [
      ['INFO', null, 'module loaded'],
      ['START', 'lv-1', `START RequestId: lv-1 Version: ${runtime.list()[0]?.version}`],
      ['DEBUG', 'lv-1', 'a debug line'],
      ['INFO', 'lv-1', 'an info line'],
      ['WARN', 'lv-1', 'a warning'],
      ['ERROR', 'lv-1', 'an error line'],
      ['TRACE', 'lv-1', 'Trace: a trace'],
      ['END', 'lv-1', 'END RequestId: lv-1'],
      ['REPORT', 'lv-1', lines.at(-1)?.message],
    ],
  );
  assert.match(formatLogLine(lines[0] as FunctionLogLine), /^\S+Z\tundefined\tINFO\tmodule loaded$/, 'as Lambda prints init lines');
});

test('failures log an error line; timeouts and crashes say so in REPORT', async (t) => {
  const { runtime } = await setup(t);
  await runtime.deploy(await fixture('faulty.ts', { timeoutMs: 300 }));
  await runtime.invoke('faulty', { mode: 'throw' }, { requestId: 'throws' });
  const thrown = runtime.logs.query('faulty', { requestId: 'throws' });
  assert.deepEqual(thrown.map((l) => l.level), ['START', 'ERROR', 'END', 'REPORT']);
  const [prefix, json] = (thrown[1]?.message ?? '').split('\t');
  assert.equal(prefix, 'Invoke Error ');
  const body = JSON.parse(json ?? '') as { errorType: string; errorMessage: string; stack: string[] };
  assert.equal(body.errorType, 'ValidationError');
  assert.equal(body.errorMessage, 'humidity is not a number');
  assert.ok(Array.isArray(body.stack) && body.stack.length > 1);
  assert.doesNotMatch(thrown[3]?.message ?? '', /Status:/, 'a handler error is not a runtime failure');

  await runtime.invoke('faulty', { mode: 'hang' }, { requestId: 'hangs' });
  const hung = runtime.logs.query('faulty', { requestId: 'hangs' });
  assert.deepEqual(hung.map((l) => l.level), ['START', 'ERROR', 'END', 'REPORT']);
  assert.equal(hung[1]?.message, 'Task timed out after 0.30 seconds');
  assert.match(hung[3]?.message ?? '', /\tStatus: timeout$/);

  await runtime.invoke('faulty', { mode: 'exit' }, { requestId: 'exits' });
  const exited = runtime.logs.query('faulty', { requestId: 'exits' });
  assert.match(exited.at(-1)?.message ?? '', /\tStatus: error\tError Type: Runtime\.ExitError$/);
});

test('a follower hears a new invocation line by line, until it stops or the runtime closes', async (t) => {
  const { runtime } = await setup(t);
  await runtime.deploy(await fixture('echo.ts'));
  await runtime.invoke('echo', { name: 'before' }, { requestId: 'old' });
  const heard: FunctionLogLine[] = [];
  let closed = 0;
  const stop = runtime.logs.follow('echo', (line) => heard.push(line), () => closed++);
  await runtime.invoke('echo', { name: 'during' }, { requestId: 'new' });
  assert.deepEqual(heard.map((l) => [l.requestId, l.level]), [
    ['new', 'START'],
    ['new', 'INFO'],
    ['new', 'ERROR'],
    ['new', 'END'],
    ['new', 'REPORT'],
  ]);
  assert.deepEqual(heard, runtime.logs.query('echo', { requestId: 'new' }), 'followers see what a query sees');
  stop();
  await runtime.invoke('echo', { name: 'after' });
  assert.equal(heard.length, 5);

  runtime.logs.follow('echo', () => {}, () => closed++);
  await runtime.close();
  assert.equal(closed, 1, 'close ends the remaining follower, not the one that stopped');
  assert.equal(runtime.logs.query('echo').length, 15, 'lines stay readable after close');
});

test('retention: at most maxLines lines and maxBytes of text per function; the oldest go first', () => {
  const store = new FunctionLogStore({ maxLines: 10, maxBytes: 1_000_000 });
  for (let i = 1; i <= 25; i++) store.append('f', `r${i}`, 'INFO', `line ${i}`);
  store.append('g', 'other', 'INFO', 'another function keeps its own log');
  assert.equal(store.usage('f').lines, 10);
  assert.deepEqual(store.query('f').map((l) => l.message), Array.from({ length: 10 }, (_, i) => `line ${i + 16}`));
  assert.deepEqual(store.query('f').map((l) => l.seq), Array.from({ length: 10 }, (_, i) => i + 16));
  assert.equal(store.usage('g').lines, 1);

  const bytes = new FunctionLogStore({ maxLines: 10_000, maxBytes: 5_000 });
  for (let i = 0; i < 100; i++) bytes.append('f', 'r', 'INFO', `${i}:`.padEnd(1_000, 'x'));
  const usage = bytes.usage('f');
  assert.ok(usage.bytes <= 5_000, `${usage.bytes} bytes kept`);
  assert.equal(usage.lines, Math.floor(5_000 / (1_000 + LINE_OVERHEAD)));
  assert.equal(bytes.query('f').at(-1)?.message.slice(0, 3), '99:');

  const huge = new FunctionLogStore();
  huge.append('f', 'r', 'INFO', 'y'.repeat(MAX_LINE_LENGTH * 2));
  const [line] = huge.query('f');
  assert.ok(line && line.message.length < MAX_LINE_LENGTH + 100);
  assert.match(line.message, /truncated at 262144 characters\)$/);
});

test('retention holds under a chatty function running in a real worker', async (t) => {
  const { runtime } = await setup(t, { logRetention: { maxLines: 50, maxBytes: 20_000 } });
  await runtime.deploy(await fixture('levels.ts'));
  for (let i = 0; i < 5; i++) await runtime.invoke('levels', { lines: 40, size: 100 }, { requestId: `chatty-${i}` });
  const usage = runtime.logs.usage('levels');
  assert.ok(usage.lines <= 50 && usage.bytes <= 20_000, JSON.stringify(usage));
  const kept = runtime.logs.query('levels');
  assert.equal(kept.at(-1)?.level, 'REPORT');
  assert.equal(kept.at(-1)?.requestId, 'chatty-4');
  assert.ok(kept.every((l) => l.requestId === 'chatty-4' || l.requestId === 'chatty-3'), 'only the newest lines are kept');
});

test('query by time, request id and limit', () => {
  const store = new FunctionLogStore();
  const now = Date.now();
  store.append('f', 'a', 'INFO', 'old', now - 60_000);
  store.append('f', 'a', 'INFO', 'recent', now - 1_000);
  store.append('f', 'b', 'INFO', 'newest', now);
  assert.deepEqual(store.query('f', { since: now - 10_000 }).map((l) => l.message), ['recent', 'newest']);
  assert.deepEqual(store.query('f', { requestId: 'a' }).map((l) => l.message), ['old', 'recent']);
  assert.deepEqual(store.query('f', { limit: 2 }).map((l) => l.message), ['recent', 'newest'], 'the newest N, oldest first');
  assert.deepEqual(store.query('nope'), []);
  assert.equal(store.has('nope'), false);
});

test('with a directory, logs survive a restart: read back in order with their seq; a torn last line is skipped', async (t) => {
  const directory = await mkdtemp(join(tmpdir(), 'sluice-fn-logs-'));
  t.after(() => rm(directory, { recursive: true, force: true }));
  const first = new FunctionLogStore({ directory });
  first.append('alert', 'r1', 'START', 'START RequestId: r1 Version: abc', 1_000);
  first.append('alert', 'r1', 'INFO', 'humidity 32\tunder threshold', 1_001);
  first.append('other', null as unknown as undefined, 'WARN', 'import-time line', 1_002);
  await first.close();
  // A crash in the middle of a write leaves part of a line behind.
  await appendFile(join(directory, 'alert.ndjson'), '{"seq":3,"time":1003,"requ');

  const second = new FunctionLogStore({ directory });
  assert.deepEqual(second.query('alert'), [
    { seq: 1, timestamp: new Date(1_000).toISOString(), requestId: 'r1', level: 'START', message: 'START RequestId: r1 Version: abc' },
    { seq: 2, timestamp: new Date(1_001).toISOString(), requestId: 'r1', level: 'INFO', message: 'humidity 32\tunder threshold' },
  ]);
  assert.deepEqual(second.query('other').map((l) => [l.requestId, l.message]), [[null, 'import-time line']]);
  second.append('alert', 'r2', 'INFO', 'after the restart');
  assert.equal(second.query('alert').at(-1)?.seq, 3, 'numbering goes on');
  await second.close();
  assert.deepEqual(new FunctionLogStore({ directory }).query('alert').map((l) => l.message).at(-1), 'after the restart');
});

test('on disk a log is bounded too: the file is rewritten from the kept lines at twice the retention', async (t) => {
  const directory = await mkdtemp(join(tmpdir(), 'sluice-fn-logs-'));
  t.after(() => rm(directory, { recursive: true, force: true }));
  const store = new FunctionLogStore({ directory, maxLines: 10 });
  for (let i = 1; i <= 95; i++) {
    store.append('f', `r${i}`, 'INFO', `line ${i}`);
    if (i % 7 === 0) await store.flush();
  }
  await store.close();
  const fileLines = (await readFile(join(directory, 'f.ndjson'), 'utf8')).trimEnd().split('\n');
  assert.ok(fileLines.length <= 20, `${fileLines.length} lines on disk`);
  const reread = new FunctionLogStore({ directory, maxLines: 10 });
  assert.deepEqual(reread.query('f').map((l) => l.message), Array.from({ length: 10 }, (_, i) => `line ${i + 86}`));
});

test('a runtime keeps its functions\' logs under <dataDir>/logs/functions, and a new runtime on the same dir reads them', async (t) => {
  const { runtime, dataDir } = await setup(t);
  await runtime.deploy(await fixture('echo.ts'));
  const { requestId } = await runtime.invoke('echo', { greeting: 'hi' });
  await runtime.close();
  const reopened = new FunctionLogStore({ directory: join(dataDir, 'logs', 'functions') });
  assert.deepEqual(
    reopened.query('echo', { requestId }).map((l) => l.level).filter((level) => level === 'START' || level === 'END' || level === 'REPORT'),
    ['START', 'END', 'REPORT'],
  );
});
