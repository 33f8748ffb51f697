/**
 * `sluice logs` against a real server: the reference stack's function invoked
 * through `sluice functions invoke`, its Lambda-format log read back, followed
 * live, and counted in /metrics.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { REPO_ROOT, SLUICE_BIN, SluiceServer, runCli } from './support/sluice-process.js';

let dataDir: string;
let server: SluiceServer;
const cli = (...args: string[]) => runCli(['--data', dataDir, ...args]);

async function invoke(payload: unknown): Promise<{ ok: boolean; requestId: string }> {
  const result = await cli('functions', 'invoke', 'humidity-alert', '--payload', JSON.stringify(payload));
  return JSON.parse(result.stdout) as { ok: boolean; requestId: string };
}

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sluice-logs-e2e-'));
  server = await SluiceServer.start(dataDir, ['--insecure', '--stack', 'stacks/soil-moisture.yaml']);
});

after(async () => {
  if (server) await server.stop('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

test('sluice logs prints an invocation as Lambda does: START, its lines, END, REPORT', async () => {
  const { ok, requestId } = await invoke({ name: 'soilSensor1', humidity: 20 });
  assert.equal(ok, true);
  const result = await cli('logs', 'humidity-alert', '--request-id', requestId);
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 4, result.stdout);
  assert.match(lines[0] ?? '', new RegExp(`^START RequestId: ${requestId} Version: [0-9a-f]{12}$`));
  assert.match(lines[1] ?? '', new RegExp(`^\\d{4}-\\d{2}-\\d{2}T[\\d:.]+Z\\t${requestId}\\tINFO\\talert \\S+ sent for soilSensor1 \\(humidity 20\\)$`));
  assert.equal(lines[2], `END RequestId: ${requestId}`);
  assert.match(
    lines[3] ?? '',
    new RegExp(`^REPORT RequestId: ${requestId}\\tDuration: [\\d.]+ ms\\tBilled Duration: \\d+ ms\\tMemory Size: 128 MB\\tMax Memory Used: \\d+ MB`),
  );

  const json = await cli('logs', 'humidity-alert', '--request-id', requestId, '--json');
  assert.equal(json.code, 0, json.stderr);
  const objects = json.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { requestId: string; level: string });
  assert.deepEqual(objects.map((o) => o.level), ['START', 'INFO', 'END', 'REPORT']);
  assert.ok(objects.every((o) => o.requestId === requestId));

  const missing = await cli('logs', 'no-such-function');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /SLUICE_ERR_FUNCTION_NOT_FOUND/);
});

test('sluice logs --follow prints a new invocation as it happens', async () => {
  const follower = spawn(process.execPath, [SLUICE_BIN, '--data', dataDir, 'logs', 'humidity-alert', '--follow', '--since', '10m'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  follower.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  follower.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const waitFor = async (pattern: RegExp): Promise<void> => {
    const deadline = Date.now() + 20_000;
    while (!pattern.test(out)) {
      if (follower.exitCode !== null) throw new Error(`sluice logs --follow exited with ${follower.exitCode}: ${err}`);
      if (Date.now() > deadline) throw new Error(`not seen ${pattern} in:\n${out}\n${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  try {
    // The backlog (the first test's invocation) shows the stream is open.
    await waitFor(/^REPORT RequestId: /m);
    const failed = await invoke({ name: 'soilSensor2' }); // no humidity: the function throws
    assert.equal(failed.ok, false);
    await waitFor(new RegExp(`^REPORT RequestId: ${failed.requestId}\\t`, 'm'));
    assert.match(out, new RegExp(`^START RequestId: ${failed.requestId} Version: `, 'm'));
    assert.match(out, new RegExp(`\\t${failed.requestId}\\tERROR\\tInvoke Error \\t\\{"errorType":"TypeError"`));
    assert.match(out, new RegExp(`^END RequestId: ${failed.requestId}$`, 'm'));
  } finally {
    if (follower.exitCode === null && follower.signalCode === null) {
      const exited = once(follower, 'exit');
      follower.kill('SIGTERM');
      await exited;
    }
  }
});

test('/metrics counts the invocations by outcome and the errors by type', async () => {
  const response = await fetch(`${server.endpoints.http}/metrics`);
  const text = await response.text();
  assert.match(text, /^sluice_function_invocations_total\{function="humidity-alert",outcome="success"\} [1-9]/m);
  assert.match(text, /^sluice_function_invocations_total\{function="humidity-alert",outcome="error"\} [1-9]/m);
  assert.match(text, /^sluice_function_errors_total\{function="humidity-alert",type="TypeError"\} [1-9]/m);
  assert.match(text, /^sluice_function_duration_seconds_count\{function="humidity-alert"\} [1-9]/m);
  assert.match(text, /^sluice_function_concurrent_executions\{function="humidity-alert"\} 0$/m);
  assert.match(text, /^# TYPE sluice_function_throttles_total counter$/m);
});

test('an Event invoke is queued durably, retried twice as Lambda does, and then kept as a dead letter', async () => {
  const accepted = await cli('functions', 'invoke', 'humidity-alert', '--invocation-type', 'Event', '--payload', JSON.stringify({ name: 'soilSensor2' }));
  assert.equal(accepted.code, 0, accepted.stderr);
  const { requestId } = JSON.parse(accepted.stdout) as { requestId: string };
  assert.match(requestId, /^[0-9a-f-]{36}$/);

  // Three attempts in all (retryAttempts defaults to 2), each a START line under the same request id; then the dead letter.
  const deadline = Date.now() + 30_000;
  let letters: Array<{ id: string; ruleName: string; attempts: number }> = [];
  while (Date.now() < deadline) {
    const listed = await cli('dlq', 'list', '--json');
    letters = (JSON.parse(listed.stdout) as typeof letters).filter((l) => l.id === requestId);
    if (letters.length > 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.deepEqual(letters.map((l) => ({ ruleName: l.ruleName, attempts: l.attempts })), [{ ruleName: '$invoke', attempts: 3 }]);
  const logs = await cli('logs', 'humidity-alert', '--request-id', requestId, '--json');
  const starts = logs.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { level: string }).filter((l) => l.level === 'START');
  assert.equal(starts.length, 3, logs.stdout);
});

test('the invoke API speaks Lambda: X-Amz-Invocation-Type Event answers 202, DryRun 204, a bad type or function is a clear error', async () => {
  const url = `${server.endpoints.http}/api/v1/functions/humidity-alert/invoke`;
  const post = (headers: Record<string, string>, path = url) =>
    fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ name: 'soilSensor1', humidity: 50 }) });
  const event = await post({ 'x-amz-invocation-type': 'Event' });
  assert.equal(event.status, 202);
  const body = (await event.json()) as { requestId: string; status: string };
  assert.equal(body.status, 'queued');
  assert.equal(event.headers.get('x-amz-request-id'), body.requestId);

  assert.equal((await post({ 'x-amz-invocation-type': 'DryRun' })).status, 204);
  const bad = await post({ 'x-amz-invocation-type': 'Later' });
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { error: { message: string } }).error.message, /X-Amz-Invocation-Type: 'Later' is not one of RequestResponse, Event, DryRun/);
  const missing = await post({ 'x-amz-invocation-type': 'Event' }, `${server.endpoints.http}/api/v1/functions/nope/invoke`);
  assert.equal(missing.status, 404);

  const cliMissing = await cli('functions', 'invoke', 'nope', '--invocation-type', 'Event');
  assert.equal(cliMissing.code, 1);
  assert.match(cliMissing.stderr, /no function named 'nope'/);
  const cliBad = await cli('functions', 'invoke', 'humidity-alert', '--invocation-type', 'event');
  assert.equal(cliBad.code, 1);
  assert.match(cliBad.stderr, /--invocation-type: 'event' is not one of RequestResponse, Event, DryRun/);
});

test('sluice functions show prints the configuration, environment variable names but not their values', async () => {
  const shown = await cli('functions', 'show', 'humidity-alert', '--json');
  assert.equal(shown.code, 0, shown.stderr);
  const config = JSON.parse(shown.stdout) as { name: string; functionArn: string; retryAttempts: number; maxEventAgeMs: number; environmentVariableNames: string[] };
  assert.equal(config.name, 'humidity-alert');
  assert.equal(config.functionArn, 'arn:sluice:lambda:local:000000000000:function:humidity-alert');
  assert.equal(config.retryAttempts, 2);
  assert.equal(config.maxEventAgeMs, 6 * 3_600_000);
  assert.ok(config.environmentVariableNames.length > 0);
  assert.ok(!shown.stdout.includes('arn:sluice:sns'), 'no environment values (the topic ARN) in the output');
  const text = await cli('functions', 'show', 'humidity-alert');
  assert.match(text.stdout, /^Retry attempts: +2$/m);
  const missing = await cli('functions', 'show', 'nope');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no function named 'nope'/);
});
