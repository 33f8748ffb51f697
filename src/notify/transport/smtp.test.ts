import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { isSluiceError, resolveServerConfig, silentLogger, type SmtpSettings } from '../../core/index.js';
// Test only: the registry's CA issues the SMTP server's certificate (notify itself imports only core).
import { CertificateAuthority } from '../../registry/index.js';
import { createSmtpTransport, describeSmtpUrl, nodemailerOptions } from './smtp.js';

interface Received {
  from: string;
  to: string[];
  user: string | undefined;
  /** Whether the session was TLS (implicit, or upgraded by STARTTLS) when the mail came. */
  secure: boolean;
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
          secure: session.secure,
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

const MAIL = { from: 'no-reply@sluice.local', to: 'ops@example.com', subject: 's', text: 't' };

/** The settings `sluice up` would make from these flags (validated like the real ones). */
function settingsFrom(flags: Record<string, string>): SmtpSettings {
  const smtp = resolveServerConfig(flags).smtp;
  assert.ok(smtp);
  return smtp;
}

/** A throwaway CA, a server certificate for localhost/127.0.0.1 from it, and the CA in a PEM file for --smtp-ca. */
async function privateCa(t: { after: (fn: () => Promise<void>) => void }) {
  const ca = await CertificateAuthority.create();
  const server = await ca.issueServerCertificate();
  const dir = await mkdtemp(join(tmpdir(), 'sluice-smtp-ca-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const caFile = join(dir, 'ca.pem');
  await writeFile(caFile, ca.certificatePem);
  return { caFile, key: server.privateKeyPem, cert: server.certificatePem };
}

test('smtp: --smtp-starttls required upgrades with STARTTLS and trusts the server through --smtp-ca', async (t) => {
  const { caFile, key, cert } = await privateCa(t);
  const server = await startServer({ disabledCommands: [], key, cert });
  t.after(server.close);
  const transport = createSmtpTransport(settingsFrom({ smtp: `smtp://localhost:${server.port}`, smtpStarttls: 'required', smtpCa: caFile }), silentLogger());
  t.after(() => transport.close());
  await transport.send(MAIL);
  assert.equal(server.received[0]?.secure, true, 'the mail went over TLS');
});

test('smtp: without --smtp-ca the private CA is not trusted, and the mail is not sent', async (t) => {
  const { key, cert } = await privateCa(t);
  const server = await startServer({ disabledCommands: [], key, cert });
  t.after(server.close);
  const transport = createSmtpTransport(settingsFrom({ smtp: `smtp://localhost:${server.port}`, smtpStarttls: 'required' }), silentLogger());
  t.after(() => transport.close());
  await assert.rejects(transport.send(MAIL), (error) => isSluiceError(error) && error.code === 'SLUICE_ERR_MAIL_SEND' && /certificate/i.test(error.message));
  assert.equal(server.received.length, 0);
});

test('smtp: --smtp-starttls required refuses a server that offers no STARTTLS; opportunistic sends in plaintext', async (t) => {
  const server = await startServer(); // STARTTLS disabled
  t.after(server.close);
  const required = createSmtpTransport(settingsFrom({ smtp: `smtp://127.0.0.1:${server.port}`, smtpStarttls: 'required' }), silentLogger());
  t.after(() => required.close());
  await assert.rejects(required.send(MAIL), (error) => isSluiceError(error) && error.code === 'SLUICE_ERR_MAIL_SEND' && /STARTTLS/i.test(error.message));
  assert.equal(server.received.length, 0);

  const opportunistic = createSmtpTransport(settingsFrom({ smtp: `smtp://127.0.0.1:${server.port}` }), silentLogger());
  t.after(() => opportunistic.close());
  await opportunistic.send(MAIL);
  assert.equal(server.received[0]?.secure, false);
});

test('smtp: --smtp-starttls off does not upgrade even when the server offers it', async (t) => {
  const { key, cert } = await privateCa(t);
  const server = await startServer({ disabledCommands: [], key, cert });
  t.after(server.close);
  const transport = createSmtpTransport(settingsFrom({ smtp: `smtp://localhost:${server.port}`, smtpStarttls: 'off' }), silentLogger());
  t.after(() => transport.close());
  await transport.send(MAIL);
  assert.equal(server.received[0]?.secure, false);
});

test('smtp: smtps:// is TLS from the start, with the password from the URL and --smtp-ca', async (t) => {
  const { caFile, key, cert } = await privateCa(t);
  const server = await startServer({
    secure: true,
    key,
    cert,
    authOptional: false,
    onAuth(auth, _session, callback) {
      if (auth.username === 'alert' && auth.password === 'p@ss:word') callback(null, { user: auth.username });
      else callback(new Error('bad credentials'));
    },
  });
  t.after(server.close);
  const transport = createSmtpTransport(settingsFrom({ smtp: `smtps://alert:${encodeURIComponent('p@ss:word')}@localhost:${server.port}`, smtpCa: caFile }), silentLogger());
  t.after(() => transport.close());
  await transport.send(MAIL);
  assert.equal(server.received[0]?.secure, true);
  assert.equal(server.received[0]?.user, 'alert');
});

test('smtp: XOAUTH2 with an access token; the server gets the user and the token', async (t) => {
  const seen: Array<{ method: string; username: string | undefined; accessToken: string | undefined }> = [];
  const server = await startServer({
    authOptional: false,
    allowInsecureAuth: true,
    authMethods: ['XOAUTH2'],
    onAuth(auth, _session, callback) {
      seen.push({ method: auth.method, username: auth.username, accessToken: auth.accessToken });
      if (auth.accessToken === 'ya29.token') callback(null, { user: auth.username });
      else callback(null, { data: { status: '401', schemes: 'bearer', scope: 'https://mail.google.com/' } });
    },
  });
  t.after(server.close);
  const transport = createSmtpTransport(
    settingsFrom({ smtp: `smtp://127.0.0.1:${server.port}`, smtpOauth2User: 'alerts@example.com', smtpOauth2AccessToken: 'ya29.token' }),
    silentLogger(),
  );
  t.after(() => transport.close());
  await transport.send(MAIL);
  assert.deepEqual(seen, [{ method: 'XOAUTH2', username: 'alerts@example.com', accessToken: 'ya29.token' }]);
  assert.equal(server.received[0]?.user, 'alerts@example.com');

  // A token the server refuses (expired, revoked) fails the send; with nothing to renew it with, it is not retried.
  const stale = createSmtpTransport(
    settingsFrom({ smtp: `smtp://127.0.0.1:${server.port}`, smtpOauth2User: 'alerts@example.com', smtpOauth2AccessToken: 'expired' }),
    silentLogger(),
  );
  t.after(() => stale.close());
  await assert.rejects(stale.send(MAIL), (error) => isSluiceError(error) && error.code === 'SLUICE_ERR_MAIL_SEND' && !error.message.includes('expired'));
});

test('smtp: XOAUTH2 with a refresh token: a refused access token is renewed at the token URL, then accepted', async (t) => {
  const tokenRequests: URLSearchParams[] = [];
  const tokenServer = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      tokenRequests.push(new URLSearchParams(body));
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ access_token: 'fresh-token', expires_in: 3600, token_type: 'Bearer' }));
    });
  });
  await new Promise<void>((resolve) => tokenServer.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => tokenServer.close(() => resolve())));
  const tokenUrl = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/token`;

  const tokens: string[] = [];
  const server = await startServer({
    authOptional: false,
    allowInsecureAuth: true,
    authMethods: ['XOAUTH2'],
    onAuth(auth, _session, callback) {
      tokens.push(auth.accessToken ?? '');
      if (auth.username === 'alerts@example.com' && auth.accessToken === 'fresh-token') callback(null, { user: auth.username });
      else callback(null, { data: { status: '401', schemes: 'bearer', scope: 'https://mail.google.com/' } });
    },
  });
  t.after(server.close);
  const transport = createSmtpTransport(
    settingsFrom({
      smtp: `smtp://127.0.0.1:${server.port}`,
      smtpOauth2User: 'alerts@example.com',
      smtpOauth2AccessToken: 'stale-token',
      smtpOauth2ClientId: 'client-1',
      smtpOauth2ClientSecret: 'client-secret',
      smtpOauth2RefreshToken: 'refresh-1',
      smtpOauth2TokenUrl: tokenUrl,
    }),
    silentLogger(),
  );
  t.after(() => transport.close());
  await transport.send(MAIL);
  assert.deepEqual(tokens, ['stale-token', 'fresh-token']);
  assert.equal(tokenRequests.length, 1);
  const request = tokenRequests[0];
  assert.equal(request?.get('grant_type'), 'refresh_token');
  assert.equal(request?.get('client_id'), 'client-1');
  assert.equal(request?.get('client_secret'), 'client-secret');
  assert.equal(request?.get('refresh_token'), 'refresh-1');
  assert.equal(server.received[0]?.user, 'alerts@example.com');
});

