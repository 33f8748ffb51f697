import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readableMailTransportContract } from './contract.js';
import { createMailboxTransport } from './mailbox.js';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'sluice-mailbox-'));
}

readableMailTransportContract('mailbox', async () => {
  const dir = await tempDir();
  // A directory that does not exist yet: the mailbox creates it on first send.
  return { transport: createMailboxTransport(join(dir, 'mailbox')), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

test('mailbox: writes <time>-<id>.json and .eml, no temp files left', async (t) => {
  const dir = await tempDir();
  t.after(() => rm(dir, { recursive: true, force: true }));
  const clock = { now: () => Date.parse('2020-08-27T13:47:52.677Z') };
  const mailbox = createMailboxTransport(dir, { clock });
  const { messageId } = await mailbox.send({
    from: 'Sluice <no-reply@sluice.local>',
    to: 'ops@example.com',
    subject: 'Hello',
    text: 'body text',
    headers: { 'List-Unsubscribe': '<http://x/notify/unsubscribe/t>' },
  });
  const names = (await readdir(dir)).sort();
  assert.deepEqual(names, [`2020-08-27T13-47-52.677Z-${messageId}.eml`, `2020-08-27T13-47-52.677Z-${messageId}.json`]);
  const json: unknown = JSON.parse(await readFile(join(dir, names[1] ?? ''), 'utf8'));
  assert.deepEqual(json, {
    id: messageId,
    from: 'Sluice <no-reply@sluice.local>',
    to: 'ops@example.com',
    subject: 'Hello',
    text: 'body text',
    headers: { 'List-Unsubscribe': '<http://x/notify/unsubscribe/t>' },
    date: '2020-08-27T13:47:52.677Z',
  });
  const eml = await readFile(join(dir, names[0] ?? ''), 'utf8');
  assert.match(eml, /^Subject: Hello$/m);
  assert.match(eml, /^List-Unsubscribe: <http:\/\/x\/notify\/unsubscribe\/t>$/m);
  assert.match(eml, /body text/);
});

test('mailbox: foreign files in the directory are ignored', async (t) => {
  const dir = await tempDir();
  t.after(() => rm(dir, { recursive: true, force: true }));
  const mailbox = createMailboxTransport(dir);
  await mailbox.send({ from: 'a@b.c', to: 'd@e.f', subject: 's', text: 't' });
  const { writeFile } = await import('node:fs/promises');
  await writeFile(join(dir, 'zzz-notes.json'), 'not json');
  await writeFile(join(dir, 'zzz-other.json'), '{"hello":1}');
  assert.equal((await mailbox.list()).length, 1);
});
