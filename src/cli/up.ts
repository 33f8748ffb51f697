import type { Command } from 'commander';
import { startServer, type RunningServer } from '../app/index.js';
import { createLogger, describeSmtpSettings, parseParams, type ServerOptions } from '../core/index.js';
import type { RunningSimulator } from '../sim/index.js';
import { action, collect } from './output.js';
import { runSimulator } from './up-simulator.js';

interface UpFlags {
  stack: string[];
  param: string[];
  host: string;
  mqttPort: string;
  mqttsPort: string;
  wssPort: string;
  tlsHost: string[];
  tlsCert?: string;
  tlsKey?: string;
  iotRegion: string;
  iotAccount: string;
  httpPort: string;
  smtp?: string;
  smtpStarttls?: string;
  smtpCa?: string;
  smtpOauth2User?: string;
  smtpOauth2AccessToken?: string;
  smtpOauth2ClientId?: string;
  smtpOauth2ClientSecret?: string;
  smtpOauth2RefreshToken?: string;
  smtpOauth2TokenUrl?: string;
  mailFrom?: string;
  publicUrl?: string;
  simulate: boolean;
  insecure: boolean;
  logLevel: string;
  maxBacklog: string;
  actionQueue: string;
  traceMessages: string;
  maxPayloadBytes?: string;
  maxTopicBytes?: string;
  maxTopicLevels?: string;
  maxClientIdBytes?: string;
  s3Endpoint?: string;
  s3Region?: string;
  s3ForcePathStyle: boolean;
}

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('start the Sluice server (broker, rules, functions, storage, notifications, API)')
    .option('--stack <file>', 'deploy a stack file at start (repeatable)', collect, [])
    .option('--param <key=value>', 'stack parameter (repeatable)', collect, [])
    .option('--host <addr>', 'address to listen on', process.env.SLUICE_HOST ?? '127.0.0.1')
    .option('--mqtt-port <n>', 'plaintext MQTT port (only with --insecure); 0 picks a free port', process.env.SLUICE_MQTT_PORT ?? '1883')
    .option('--mqtts-port <n>', 'MQTT over TLS port (device certificates or tokens); 0 picks a free port', process.env.SLUICE_MQTTS_PORT ?? '8883')
    .option('--wss-port <n>', 'MQTT over secure WebSocket port (at /mqtt); 0 picks a free port', process.env.SLUICE_WSS_PORT ?? '8443')
    .option('--tls-host <name>', 'a host name or IP devices use to reach this server, for the server certificate (repeatable)', collect, envList('SLUICE_TLS_HOST'))
    .option('--tls-cert <file>', 'your own server certificate (PEM) instead of one from the built-in CA', process.env.SLUICE_TLS_CERT)
    .option('--tls-key <file>', 'the private key (PEM) of --tls-cert', process.env.SLUICE_TLS_KEY)
    .option('--iot-region <region>', 'region in policy ARNs (arn:aws:iot:REGION:ACCOUNT:...)', process.env.SLUICE_IOT_REGION ?? 'local')
    .option('--iot-account <id>', '12-digit account id in policy ARNs', process.env.SLUICE_IOT_ACCOUNT ?? '000000000000')
    .option('--http-port <n>', 'HTTP port (API, MQTT over WebSocket at /mqtt); 0 picks a free port', process.env.SLUICE_HTTP_PORT ?? '8080')
    .option('--smtp <url>', 'send mail through this SMTP server: smtp://[USER:PASS@]HOST:PORT (STARTTLS) or smtps://... (TLS); default: the dev mailbox under <data>/mailbox')
    .option('--smtp-starttls <mode>', 'with an smtp:// URL: required | opportunistic (default) | off', process.env.SLUICE_SMTP_STARTTLS)
    .option('--smtp-ca <file>', 'PEM file of the CA(s) to trust for the SMTP server\'s certificate (a private CA)', process.env.SLUICE_SMTP_CA)
    .option('--smtp-oauth2-user <address>', 'XOAUTH2: the mailbox to authenticate as', process.env.SLUICE_SMTP_OAUTH2_USER)
    .option('--smtp-oauth2-access-token <token>', 'XOAUTH2 with this access token (prefer the SLUICE_SMTP_OAUTH2_ACCESS_TOKEN variable: flags show in ps)')
    .option('--smtp-oauth2-client-id <id>', 'XOAUTH2 with renewed tokens: the OAuth2 client id', process.env.SLUICE_SMTP_OAUTH2_CLIENT_ID)
    .option('--smtp-oauth2-client-secret <secret>', 'XOAUTH2 with renewed tokens: the client secret (prefer SLUICE_SMTP_OAUTH2_CLIENT_SECRET)')
    .option('--smtp-oauth2-refresh-token <token>', 'XOAUTH2 with renewed tokens: the refresh token (prefer SLUICE_SMTP_OAUTH2_REFRESH_TOKEN)')
    .option('--smtp-oauth2-token-url <url>', 'XOAUTH2 with renewed tokens: the token endpoint (default Google\'s)', process.env.SLUICE_SMTP_OAUTH2_TOKEN_URL)
    .option('--mail-from <address>', 'From of every mail: "Name <address>" or an address (default "Sluice <no-reply@sluice.local>")', process.env.SLUICE_MAIL_FROM)
    .option('--public-url <url>', 'base URL for links in emails (default: the HTTP endpoint)', process.env.SLUICE_PUBLIC_URL)
    .option('--simulate', 'run the stack\'s device simulator', envFlag('SLUICE_SIMULATE'))
    .option('--insecure', 'DEMO ONLY: plaintext anonymous MQTT and tokenless API on loopback', envFlag('SLUICE_INSECURE'))
    .option('--max-backlog <n>', 'queued actions beyond which QoS 1 acks wait and QoS 0 messages are dropped', process.env.SLUICE_MAX_BACKLOG ?? '100000')
    .option('--action-queue <driver>', 'sqlite (durable, default) or memory (loses queued actions on a crash; for benchmarks)', process.env.SLUICE_ACTION_QUEUE ?? 'sqlite')
    .option('--trace-messages <n>', 'recent messages whose trace (rules, actions, notifications) the API and console show; 0 turns tracing off', process.env.SLUICE_TRACE_MESSAGES ?? '10000')
    .option('--max-payload-bytes <n>', 'largest MQTT payload (default 131072, AWS IoT Core\'s 128 KB)', process.env.SLUICE_MAX_PAYLOAD_BYTES)
    .option('--max-topic-bytes <n>', 'longest topic or filter in bytes (default 256)', process.env.SLUICE_MAX_TOPIC_BYTES)
    .option('--max-topic-levels <n>', 'most topic levels (default 7)', process.env.SLUICE_MAX_TOPIC_LEVELS)
    .option('--max-client-id-bytes <n>', 'longest client id in bytes (default 128)', process.env.SLUICE_MAX_CLIENT_ID_BYTES)
    .option('--s3-endpoint <url>', 'keep buckets in this S3-compatible store (MinIO, Garage, ...) instead of <data>/buckets; credentials from SLUICE_S3_ACCESS_KEY_ID and SLUICE_S3_SECRET_ACCESS_KEY, or the AWS SDK\'s chain', process.env.SLUICE_S3_ENDPOINT)
    .option('--s3-region <region>', 'keep buckets in S3 in this region (AWS S3 itself without --s3-endpoint)', process.env.SLUICE_S3_REGION)
    .option('--s3-force-path-style', 'address buckets as ENDPOINT/BUCKET/KEY (MinIO, Garage)', envFlag('SLUICE_S3_FORCE_PATH_STYLE'))
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent', process.env.SLUICE_LOG_LEVEL ?? 'info')
    .action(action(async (flags: UpFlags) => runUp({ ...flags, data: program.opts<{ data?: string }>().data ?? './data' })));
}

