/**
 * Notification topics and subscriptions from the command line, against a real
 * server with the reference stack: `sluice topics`, `sluice subscriptions`
 * (an email subscription confirmed with the link from its confirmation mail in
 * the dev mailbox) and `sluice notify`, whose mail arrives in the dev mailbox;
 * and the error cases, each an error line on stderr with exit code 1.
 *
 * Every CLI run starts a process (seconds on a busy machine), so set-up and
 * waiting go through the HTTP API and the CLI runs what is under test.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SluiceServer, runCli, type CliResult } from './support/sluice-process.js';

let dataDir: string;
let workDir: string;
let server: SluiceServer;
const cli = (...args: string[]) => runCli(['--data', dataDir, ...args]);

interface Mail {
  id: string;
  to: string;
  subject: string;
  text: string;
}

interface Subscription {
  id: string;
  arn: string;
  topicName: string;
  protocol: string;
  endpoint: string;
  status: string;
}

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sluice-notify-cli-data-'));
  workDir = await mkdtemp(join(tmpdir(), 'sluice-notify-cli-work-'));
  server = await SluiceServer.start(dataDir, ['--insecure', '--stack', 'stacks/soil-moisture.yaml']);
});

after(async () => {
  if (server) await server.stop('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
  await rm(workDir, { recursive: true, force: true });
});

function ok(result: CliResult): string {
  assert.equal(result.code, 0, `exit ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  return result.stdout;
}

/** Exit code 1, nothing on stdout, and one error line on stderr matching `pattern`. */
function fails(result: CliResult, pattern: RegExp): void {
  assert.equal(result.code, 1, `expected exit 1\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  assert.equal(result.stdout, '');
  assert.equal(result.stderr.trim().split('\n').length, 1, `one line:\n${result.stderr}`);
  assert.match(result.stderr, /^error: /);
  assert.match(result.stderr, pattern);
}

const post = <T>(path: string, body: unknown) =>
  server.api<T>(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** Waits for a mail to `to` matching `where`: deliveries go through the outbox, so they come a moment later. */
async function waitForMail(to: string, where: (mail: Mail) => boolean = () => true, count = 1, timeoutMs = 20_000): Promise<Mail[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { messages } = await server.api<{ messages: Mail[] }>('/api/v1/mailbox');
    const found = messages.filter((m) => m.to === to && where(m));
    if (found.length >= count) return found;
    if (Date.now() > deadline) throw new Error(`no mail to ${to} after ${timeoutMs} ms:\n${JSON.stringify(messages, null, 2)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function confirmLink(mail: Mail): string {
  const link = /https?:\/\/\S+\/notify\/confirm\/[A-Za-z0-9_-]+/.exec(mail.text)?.[0];
  assert.ok(link, mail.text);
  return link;
}

async function subscriptionsOf(topic: string): Promise<Subscription[]> {
  return (await server.api<{ subscriptions: Subscription[] }>(`/api/v1/subscriptions?topic=${topic}`)).subscriptions;
}

test('topics: create (idempotent, display name replaced), list with subscription counts, show', async () => {
  assert.match(ok(await cli('topics', 'create', 'greenhouse', '--display-name', 'Greenhouse')), /^Created topic greenhouse \(arn:\S+:greenhouse\)$/m);
  assert.match(ok(await cli('topics', 'create', 'greenhouse')), /^Topic greenhouse already exists .*nothing changed$/m);
  assert.match(ok(await cli('topics', 'create', 'greenhouse', '--display-name', 'Greenhouse alerts')), /^Updated topic greenhouse: display name "Greenhouse alerts"$/m);

  const listed = ok(await cli('topics'));
  assert.match(listed, /^NAME +DISPLAY NAME +CONFIRMED +PENDING +ARN$/m);
  assert.match(listed, /^greenhouse +Greenhouse alerts +0 +0 +arn:\S+:greenhouse$/m);
  assert.match(listed, /^humidity-alerts +Soil humidity alerts +0 +1 +/m, 'the reference stack\'s topic, its email subscription pending');

  const shown = ok(await cli('topics', 'show', 'greenhouse'));
  assert.match(shown, /^Display name: +Greenhouse alerts$/m);
  assert.match(shown, /^Subscriptions: +0 confirmed, 0 pending$/m);
});

test('an email subscription is confirmed with the link from its mail, and `sluice notify` mails it, with attributes too', async () => {
  await post('/api/v1/topics', { name: 'alerts' });
  const created = ok(await cli('subscriptions', 'create', 'alerts', '--protocol', 'email', '--endpoint', 'grower@example.org'));
  assert.match(created, /^Subscribed email grower@example\.org to topic alerts: subscription \S+ is pending confirmation$/m);
  assert.match(created, /A confirmation message was sent to grower@example\.org/);
  // Idempotent: the same subscription, and no second mail.
  assert.match(ok(await cli('subscriptions', 'create', 'alerts', '--protocol', 'email', '--endpoint', 'grower@example.org')), /^Already subscribed: .* \(pending\)$/m);
  // Before confirmation, nobody is notified.
  assert.match(ok(await cli('notify', 'alerts', '--message', 'too early')), /no confirmed subscriptions, so nobody was notified/);

  // The confirmation mail, as a person finds it with `sluice mailbox`.
  const mails = JSON.parse(ok(await cli('mailbox', '--json'))) as Mail[];
  const confirmations = mails.filter((m) => m.to === 'grower@example.org');
  assert.equal(confirmations.length, 1, JSON.stringify(mails, null, 2));
  assert.match(confirmations[0]?.subject ?? '', /Subscription Confirmation/);
  const link = confirmLink(confirmations[0] as Mail);
  assert.match(ok(await cli('subscriptions', 'confirm', link)), /^Confirmed subscription \S+: email grower@example\.org to topic alerts$/m);
  const [confirmed] = await subscriptionsOf('alerts');
  assert.ok(confirmed);
  assert.equal(confirmed.status, 'confirmed');
  assert.match(ok(await cli('subscriptions', 'list', '--topic', 'alerts')), new RegExp(`^${confirmed.id} +alerts +email +grower@example\\.org +confirmed `, 'm'));

  const published = ok(await cli('notify', 'alerts', '--subject', 'Humidity low', '--message', 'Humidity 29 under threshold for soilSensor3'));
  assert.match(published, /^Published message \S+ to topic alerts: 1 delivery$/m);
  assert.match(published, new RegExp(`^${confirmed.id} +grower@example\\.org +queued$`, 'm'));
  const [mail] = await waitForMail('grower@example.org', (m) => m.subject === 'Humidity low');
  assert.ok(mail?.text.startsWith('Humidity 29 under threshold for soilSensor3'), mail?.text);

  // Attributes of every type (email does not carry them; the mail still comes), the message from a file, and --wait.
  const file = join(workDir, 'message.txt');
  await writeFile(file, 'Weekly report: all sensors fine');
  const waited = JSON.parse(
    ok(
      await cli(
        'notify', 'alerts', '--subject', 'Weekly report', '--message-file', file, '--wait', '--json',
        '--attr', 'severity=high', '--attr-number', 'humidity=29.5', '--attr-list', 'sensors=soilSensor1,soilSensor3', '--attr-binary', 'raw=AAEC',
      ),
    ),
  ) as { messageId: string; deliveries: Array<{ status: string; endpoint?: string }> };
  assert.deepEqual(waited.deliveries.map((d) => [d.endpoint, d.status]), [['grower@example.org', 'delivered']]);
  const [report] = await waitForMail('grower@example.org', (m) => m.subject === 'Weekly report');
  assert.ok(report?.text.startsWith('Weekly report: all sensors fine'), report?.text);

  const shown = ok(await cli('subscriptions', 'show', confirmed.id));
  assert.match(shown, /^Status: +confirmed$/m);
  assert.match(shown, new RegExp(`^${waited.messageId} +delivered +1 `, 'm'));
});

test('subscriptions: resend a pending confirmation, show by ARN, delete; delete a topic with its subscriptions', async () => {
  await post('/api/v1/topics', { name: 'short-lived' });
  const sub = await post<Subscription>('/api/v1/topics/short-lived/subscriptions', { protocol: 'email', endpoint: 'later@example.org' });
  await waitForMail('later@example.org');
  assert.match(ok(await cli('subscriptions', 'resend', sub.id)), /^Sent a new confirmation message to later@example\.org/m);
  const [first, second] = await waitForMail('later@example.org', () => true, 2);
  assert.notEqual(confirmLink(first as Mail), confirmLink(second as Mail));
  assert.match(ok(await cli('subscriptions', 'show', sub.arn)), new RegExp(`^Subscription: +${sub.id}\\n(.*\\n)*Status: +pending$`, 'm'));

  assert.match(ok(await cli('subscriptions', 'delete', sub.id)), new RegExp(`^Deleted subscription ${sub.id}$`, 'm'));
  assert.deepEqual(await subscriptionsOf('short-lived'), []);
  fails(await cli('subscriptions', 'delete', sub.id), /no subscription with id .*\[SLUICE_ERR_NOT_FOUND\]/);

  const other = await post<Subscription>('/api/v1/topics/short-lived/subscriptions', { protocol: 'email', endpoint: 'gone@example.org' });
  assert.match(ok(await cli('topics', 'delete', 'short-lived')), /^Deleted topic short-lived and its subscriptions$/m);
  const { subscriptions } = await server.api<{ subscriptions: Subscription[] }>('/api/v1/subscriptions');
  assert.ok(!subscriptions.some((s) => s.id === other.id));
  fails(await cli('topics', 'delete', 'short-lived'), /no notification topic named "short-lived" \[SLUICE_ERR_TOPIC_NOT_FOUND\]/);
});

test('errors: unknown topic, bad protocol, bad attribute syntax and the like are one line on stderr with exit code 1', async () => {
  await post('/api/v1/topics', { name: 'errors' });
  const subscribe = (...flags: string[]) => cli('subscriptions', 'create', 'errors', '--protocol', 'email', '--endpoint', 'a@example.org', ...flags);
  // Independent of each other: run side by side.
  const [unknownTopic, unknownTopicSub, badProtocol, badEndpoint, badFilter, badToken, badName, badAttr, badNumber, noMessage] = await Promise.all([
    cli('notify', 'no-such-topic', '--message', 'hi'),
    cli('subscriptions', 'create', 'no-such-topic', '--protocol', 'email', '--endpoint', 'a@example.org'),
    cli('subscriptions', 'create', 'errors', '--protocol', 'pigeon', '--endpoint', 'loft'),
    cli('subscriptions', 'create', 'errors', '--protocol', 'email', '--endpoint', 'not-an-address'),
    subscribe('--filter-policy', '{bad'),
    cli('subscriptions', 'confirm', 'http://127.0.0.1:1/notify/confirm/not-a-real-token'),
    cli('topics', 'create', 'has spaces'),
    cli('notify', 'errors', '--message', 'x', '--attr', 'severity'),
    cli('notify', 'errors', '--message', 'x', '--attr-number', 'humidity=wet'),
    cli('notify', 'errors'),
  ]);
  fails(unknownTopic, /no notification topic named "no-such-topic" \[SLUICE_ERR_TOPIC_NOT_FOUND\]/);
  fails(unknownTopicSub, /no notification topic named "no-such-topic"/);
  fails(badProtocol, /protocol.*"pigeon"/);
  fails(badEndpoint, /invalid email address "not-an-address"/);
  fails(badFilter, /--filter-policy: not JSON/);
  fails(badToken, /confirmation link is unknown or already used \[SLUICE_ERR_TOKEN_INVALID\]/);
  fails(badName, /name: invalid topic name "has spaces"/);
  fails(badAttr, /--attr expects NAME=VALUE, got "severity" \[SLUICE_ERR_REQUEST_INVALID\]/);
  fails(badNumber, /--attr-number: attribute "humidity": "wet" is not a number/);
  fails(noMessage, /give the message with --message TEXT or --message-file FILE/);
  assert.deepEqual(await subscriptionsOf('errors'), [], 'nothing was subscribed');
});

test('dedupe windows from the CLI: topics create sets and clears one, subscriptions create and update set attributes', async () => {
  const created = ok(await cli('topics', 'create', 'pumps', '--dedupe-key', '${json.pump}', '--dedupe-window', '15m', '--digest'));
  assert.match(created, /^Created topic pumps \(arn:\S+\); dedupe: key \$\{json\.pump\}, window 15m, with digest$/m);
  assert.match(ok(await cli('topics', 'show', 'pumps')), /^Dedupe: +key \$\{json\.pump\}, window 15m, with digest$/m);
  assert.match(ok(await cli('topics', 'create', 'pumps', '--no-dedupe')), /^Updated topic pumps: dedupe -$/m);

  // mqtt subscriptions need no confirmation: set and change attributes straight away.
  const sub = JSON.parse(ok(await cli('subscriptions', 'create', 'pumps', '--protocol', 'mqtt', '--endpoint', 'ops/pumps', '--dedupe-key', '${subject}', '--dedupe-window', '1h', '--json'))) as Subscription & {
    dedupe?: unknown;
  };
  assert.deepEqual(sub.dedupe, { key: '${subject}', window: '1h' });
  const updated = ok(await cli('subscriptions', 'update', sub.id, '--filter-policy', '{"severity":["high"]}', '--no-dedupe'));
  assert.match(updated, /^Filter policy: +\{"severity":\["high"\]\} \(scope MessageAttributes\)$/m);
  assert.match(updated, /^Dedupe: +-$/m);
  assert.match(ok(await cli('subscriptions', 'update', sub.id, '--no-filter-policy')), /^Filter policy: +-$/m);

  const [noWindow, both, nothing, badWindow] = await Promise.all([
    cli('topics', 'create', 'pumps', '--dedupe-key', '${json.pump}'),
    cli('topics', 'create', 'pumps', '--no-dedupe', '--digest'),
    cli('subscriptions', 'update', sub.id),
    cli('subscriptions', 'update', sub.id, '--dedupe-key', '${subject}', '--dedupe-window', 'forever'),
  ]);
  fails(noWindow, /--dedupe-window is missing: a de-duplication window needs both --dedupe-key and --dedupe-window/);
  fails(both, /--no-dedupe cannot be combined with/);
  fails(nothing, /nothing to change/);
  fails(badWindow, /dedupe\.window: /);
});
