/**
 * Rule actions that fail, end to end through the real CLI: a real node:http
 * server plays a flaky, a rejecting and a dead endpoint; a real MQTT client
 * publishes QoS 1. Retryable failures are retried with the same job id,
 * final ones go to the error action with AWS's message or to the dead-letter
 * queue, and `sluice dlq` replays and purges them.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import type { ActionStatus, DeadLetterView } from '../src/actions/index.js';
import { SluiceServer, runCli } from './support/sluice-process.js';

const STACK = resolve(import.meta.dirname, 'fixtures', 'failing-actions.yaml');
const CLIENT_ID = 'failing-actions-device';

interface Received {
  path: string;
  jobId: string;
  body: Buffer;
}

/** What each path answers, in order; the last status repeats. */
const script = new Map<string, number[]>([
  ['/flaky', [500, 200]],
  ['/rejected', [400]],
  ['/dead', [400]],
  ['/purged', [400]],
  ['/limited', [500]],
]);
const received: Received[] = [];

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const target: Server = createServer((request, response) => {
  void readBody(request).then((body) => {
    const path = request.url ?? '';
    received.push({ path, jobId: String(request.headers['x-sluice-job-id']), body });
    const statuses = script.get(path) ?? [404];
    const status = statuses.length > 1 ? (statuses.shift() ?? 404) : (statuses[0] ?? 404);
    response.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : `scripted ${status} for ${path}`);
  });
});

const requestsTo = (path: string) => received.filter((r) => r.path === path);

let dataDir = '';
let origin = '';
let server: SluiceServer | undefined;
let device: MqttClient | undefined;

before(async () => {
  target.listen(0, '127.0.0.1');
  await once(target, 'listening');
  origin = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
  dataDir = await mkdtemp(join(tmpdir(), 'sluice-failing-'));
  server = await SluiceServer.start(dataDir, ['--stack', STACK, '--param', `target=${origin}`, '--insecure']);
  assert.ok(server.endpoints.mqtt, 'insecure mode offers a plaintext MQTT endpoint');
  device = await mqtt.connectAsync(server.endpoints.mqtt, { clientId: CLIENT_ID, reconnectPeriod: 0 });
});

