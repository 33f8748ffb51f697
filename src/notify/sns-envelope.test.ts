import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { SluiceError, topicArn } from '../core/index.js';
import {
  buildNotification,
  buildSubscriptionConfirmation,
  buildUnsubscribeConfirmation,
  envelopeHeaders,
  envelopeHttpRequest,
  serializeEnvelope,
  type EnvelopeSigner,
  type MessageAttribute,
  type SignableFields,
  type SignatureVersion,
} from './sns-envelope.js';

const TOPIC = topicArn('alerts');
const SUBSCRIPTION = `${TOPIC}:0b7c4a0e-5f1e-4a55-9b3a-2c1d7e0f9a11`;
const AT = Date.UTC(2012, 4, 2, 0, 54, 6, 655);

/** Records what it was asked to sign; the signature names the version and type. */
function fakeSigner(): EnvelopeSigner & { calls: Array<{ fields: SignableFields; version: SignatureVersion | undefined }> } {
  const calls: Array<{ fields: SignableFields; version: SignatureVersion | undefined }> = [];
  return {
    calls,
    signingCertUrl: 'https://sluice.example/notify/signing-cert.pem',
    sign(fields, version) {
      calls.push({ fields: { ...fields }, version });
      return `SIG-v${version ?? '?'}-${fields.Type}`;
    },
  };
}

test('envelope: a Notification has SNS\'s keys in SNS\'s order, Subject and MessageAttributes only when set', () => {
  const signer = fakeSigner();
  const bare = buildNotification(
    { messageId: 'm-1', topicArn: TOPIC, message: 'Hello world!', timestamp: AT, unsubscribeUrl: 'https://sluice.example/notify/unsubscribe/t' },
    signer,
  );
  assert.deepEqual(Object.keys(bare), [
    'Type', 'MessageId', 'TopicArn', 'Message', 'Timestamp', 'SignatureVersion', 'Signature', 'SigningCertURL', 'UnsubscribeURL',
  ]);
  assert.equal(bare.Type, 'Notification');
  assert.equal(bare.Timestamp, '2012-05-02T00:54:06.655Z');
  assert.equal(bare.SignatureVersion, '2');
  assert.equal(bare.Signature, 'SIG-v2-Notification');
  assert.equal(bare.SigningCertURL, signer.signingCertUrl);

  const attributes: Record<string, MessageAttribute> = {
    severity: { Type: 'String', Value: 'high' },
    count: { Type: 'Number', Value: '3' },
  };
  const full = buildNotification(
    {
      messageId: 'm-2', topicArn: TOPIC, subject: 'My First Message', message: 'Hello world!', timestamp: new Date(AT),
      unsubscribeUrl: 'https://sluice.example/notify/unsubscribe/t', messageAttributes: attributes, signatureVersion: '1',
    },
    signer,
  );
  assert.deepEqual(Object.keys(full), [
    'Type', 'MessageId', 'TopicArn', 'Subject', 'Message', 'Timestamp', 'SignatureVersion', 'Signature', 'SigningCertURL', 'UnsubscribeURL', 'MessageAttributes',
  ]);
  assert.equal(full.SignatureVersion, '1');
  assert.deepEqual(full.MessageAttributes, attributes);

  // An empty subject or attribute map is the same as none.
  const empty = buildNotification(
    { messageId: 'm-3', topicArn: TOPIC, subject: '', message: 'x', timestamp: AT, unsubscribeUrl: 'u', messageAttributes: {} },
    signer,
  );
  assert.ok(!('Subject' in empty));
  assert.ok(!('MessageAttributes' in empty));

  // What is signed: the signable fields only, with the version asked for.
  assert.deepEqual(signer.calls[1], {
    fields: { Type: 'Notification', MessageId: 'm-2', TopicArn: TOPIC, Subject: 'My First Message', Message: 'Hello world!', Timestamp: '2012-05-02T00:54:06.655Z' },
    version: '1',
  });
  assert.ok(!('Subject' in (signer.calls[2]?.fields ?? {})));
});

