/** Without --insecure: no plaintext listener, the API needs the admin token, anonymous MQTT is refused. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import mqtt from 'mqtt';
import { SluiceServer, runCli } from './support/sluice-process.js';

let dataDir: string;
let server: SluiceServer;
let token: string;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sluice-secure-'));
  server = await SluiceServer.start(dataDir, []);
  token = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
});

after(async () => {
  if (server) await server.stop('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

test('no plaintext MQTT endpoint and no insecure banner', () => {
  assert.equal(server.endpoints.mqtt, undefined);
  assert.doesNotMatch(server.stdout, /INSECURE/);
});

test('the admin token is readable by its owner only', async () => {
  const mode = (await stat(join(dataDir, 'admin-token'))).mode & 0o777;
  assert.equal(mode, 0o600);
  assert.ok(token.length >= 40);
});

test('the API refuses requests without the admin token and accepts it as a bearer token', async () => {
  const anonymous = await fetch(`${server.endpoints.http}/api/v1/rules`);
  assert.equal(anonymous.status, 401);
  assert.equal(((await anonymous.json()) as { error: { code: string } }).error.code, 'SLUICE_ERR_UNAUTHORIZED');
  const wrong = await fetch(`${server.endpoints.http}/api/v1/rules`, { headers: { authorization: 'Bearer nope' } });
  assert.equal(wrong.status, 401);
  const authorized = await fetch(`${server.endpoints.http}/api/v1/rules`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(authorized.status, 200);
  const health = await fetch(`${server.endpoints.http}/healthz`);
  assert.equal(health.status, 200, 'health needs no token');
});

test('anonymous MQTT over WebSocket is refused; the operator connects with the admin token', async () => {
  await assert.rejects(mqtt.connectAsync(server.endpoints.ws, { reconnectPeriod: 0, connectTimeout: 5000 }), /Not authorized|not authorized/i);
  const operator = await mqtt.connectAsync(server.endpoints.ws, { username: 'admin', password: token, reconnectPeriod: 0 });
  await operator.endAsync();
});

test('client commands find the token in the data dir', async () => {
  const result = await runCli(['--data', dataDir, 'rules', '--json']);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), []);
  const denied = await runCli(['--server', server.endpoints.http, '--token', 'wrong', 'rules']);
  assert.equal(denied.code, 1);
  assert.match(denied.stderr, /admin token/);
});
