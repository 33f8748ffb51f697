/**
 * Email end to end through the real CLI: the dev mailbox (no --smtp) with a
 * configured From, the HTML part and the RFC 8058 one-click unsubscribe POST
 * (no API token: the server runs without --insecure); then --smtp with
 * STARTTLS required and a private CA (--smtp-ca) against a real SMTP server,
 * and --smtp* flags that are wrong or would leak a secret.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { MailboxEntry, Subscription } from '../src/notify/index.js';
import { CertificateAuthority } from '../src/registry/index.js';
import { SluiceServer, runCli } from './support/sluice-process.js';
import { waitFor } from './support/wait.js';

const SUBSCRIBER = 'ops@example.org';
const TOPIC = 'humidity-alerts';
const FROM = 'Soil Alerts <alerts@example.com>';
const ALERT = { subject: 'Attention:Humidity Under Threshold', message: 'Humidity 32 under threshold for device name soilSensor2' };

const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const until = <T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> => waitFor(what, check, timeoutMs);

test('dev mailbox: text + HTML parts, one-click headers, the configured From; a one-click POST unsubscribes once', { timeout: 120_000 }, async () => {
  const dataDir = await tempDir('sluice-email-');
  const server = await SluiceServer.start(dataDir, ['--stack', 'stacks/soil-moisture.yaml', '--param', `alertEmail=${SUBSCRIBER}`, '--mail-from', FROM]);
  cleanups.push(() => server.stop('SIGKILL'));
  assert.doesNotMatch(server.stdout, /INSECURE MODE/);
  const admin = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
  const api = <T>(path: string, init: RequestInit = {}) =>
    server.api<T>(path, { ...init, headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json', ...init.headers } });
  const mailbox = async () => (await api<{ messages: MailboxEntry[] }>('/api/v1/mailbox')).messages;

  // Confirm through the link in the confirmation mail, which has an HTML part too.
  const confirmation = await until('the confirmation mail', async () => (await mailbox()).find((m) => m.to === SUBSCRIBER));
  assert.equal(confirmation.from, FROM);
  const confirmUrl = /https?:\/\/\S+\/notify\/confirm\/[A-Za-z0-9_-]+/.exec(confirmation.text)?.[0];
  assert.ok(confirmUrl);
  assert.ok(confirmation.html?.includes(`href="${confirmUrl}"`));
  assert.equal((await fetch(confirmUrl)).status, 200);

  await api(`/api/v1/topics/${TOPIC}/publish`, { method: 'POST', body: JSON.stringify(ALERT) });
  await server.settle();
  const alert = await until('the alert', async () => (await mailbox()).find((m) => m.subject === ALERT.subject));
  assert.equal(alert.from, FROM);
  assert.ok(alert.text.startsWith(`${ALERT.message}\n\n--\n`), alert.text);
  assert.ok(alert.html?.includes(ALERT.message));
  const unsubscribeUrl = /^<(https?:\/\/\S+\/notify\/unsubscribe\/[A-Za-z0-9_-]+)>$/.exec(alert.headers['List-Unsubscribe'] ?? '')?.[1];
  assert.ok(unsubscribeUrl, JSON.stringify(alert.headers));
  assert.ok(unsubscribeUrl.startsWith(server.endpoints.http));
  assert.equal(alert.headers['List-Unsubscribe-Post'], 'List-Unsubscribe=One-Click');
  assert.ok(alert.text.includes(unsubscribeUrl) && alert.html?.includes(`href="${unsubscribeUrl}"`), 'the same link in the body');

  // The .eml beside it is what SMTP would have carried: multipart/alternative with both parts and the headers.
  const emlName = (await readdir(join(dataDir, 'mailbox'))).find((n) => n.endsWith(`-${alert.id}.eml`));
  assert.ok(emlName);
  const eml = await simpleParser(await readFile(join(dataDir, 'mailbox', emlName)));
  assert.ok(eml.text?.startsWith(ALERT.message));
  assert.equal(typeof eml.html, 'string');
  assert.equal(eml.from?.value[0]?.address, 'alerts@example.com');
  assert.equal(eml.from?.value[0]?.name, 'Soil Alerts');
  assert.ok(eml.headerLines.some((h) => h.key === 'list-unsubscribe-post' && /List-Unsubscribe=One-Click/.test(h.line)));

  // RFC 8058: the mail client POSTs List-Unsubscribe=One-Click to the URL. No API token, no page to click through.
  const subscriptions = async () => (await api<{ subscriptions: Subscription[] }>(`/api/v1/topics/${TOPIC}/subscriptions`)).subscriptions;
  assert.equal((await subscriptions()).length, 1);
  const oneClick = () =>
    fetch(unsubscribeUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click', redirect: 'manual' });
  const first = await oneClick();
  assert.equal(first.status, 200);
  assert.match(await first.text(), new RegExp(`Unsubscribed: ${SUBSCRIBER} will no longer receive notifications from the topic ${TOPIC}`));
  assert.deepEqual(await subscriptions(), []);

  const second = await oneClick();
  assert.equal(second.status, 404);
  assert.match(await second.text(), /not valid/);

  // Nothing more is sent to the person who left.
  const count = (await mailbox()).length;
  await api(`/api/v1/topics/${TOPIC}/publish`, { method: 'POST', body: JSON.stringify(ALERT) });
  await server.settle();
  assert.equal((await mailbox()).length, count);
});

test('--smtp with --smtp-starttls required and --smtp-ca: mail goes over TLS, the banner shows no password', { timeout: 120_000 }, async () => {
  const dir = await tempDir('sluice-email-tls-');
  const ca = await CertificateAuthority.create();
  const { certificatePem, privateKeyPem } = await ca.issueServerCertificate();
  const caFile = join(dir, 'smtp-ca.pem');
  await writeFile(caFile, ca.certificatePem);

  const received: Array<{ secure: boolean; user: unknown; from: string; text: string; html: unknown }> = [];
  const smtp = new SMTPServer({
    key: privateKeyPem,
    cert: certificatePem,
    logger: false,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _session, callback) {
      if (auth.username === 'relay' && auth.password === 'hunter2-secret') callback(null, { user: auth.username });
      else callback(new Error('bad credentials'));
    },
    onData(stream, session, callback) {
      simpleParser(stream).then((parsed) => {
        received.push({ secure: session.secure, user: session.user, from: parsed.from?.text ?? '', text: parsed.text ?? '', html: parsed.html });
        callback();
      }, callback);
    },
  });
  smtp.on('error', () => undefined);
  smtp.listen(0, '127.0.0.1');
  await once(smtp.server, 'listening');
  cleanups.push(() => new Promise<void>((resolve) => smtp.close(() => resolve())));
  const port = (smtp.server.address() as AddressInfo).port;

  const server = await SluiceServer.start(join(dir, 'data'), [
    '--stack', 'stacks/soil-moisture.yaml', '--param', `alertEmail=${SUBSCRIBER}`, '--insecure',
    '--smtp', `smtp://relay:hunter2-secret@localhost:${port}`, '--smtp-ca', caFile, '--mail-from', FROM,
  ], { env: { SLUICE_SMTP_STARTTLS: 'required' } });
  cleanups.push(() => server.stop('SIGKILL'));

  const mail = await until('the confirmation mail over TLS', async () => received[0]);
  assert.equal(mail.secure, true, 'STARTTLS was used');
  assert.equal(mail.user, 'relay');
  assert.equal(mail.from, '"Soil Alerts" <alerts@example.com>');
  assert.match(mail.text, /\/notify\/confirm\//);
  assert.equal(typeof mail.html, 'string');
  assert.match(server.stdout, new RegExp(`Mail goes out through smtp://localhost:${port} \\(STARTTLS required, CA ${caFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}, as relay\\)`));
  assert.ok(!`${server.stdout}${server.stderr}`.includes('hunter2-secret'), 'the password is never printed');
});

test('sluice up: wrong SMTP flags stop the start with the flag named; --help shows no secret from the environment', async () => {
  const dir = await tempDir('sluice-email-flags-');
  const cases: Array<[string[], Record<string, string>, RegExp]> = [
    [['--smtp-starttls', 'required'], {}, /--smtp-starttls: only applies with --smtp/],
    [['--smtp', 'smtp://localhost:2525', '--smtp-starttls', 'maybe'], {}, /--smtp-starttls: expected required, opportunistic or off/],
    [['--smtp', 'smtp://localhost:2525'], { SLUICE_SMTP_OAUTH2_ACCESS_TOKEN: 'tok' }, /--smtp-oauth2-user: the mailbox to authenticate as is required/],
    [['--smtp', 'smtp://localhost:2525', '--smtp-ca', join(dir, 'missing.pem')], {}, /--smtp-ca .*missing\.pem: cannot read it/],
    [['--mail-from', 'not an address'], {}, /--mail-from: expected an address/],
  ];
  for (const [args, env, pattern] of cases) {
    const result = await runCli(['up', '--data', join(dir, 'data'), '--http-port', '0', '--mqtts-port', '0', '--wss-port', '0', ...args], { env });
    assert.equal(result.code, 1, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
    assert.match(result.stderr, pattern);
    assert.doesNotMatch(result.stdout, /Sluice is up/);
  }

  const help = await runCli(['up', '--help'], {
    env: { SLUICE_SMTP: 'smtp://u:env-password@localhost', SLUICE_SMTP_OAUTH2_ACCESS_TOKEN: 'env-token', SLUICE_SMTP_OAUTH2_CLIENT_SECRET: 'env-client-secret', SLUICE_SMTP_OAUTH2_REFRESH_TOKEN: 'env-refresh' },
  });
  assert.equal(help.code, 0);
  for (const flag of ['--smtp-starttls', '--smtp-ca', '--smtp-oauth2-user', '--smtp-oauth2-access-token', '--smtp-oauth2-client-id', '--smtp-oauth2-client-secret', '--smtp-oauth2-refresh-token', '--smtp-oauth2-token-url', '--mail-from']) {
    assert.ok(help.stdout.includes(flag), flag);
  }
  for (const secret of ['env-password', 'env-token', 'env-client-secret', 'env-refresh']) assert.ok(!help.stdout.includes(secret), secret);
});