test('envelope: subscription and unsubscribe confirmations carry SNS\'s keys and texts', () => {
  const signer = fakeSigner();
  const input = { messageId: 'c-1', topicArn: TOPIC, token: 'tok', subscribeUrl: 'https://sluice.example/notify/confirm/tok', timestamp: AT };
  const subscribe = buildSubscriptionConfirmation(input, signer);
  const keys = ['Type', 'MessageId', 'Token', 'TopicArn', 'Message', 'SubscribeURL', 'Timestamp', 'SignatureVersion', 'Signature', 'SigningCertURL'];
  assert.deepEqual(Object.keys(subscribe), keys);
  assert.equal(subscribe.Type, 'SubscriptionConfirmation');
  assert.equal(
    subscribe.Message,
    `You have chosen to subscribe to the topic ${TOPIC}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
  );
  assert.equal(subscribe.Token, 'tok');
  assert.equal(subscribe.SubscribeURL, input.subscribeUrl);
  assert.equal(subscribe.Signature, 'SIG-v2-SubscriptionConfirmation');

  const unsubscribe = buildUnsubscribeConfirmation({ ...input, subscriptionArn: SUBSCRIPTION, signatureVersion: '1' }, signer);
  assert.deepEqual(Object.keys(unsubscribe), keys);
  assert.equal(unsubscribe.Type, 'UnsubscribeConfirmation');
  assert.equal(
    unsubscribe.Message,
    `You have chosen to deactivate subscription ${SUBSCRIPTION}.\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message.`,
  );
  assert.equal(unsubscribe.Signature, 'SIG-v1-UnsubscribeConfirmation');
  assert.deepEqual(Object.keys(signer.calls[0]?.fields ?? {}), ['Type', 'MessageId', 'Token', 'TopicArn', 'Message', 'SubscribeURL', 'Timestamp']);
});

test('envelope: the body is laid out as SNS lays it out and parses back in the same order', () => {
  const envelope = buildNotification(
    {
      messageId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324', topicArn: TOPIC, subject: 'My First Message', message: 'Hello "world"!\nline 2 ünïcödé',
      timestamp: AT, unsubscribeUrl: 'https://sluice.example/notify/unsubscribe/t',
      messageAttributes: { a: { Type: 'String', Value: 'x' }, b: { Type: 'String.Array', Value: '["1","2"]' } },
    },
    fakeSigner(),
  );
  const body = serializeEnvelope(envelope);
  assert.equal(
    body,
    [
      '{',
      '  "Type" : "Notification",',
      '  "MessageId" : "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",',
      `  "TopicArn" : "${TOPIC}",`,
      '  "Subject" : "My First Message",',
      '  "Message" : "Hello \\"world\\"!\\nline 2 ünïcödé",',
      '  "Timestamp" : "2012-05-02T00:54:06.655Z",',
      '  "SignatureVersion" : "2",',
      '  "Signature" : "SIG-v2-Notification",',
      '  "SigningCertURL" : "https://sluice.example/notify/signing-cert.pem",',
      '  "UnsubscribeURL" : "https://sluice.example/notify/unsubscribe/t",',
      '  "MessageAttributes" : {',
      '    "a" : {"Type":"String","Value":"x"},',
      '    "b" : {"Type":"String.Array","Value":"[\\"1\\",\\"2\\"]"}',
      '  }',
      '}',
    ].join('\n'),
  );
  const parsed = JSON.parse(body) as Record<string, unknown>;
  assert.deepEqual(parsed, envelope);
  assert.deepEqual(Object.keys(parsed), Object.keys(envelope));

  const confirmation = buildSubscriptionConfirmation({ messageId: 'c', topicArn: TOPIC, token: 't', subscribeUrl: 's', timestamp: AT }, fakeSigner());
  const confirmationBody = serializeEnvelope(confirmation);
  assert.ok(confirmationBody.startsWith('{\n  "Type" : "SubscriptionConfirmation",\n  "MessageId" : "c",\n  "Token" : "t",\n'));
  assert.ok(confirmationBody.includes('"Message" : "You have chosen to subscribe to the topic '));
  assert.ok(confirmationBody.includes('.\\nTo confirm the subscription'));
  assert.deepEqual(JSON.parse(confirmationBody), confirmation);
});

test('envelope: headers as SNS sends them; the subscription ARN is not on a SubscriptionConfirmation', () => {
  const signer = fakeSigner();
  const notification = buildNotification({ messageId: 'm-1', topicArn: TOPIC, message: 'x', timestamp: AT, unsubscribeUrl: 'u' }, signer);
  assert.deepEqual(envelopeHeaders(notification, { subscriptionArn: SUBSCRIPTION }), {
    'x-amz-sns-message-type': 'Notification',
    'x-amz-sns-message-id': 'm-1',
    'x-amz-sns-topic-arn': TOPIC,
    'x-amz-sns-subscription-arn': SUBSCRIPTION,
    'Content-Type': 'text/plain; charset=UTF-8',
    'User-Agent': 'Sluice Notification Agent (SNS-compatible)',
  });
  assert.ok(!('x-amz-sns-subscription-arn' in envelopeHeaders(notification)));

  const input = { messageId: 'c-1', topicArn: TOPIC, token: 't', subscribeUrl: 's', timestamp: AT };
  const subscribe = envelopeHeaders(buildSubscriptionConfirmation(input, signer), { subscriptionArn: SUBSCRIPTION });
  assert.equal(subscribe['x-amz-sns-message-type'], 'SubscriptionConfirmation');
  assert.ok(!('x-amz-sns-subscription-arn' in subscribe));
  const unsubscribe = envelopeHeaders(buildUnsubscribeConfirmation({ ...input, subscriptionArn: SUBSCRIPTION }, signer), { subscriptionArn: SUBSCRIPTION });
  assert.equal(unsubscribe['x-amz-sns-message-type'], 'UnsubscribeConfirmation');
  assert.equal(unsubscribe['x-amz-sns-subscription-arn'], SUBSCRIPTION);
});

test('envelope: the HTTP request carries the HMAC of exactly its body bytes, only when a secret is given', () => {
  const envelope = buildNotification(
    { messageId: 'm-1', topicArn: TOPIC, message: 'température: 21 °C', timestamp: AT, unsubscribeUrl: 'u' },
    fakeSigner(),
  );
  const plain = envelopeHttpRequest(envelope, { subscriptionArn: SUBSCRIPTION });
  assert.equal(plain.body, serializeEnvelope(envelope));
  assert.ok(!('X-Sluice-Signature' in plain.headers));
  assert.equal(plain.headers['x-amz-sns-subscription-arn'], SUBSCRIPTION);

  const signed = envelopeHttpRequest(envelope, { subscriptionArn: SUBSCRIPTION, hmacSecret: 's3cret' });
  const expected = createHmac('sha256', 's3cret').update(Buffer.from(signed.body, 'utf8')).digest('hex');
  assert.equal(signed.headers['X-Sluice-Signature'], `sha256=${expected}`);
});

test('envelope: bad message attributes and timestamps are refused', () => {
  const signer = fakeSigner();
  const base = { messageId: 'm', topicArn: TOPIC, message: 'x', timestamp: AT, unsubscribeUrl: 'u' };
  assert.throws(
    () => buildNotification({ ...base, messageAttributes: { n: { Type: 'Float' as 'Number', Value: '1' } } }, signer),
    (error: unknown) => error instanceof SluiceError && error.code === 'SLUICE_ERR_REQUEST_INVALID' && error.place?.field === 'MessageAttributes.n',
  );
  assert.throws(
    () => buildNotification({ ...base, messageAttributes: { n: { Type: 'Number', Value: 1 as unknown as string } } }, signer),
    (error: unknown) => error instanceof SluiceError && error.code === 'SLUICE_ERR_REQUEST_INVALID',
  );
  assert.throws(
    () => buildNotification({ ...base, timestamp: Number.NaN }, signer),
    (error: unknown) => error instanceof SluiceError && error.code === 'SLUICE_ERR_REQUEST_INVALID' && error.place?.field === 'Timestamp',
  );
});
