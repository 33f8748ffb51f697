import { readFile } from 'node:fs/promises';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  ActionExecutor,
  DeadLetters,
  RuleSet,
  actionStatus,
  createMemoryActionQueue,
  openSqliteActionQueue,
} from '../actions/index.js';
import { createApi } from '../api/index.js';
import { Broker, type TlsCredentials } from '../broker/index.js';
import {
  Metrics,
  SluiceError,
  sha256Hex,
  systemClock,
  createLogger,
  errorMessage,
  resolveServerConfig,
  topicNameFromArnOrName,
  type Logger,
  type ServerConfig,
  type ServerOptions,
} from '../core/index.js';
import { FunctionRuntime } from '../functions/index.js';
import { eventInvoker } from './event-invokes.js';
import { functionActionPort } from './function-actions.js';
import { notificationDeliverer, notificationOutbox } from './notify-outbox.js';
import {
  DeliveryError, NotificationService, NotificationSigner, createMailboxTransport, createSmtpTransport, type ReadableMailTransport,
} from '../notify/index.js';
import { DEFAULT_SERVER_HOSTS, Registry, TokenStore } from '../registry/index.js';
import { StackService, prepareStackDeployment, type SimulatorSpec, type StackDeployRequest } from '../stack/index.js';
import { RetentionSweeper, openSqliteReadingsStore } from '../readings/index.js';
import { openSqliteStateStore } from '../state/index.js';
import { BucketRouter, LifecycleSweeper, createFsObjectStore } from '../storage/index.js';
import { dataPaths, ensureAdminToken, ensureDataDir, writeAtomically } from './data-dir.js';
import { DeviceAuth } from './device-auth.js';
import { createMessagePipeline } from './pipeline.js';
import { createArchive } from './archive.js';
import { functionInvokerForRules } from './rule-functions.js';
import { pendingConfirmations, type PendingConfirmation } from './pending-confirmations.js';
import { createStackTarget } from './stack-target.js';
import { ConnectionTracker } from './connections.js';
import { OverviewSampler, readTotals } from './overview.js';
import { RuleFailures, ruleMetrics } from './rule-metrics.js';
import { RuleSwitches } from './rule-switches.js';
import { createTraceRing, traceAttempts } from './message-trace.js';

export interface Endpoints {
  /** Plaintext, anonymous MQTT: only with --insecure. */
  mqtt?: string;
  /** MQTT over TLS: device certificates (mutual TLS) or device tokens. */
  mqtts: string;
  /** MQTT over WebSocket on the HTTP port. */
  ws: string;
  /** MQTT over secure WebSocket, same credentials as mqtts. */
  wss: string;
  http: string;
}

