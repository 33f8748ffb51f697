import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SluiceError } from '../core/index.js';
import { createMemoryStateStore, openSqliteStateStore } from '../state/index.js';
import { LAST_USED_RESOLUTION_MS, TOKEN_PREFIX, TokenStore, type TokenRecord } from './tokens.js';

const DAY = 24 * 60 * 60 * 1000;

function fakeClock(start = Date.parse('2025-01-01T00:00:00Z')) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

test('tokens are random, prefixed, and at rest only as a hash', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-tokens-'));
  try {
    const state = openSqliteStateStore(join(dir, 'state.db'));
    const tokens = new TokenStore(state);
    const a = await tokens.create({ name: 'ci', scope: 'admin' });
    const b = await tokens.create({ name: 'dashboard', scope: 'read-only' });
    assert.ok(a.token.startsWith(TOKEN_PREFIX));
    assert.ok(a.token.length >= TOKEN_PREFIX.length + 43, '32 random bytes, base64url');
    assert.match(a.token.slice(TOKEN_PREFIX.length), /^[A-Za-z0-9_-]+$/);
    assert.notEqual(a.token, b.token);
    assert.match(a.record.tokenId, /^[0-9a-f]{12}$/);

    // The raw documents: a hash, never the plaintext.
    const raw = await state.collection<Record<string, unknown>>('auth.tokens').list();
    assert.equal(raw.length, 2);
    const dump = JSON.stringify(raw);
    assert.ok(!dump.includes(a.token) && !dump.includes(a.token.slice(TOKEN_PREFIX.length)), 'no plaintext in the documents');
    assert.match(String(raw[0]?.doc.hash), /^[0-9a-f]{64}$/);
    // Nor anywhere in the database files (the WAL included).
    await state.close();
    for (const file of await readdir(dir)) {
      const bytes = await readFile(join(dir, file));
      for (const plaintext of [a.token, b.token]) {
        assert.equal(bytes.indexOf(plaintext.slice(TOKEN_PREFIX.length)), -1, `${file} holds a plaintext token`);
      }
    }
    // Listing never hands out hashes.
    const reopened = new TokenStore(openSqliteStateStore(join(dir, 'state.db')));
    const listed = await reopened.list();
    assert.deepEqual(listed.map((t) => t.name), ['ci', 'dashboard']);
    assert.ok(listed.every((t) => !('hash' in t)));
    assert.equal((await reopened.verify(a.token))?.name, 'ci', 'verifies after a restart');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('verify accepts the exact token only', async () => {
  const tokens = new TokenStore(createMemoryStateStore());
  const { token, record } = await tokens.create({ name: 'ops', scope: 'admin' });
  const verified = await tokens.verify(token);
  assert.equal(verified?.tokenId, record.tokenId);
  assert.equal(verified?.scope, 'admin');
  assert.equal(await tokens.verify(`${token}x`), undefined);
  assert.equal(await tokens.verify(token.slice(0, -1)), undefined);
  assert.equal(await tokens.verify(''), undefined);
  assert.equal(await tokens.verify('x'.repeat(10_000)), undefined);
  assert.equal(await tokens.verify(`${TOKEN_PREFIX}${'A'.repeat(43)}`), undefined);
});

test('revoke by id or name, with listeners; the last admin token stays', async () => {
  const tokens = new TokenStore(createMemoryStateStore());
  const first = await tokens.create({ name: 'first-admin', scope: 'admin' });
  const reader = await tokens.create({ name: 'reader', scope: 'read-only' });
  const revoked: TokenRecord[] = [];
  const unsubscribe = tokens.onRevoke((record) => revoked.push(record));

  await assert.rejects(tokens.revoke(first.record.tokenId), (error: unknown) => {
    assert.ok(error instanceof SluiceError);
    assert.equal(error.code, 'SLUICE_ERR_CONFLICT');
    assert.equal(error.status, 409);
    assert.match(error.message, /last admin token/);
    return true;
  });
  assert.ok(await tokens.verify(first.token));

  assert.equal((await tokens.revoke('reader')).tokenId, reader.record.tokenId, 'by name');
  assert.equal(await tokens.verify(reader.token), undefined);
  assert.deepEqual(revoked.map((r) => r.name), ['reader']);

  const second = await tokens.create({ name: 'second-admin', scope: 'admin' });
  await tokens.revoke(first.record.tokenId);
  assert.equal(await tokens.verify(first.token), undefined);
  assert.deepEqual((await tokens.list()).map((t) => t.name), ['second-admin']);
  await assert.rejects(tokens.revoke('second-admin'), /last admin token/);
  await assert.rejects(tokens.revoke('nope'), (error: unknown) => error instanceof SluiceError && error.code === 'SLUICE_ERR_NOT_FOUND');

  unsubscribe();
  const device = await tokens.create({ name: 'sensor', scope: 'device', thingName: 'soilSensor1' });
  await tokens.revoke(device.record.tokenId);
  assert.equal(revoked.length, 2, 'an unsubscribed listener hears nothing');
  assert.ok(await tokens.verify(second.token));
});

test('a listener that throws does not undo or fail the revocation', async () => {
  const tokens = new TokenStore(createMemoryStateStore());
  await tokens.create({ name: 'admin', scope: 'admin' });
  const device = await tokens.create({ name: 'd', scope: 'device', clientId: 'c1' });
  tokens.onRevoke(() => {
    throw new Error('listener bug');
  });
  await tokens.revoke('d');
  assert.equal(await tokens.verify(device.token), undefined);
});

test('expired tokens do not verify and do not count as the last admin', async () => {
  const clock = fakeClock();
  const tokens = new TokenStore(createMemoryStateStore(), { clock });
  const permanent = await tokens.create({ name: 'permanent', scope: 'admin' });
  const temporary = await tokens.create({ name: 'temporary', scope: 'admin', expiresInDays: 2 });
  assert.equal(temporary.record.expiresAt, new Date(clock.t + 2 * DAY).toISOString());
  clock.t += 2 * DAY - 1;
  assert.ok(await tokens.verify(temporary.token));
  clock.t += 1;
  assert.equal(await tokens.verify(temporary.token), undefined);
  assert.ok(tokens.isExpired(temporary.record));
  assert.equal((await tokens.list()).length, 2, 'expired tokens are still listed');
  // The expired admin token is no stand-in for the permanent one.
  await assert.rejects(tokens.revoke('permanent'), /last admin token/);
  await tokens.revoke('temporary');
  assert.ok(await tokens.verify(permanent.token));
});

test('lastUsedAt is written at most once a minute', async () => {
  const clock = fakeClock();
  const state = createMemoryStateStore();
  const tokens = new TokenStore(state, { clock });
  const { token } = await tokens.create({ name: 'busy', scope: 'read-only' });
  let writes = 0;
  // A second store on the same state, counting the writes of lastUsedAt.
  const counting = new TokenStore(
    {
      collection: <T>(name: string) => {
        const collection = state.collection<T>(name);
        if (name !== 'auth.token-usage') return collection;
        return {
          ...collection,
          put: async (id: string, doc: T) => {
            writes += 1;
            await collection.put(id, doc);
          },
        };
      },
      close: () => state.close(),
    },
    { clock },
  );

  assert.equal((await tokens.list())[0]?.lastUsedAt, undefined, 'never used');
  const start = clock.t;
  for (let i = 0; i < 50; i++) {
    await counting.verify(token);
    clock.t += 1000;
  }
  // 50 requests over 50 s: one write.
  assert.equal(writes, 1);
  assert.equal((await tokens.list())[0]?.lastUsedAt, new Date(start).toISOString());
  clock.t = start + LAST_USED_RESOLUTION_MS;
  const verified = await counting.verify(token);
  assert.equal(writes, 2);
  assert.equal(verified?.lastUsedAt, new Date(clock.t).toISOString());
  assert.equal((await tokens.list())[0]?.lastUsedAt, new Date(clock.t).toISOString());
  await counting.verify(token, { touch: false });
  clock.t += 2 * LAST_USED_RESOLUTION_MS;
  await counting.verify(token, { touch: false });
  assert.equal(writes, 2, 'touch: false records nothing');
});

test('a verify racing a revoke does not bring the token back', async () => {
  const tokens = new TokenStore(createMemoryStateStore());
  await tokens.create({ name: 'admin', scope: 'admin' });
  const { token } = await tokens.create({ name: 'racer', scope: 'read-only' });
  const verifying = tokens.verify(token);
  await tokens.revoke('racer');
  await verifying;
  assert.equal(await tokens.verify(token), undefined);
  assert.deepEqual((await tokens.list()).map((t) => t.name), ['admin']);
});

test('create validates names, scopes, expiry and device fields', async () => {
  const tokens = new TokenStore(createMemoryStateStore());
  const code = (field: string) => (error: unknown) =>
    error instanceof SluiceError && error.code === 'SLUICE_ERR_REQUEST_INVALID' && error.place?.field === field;
  await assert.rejects(tokens.create({ name: 'bad name', scope: 'admin' }), code('name'));
  await assert.rejects(tokens.create({ name: 'x', scope: 'root' as 'admin' }), code('scope'));
  await assert.rejects(tokens.create({ name: 'x', scope: 'admin', expiresInDays: 0 }), code('expiresInDays'));
  await assert.rejects(tokens.create({ name: 'x', scope: 'admin', expiresInDays: 100_000 }), code('expiresInDays'));
  await assert.rejects(tokens.create({ name: 'x', scope: 'device' }), code('thingName'));
  await assert.rejects(tokens.create({ name: 'x', scope: 'device', thingName: 'bad thing!' }), code('thingName'));
  await assert.rejects(tokens.create({ name: 'x', scope: 'device', clientId: 'c'.repeat(129) }), code('clientId'));
  await assert.rejects(tokens.create({ name: 'x', scope: 'admin', thingName: 't' }), code('thingName'));
  const device = await tokens.create({ name: 'sensor-1', scope: 'device', thingName: 'soilSensor1', clientId: 'soilSensor1' });
  assert.deepEqual(
    { scope: device.record.scope, thingName: device.record.thingName, clientId: device.record.clientId },
    { scope: 'device', thingName: 'soilSensor1', clientId: 'soilSensor1' },
  );
  assert.equal((await tokens.verify(device.token))?.thingName, 'soilSensor1');
  await assert.rejects(tokens.create({ name: 'sensor-1', scope: 'read-only' }), (error: unknown) => {
    return error instanceof SluiceError && error.code === 'SLUICE_ERR_CONFLICT' && /named 'sensor-1' exists/.test(error.message);
  });
});

test('a plaintext token from before hashing is imported as its hash', async () => {
  const state = createMemoryStateStore();
  const tokens = new TokenStore(state);
  const legacy = 'Jq0cB8gq1Kx3s7uZb0m2lW1n5yP4rT6vQ8eH9dA2fGk';
  const record = await tokens.importToken(legacy, { name: 'initial-admin', scope: 'admin' });
  assert.equal((await tokens.verify(legacy))?.tokenId, record.tokenId);
  assert.ok(!JSON.stringify(await state.collection('auth.tokens').list()).includes(legacy));
  await assert.rejects(tokens.importToken(legacy, { name: 'again', scope: 'admin' }), /already stored/);
});
