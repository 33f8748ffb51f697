/** Without --insecure: no plaintext listener, the API needs a token (hashed, scoped, revocable), anonymous MQTT is refused. */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
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

test('the first start printed the new admin token once, and the state store holds only its hash', async () => {
  assert.match(server.stdout, /New admin token "initial-admin" \(first start\)/);
  assert.ok(server.stdout.includes(token), 'the banner shows the token');
  const files = await readdir(dataDir);
  for (const file of files.filter((f) => f.startsWith('state.db'))) {
    assert.equal((await readFile(join(dataDir, file))).indexOf(token), -1, `${file} holds the plaintext admin token`);
  }
});

test('sluice token create makes a working token; revoke makes it 401', async () => {
  const http = server.endpoints.http;
  const anonymous = await fetch(`${http}/api/v1/tokens`);
  assert.equal(anonymous.status, 401);

  const created = await runCli(['--data', dataDir, 'token', 'create', 'e2e-reader', '--expires-in-days', '7', '--json']);
  assert.equal(created.code, 0, created.stderr);
  const reader = JSON.parse(created.stdout) as { token: string; tokenId: string; scope: string; expiresAt?: string };
  assert.equal(reader.scope, 'read-only', 'read-only unless asked for more');
  assert.ok(reader.token.startsWith('slc_') && reader.expiresAt);

  const read = await fetch(`${http}/api/v1/rules`, { headers: { authorization: `Bearer ${reader.token}` } });
  assert.equal(read.status, 200);
  const write = await fetch(`${http}/api/v1/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${reader.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'sneaky', scope: 'admin' }),
  });
  assert.equal(write.status, 403);
  assert.equal(((await write.json()) as { error: { code: string } }).error.code, 'SLUICE_ERR_FORBIDDEN');

  const human = await runCli(['--data', dataDir, 'token', 'create', 'e2e-admin', '--scope', 'admin']);
  assert.equal(human.code, 0, human.stderr);
  const adminToken = /^ {2}(slc_\S+)$/m.exec(human.stdout)?.[1];
  assert.ok(adminToken, human.stdout);
  assert.match(human.stderr, /shown only this once/);

  const listed = await runCli(['--server', http, '--token', adminToken, 'token', 'list', '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  const list = JSON.parse(listed.stdout) as Array<{ name: string; scope: string; lastUsedAt?: string }>;
  assert.deepEqual(list.map((t) => `${t.name}:${t.scope}`).sort(), ['e2e-admin:admin', 'e2e-reader:read-only', 'initial-admin:admin']);
  assert.ok(list.find((t) => t.name === 'e2e-reader')?.lastUsedAt, 'use is recorded');
  assert.ok(!listed.stdout.includes(reader.token) && !listed.stdout.includes(token), 'no secrets in the list');
  const table = await runCli(['--data', dataDir, 'token', 'list']);
  assert.match(table.stdout, /^ID +NAME +SCOPE +DEVICE +CREATED +LAST USED +EXPIRES$/m);

  const revoked = await runCli(['--data', dataDir, 'token', 'revoke', 'e2e-reader']);
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.match(revoked.stdout, new RegExp(`Revoked token e2e-reader \\(id ${reader.tokenId}`));
  const after = await fetch(`${http}/api/v1/rules`, { headers: { authorization: `Bearer ${reader.token}` } });
  assert.equal(after.status, 401);

  assert.equal((await runCli(['--data', dataDir, 'token', 'revoke', 'e2e-admin'])).code, 0);
  const last = await runCli(['--data', dataDir, 'token', 'revoke', 'initial-admin']);
  assert.equal(last.code, 1);
  assert.match(last.stderr, /last admin token.*\[SLUICE_ERR_CONFLICT\]/);
});

test('a data dir from before hashed tokens keeps its plaintext admin token', async () => {
  const oldDir = await mkdtemp(join(tmpdir(), 'sluice-legacy-'));
  const legacy = 'Jq0cB8gq1Kx3s7uZb0m2lW1n5yP4rT6vQ8eH9dA2fGk';
  await writeFile(join(oldDir, 'admin-token'), `${legacy}\n`, { mode: 0o600 });
  let old: SluiceServer | undefined;
  try {
    old = await SluiceServer.start(oldDir, []);
    assert.doesNotMatch(old.stdout, /New admin token/);
    assert.equal((await readFile(join(oldDir, 'admin-token'), 'utf8')).trim(), legacy);
    const response = await fetch(`${old.endpoints.http}/api/v1/tokens`, { headers: { authorization: `Bearer ${legacy}` } });
    assert.equal(response.status, 200);
    const { tokens } = (await response.json()) as { tokens: Array<{ name: string; scope: string }> };
    assert.deepEqual(tokens.map((t) => `${t.name}:${t.scope}`), ['initial-admin:admin']);
  } finally {
    await old?.stop('SIGKILL');
    await rm(oldDir, { recursive: true, force: true });
  }
});
