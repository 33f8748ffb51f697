import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { silentLogger } from '../../core/index.js';
import { createMemoryTransport } from '../transport/memory.js';
import { createSmtpTransport } from '../transport/smtp.js';
import type { Subscription, Topic } from '../types.js';
import {
  CONFIRMATION_SUBJECT,
  DEFAULT_SUBJECT,
  FOOTER_SEPARATOR,
  LIST_UNSUBSCRIBE_POST,
  confirmationMail,
  createEmailProtocol,
  htmlLines,
  notificationMail,
} from './email.js';
import type { Notification } from './protocol.js';

const FROM = 'Sluice Alerts <alerts@example.com>';
const UNSUBSCRIBE_URL = `https://sluice.example.com/notify/unsubscribe/${'u'.repeat(43)}`;
const CONFIRM_URL = `https://sluice.example.com/notify/confirm/${'c'.repeat(43)}`;
const TOPIC: Topic = { name: 'humidity-alerts', arn: 'arn:sluice:sns:local:000000000000:humidity-alerts', createdAt: '2020-08-27T13:47:52.677Z' };
const SUBSCRIPTION: Subscription = {
  id: 'sub-1',
  arn: `${TOPIC.arn}:sub-1`,
  topicName: TOPIC.name,
  protocol: 'email',
  endpoint: 'ops@example.org',
  status: 'confirmed',
  createdAt: '2020-08-27T13:47:52.677Z',
};
const ALERT = { subject: 'Attention:Humidity Under Threshold', message: 'Humidity 32 under threshold for device name soilSensor2' };

function notification(overrides: Partial<Notification> = {}): Notification {
  return { topic: TOPIC, subscription: SUBSCRIPTION, messageId: 'msg-1', unsubscribeUrl: UNSUBSCRIBE_URL, ...ALERT, ...overrides };
}

test('email: the text part is the message exactly, then the separator and the unsubscribe footer (as before)', () => {
  const mail = notificationMail(FROM, notification());
  assert.equal(mail.from, FROM);
  assert.equal(mail.to, 'ops@example.org');
  assert.equal(mail.subject, ALERT.subject);
  assert.ok(mail.text.startsWith(`${ALERT.message}${FOOTER_SEPARATOR}`));
  assert.equal(
    mail.text.slice(ALERT.message.length + FOOTER_SEPARATOR.length),
    `If you wish to stop receiving notifications from this topic, please click or visit the link below to unsubscribe:\n${UNSUBSCRIBE_URL}\n\nPlease do not reply directly to this email.\n`,
  );
  assert.equal(mail.messageId, '<msg-1.sub-1@sluice.local>');
});