after(async () => {
  await device?.endAsync();
  await server?.stop('SIGKILL');
  target.closeAllConnections();
  await new Promise((r) => target.close(r));
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function sluice(): SluiceServer {
  assert.ok(server, 'the server started');
  return server;
}

async function publish(topic: string, payload: string): Promise<void> {
  assert.ok(device);
  await device.publishAsync(topic, payload, { qos: 1 });
}

const cli = (...args: string[]) => runCli(['--data', dataDir, ...args]);

/** Through the API: quicker than a CLI process for the checks; the CLI is exercised where the test is about it. */
async function deadLetters(rule?: string): Promise<DeadLetterView[]> {
  const query = rule ? `?rule=${encodeURIComponent(rule)}` : '';
  return (await sluice().api<{ deadLetters: DeadLetterView[] }>(`/api/v1/dead-letters${query}`)).deadLetters;
}

async function ruleCounts(rule: string) {
  const status = await sluice().api<ActionStatus>('/api/v1/status');
  const counts = status.rules.find((r) => r.rule === rule);
  assert.ok(counts, `status lists ${rule}: ${JSON.stringify(status.rules)}`);
  return counts;
}

test('an endpoint answering 500 then 200 is retried with the same job id and body, and succeeds', async () => {
  const payload = JSON.stringify({ reading: 'flaky', n: 1 });
  await publish('flaky/one', payload);
  await sluice().settle();

  const requests = requestsTo('/flaky');
  assert.equal(requests.length, 2, 'one failed attempt, one retry');
  const [first, second] = requests;
  assert.ok(first && second);
  assert.match(first.jobId, /\S/, 'the request carries x-sluice-job-id');
  assert.equal(second.jobId, first.jobId, 'the retry carries the same job id');
  assert.ok(first.body.equals(Buffer.from(payload)), 'the body is the payload, byte for byte');
  assert.ok(second.body.equals(first.body), 'the retry sends the same bytes');

  const counts = await ruleCounts('FlakyRule');
  assert.ok(counts.retried >= 1, `retried ${counts.retried}`);
  assert.equal(counts.succeeded, 1);
  assert.equal(counts.deadLettered, 0);
  assert.deepEqual(await deadLetters('FlakyRule'), []);
});

test('an endpoint answering 400 is not retried; the error action gets AWS\'s error message', async () => {
  assert.ok(device);
  await device.subscribeAsync('errors/#', { qos: 1 });
  const client = device;
  const errorMessage = new Promise<[string, Buffer]>((resolve) => client.once('message', (topic, body) => resolve([topic, body])));
  const payload = JSON.stringify({ reading: 'rejected', n: 2 });
  await publish('rejected/one', payload);
  const [topic, body] = await errorMessage;
  await sluice().settle();

  assert.equal(requestsTo('/rejected').length, 1, 'a 400 is final: exactly one request');
  assert.equal(topic, 'errors/rejected/one');
  const report = JSON.parse(body.toString()) as {
    ruleName: string;
    topic: string;
    clientId: string;
    cloudwatchTraceId: string;
    base64OriginalPayload: string;
    failures: Array<{ failedAction: string; failedResource: string; errorMessage: string }>;
  };
  assert.equal(report.ruleName, 'RejectedRule');
  assert.equal(report.topic, 'rejected/one');
  assert.equal(report.clientId, CLIENT_ID);
  assert.equal(Buffer.from(report.base64OriginalPayload, 'base64').toString(), payload);
  assert.equal(report.failures.length, 1);
  const [failure] = report.failures;
  assert.ok(failure);
  assert.equal(failure.failedAction, 'HttpAction');
  assert.equal(failure.failedResource, `${origin}/rejected`);
  assert.match(failure.errorMessage, /\b400\b/);
  assert.match(failure.errorMessage, /scripted 400/, 'the message quotes the response body');

  const counts = await ruleCounts('RejectedRule');
  assert.equal(counts.retried, 0);
  assert.equal(counts.failed, 1);
  assert.deepEqual(await deadLetters('RejectedRule'), [], 'the error action took it: no dead letter');
  await device.unsubscribeAsync('errors/#');
});

test('without an error action a 400 dead-letters; dlq replay delivers it once mended; dlq purge removes by filter', async () => {
  const payload = JSON.stringify({ reading: 'dead', n: 3 });
  await publish('dead/one', payload);
  await sluice().settle();
  assert.equal(requestsTo('/dead').length, 1);

  const list = await cli('dlq', 'list', '--json', '--rule', 'DeadRule');
  assert.equal(list.code, 0, list.stderr);
  const [letter, ...others] = JSON.parse(list.stdout) as DeadLetterView[];
  assert.ok(letter, 'dlq list shows the dead letter');
  assert.deepEqual(others, []);
  assert.equal(letter.ruleName, 'DeadRule');
  assert.equal(letter.topic, 'dead/one');
  assert.equal(letter.clientId, CLIENT_ID);
  assert.equal(letter.failures[0]?.failedAction, 'HttpAction');
  assert.match(letter.failures[0]?.errorMessage ?? '', /\b400\b/);
  assert.equal(Buffer.from(letter.originalPayloadBase64, 'base64').toString(), payload);
  assert.equal(letter.id, requestsTo('/dead')[0]?.jobId, 'the dead letter id is the job id the endpoint saw');

  const shown = await sluice().api<DeadLetterView>(`/api/v1/dead-letters/${encodeURIComponent(letter.id)}`);
  assert.equal(shown.payloadBase64, letter.payloadBase64);

  script.set('/dead', [200]);
  const replay = await cli('dlq', 'replay', letter.id);
  assert.equal(replay.code, 0, replay.stderr);
  assert.match(replay.stdout, /replayed 1 dead letter\b/);
  await sluice().settle();
  const requests = requestsTo('/dead');
  assert.equal(requests.length, 2, 'the replay made one more request');
  assert.equal(requests[1]?.jobId, letter.id, 'the replay carries the original job id');
  assert.ok(requests[1]?.body.equals(Buffer.from(payload)), 'the replay sends the original payload');
  assert.deepEqual(await deadLetters('DeadRule'), [], 'a replayed letter that succeeds is gone');

  await publish('purged/one', JSON.stringify({ reading: 'purged', n: 4 }));
  await sluice().settle();
  assert.equal((await deadLetters('PurgedRule')).length, 1);
  const purge = await cli('dlq', 'purge', '--rule', 'PurgedRule');
  assert.equal(purge.code, 0, purge.stderr);
  assert.match(purge.stdout, /purged 1 dead letter\b/);
  assert.deepEqual(await deadLetters('PurgedRule'), []);
});

test('a rule with retry.maxAttempts 2 against an always-500 endpoint makes exactly 2 requests, then dead-letters', async () => {
  await publish('limited/one', JSON.stringify({ reading: 'limited', n: 5 }));
  await sluice().settle();

  const requests = requestsTo('/limited');
  assert.equal(requests.length, 2, 'two attempts in all');
  assert.equal(requests[1]?.jobId, requests[0]?.jobId);
  const letters = await deadLetters('LimitedRule');
  assert.equal(letters.length, 1);
  assert.equal(letters[0]?.attempts, 2);
  assert.match(letters[0]?.failures[0]?.errorMessage ?? '', /\b500\b/);
  const counts = await ruleCounts('LimitedRule');
  assert.equal(counts.retried, 1);
  assert.equal(counts.deadLettered, 1);
});

test('dlq purge with no selection is refused with a clear message and purges nothing', async () => {
  const before = (await deadLetters()).length;
  assert.ok(before >= 1, 'there is a dead letter to protect');
  const purge = await cli('dlq', 'purge');
  assert.notEqual(purge.code, 0);
  // The message says how to select (id, rule, age) and how to mean every one (all).
  assert.match(purge.stderr, /\brule\b/);
  assert.match(purge.stderr, /\ball\b/);
  assert.doesNotMatch(purge.stderr, /purged/);
  assert.equal((await deadLetters()).length, before);
});