function envList(name: string): string[] {
  return process.env[name] ? (process.env[name] ?? '').split(',').filter(Boolean) : [];
}

function envFlag(name: string): boolean {
  const value = process.env[name];
  return value === '1' || value === 'true';
}

async function runUp(flags: UpFlags & { data: string }): Promise<void> {
  // Flags that may carry secrets read their SLUICE_* variable here, not as commander defaults: `--help` prints defaults.
  const smtp = flags.smtp ?? process.env.SLUICE_SMTP;
  const smtpOauth2AccessToken = flags.smtpOauth2AccessToken ?? process.env.SLUICE_SMTP_OAUTH2_ACCESS_TOKEN;
  const smtpOauth2ClientSecret = flags.smtpOauth2ClientSecret ?? process.env.SLUICE_SMTP_OAUTH2_CLIENT_SECRET;
  const smtpOauth2RefreshToken = flags.smtpOauth2RefreshToken ?? process.env.SLUICE_SMTP_OAUTH2_REFRESH_TOKEN;
  const envStacks = process.env.SLUICE_STACK ? process.env.SLUICE_STACK.split(',') : [];
  const envParams = process.env.SLUICE_PARAM ? process.env.SLUICE_PARAM.split(',') : [];
  const options: ServerOptions = {
    dataDir: flags.data,
    host: flags.host,
    mqttPort: Number(flags.mqttPort),
    mqttsPort: Number(flags.mqttsPort),
    wssPort: Number(flags.wssPort),
    tlsHosts: flags.tlsHost,
    ...(flags.tlsCert ? { tlsCert: flags.tlsCert } : {}),
    ...(flags.tlsKey ? { tlsKey: flags.tlsKey } : {}),
    iotRegion: flags.iotRegion,
    iotAccount: flags.iotAccount,
    httpPort: Number(flags.httpPort),
    ...(smtp ? { smtp } : {}),
    ...(flags.smtpStarttls ? { smtpStarttls: flags.smtpStarttls as ServerOptions['smtpStarttls'] } : {}),
    ...(flags.smtpCa ? { smtpCa: flags.smtpCa } : {}),
    ...(flags.smtpOauth2User ? { smtpOauth2User: flags.smtpOauth2User } : {}),
    ...(smtpOauth2AccessToken ? { smtpOauth2AccessToken } : {}),
    ...(flags.smtpOauth2ClientId ? { smtpOauth2ClientId: flags.smtpOauth2ClientId } : {}),
    ...(smtpOauth2ClientSecret ? { smtpOauth2ClientSecret } : {}),
    ...(smtpOauth2RefreshToken ? { smtpOauth2RefreshToken } : {}),
    ...(flags.smtpOauth2TokenUrl ? { smtpOauth2TokenUrl: flags.smtpOauth2TokenUrl } : {}),
    ...(flags.mailFrom ? { mailFrom: flags.mailFrom } : {}),
    ...(flags.publicUrl ? { publicUrl: flags.publicUrl } : {}),
    stacks: flags.stack.length > 0 ? flags.stack : envStacks,
    params: parseParams([...envParams, ...flags.param]),
    simulate: flags.simulate,
    insecure: flags.insecure,
    logLevel: flags.logLevel as ServerOptions['logLevel'],
    maxBacklog: Number(flags.maxBacklog),
    actionQueue: flags.actionQueue as ServerOptions['actionQueue'],
    traceMessages: Number(flags.traceMessages),
    ...(flags.maxPayloadBytes !== undefined ? { maxPayloadBytes: Number(flags.maxPayloadBytes) } : {}),
    ...(flags.maxTopicBytes !== undefined ? { maxTopicBytes: Number(flags.maxTopicBytes) } : {}),
    ...(flags.maxTopicLevels !== undefined ? { maxTopicLevels: Number(flags.maxTopicLevels) } : {}),
    ...(flags.maxClientIdBytes !== undefined ? { maxClientIdBytes: Number(flags.maxClientIdBytes) } : {}),
    ...(flags.s3Endpoint ? { s3Endpoint: flags.s3Endpoint } : {}),
    ...(flags.s3Region ? { s3Region: flags.s3Region } : {}),
    s3ForcePathStyle: flags.s3ForcePathStyle,
    // Secrets only from the environment: flags show in ps.
    ...(process.env.SLUICE_S3_ACCESS_KEY_ID ? { s3AccessKeyId: process.env.SLUICE_S3_ACCESS_KEY_ID } : {}),
    ...(process.env.SLUICE_S3_SECRET_ACCESS_KEY ? { s3SecretAccessKey: process.env.SLUICE_S3_SECRET_ACCESS_KEY } : {}),
  };
  const logger = createLogger({ level: flags.logLevel });
  const server = await startServer(options, { logger });
  let simulator: RunningSimulator | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      process.stderr.write(`${signal} again: exiting without finishing in-flight work\n`);
      process.exit(1);
    }
    stopping = true;
    process.stdout.write(`\n${signal} received: finishing in-flight work and closing stores...\n`);
    await simulator?.stop();
    await server.close();
    process.stdout.write('Sluice stopped.\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  printBanner(server);
  await printPendingConfirmations(server);
  if (server.config.simulate) simulator = await runSimulator(server, logger);
  process.stdout.write('Press Ctrl+C to stop.\n');
}

