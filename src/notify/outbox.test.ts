import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { SluiceError, isSluiceError, silentLogger } from '../core/index.js';
import { DeliveryError, httpStatusOutcome, isRetryableDeliveryError } from './outbox.js';
import { DEFAULT_DELIVERY_RETRY, MAX_DELIVERY_AGE_MS, deliveryRetryFor, parseDeliveryPolicy } from './outbox-policy.js';
import { createSmtpTransport } from './transport/smtp.js';

const HOUR = 3_600_000;

// ---- schedules ----

test('default schedules: email retries for hours, http as SNS (3 retries, 20 s apart), others briefly', () => {
  assert.deepEqual(deliveryRetryFor('email'), { maxAttempts: 50, maxAgeMs: 24 * HOUR, baseDelayMs: 10_000, maxDelayMs: 900_000 });
  assert.deepEqual(deliveryRetryFor('email-json'), DEFAULT_DELIVERY_RETRY.email);
  for (const protocol of ['http', 'https']) {
    assert.deepEqual(deliveryRetryFor(protocol), { maxAttempts: 4, maxAgeMs: MAX_DELIVERY_AGE_MS, baseDelayMs: 20_000, maxDelayMs: 20_000, backoff: 'linear' });
  }
  for (const protocol of ['function', 'mqtt', 'lambda']) {
    assert.deepEqual(deliveryRetryFor(protocol), { maxAttempts: 100, maxAgeMs: 24 * HOUR, baseDelayMs: 1_000, maxDelayMs: 20_000 });
  }
  deliveryRetryFor('email').maxAttempts = 1;
  assert.equal(deliveryRetryFor('email').maxAttempts, 50, 'callers get copies');
});

// [policy, the schedule it gives (any protocol)]
const POLICIES: Array<[string, unknown, Partial<ReturnType<typeof deliveryRetryFor>>]> = [
  ['SNS defaults when healthyRetryPolicy is empty', { healthyRetryPolicy: {} }, { maxAttempts: 4, baseDelayMs: 20_000, maxDelayMs: 20_000, backoff: 'linear' }],
  ['numRetries 0: one attempt', { healthyRetryPolicy: { numRetries: 0 } }, { maxAttempts: 1 }],
  ['numRetries 100', { healthyRetryPolicy: { numRetries: 100 } }, { maxAttempts: 101 }],
  [
    'a ramp with a backoff function',
    { healthyRetryPolicy: { numRetries: 10, minDelayTarget: 5, maxDelayTarget: 600, backoffFunction: 'exponential' } },
    { maxAttempts: 11, baseDelayMs: 5_000, maxDelayMs: 600_000, backoff: 'exponential' },
  ],
  ['a minimum over the default maximum without a maximum: fixed', { healthyRetryPolicy: { minDelayTarget: 60 } }, { baseDelayMs: 60_000, maxDelayMs: 60_000 }],
  ['a minimum under the default maximum: up to 20 s', { healthyRetryPolicy: { minDelayTarget: 2 } }, { baseDelayMs: 2_000, maxDelayMs: 20_000 }],
  [
    'SNS\'s documented default policy, phases at 0, as JSON text',
    JSON.stringify({ healthyRetryPolicy: { minDelayTarget: 20, maxDelayTarget: 20, numRetries: 3, numMaxDelayRetries: 0, numNoDelayRetries: 0, numMinDelayRetries: 0, backoffFunction: 'linear' } }),
    { maxAttempts: 4, baseDelayMs: 20_000, maxDelayMs: 20_000, backoff: 'linear' },
  ],
];

for (const [name, input, expected] of POLICIES) {
  test(`delivery policy: ${name}`, () => {
    const policy = parseDeliveryPolicy(input);
    for (const protocol of ['email', 'https']) {
      assert.deepEqual(deliveryRetryFor(protocol, policy), { maxAttempts: 4, maxAgeMs: MAX_DELIVERY_AGE_MS, baseDelayMs: 20_000, maxDelayMs: 20_000, backoff: 'linear', ...expected });
    }
  });
}

