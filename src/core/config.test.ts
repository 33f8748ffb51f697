import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { DEFAULT_MAIL_FROM, describeSmtpSettings, flagName, resolveServerConfig, type ServerOptions } from './config.js';
import { SluiceError } from './errors.js';

function configError(options: ServerOptions): SluiceError {
  try {
    resolveServerConfig(options);
  } catch (error) {
    assert.ok(error instanceof SluiceError);
    assert.equal(error.code, 'SLUICE_ERR_CONFIG_INVALID');
    return error;
  }
  assert.fail(`accepted ${JSON.stringify(options)}`);
}

test('config: without --smtp mail goes to the dev mailbox and the From is the default', () => {
  const config = resolveServerConfig({});
  assert.equal(config.smtp, undefined);
  assert.equal(config.mailFrom, DEFAULT_MAIL_FROM);
  assert.equal(DEFAULT_MAIL_FROM, 'Sluice <no-reply@sluice.local>');
});

test('config: --smtp and its flags become one SmtpSettings', () => {
  assert.deepEqual(resolveServerConfig({ smtp: 'smtp://mail.example.com:587' }).smtp, { url: 'smtp://mail.example.com:587', starttls: 'opportunistic' });
  assert.deepEqual(
    resolveServerConfig({
      smtp: 'smtp://smtp.office365.com:587',
      smtpStarttls: 'required',
      smtpCa: '/etc/ssl/private-ca.pem',
      smtpOauth2User: 'alerts@example.com',
      smtpOauth2ClientId: 'id',
      smtpOauth2ClientSecret: 'secret',
      smtpOauth2RefreshToken: 'refresh',
      smtpOauth2TokenUrl: 'https://login.microsoftonline.com/tenant/oauth2/v2.0/token',
    }).smtp,
    {
      url: 'smtp://smtp.office365.com:587',
      starttls: 'required',
      caFile: '/etc/ssl/private-ca.pem',
      oauth2: {
        user: 'alerts@example.com',
        clientId: 'id',
        clientSecret: 'secret',
        refreshToken: 'refresh',
        tokenUrl: 'https://login.microsoftonline.com/tenant/oauth2/v2.0/token',
      },
    },
  );
  const config = resolveServerConfig({ smtp: 'smtps://smtp.gmail.com', smtpOauth2User: 'a@example.com', smtpOauth2AccessToken: 'tok' });
  assert.deepEqual(config.smtp?.oauth2, { user: 'a@example.com', accessToken: 'tok' });
  assert.ok(!('smtpOauth2User' in config), 'the flat flags are folded into smtp');
});

test('config: --mail-from takes "Name <address>" or a bare address', () => {
  for (const from of ['Alerts <alerts@example.com>', '"Soil, Inc." <alerts@example.com>', 'alerts@example.com', '<alerts@example.com>']) {
    assert.equal(resolveServerConfig({ mailFrom: from }).mailFrom, from);
  }
  for (const from of ['', 'alerts', 'Alerts <alerts>', 'a@example.com, b@example.com', 'Alerts <a@example.com>\r\nBcc: x@example.com', 'Alerts <a@example.com']) {
    const error = configError({ mailFrom: from });
    assert.match(error.message, /^invalid option --mail-from: expected an address such as "Sluice <alerts@example.com>" or alerts@example.com$/, from);
    assert.equal(error.place?.field, 'mailFrom');
  }
});

test('config: invalid SMTP settings are errors that name the flag', () => {
  const table: Array<[ServerOptions, RegExp]> = [
    [{ smtp: 'http://mail.example.com' }, /^invalid option --smtp: expected a URL such as smtp:\/\/HOST:PORT/],
    [{ smtp: 'smtp://' }, /^invalid option --smtp: /],
    [{ smtp: 'smtp://mail.example.com', smtpStarttls: 'always' as never }, /^invalid option --smtp-starttls: expected required, opportunistic or off$/],
    [{ smtpStarttls: 'required' }, /^invalid option --smtp-starttls: only applies with --smtp/],
    [{ smtpCa: 'ca.pem' }, /^invalid option --smtp-ca: only applies with --smtp/],
    [{ smtpOauth2AccessToken: 'tok' }, /^invalid option --smtp-oauth2-access-token: only applies with --smtp/],
    [{ smtp: 'smtps://mail.example.com', smtpStarttls: 'off' }, /^invalid option --smtp-starttls: smtps:\/\/ is TLS from the start/],
    [{ smtp: 'smtp://mail.example.com', smtpOauth2AccessToken: 'tok' }, /^invalid option --smtp-oauth2-user: the mailbox to authenticate as is required with --smtp-oauth2-access-token$/],
    [{ smtp: 'smtp://mail.example.com', smtpOauth2User: 'a@example.com' }, /^invalid option --smtp-oauth2-access-token: XOAUTH2 needs --smtp-oauth2-access-token, or --smtp-oauth2-client-id/],
    [
      { smtp: 'smtp://mail.example.com', smtpOauth2User: 'a@example.com', smtpOauth2ClientId: 'id', smtpOauth2RefreshToken: 'r' },
      /^invalid option --smtp-oauth2-client-secret: renewing access tokens needs --smtp-oauth2-client-id, --smtp-oauth2-client-secret, --smtp-oauth2-refresh-token; --smtp-oauth2-client-secret missing$/,
    ],
    [
      { smtp: 'smtp://user:pass@mail.example.com', smtpOauth2User: 'a@example.com', smtpOauth2AccessToken: 'tok' },
      /^invalid option --smtp: give either USER:PASS in the URL or the --smtp-oauth2-\* flags, not both$/,
    ],
    [
      { smtp: 'smtp://mail.example.com', smtpOauth2User: 'a@example.com', smtpOauth2AccessToken: 'tok', smtpOauth2TokenUrl: 'https://example.com/token' },
      /^invalid option --smtp-oauth2-token-url: the token URL is used only to renew tokens/,
    ],
    [
      { smtp: 'smtp://mail.example.com', smtpOauth2User: 'a@example.com', smtpOauth2ClientId: 'i', smtpOauth2ClientSecret: 's', smtpOauth2RefreshToken: 'r', smtpOauth2TokenUrl: 'ftp://x/token' },
      /^invalid option --smtp-oauth2-token-url: expected an http\(s\) URL$/,
    ],
    [{ smtp: 'smtp://mail.example.com', smtpOauth2User: '' }, /^invalid option --smtp-oauth2-user: /],
  ];
  for (const [options, pattern] of table) {
    const error = configError(options);
    assert.match(error.message, pattern, JSON.stringify(options));
    assert.ok(!error.message.includes('pass@'), 'no credentials in the message');
  }
});