function printBanner(server: RunningServer): void {
  const { endpoints, config } = server;
  const lines: string[] = [''];
  if (config.insecure) {
    lines.push(
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
      '!! INSECURE MODE (--insecure): plaintext MQTT accepts ANY client without   !!',
      '!! authentication, and the API needs no token from this machine.          !!',
      '!! For demos on a laptop only. Never expose these ports.                  !!',
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
      '',
    );
  }
  lines.push('Sluice is up.');
  if (endpoints.mqtt) lines.push(`  mqtt   ${endpoints.mqtt}   (anonymous: --insecure)`);
  lines.push(
    `  mqtts  ${endpoints.mqtts}   (device certificates, or device tokens)`,
    `  wss    ${endpoints.wss}`,
    `  ws     ${endpoints.ws}`,
    `  http   ${endpoints.http}`,
    `  data   ${config.dataDir}`,
  );
  // The demo's link signs the browser in (the token rides in the fragment, which is never sent to the server).
  lines.push(
    config.insecure
      ? `Web console: ${endpoints.http}/#token=${encodeURIComponent(server.adminToken)}   (signs this browser in as admin; demo only)`
      : `Web console: ${endpoints.http}/   (sign in with the admin token)`,
  );
  lines.push(`Endpoints are in ${config.dataDir}/endpoints.json; the admin token is in ${config.dataDir}/admin-token.`);
  if (server.adminTokenCreated) {
    lines.push(
      `New admin token "${server.adminTokenCreated.name}" (${server.adminTokenCreated.reason}); it is printed only this once (the server keeps only its hash):`,
      `  ${server.adminToken}`,
    );
  }
  if (!config.insecure) {
    lines.push('Devices connect over mqtts with a certificate from the built-in CA and a policy: see docs/security.md');
    lines.push('  npx sluice certs create --thing NAME --policy POLICY --out DIR');
    lines.push('The operator can connect over ws or wss with any username and an admin token as password.');
  }
  if (config.smtp) {
    // Never the URL itself: it may carry a password.
    lines.push(`Mail goes out through ${describeSmtpSettings(config.smtp)}, from ${config.mailFrom}.`);
  } else {
    lines.push(
      `Mail goes to the dev mailbox (${config.dataDir}/mailbox). New email subscriptions get a confirmation email there:`,
      '  npx sluice mailbox            # list messages',
      '  npx sluice mailbox show ID    # read one, with its confirmation link to open',
    );
  }
  if (config.s3) {
    // Where and as whom, never the secret key.
    const s3 = config.s3;
    const notes = [s3.region ? `region ${s3.region}` : '', s3.forcePathStyle ? 'path-style' : '', s3.credentials ? `key ${s3.credentials.accessKeyId}` : 'AWS default credentials']
      .filter(Boolean)
      .join(', ');
    lines.push(`Buckets are kept in S3 at ${s3.endpoint ?? 'AWS'} (${notes}), unless a stack's bucket says driver: fs.`);
  }
  lines.push('Watch the traffic: npx sluice sub "#"', '');
  process.stdout.write(lines.join('\n'));
}

async function printPendingConfirmations(server: RunningServer): Promise<void> {
  for (const pending of await server.pendingConfirmations()) {
    const where = pending.link
      ? `open this link to confirm it:\n  ${pending.link}`
      : server.config.smtp
        ? `its confirmation email went out through ${describeSmtpSettings(server.config.smtp)}`
        : 'find its confirmation email with "npx sluice mailbox"';
    process.stdout.write(`Email subscription ${pending.endpoint} to topic ${pending.topic} is pending: ${where}\n`);
  }
}

