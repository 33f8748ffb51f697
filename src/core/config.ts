import { isAbsolute, resolve } from 'node:path';
import { inspect } from 'node:util';
import { z } from 'zod';
import { SluiceError } from './errors.js';
import { formatFieldPath } from './zod-errors.js';

const port = z.coerce.number().int().min(0).max(65535);

export const DEFAULT_MAIL_FROM = 'Sluice <no-reply@sluice.local>';
export const SMTP_STARTTLS_MODES = ['required', 'opportunistic', 'off'] as const;
export type SmtpStarttls = (typeof SMTP_STARTTLS_MODES)[number];
/** `Name <local@domain>` (the name may be quoted) or a bare `local@domain`; one line, one address. */
const MAIL_FROM_PATTERN = /^(?:[^<>\r\n]*<[^<>\s@]+@[^<>\s@]+>|[^<>\s@,;]+@[^<>\s@,;]+)$/;

/**
 * `sluice up` settings, from flags or `SLUICE_<FLAG>` env vars. Validated
 * once at start-up and frozen; the rest of the server trusts them.
 */
export const serverConfigSchema = z
  .object({
    dataDir: z.string().min(1).default('./data'),
    host: z.string().min(1).default('127.0.0.1'),
    mqttPort: port.default(1883),
    /** MQTT over TLS with client certificates (AWS IoT: 8883). */
    mqttsPort: port.default(8883),
    /** MQTT over secure WebSocket, at /mqtt (AWS IoT: 443). */
    wssPort: port.default(8443),
    /** Host names and IPs the built-in CA's server certificate is issued for (besides localhost, 127.0.0.1 and ::1). */
    tlsHosts: z.array(z.string().min(1)).default([]),
    /** The operator's own server certificate and key (PEM files), instead of one from the built-in CA. */
    tlsCert: z.string().min(1).optional(),
    tlsKey: z.string().min(1).optional(),
    /** Region and account in policy resource ARNs (arn:aws:iot:REGION:ACCOUNT:topic/...), so AWS policies work as written. */
    iotRegion: z.string().regex(/^[a-z0-9-]+$/, 'expected a region such as us-east-1').default('local'),
    iotAccount: z.string().regex(/^\d{12}$/, 'expected a 12-digit account id').default('000000000000'),
    httpPort: port.default(8080),
    /** Send mail through this SMTP server (else the dev mailbox); the output `smtp` is the resolved `SmtpSettings`. */
    smtp: z
      .string()
      .regex(/^smtps?:\/\/[^/?#]/, 'expected a URL such as smtp://HOST:PORT or smtps://USER:PASS@HOST:465')
      .optional(),
    /** smtp:// only: `opportunistic` (default) upgrades when offered, `required` refuses to send without it, `off` never upgrades. */
    smtpStarttls: z.enum(SMTP_STARTTLS_MODES, { error: 'expected required, opportunistic or off' }).optional(),
    /** A PEM file of certificate authorities to trust for the SMTP server's certificate (a private CA). */
    smtpCa: z.string().min(1).optional(),
    /** XOAUTH2: the mailbox to authenticate as. */
    smtpOauth2User: z.string().min(1).optional(),
    /** XOAUTH2 with a fixed access token (not renewed). */
    smtpOauth2AccessToken: z.string().min(1).optional(),
    /** XOAUTH2 with a refresh token: nodemailer gets and renews access tokens from the token URL. */
    smtpOauth2ClientId: z.string().min(1).optional(),
    smtpOauth2ClientSecret: z.string().min(1).optional(),
    smtpOauth2RefreshToken: z.string().min(1).optional(),
    /** The OAuth2 token endpoint (default Google's); Microsoft 365 has its own per tenant. */
    smtpOauth2TokenUrl: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
    /** Base of links in emails (confirm, unsubscribe); defaults to the HTTP endpoint. */
    publicUrl: z.url().optional(),
    /** The From of every mail: `Name <address>` or a bare address. */
    mailFrom: z
      .string()
      .regex(MAIL_FROM_PATTERN, 'expected an address such as "Sluice <alerts@example.com>" or alerts@example.com')
      .default(DEFAULT_MAIL_FROM),
    stacks: z.array(z.string().min(1)).default([]),
    params: z.record(z.string(), z.string()).default({}),
    simulate: z.boolean().default(false),
    /** Jobs on disk beyond which QoS 1 PUBACKs wait and QoS 0 messages are dropped (counted). */
    maxBacklog: z.coerce.number().int().min(1).default(100_000),
    /**
     * `sqlite` (default) keeps queued actions across crashes. `memory` loses
     * them; it exists to measure what durability costs, not for use.
     */
    actionQueue: z.enum(['sqlite', 'memory']).default('sqlite'),
    /** Messages whose traces are kept in memory (`GET /api/v1/traces`); 0 turns tracing off. */
    traceMessages: z.coerce
      .number({ error: 'expected a number of messages' })
      .int('expected a whole number of messages')
      .min(0, 'expected 0 (off) or more messages')
      .max(1_000_000, 'at most 1000000 messages (each trace keeps up to 4 KB of payload)')
      .default(10_000),
    /** Input limits; unset ones take AWS IoT Core's (payload 128 KB, topic 256 B and 7 levels, client id 128 B). */
    maxPayloadBytes: z.coerce.number().int().min(1).optional(),
    maxTopicBytes: z.coerce.number().int().min(1).optional(),
    maxTopicLevels: z.coerce.number().int().min(1).max(100).optional(),
    maxClientIdBytes: z.coerce.number().int().min(1).optional(),
    insecure: z.boolean().default(false),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** The default object store becomes `s3` at this S3-compatible endpoint (MinIO, Garage, ...); `s3` settings in a stack's bucket override it. */
    s3Endpoint: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL such as http://127.0.0.1:9000' }).optional(),
    /** The default object store becomes `s3` (AWS S3 itself when no --s3-endpoint) in this region. */
    s3Region: z.string().regex(/^[a-z0-9-]{1,64}$/, 'expected a region such as us-east-1').optional(),
    /** Path-style URLs (`endpoint/bucket/key`): MinIO, Garage and most self-hosted stores need them. */
    s3ForcePathStyle: z.boolean().default(false),
    /** Explicit S3 credentials (secrets: from SLUICE_S3_* variables); without them, the AWS SDK's default chain. */
    s3AccessKeyId: z.string().min(1).optional(),
    s3SecretAccessKey: z.string().min(1).optional(),
  })
  .strict()
  .refine((c) => (c.tlsCert === undefined) === (c.tlsKey === undefined), { message: 'give both --tls-cert and --tls-key, or neither', path: ['tlsCert'] })
  .refine((c) => (c.s3AccessKeyId === undefined) === (c.s3SecretAccessKey === undefined), {
    message: 'give both SLUICE_S3_ACCESS_KEY_ID and SLUICE_S3_SECRET_ACCESS_KEY, or neither (then the AWS SDK\'s default chain: AWS_ACCESS_KEY_ID, profiles, roles)',
    path: ['s3AccessKeyId'],
  });

/** The flags that make up `SmtpSettings`; in the resolved config they are folded into `smtp`. */
const SMTP_FIELDS = [
  'smtpStarttls', 'smtpCa', 'smtpOauth2User', 'smtpOauth2AccessToken',
  'smtpOauth2ClientId', 'smtpOauth2ClientSecret', 'smtpOauth2RefreshToken', 'smtpOauth2TokenUrl',
] as const;
type SmtpField = (typeof SMTP_FIELDS)[number];

/** XOAUTH2 credentials: a fixed access token, or client id, secret and refresh token (renewed by nodemailer). */
export interface SmtpOAuth2Settings {
  user: string;
  accessToken?: string;
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  /** The token endpoint; nodemailer's default is Google's. */
  tokenUrl?: string;
}

/**
 * How mail goes out when `--smtp` is given. Holds secrets (the URL's password,
 * OAuth2 tokens): JSON and `util.inspect` show it redacted; print
 * `describeSmtpSettings` instead.
 */
export interface SmtpSettings {
  /** `smtp://[user:pass@]host[:port]` (STARTTLS per `starttls`) or `smtps://...` (TLS from the start). */
  url: string;
  starttls: SmtpStarttls;
  /** PEM file with the certificate authorities to trust (read when the transport is made). */
  caFile?: string;
  oauth2?: SmtpOAuth2Settings;
}

export type ServerOptions = z.input<typeof serverConfigSchema>;
/**
 * The server's S3 settings (`--s3-*`), when it has any: then buckets default
 * to the `s3` driver. JSON and `util.inspect` show the secret key redacted.
 */
export interface ServerS3Settings {
  endpoint?: string;
  region?: string;
  forcePathStyle: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

type S3Field = 's3Endpoint' | 's3Region' | 's3ForcePathStyle' | 's3AccessKeyId' | 's3SecretAccessKey';
export type ServerConfig = Readonly<Omit<z.output<typeof serverConfigSchema>, 'smtp' | SmtpField | S3Field> & { smtp?: SmtpSettings; s3?: ServerS3Settings }>;

/** Flags whose name is not the kebab-case of their option. */
const FLAG_NAMES: Record<string, string> = {
  dataDir: '--data', tlsHosts: '--tls-host', stacks: '--stack', params: '--param',
  // Secrets come only from the environment (flags show in ps).
  s3AccessKeyId: 'SLUICE_S3_ACCESS_KEY_ID', s3SecretAccessKey: 'SLUICE_S3_SECRET_ACCESS_KEY',
};

/** `--smtp-oauth2-user` for `smtpOauth2User`: errors name the flag a user typed (or its `SLUICE_*` variable). */
export function flagName(option: string): string {
  return FLAG_NAMES[option] ?? `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

export function resolveServerConfig(options: ServerOptions): ServerConfig {
  const parsed = serverConfigSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw configError(issue?.path ?? [], issue?.message ?? 'invalid');
  }
  const { s3Endpoint, s3Region, s3ForcePathStyle, s3AccessKeyId, s3SecretAccessKey, ...withSmtp } = parsed.data;
  const { smtp, smtpStarttls, smtpCa, smtpOauth2User, smtpOauth2AccessToken, smtpOauth2ClientId, smtpOauth2ClientSecret, smtpOauth2RefreshToken, smtpOauth2TokenUrl, ...config } =
    withSmtp;
  const s3Settings = resolveS3Settings({ s3Endpoint, s3Region, s3ForcePathStyle, s3AccessKeyId, s3SecretAccessKey });
  const smtpSettings = resolveSmtpSettings(smtp, {
    smtpStarttls, smtpCa, smtpOauth2User, smtpOauth2AccessToken, smtpOauth2ClientId, smtpOauth2ClientSecret, smtpOauth2RefreshToken, smtpOauth2TokenUrl,
  });
  const dataDir = isAbsolute(config.dataDir) ? config.dataDir : resolve(config.dataDir);
  return Object.freeze({
    ...config,
    dataDir,
    publicUrl: config.publicUrl?.replace(/\/+$/, ''),
    ...(smtpSettings ? { smtp: smtpSettings } : {}),
    ...(s3Settings ? { s3: s3Settings } : {}),
  });
}

/** The `--s3-*` flags as one settings object: set when an endpoint or a region is given (else buckets stay on `fs`). */
function resolveS3Settings(flags: {
  s3Endpoint: string | undefined;
  s3Region: string | undefined;
  s3ForcePathStyle: boolean;
  s3AccessKeyId: string | undefined;
  s3SecretAccessKey: string | undefined;
}): ServerS3Settings | undefined {
  if (flags.s3Endpoint === undefined && flags.s3Region === undefined) {
    if (flags.s3ForcePathStyle) throw configError(['s3ForcePathStyle'], 'only applies with --s3-endpoint or --s3-region');
    if (flags.s3AccessKeyId !== undefined) throw configError(['s3AccessKeyId'], 'S3 credentials only apply with --s3-endpoint or --s3-region');
    return undefined;
  }
  const settings: ServerS3Settings = {
    ...(flags.s3Endpoint !== undefined ? { endpoint: flags.s3Endpoint.replace(/\/+$/, '') } : {}),
    ...(flags.s3Region !== undefined ? { region: flags.s3Region } : {}),
    forcePathStyle: flags.s3ForcePathStyle,
    ...(flags.s3AccessKeyId !== undefined && flags.s3SecretAccessKey !== undefined
      ? { credentials: Object.freeze({ accessKeyId: flags.s3AccessKeyId, secretAccessKey: flags.s3SecretAccessKey }) }
      : {}),
  };
  const redacted = () => ({ ...settings, ...(settings.credentials ? { credentials: { accessKeyId: settings.credentials.accessKeyId, secretAccessKey: 'REDACTED' } } : {}) });
  Object.defineProperty(settings, 'toJSON', { value: redacted, enumerable: false });
  Object.defineProperty(settings, inspect.custom, { value: redacted, enumerable: false });
  return Object.freeze(settings);
}

function configError(path: ReadonlyArray<PropertyKey>, message: string): SluiceError {
  const field = formatFieldPath(path);
  const [first] = path;
  const flag = typeof first === 'string' ? flagName(first) : field;
  return new SluiceError('SLUICE_ERR_CONFIG_INVALID', `invalid option ${flag}${path.length > 1 ? ` (${field})` : ''}: ${message}`, {
    place: { field },
  });
}

/** The SMTP flags as one `SmtpSettings`, checked together: a flag that cannot take effect is an error, not ignored. */
function resolveSmtpSettings(url: string | undefined, flags: Partial<Record<SmtpField, string>>): SmtpSettings | undefined {
  const given = SMTP_FIELDS.filter((field) => flags[field] !== undefined);
  if (url === undefined) {
    const [first] = given;
    if (first !== undefined) throw configError([first], 'only applies with --smtp (without --smtp, mail goes to the dev mailbox)');
    return undefined;
  }
  const parsedUrl = new URL(url);
  const implicitTls = parsedUrl.protocol === 'smtps:';
  if (implicitTls && flags.smtpStarttls === 'off') {
    throw configError(['smtpStarttls'], 'smtps:// is TLS from the start; use an smtp:// URL for a connection without TLS');
  }

  let oauth2: SmtpOAuth2Settings | undefined;
  const oauth2Given = given.filter((field) => field.startsWith('smtpOauth2'));
  if (oauth2Given.length > 0) {
    if (flags.smtpOauth2User === undefined) throw configError(['smtpOauth2User'], `the mailbox to authenticate as is required with ${flagName(oauth2Given[0] ?? '')}`);
    if (parsedUrl.username || parsedUrl.password) {
      throw configError(['smtp'], 'give either USER:PASS in the URL or the --smtp-oauth2-* flags, not both');
    }
    const refresh = ['smtpOauth2ClientId', 'smtpOauth2ClientSecret', 'smtpOauth2RefreshToken'] as const;
    const refreshGiven = refresh.filter((field) => flags[field] !== undefined);
    if (refreshGiven.length > 0 && refreshGiven.length < refresh.length) {
      const missing = refresh.filter((field) => flags[field] === undefined).map(flagName).join(' and ');
      throw configError([refresh.find((field) => flags[field] === undefined) ?? 'smtpOauth2ClientId'], `renewing access tokens needs ${refresh.map(flagName).join(', ')}; ${missing} missing`);
    }
    if (flags.smtpOauth2AccessToken === undefined && refreshGiven.length === 0) {
      throw configError(['smtpOauth2AccessToken'], 'XOAUTH2 needs --smtp-oauth2-access-token, or --smtp-oauth2-client-id, --smtp-oauth2-client-secret and --smtp-oauth2-refresh-token');
    }
    if (flags.smtpOauth2TokenUrl !== undefined && refreshGiven.length === 0) {
      throw configError(['smtpOauth2TokenUrl'], 'the token URL is used only to renew tokens, with --smtp-oauth2-refresh-token');
    }
    oauth2 = {
      user: flags.smtpOauth2User,
      ...(flags.smtpOauth2AccessToken !== undefined ? { accessToken: flags.smtpOauth2AccessToken } : {}),
      ...(flags.smtpOauth2ClientId !== undefined ? { clientId: flags.smtpOauth2ClientId } : {}),
      ...(flags.smtpOauth2ClientSecret !== undefined ? { clientSecret: flags.smtpOauth2ClientSecret } : {}),
      ...(flags.smtpOauth2RefreshToken !== undefined ? { refreshToken: flags.smtpOauth2RefreshToken } : {}),
      ...(flags.smtpOauth2TokenUrl !== undefined ? { tokenUrl: flags.smtpOauth2TokenUrl } : {}),
    };
  }

  const settings: SmtpSettings = {
    url,
    starttls: (flags.smtpStarttls as SmtpStarttls | undefined) ?? 'opportunistic',
    ...(flags.smtpCa !== undefined ? { caFile: flags.smtpCa } : {}),
    ...(oauth2 ? { oauth2: Object.freeze(oauth2) } : {}),
  };
  // Secrets stay out of JSON (pino logs, API output) and console.log, whatever prints the config.
  Object.defineProperty(settings, 'toJSON', { value: () => redactedSmtpSettings(settings), enumerable: false });
  Object.defineProperty(settings, inspect.custom, { value: () => redactedSmtpSettings(settings), enumerable: false });
  return Object.freeze(settings);
}

function redactedSmtpSettings(settings: SmtpSettings): Record<string, unknown> {
  const url = new URL(settings.url);
  if (url.password) url.password = 'REDACTED';
  const oauth2 = settings.oauth2;
  return {
    url: url.toString(),
    starttls: settings.starttls,
    ...(settings.caFile !== undefined ? { caFile: settings.caFile } : {}),
    ...(oauth2
      ? {
          oauth2: {
            user: oauth2.user,
            ...(oauth2.accessToken !== undefined ? { accessToken: 'REDACTED' } : {}),
            ...(oauth2.clientId !== undefined ? { clientId: oauth2.clientId } : {}),
            ...(oauth2.clientSecret !== undefined ? { clientSecret: 'REDACTED' } : {}),
            ...(oauth2.refreshToken !== undefined ? { refreshToken: 'REDACTED' } : {}),
            ...(oauth2.tokenUrl !== undefined ? { tokenUrl: oauth2.tokenUrl } : {}),
          },
        }
      : {}),
  };
}

/**
 * One line about the mail server for logs and the start-up banner, without
 * secrets: `smtp://mail.example.com:587 (STARTTLS required, XOAUTH2 as alerts@example.com)`.
 */
export function describeSmtpSettings(settings: SmtpSettings): string {
  const url = new URL(settings.url);
  const implicitTls = url.protocol === 'smtps:';
  const port = url.port || (implicitTls ? '465' : '587');
  const notes: string[] = [implicitTls ? 'TLS' : settings.starttls === 'off' ? 'no STARTTLS' : `STARTTLS ${settings.starttls}`];
  if (settings.caFile !== undefined) notes.push(`CA ${settings.caFile}`);
  if (settings.oauth2) notes.push(`XOAUTH2 as ${settings.oauth2.user}${settings.oauth2.refreshToken !== undefined ? ', renewed' : ''}`);
  else if (url.username) notes.push(`as ${decodeURIComponent(url.username)}`);
  return `${url.protocol}//${url.hostname}:${port} (${notes.join(', ')})`;
}

/** `KEY=VALUE` pairs from repeated `--param` flags. */
export function parseParams(pairs: ReadonlyArray<string>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `--param '${pair}': expected KEY=VALUE`, { place: { field: 'param' } });
    }
    params[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return params;
}