test('config: other options are named by their flag too', () => {
  assert.equal(flagName('smtpOauth2AccessToken'), '--smtp-oauth2-access-token');
  assert.equal(flagName('dataDir'), '--data');
  assert.equal(flagName('tlsHosts'), '--tls-host');
  assert.match(configError({ httpPort: 70_000 }).message, /^invalid option --http-port: /);
  assert.match(configError({ tlsCert: 'cert.pem' }).message, /^invalid option --tls-cert: give both --tls-cert and --tls-key/);
});

test('config: SMTP secrets never show in JSON, util.inspect or the one-line description', () => {
  const config = resolveServerConfig({
    smtp: 'smtps://alert:hunter2@mail.example.com',
    smtpCa: '/etc/ca.pem',
  });
  const withOauth = resolveServerConfig({
    smtp: 'smtp://mail.example.com:2525',
    smtpStarttls: 'required',
    smtpOauth2User: 'alerts@example.com',
    smtpOauth2AccessToken: 'ya29.secret-access',
    smtpOauth2ClientId: 'client-id',
    smtpOauth2ClientSecret: 'secret-client',
    smtpOauth2RefreshToken: 'secret-refresh',
  });
  for (const shown of [JSON.stringify(config), inspect(config, { depth: 5 }), JSON.stringify(withOauth), inspect(withOauth, { depth: 5 })]) {
    for (const secret of ['hunter2', 'ya29.secret-access', 'secret-client', 'secret-refresh']) assert.ok(!shown.includes(secret), `${secret} in ${shown}`);
  }
  assert.match(JSON.stringify(config), /"url":"smtps:\/\/alert:REDACTED@mail\.example\.com"/);
  assert.match(JSON.stringify(withOauth), /"clientId":"client-id"/);
  // The values themselves are still there for the transport.
  assert.equal(withOauth.smtp?.oauth2?.refreshToken, 'secret-refresh');

  assert.equal(describeSmtpSettings(config.smtp ?? assert.fail()), 'smtps://mail.example.com:465 (TLS, CA /etc/ca.pem, as alert)');
  assert.equal(describeSmtpSettings(withOauth.smtp ?? assert.fail()), 'smtp://mail.example.com:2525 (STARTTLS required, XOAUTH2 as alerts@example.com, renewed)');
  assert.equal(describeSmtpSettings(resolveServerConfig({ smtp: 'smtp://localhost', smtpStarttls: 'off' }).smtp ?? assert.fail()), 'smtp://localhost:587 (no STARTTLS)');
});

test('config: --s3-endpoint or --s3-region makes S3 the default store; its secret never shows; stray S3 settings are errors', () => {
  assert.equal(resolveServerConfig({}).s3, undefined);
  const config = resolveServerConfig({ s3Endpoint: 'http://127.0.0.1:9000/', s3ForcePathStyle: true, s3AccessKeyId: 'minio', s3SecretAccessKey: 's3cr3t-value' });
  assert.deepEqual({ ...config.s3 }, { endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, credentials: { accessKeyId: 'minio', secretAccessKey: 's3cr3t-value' } });
  assert.doesNotMatch(JSON.stringify(config), /s3cr3t-value/);
  assert.doesNotMatch(inspect(config, { depth: 5 }), /s3cr3t-value/);
  assert.equal(resolveServerConfig({ s3Region: 'eu-west-1' }).s3?.region, 'eu-west-1');
  assert.match(configError({ s3Endpoint: 'ftp://x' }).message, /--s3-endpoint: expected an http\(s\) URL/);
  assert.match(configError({ s3ForcePathStyle: true }).message, /--s3-force-path-style: only applies with --s3-endpoint or --s3-region/);
  assert.match(configError({ s3Endpoint: 'http://x', s3AccessKeyId: 'a' }).message, /SLUICE_S3_ACCESS_KEY_ID.*give both/);
});