test('smtp: the settings become nodemailer options; a CA file that is missing or not PEM stops the start', async (t) => {
  assert.deepEqual(
    nodemailerOptions(settingsFrom({ smtp: 'smtp://mail.example.com:587', smtpStarttls: 'required' })),
    { url: 'smtp://mail.example.com:587', connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 60_000, requireTLS: true },
  );
  assert.equal(nodemailerOptions(settingsFrom({ smtp: 'smtp://mail.example.com', smtpStarttls: 'off' })).ignoreTLS, true);
  const oauth = nodemailerOptions(settingsFrom({ smtp: 'smtps://smtp.gmail.com', smtpOauth2User: 'a@example.com', smtpOauth2AccessToken: 'tok' }));
  assert.deepEqual(oauth.auth, { type: 'OAuth2', user: 'a@example.com', accessToken: 'tok' });

  const dir = await mkdtemp(join(tmpdir(), 'sluice-smtp-ca-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'not-pem.txt'), 'hello');
  for (const [file, pattern] of [[join(dir, 'missing.pem'), /--smtp-ca .*missing\.pem: cannot read it/], [join(dir, 'not-pem.txt'), /expected PEM certificates/]] as const) {
    assert.throws(
      () => createSmtpTransport(settingsFrom({ smtp: 'smtp://127.0.0.1:2525', smtpCa: file }), silentLogger()),
      (error) => isSluiceError(error) && error.code === 'SLUICE_ERR_CONFIG_INVALID' && pattern.test(error.message),
    );
  }
});