export interface RunningServer {
  config: ServerConfig;
  endpoints: Endpoints;
  adminToken: string;
  /** Set when this start made the admin token in <data>/admin-token (print it once). */
  adminTokenCreated?: { name: string; reason: string };
  /** API and device tokens (hashed); `onRevoke` tells when one is revoked. */
  tokens: TokenStore;
  publicUrl: string;
  /** Deployed stacks' simulator settings, by stack name. */
  simulators: ReadonlyMap<string, SimulatorSpec>;
  /** Pending email subscriptions, with their confirmation link when mail goes to the dev mailbox. */
  pendingConfirmations(): Promise<PendingConfirmation[]>;
  deploy(request: StackDeployRequest): Promise<Awaited<ReturnType<StackService['deploy']>>>;
  /** Stops accepting, finishes in-flight work, closes stores. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * The composition root: reads config, builds drivers, wires ports, starts in
 * dependency order and stops in reverse.
 */
export async function startServer(options: ServerOptions, injected: { logger?: Logger } = {}): Promise<RunningServer> {
  const config = resolveServerConfig(options);
  const logger = injected.logger ?? createLogger({ level: config.logLevel });
  const paths = dataPaths(config.dataDir);

  // Bad stack files fail before anything starts or changes.
  const stackRequests: StackDeployRequest[] = [];
  for (const file of config.stacks) stackRequests.push(await prepareStackDeployment(file, config.params));

  await ensureDataDir(config.dataDir);
  const state = openSqliteStateStore(paths.state);
  const cleanups: Array<() => Promise<void>> = [() => state.close()];
  const closeAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) => logger.error({ err: errorMessage(error) }, 'error during shutdown'));
    }
  };

  try {
    const tokens = new TokenStore(state, { logger });
    const { token: adminToken, created: adminTokenCreated } = await ensureAdminToken(paths.adminToken, tokens);
    const metrics = new Metrics();
    // The last --trace-messages messages' traces, in memory only (GET /api/v1/traces); 0: off.
    const traces = config.traceMessages > 0 ? createTraceRing(config.traceMessages) : undefined;
    // Each bucket on its driver: `fs` under <data>/buckets, or S3 (--s3-*, or the stack's bucket settings).
    const objects = new BucketRouter({ fs: createFsObjectStore(paths.buckets), ...(config.s3 ? { s3: config.s3 } : {}) });
    cleanups.push(async () => objects.close());
    const registry = await Registry.open(state, { caDir: paths.ca, logger });

    // Bind HTTP first: its port decides the public URL that emails link to.
    const httpServer = createServer();
    await listen(httpServer, config.host, config.httpPort);
    cleanups.push(() => closeHttp(httpServer));
    const httpUrl = `http://${urlHost(config.host)}:${(httpServer.address() as AddressInfo).port}`;
    const publicUrl = config.publicUrl ?? httpUrl;

    const mailbox: ReadableMailTransport | undefined = config.smtp ? undefined : createMailboxTransport(paths.mailbox);
    const transport = config.smtp ? createSmtpTransport(config.smtp, logger) : (mailbox as ReadableMailTransport);
    cleanups.push(() => transport.close());
    // Signs the SNS envelopes (http/https, email-json, function); its certificate is served at <publicUrl>/notify/signing-cert.pem.
    const signer = await NotificationSigner.open({ directory: join(config.dataDir, 'notify', 'signing'), publicUrl });
    let broker: Broker | undefined;
    const notify = new NotificationService({
      state, transport, publicUrl, from: config.mailFrom, logger, signer,
      // The function protocol: a synchronous invocation per attempt, so a function error fails the
      // delivery and the outbox retries it (SNS invokes Lambda asynchronously, which retries too).
      functions: {
        invoke: async (name, event) => {
          const result = await functions.invoke(name, event, { invocationType: 'RequestResponse', trigger: 'notification' });
          if (!result.ok) throw new DeliveryError(`function ${name} failed: ${result.error.type}: ${result.error.message}`, { retryable: true });
        },
      },
      // The mqtt protocol: a QoS 1 publish on the broker (which runs the topic rules, as a republish action does).
      mqtt: {
        publish: async (topic, payload, qos) => {
          if (!broker) throw new Error('the broker is not running');
          await broker.publish(topic, payload, qos);
        },
      },
    });
    // Unsubscribe confirmations still in flight (best effort) finish before the mail transport closes.
    cleanups.push(() => notify.idle());

    const functions = new FunctionRuntime({
      dataDir: config.dataDir,
      logger,
      // sluice_function_*; logs stay in the runtime's default in-memory store (10,000 lines or 5 MiB per function).
      metrics,
      services: {
        publishNotification: async (request, origin) => {
          // Resolves once the deliveries are in the durable outbox (the action queue), which sends and
          // retries them: a mail server that is down no longer fails the invocation. A retried
          // invocation (same job id) makes the same call: same message id, so the same delivery ids
          // (no second job while one waits) and the delivery records (no second mail after one was sent).
          const result = await notify.publish({
            topic: topicNameFromArnOrName(request.topicArn),
            message: request.message,
            ...(request.subject !== undefined ? { subject: request.subject } : {}),
            ...(request.messageAttributes !== undefined ? { messageAttributes: request.messageAttributes } : {}),
            ...(request.messageStructure !== undefined ? { messageStructure: request.messageStructure } : {}),
            ...(origin ? { messageId: stableMessageId(origin.requestId, origin.sequence) } : {}),
          });
          // The invocation's request id is its job's id, which ties the notification to the message being traced.
          if (origin && traces) {
            traces.notificationPublished(origin.requestId, {
              messageId: result.messageId,
              topic: topicNameFromArnOrName(request.topicArn),
              ...(request.subject !== undefined ? { subject: request.subject } : {}),
              ...(result.suppressed === true ? { suppressed: true } : {}),
            });
          }
          return { messageId: result.messageId };
        },
        publishMqtt: async (request) => {
          if (!broker) throw new Error('the broker is not running');
          await broker.publish(request.topic, request.payload, request.qos);
        },
        // bucket destinations of asynchronous invocations, and sluice/runtime's s3.putObject / s3.getObject:
        // the same store the `s3` rule action writes to, content type and metadata included.
        putObject: (bucket, key, body, contentType, metadata) =>
          objects.putObject(bucket, key, body, { contentType, ...(metadata ? { metadata } : {}) }),
        getObject: (bucket, key) => objects.getObject(bucket, key),
      },
    });
    cleanups.push(() => functions.close());

    const rules = new RuleSet();
    // The operator's enable/disable switches, applied before any stack deploys its rules.
    const ruleSwitches = new RuleSwitches(state, rules);
    await ruleSwitches.load();
    const ruleFailures = new RuleFailures();
    const queue = config.actionQueue === 'memory' ? createMemoryActionQueue() : openSqliteActionQueue(paths.queue);
    if (config.actionQueue === 'memory') logger.warn('--action-queue memory: queued actions are lost on a crash; use it only to measure');
    cleanups.push(() => queue.close());
    // Closes after the executor stops (cleanups run in reverse), so no timeseries job writes to a closed store.
    const readings = openSqliteReadingsStore(paths.readings);
    cleanups.push(() => readings.close());
    const archive = createArchive(objects, logger);
    const executor = new ActionExecutor({
      queue,
      maxBacklog: config.maxBacklog,
      onSettled: ruleFailures.settled,
      ...(traces ? { onAttempt: traceAttempts(traces) } : {}),
      logger,
      metrics,
      ports: {
        objects,
        functions: functionActionPort(functions),
        broker: {
          publish: async (topic, payload, qos) => {
            if (!broker) throw new Error('the broker is not running');
            await broker.publish(topic, payload, qos);
          },
        },
        notifications: notificationDeliverer(notify, metrics),
        archive: archive.port,
        readings,
      },
    });
    // Stops before functions and stores close (cleanups run in reverse); what has not run stays queued on disk.
    // Archive jobs run until their batch is written, so the stop writes the buffered batches rather than wait out their delay.
    cleanups.push(async () => {
      const stopping = executor.stop();
      await archive.close();
      await stopping;
    });
    // The action queue is the notification outbox: one job per (message, subscription), under `$notify/<topic>`.
    notify.setOutbox(notificationOutbox(executor, queue));
    const deadLetters = new DeadLetters(queue, executor, systemClock);

    const simulators = new Map<string, SimulatorSpec>();
    const stacks = new StackService({
      state,
      logger,
      target: createStackTarget({ objects, bucketConfig: objects, notify, functions, rules, registry, simulators, readings }),
    });
    await stacks.restore();

    const deviceAuth = new DeviceAuth({
      identity: registry,
      tokens,
      scope: { region: config.iotRegion, account: config.iotAccount },
      insecure: config.insecure,
      logger,
    });
    // Things' connection state for the API, from the broker's lifecycle events (in memory, since start).
    const connections = new ConnectionTracker(registry);
    cleanups.push(async () => connections.close());
    broker = await Broker.create({
      logger,
      limits: {
        ...(config.maxPayloadBytes !== undefined ? { maxPayloadBytes: config.maxPayloadBytes } : {}),
        ...(config.maxTopicBytes !== undefined ? { maxTopicBytes: config.maxTopicBytes } : {}),
        ...(config.maxTopicLevels !== undefined ? { maxTopicLevels: config.maxTopicLevels } : {}),
        ...(config.maxClientIdBytes !== undefined ? { maxClientIdBytes: config.maxClientIdBytes } : {}),
      },
      hooks: {
        onMessage: createMessagePipeline({ rules, executor, metrics, logger, invoke: functionInvokerForRules(functions), ...(traces ? { traces } : {}) }),
        authenticate: (request) => deviceAuth.authenticate(request),
        onLimitViolation: (kind) => metrics.limitViolations.inc({ kind }),
        onLifecycle: (event) => connections.record(event),
      },
    });
    const brokerRef = broker;
    metrics.observeConnectedClients(() => brokerRef.connectedClients);
    metrics.observeQueue(async () => queue.stats(Date.now()));
    cleanups.push(() => brokerRef.close());
    // The overview's one-second history (GET /api/v1/overview): from now until close; its timer is unref'd.
    const overview = new OverviewSampler({
      totals: () => readTotals(metrics, () => queue.stats(Date.now())),
      connectedClients: () => brokerRef.connectedClients,
      logger,
    });
    await overview.start();
    cleanups.push(() => overview.stop());
    brokerRef.attachWebSocket(httpServer, '/mqtt');
    // Registry and token changes re-decide live connections at once (a revoked certificate is dropped).
    const watcher = deviceAuth.watch(brokerRef);
    const stopWatching = [registry.onChange(watcher.changed), tokens.onRevoke(watcher.changed)];
    cleanups.push(async () => {
      for (const stop of stopWatching) stop();
      watcher.close();
    });
    const tls = await serverTlsCredentials(config, registry);
    // A CA registered or changed later is trusted by new handshakes without a restart.
    stopWatching.push(
      registry.onChange((change) => {
        if (change.type === 'ca.updated' || change.type === 'ca.deleted') {
          void serverTlsCredentials(config, registry).then((credentials) => brokerRef.updateTlsCredentials(credentials));
        }
      }),
    );
    const mqttsAddress = await brokerRef.listenTls(config.host, config.mqttsPort, tls).catch((error: NodeJS.ErrnoException) => {
      throw listenError(error, config.host, config.mqttsPort, '--mqtts-port');
    });
    const wssAddress = await brokerRef.listenWss(config.host, config.wssPort, '/mqtt', tls).catch((error: NodeJS.ErrnoException) => {
      throw listenError(error, config.host, config.wssPort, '--wss-port');
    });
    const endpoints: Endpoints = {
      mqtts: `mqtts://${urlHost(config.host)}:${mqttsAddress.port}`,
      ws: `${httpUrl.replace(/^http/, 'ws')}/mqtt`,
      wss: `wss://${urlHost(config.host)}:${wssAddress.port}/mqtt`,
      http: httpUrl,
    };
    if (config.insecure) {
      const address = await brokerRef.listenTcp(config.host, config.mqttPort).catch((error: NodeJS.ErrnoException) => {
        throw listenError(error, config.host, config.mqttPort, '--mqtt-port');
      });
      endpoints.mqtt = `mqtt://${urlHost(config.host)}:${address.port}`;
    }

    await createApi(
      httpServer,
      {
        tokens,
        insecure: config.insecure,
        metrics,
        stacks,
        notify,
        notifySigner: signer,
        mailbox,
        objects,
        bucketDriver: (bucket) => objects.driverOf(bucket),
        readings,
        functions,
        invokeEvent: eventInvoker(executor, functions),
        registry,
        rules,
        setRuleEnabled: (name, enabled) => ruleSwitches.set(name, enabled),
        ruleMetrics: () => ruleMetrics(metrics, ruleFailures),
        overview: () => overview.overview(),
        thingConnections: (names) => connections.of(names),
        deadLetters,
        ...(traces ? { traces } : {}),
        actionStatus: () => actionStatus(queue, executor, metrics, systemClock),
        status: async () => ({
          connectedClients: brokerRef.connectedClients,
          actionsPending: (await queue.stats(Date.now())).depth,
          endpoints: { ...endpoints },
        }),
      },
      logger,
    );

    for (const request of stackRequests) await stacks.deploy(request);
    // Jobs left queued by the last run (a crash, a stop) resume once rules and functions are back.
    await executor.start();
    // Series retention (their lifecycle rules): once now, then hourly.
    const retention = new RetentionSweeper({ store: readings, logger });
    retention.start();
    cleanups.push(() => retention.stop());
    // Alert hygiene: open dedupe windows are scheduled again and digests of those that ended meanwhile queued (the outbox is ready).
    await notify.resumeAlertHygiene();
    cleanups.push(async () => notify.closeAlertHygiene());
    // Delivery and message records of notifications are kept 7 days, then pruned (hourly, and once now).
    let pruning: Promise<unknown> = Promise.resolve();
    const prune = (): void => {
      pruning = notify.pruneRecords().catch((error: unknown) => logger.error({ err: errorMessage(error) }, 'pruning notification records failed'));
    };
    const pruner = setInterval(prune, NOTIFY_PRUNE_INTERVAL_MS);
    pruner.unref();
    cleanups.push(async () => {
      clearInterval(pruner);
      await pruning;
    });
    prune();
    // Buckets' lifecycle rules (S3's expiration): swept now and hourly; the store closes after the sweep in progress.
    const sweeper = new LifecycleSweeper({ store: objects, rules: () => objects.lifecycleRules(), clock: systemClock, logger });
    sweeper.start();
    cleanups.push(() => sweeper.close());
    await writeAtomically(paths.endpoints, `${JSON.stringify(endpoints, null, 2)}\n`);

    let closing: Promise<void> | undefined;
    return {
      config,
      endpoints,
      adminToken,
      ...(adminTokenCreated ? { adminTokenCreated } : {}),
      tokens,
      publicUrl,
      simulators,
      pendingConfirmations: () => pendingConfirmations(notify, mailbox),
      deploy: (request) => stacks.deploy(request),
      close: () => (closing ??= closeAll()),
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/**
 * The TLS listeners' certificate: the operator's files, or one the built-in
 * CA issues at every start for localhost and the configured host names. The
 * CAs clients may present certificates from: the built-in one and every
 * ACTIVE registered CA.
 */
async function serverTlsCredentials(config: ServerConfig, registry: Registry): Promise<TlsCredentials> {
  const authority = registry.certificateAuthority;
  if (!authority) throw new Error('the registry was opened without its CA');
  const registered = (await registry.listCaCertificates()).filter((ca) => ca.status === 'ACTIVE').map((ca) => ca.certificatePem);
  const ca = [authority.certificatePem, ...registered];
  if (config.tlsCert !== undefined && config.tlsKey !== undefined) {
    return { cert: await readFile(config.tlsCert, 'utf8'), key: await readFile(config.tlsKey, 'utf8'), ca };
  }
  const hosts = [...new Set([...DEFAULT_SERVER_HOSTS, config.host, ...config.tlsHosts])].filter((h) => h !== '0.0.0.0' && h !== '::');
  const issued = await authority.issueServerCertificate({ hosts });
  return { cert: issued.certificatePem, key: issued.privateKeyPem, ca };
}

/** How often old notification delivery records are pruned. */
const NOTIFY_PRUNE_INTERVAL_MS = 3_600_000;

/** A UUID-shaped id derived from the invocation and the call's place in it. */
function stableMessageId(requestId: string, sequence: number): string {
  const hex = sha256Hex(`${requestId}#${sequence}`);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function listen(server: HttpServer, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(listenError(error, host, port, '--http-port')));
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** A port in use is the commonest start-up failure: say which flag moves it. */
export function listenError(error: NodeJS.ErrnoException, host: string, port: number, flag: string): Error {
  if (error.code === 'EADDRINUSE') {
    return new SluiceError('SLUICE_ERR_CONFIG_INVALID', `${host}:${port} is already in use; pass ${flag} with another port, or 0 for a free one`, {
      place: { field: flag },
      cause: error,
    });
  }
  if (error.code === 'EACCES') {
    return new SluiceError('SLUICE_ERR_CONFIG_INVALID', `not allowed to listen on ${host}:${port}; choose a port above 1023 with ${flag}`, {
      place: { field: flag },
      cause: error,
    });
  }
  return error;
}

function closeHttp(server: HttpServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
