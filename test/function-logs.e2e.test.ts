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
