import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { isSluiceError, silentLogger } from '../../core/index.js';
import { createSmtpTransport, describeSmtpUrl } from './smtp.js';

interface Received {
  from: string;
  to: string[];
  user: string | undefined;
  raw: string;
}

/**
 * A real smtp-server on an ephemeral loopback port. A mail is in `received`
 * before the server acknowledges it, so it is there once `send` resolves.
 */
async function startServer(options: SMTPServerOptions = {}) {
  const received: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    // Plaintext on loopback: no certificates needed for the test.
    disabledCommands: ['STARTTLS'],
    logger: false,
    ...options,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          user: typeof session.user === 'string' ? session.user : undefined,
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

test('smtp: delivers a mail with subject, body and headers to a real SMTP server', async (t) => {
  const server = await startServer();
  t.after(server.close);
  const transport = createSmtpTransport(`smtp://127.0.0.1:${server.port}`, silentLogger());
  t.after(() => transport.close());

  const { messageId } = await transport.send({
    from: 'Sluice <no-reply@sluice.local>',
    to: 'ops@example.com',
    subject: 'Attention:Humidity Under Threshold',
    text: 'Humidity 29 under threshold for device name soilSensor3\n\n--\nunsubscribe: http://x/notify/unsubscribe/t\n',
    headers: { 'List-Unsubscribe': '<http://x/notify/unsubscribe/t>' },
  });

  assert.match(messageId, /^<.+@.+>$/);
  assert.equal(server.received.length, 1);
  const mail = server.received[0];
  assert.ok(mail);
  assert.equal(mail.from, 'no-reply@sluice.local');
  assert.deepEqual(mail.to, ['ops@example.com']);
  assert.match(mail.raw, /^Subject: Attention:Humidity Under Threshold\r$/m);
  assert.match(mail.raw, /^List-Unsubscribe: <http:\/\/x\/notify\/unsubscribe\/t>\r$/m);
  assert.ok(mail.raw.includes(`Message-ID: ${messageId}`));
  assert.ok(mail.raw.includes('Humidity 29 under threshold for device name soilSensor3\r\n\r\n--\r\n'));
});

test('smtp: credentials in the URL authenticate', async (t) => {
  const server = await startServer({
    authOptional: false,
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      if (auth.username === 'alert' && auth.password === 's3cret') callback(null, { user: auth.username });
      else callback(new Error('bad credentials'));
    },
  });
  t.after(server.close);
  const transport = createSmtpTransport(`smtp://alert:s3cret@127.0.0.1:${server.port}`, silentLogger());
  t.after(() => transport.close());
  await transport.send({ from: 'no-reply@sluice.local', to: 'ops@example.com', subject: 's', text: 't' });
  assert.equal(server.received[0]?.user, 'alert');
});

test('smtp: an unreachable server fails with SLUICE_ERR_MAIL_SEND and no password in the message', async (t) => {
  const server = await startServer();
  const port = server.port;
  await server.close(); // now nothing listens on the port
  const transport = createSmtpTransport(`smtp://user:hunter2@127.0.0.1:${port}`, silentLogger(), { connectionTimeoutMs: 2_000 });
  t.after(() => transport.close());
  await assert.rejects(
    transport.send({ from: 'no-reply@sluice.local', to: 'ops@example.com', subject: 's', text: 't' }),
    (error) => isSluiceError(error) && error.code === 'SLUICE_ERR_MAIL_SEND' && !error.message.includes('hunter2') && error.message.includes(`127.0.0.1:${port}`),
  );
});

test('smtp: URLs other than smtp:/smtps: are configuration errors', () => {
  assert.equal(describeSmtpUrl('smtps://u:p@mail.example.com'), 'smtps://mail.example.com:465');
  assert.equal(describeSmtpUrl('smtp://localhost:2525'), 'smtp://localhost:2525');
  for (const url of ['http://localhost:25', 'not a url']) {
    assert.throws(() => createSmtpTransport(url, silentLogger()), (error) => isSluiceError(error) && error.code === 'SLUICE_ERR_CONFIG_INVALID');
  }
});