test('email: RFC 8058 one-click headers next to the X-Sluice ones', () => {
  const mail = notificationMail(FROM, notification());
  assert.deepEqual(mail.headers, {
    'List-Unsubscribe': `<${UNSUBSCRIBE_URL}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    'X-Sluice-Message-Id': 'msg-1',
    'X-Sluice-Topic-Arn': TOPIC.arn,
    'X-Sluice-Subscription-Arn': SUBSCRIPTION.arn,
  });
  assert.equal(LIST_UNSUBSCRIBE_POST, 'List-Unsubscribe=One-Click');
});

test('email: the HTML part escapes the message, keeps its line breaks and links the unsubscribe URL', () => {
  const message = 'Humidity <b>32</b> & "falling"\nsensor:  soilSensor2\r\nsecond line';
  const html = notificationMail(FROM, notification({ message })).html ?? '';
  assert.ok(html.startsWith('<!doctype html>'));
  assert.ok(html.includes('Humidity &lt;b&gt;32&lt;/b&gt; &amp; &quot;falling&quot;<br>\nsensor: &nbsp;soilSensor2<br>\nsecond line'), html);
  assert.ok(!html.includes('<b>32</b>'));
  assert.ok(html.includes(`<a href="${UNSUBSCRIBE_URL}">${UNSUBSCRIBE_URL}</a>`));
  assert.ok(html.includes(`<title>${ALERT.subject}</title>`));
  // Self-contained: nothing a mail client would fetch, nothing that runs.
  assert.doesNotMatch(html, /<(img|script|link|iframe|object|embed)\b|src=|url\(|@import/i);
});

test('email: a hostile subject, URL and message cannot break out of the HTML', () => {
  const html = notificationMail(FROM, notification({
    subject: '</title><script>x()</script>',
    message: '<script>alert(1)</script>',
    unsubscribeUrl: 'https://x.example/notify/unsubscribe/a"><script>',
  })).html ?? '';
  assert.doesNotMatch(html, /<script/);
  assert.ok(html.includes('href="https://x.example/notify/unsubscribe/a&quot;&gt;&lt;script&gt;"'));
});

test('email: htmlLines keeps every kind of line break and runs of spaces', () => {
  assert.equal(htmlLines('a\nb\r\nc\rd'), 'a<br>\nb<br>\nc<br>\nd');
  assert.equal(htmlLines('x    y'), 'x &nbsp;&nbsp;&nbsp;y');
  assert.equal(htmlLines(''), '');
});

test('email: the default subject is the display name, else the product name', () => {
  assert.equal(notificationMail(FROM, notification({ subject: undefined })).subject, DEFAULT_SUBJECT);
  assert.equal(notificationMail(FROM, notification({ subject: undefined, topic: { ...TOPIC, displayName: 'Soil' } })).subject, 'Soil');
});

test('email: the confirmation mail has a text and an HTML part with the confirm link, and no unsubscribe headers', () => {
  const mail = confirmationMail(FROM, { topic: { ...TOPIC, displayName: 'Soil <alerts>' }, subscription: SUBSCRIPTION, confirmUrl: CONFIRM_URL, expiresAt: Date.UTC(2030, 0, 1) });
  assert.equal(mail.subject, CONFIRMATION_SUBJECT);
  assert.ok(mail.text.includes(CONFIRM_URL));
  assert.ok(mail.text.includes('2030-01-01T00:00:00.000Z'));
  const html = mail.html ?? '';
  assert.ok(html.startsWith('<!doctype html>'));
  assert.ok(html.includes(`<a href="${CONFIRM_URL}">Confirm subscription</a>`));
  assert.ok(html.includes('Soil &lt;alerts&gt;'));
  assert.deepEqual(mail.headers, { 'X-Sluice-Topic-Arn': TOPIC.arn, 'X-Sluice-Subscription-Arn': SUBSCRIPTION.arn });
});

test('email: the driver sends both mails through its transport, from the configured sender', async () => {
  const transport = createMemoryTransport();
  const driver = createEmailProtocol({ transport, from: FROM });
  await driver.sendConfirmation({ topic: TOPIC, subscription: SUBSCRIPTION, confirmUrl: CONFIRM_URL, expiresAt: Date.now() });
  await driver.deliver(notification());
  assert.deepEqual(transport.sent.map((m) => [m.from, m.subject, m.html !== undefined]), [
    [FROM, CONFIRMATION_SUBJECT, true],
    [FROM, ALERT.subject, true],
  ]);
});

/** A real SMTP server on a free loopback port; every mail it accepts is parsed by mailparser. */
async function startReceiver() {
  const received: ParsedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream).then((parsed) => {
        received.push(parsed);
        callback();
      }, callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return { url: `smtp://127.0.0.1:${port}`, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A header as it was on the wire, unfolded (nodemailer folds long ones). */
function rawHeader(mail: ParsedMail, name: string): string | undefined {
  const line = mail.headerLines.find((h) => h.key === name.toLowerCase())?.line;
  return line?.replace(/\r?\n[ \t]+/g, ' ').slice(name.length + 1).trim();
}

test('email over SMTP: a notification arrives as text and HTML, with the one-click headers, the text still starting with the message', async (t) => {
  const receiver = await startReceiver();
  t.after(receiver.close);
  const transport = createSmtpTransport(receiver.url, silentLogger());
  t.after(() => transport.close());
  const driver = createEmailProtocol({ transport, from: FROM });

  await driver.deliver(notification({ message: `${ALERT.message}\nreading: 32 < 35` }));
  const mail = receiver.received[0];
  assert.ok(mail);
  assert.equal(mail.subject, ALERT.subject);
  assert.equal(mail.from?.text, FROM.replace('Sluice Alerts', '"Sluice Alerts"'));
  assert.equal(mail.messageId, '<msg-1.sub-1@sluice.local>');
  assert.ok(mail.text?.startsWith(`${ALERT.message}\nreading: 32 < 35\n\n--\n`), JSON.stringify(mail.text));
  assert.ok(mail.text?.includes(UNSUBSCRIBE_URL));
  assert.equal(typeof mail.html, 'string');
  const html = mail.html as string;
  assert.ok(html.includes(`${ALERT.message}<br>\nreading: 32 &lt; 35`));
  assert.ok(html.includes(`href="${UNSUBSCRIBE_URL}"`));
  assert.equal(rawHeader(mail, 'List-Unsubscribe'), `<${UNSUBSCRIBE_URL}>`);
  assert.equal(rawHeader(mail, 'List-Unsubscribe-Post'), 'List-Unsubscribe=One-Click');
  assert.equal(rawHeader(mail, 'X-Sluice-Topic-Arn'), TOPIC.arn);
  assert.equal(rawHeader(mail, 'X-Sluice-Message-Id'), 'msg-1');
  // mailparser's own reading of the list headers, as a mail client would see them.
  const list = mail.headers.get('list') as { unsubscribe?: { url?: string }; 'unsubscribe-post'?: { name?: string } } | undefined;
  assert.equal(list?.unsubscribe?.url, UNSUBSCRIBE_URL);

  await driver.sendConfirmation({ topic: TOPIC, subscription: SUBSCRIPTION, confirmUrl: CONFIRM_URL, expiresAt: Date.now() + 60_000 });
  const confirmation = receiver.received[1];
  assert.ok(confirmation?.text?.includes(CONFIRM_URL));
  assert.ok(typeof confirmation?.html === 'string' && confirmation.html.includes(`href="${CONFIRM_URL}"`));
  assert.equal(rawHeader(confirmation, 'List-Unsubscribe'), undefined);
});