test('delivery policy: stored as given, phases at 0 dropped; no healthyRetryPolicy leaves the protocol default', () => {
  assert.deepEqual(parseDeliveryPolicy({ healthyRetryPolicy: { numRetries: 5, numNoDelayRetries: 0 } }), { healthyRetryPolicy: { numRetries: 5 } });
  assert.deepEqual(parseDeliveryPolicy({}), {});
  assert.deepEqual(deliveryRetryFor('email', {}), DEFAULT_DELIVERY_RETRY.email);
});

// [input, the field named, part of the message]
const BAD_POLICIES: Array<[unknown, string, RegExp]> = [
  [{ healthyRetryPolicy: { numRetries: 101 } }, 'deliveryPolicy.healthyRetryPolicy.numRetries', /0 to 100/],
  [{ healthyRetryPolicy: { numRetries: -1 } }, 'deliveryPolicy.healthyRetryPolicy.numRetries', /0 to 100/],
  [{ healthyRetryPolicy: { numRetries: 2.5 } }, 'deliveryPolicy.healthyRetryPolicy.numRetries', /whole number/],
  [{ healthyRetryPolicy: { numRetries: '3' } }, 'deliveryPolicy.healthyRetryPolicy.numRetries', /whole number/],
  [{ healthyRetryPolicy: { minDelayTarget: 0 } }, 'deliveryPolicy.healthyRetryPolicy.minDelayTarget', /1 to 3600/],
  [{ healthyRetryPolicy: { maxDelayTarget: 3601 } }, 'deliveryPolicy.healthyRetryPolicy.maxDelayTarget', /1 to 3600/],
  [{ healthyRetryPolicy: { minDelayTarget: 30, maxDelayTarget: 10 } }, 'deliveryPolicy.healthyRetryPolicy.maxDelayTarget', /not be less than minDelayTarget \(30 s\)/],
  [{ healthyRetryPolicy: { backoffFunction: 'cubic' } }, 'deliveryPolicy.healthyRetryPolicy.backoffFunction', /linear, arithmetic, geometric, exponential/],
  [{ healthyRetryPolicy: { numNoDelayRetries: 2 } }, 'deliveryPolicy.healthyRetryPolicy.numNoDelayRetries', /not supported/],
  [{ healthyRetryPolicy: { numRetry: 3 } }, 'deliveryPolicy.healthyRetryPolicy', /numRetry/],
  [{ throttlePolicy: { maxReceivesPerSecond: 1 } }, 'deliveryPolicy.throttlePolicy', /not supported/],
  [{ retries: 3 }, 'deliveryPolicy.retries', /unknown field "retries"/],
  [[], 'deliveryPolicy', /object/],
  [42, 'deliveryPolicy', /object/],
  ['{not json', 'deliveryPolicy', /JSON object/],
];

for (const [input, field, message] of BAD_POLICIES) {
  test(`delivery policy ${JSON.stringify(input)} is SLUICE_ERR_SUBSCRIPTION_INVALID naming ${field}`, () => {
    assert.throws(() => parseDeliveryPolicy(input), (error: unknown) => {
      assert.ok(isSluiceError(error));
      assert.equal(error.code, 'SLUICE_ERR_SUBSCRIPTION_INVALID');
      assert.equal(error.place?.field, field);
      assert.match(error.message, message);
      assert.ok(error.message.startsWith(`${field}: `), error.message);
      return true;
    });
  });
}

// ---- what is retried ----

const HTTP: Array<[number, ReturnType<typeof httpStatusOutcome>]> = [
  [200, 'delivered'], [204, 'delivered'], [299, 'delivered'],
  [500, 'retry'], [502, 'retry'], [503, 'retry'], [504, 'retry'], [429, 'retry'],
  [400, 'permanent'], [401, 'permanent'], [403, 'permanent'], [404, 'permanent'], [410, 'permanent'], [413, 'permanent'],
  [301, 'permanent'], [100, 'permanent'],
];
for (const [status, outcome] of HTTP) {
  test(`http status ${status}: ${outcome} (SNS: 2xx ok; 5xx and 429 retried; other 4xx not)`, () => {
    assert.equal(httpStatusOutcome(status), outcome);
  });
}

test('a DeliveryError says itself whether to retry, also as a cause; unknown errors are retried', () => {
  assert.equal(isRetryableDeliveryError(new DeliveryError('HTTP 404', { retryable: false })), false);
  assert.equal(isRetryableDeliveryError(new DeliveryError('HTTP 503', { retryable: true })), true);
  assert.equal(isRetryableDeliveryError(new SluiceError('SLUICE_ERR_INTERNAL', 'x', { cause: new DeliveryError('HTTP 410', { retryable: false }) })), false);
  assert.equal(isRetryableDeliveryError(new Error('socket hang up')), true);
  assert.equal(isRetryableDeliveryError('a string'), true);
});

/** nodemailer's error shapes, as its SMTP connection makes them. */
const smtpError = (code: string, responseCode?: number) => Object.assign(new Error(`${code} ${responseCode ?? ''}`), { code, ...(responseCode ? { responseCode } : {}) });
const SMTP: Array<[string, Error, boolean]> = [
  ['550 on RCPT TO (no such mailbox)', smtpError('EENVELOPE', 550), false],
  ['553 on RCPT TO (mailbox name not allowed)', smtpError('EENVELOPE', 553), false],
  ['554 after DATA (transaction failed)', smtpError('EMESSAGE', 554), false],
  ['503 (bad sequence: the session, not the message)', smtpError('EENVELOPE', 503), true],
  ['450 on RCPT TO (mailbox busy)', smtpError('EENVELOPE', 450), true],
  ['451 after DATA (greylisting)', smtpError('EMESSAGE', 451), true],
  ['421 (service closing)', smtpError('EENVELOPE', 421), true],
  ['535 authentication failed (our credentials)', smtpError('EAUTH', 535), true],
  ['connection refused', smtpError('ESOCKET'), true],
  ['greeting timeout', smtpError('ETIMEDOUT'), true],
];
for (const [name, cause, retryable] of SMTP) {
  test(`email: ${name} is ${retryable ? 'retried' : 'final'}`, () => {
    // The SMTP transport wraps nodemailer's error as the cause of a SLUICE_ERR_MAIL_SEND.
    assert.equal(isRetryableDeliveryError(new SluiceError('SLUICE_ERR_MAIL_SEND', 'mail could not be sent', { cause })), retryable);
  });
}

test('email: a real SMTP server refusing the recipient (550) is final, deferring it (451) and being down are retried', async (t) => {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      const [code, text] = address.address.startsWith('gone@') ? [550, 'mailbox unavailable'] : [451, 'try again later'];
      callback(Object.assign(new Error(text), { responseCode: code }));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const transport = createSmtpTransport(`smtp://127.0.0.1:${port}`, silentLogger());
  t.after(() => transport.close());
  const failure = async (to: string, via = transport): Promise<unknown> => {
    try {
      await via.send({ from: 'no-reply@sluice.local', to, subject: 's', text: 't' });
    } catch (error) {
      return error;
    }
    assert.fail('the send should have failed');
  };
  assert.equal(isRetryableDeliveryError(await failure('gone@example.com')), false);
  assert.equal(isRetryableDeliveryError(await failure('later@example.com')), true);
  const down = createSmtpTransport('smtp://127.0.0.1:1', silentLogger(), { connectionTimeoutMs: 2_000 });
  t.after(() => down.close());
  assert.equal(isRetryableDeliveryError(await failure('ops@example.com', down)), true);
});
