import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { Aedes, type Client, type PublishPacket } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { Logger } from '../core/index.js';
import { guardFrames } from './frame-guard.js';
import {
  AEDES_MAX_TOPIC_LEVELS,
  checkClientId,
  checkPublish,
  checkTopic,
  maxRemainingLength,
  resolveLimits,
  truncateForLog,
  type BrokerLimits,
  type LimitKind,
  type LimitViolation,
} from './limits.js';

export { DEFAULT_BROKER_LIMITS, type BrokerLimits, type LimitKind } from './limits.js';

/** What the rules pipeline sees of a published message. */
export interface InboundMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
  /** Empty for messages the server publishes itself (republish actions). */
  clientId: string;
  /** When the broker received it, ms since the epoch. */
  receivedAt: number;
  /** The identity the client authenticated as (its MQTT username), for the rules' principal(). */
  principal?: string;
  /** The client's IP address, for the rules' sourceip(). */
  sourceIp?: string;
}

export interface BrokerHooks {
  /**
   * Runs before the broker acknowledges a QoS 1 message, so the rules
   * pipeline can enqueue the message's actions first. A rejection is logged.
   */
  onMessage(message: InboundMessage): Promise<void>;
  /** Connection policy. Devices are anonymous-with-`--insecure` until device security exists. */
  authenticate(credentials: { clientId: string; username: string | undefined; password: Buffer | undefined }): boolean;
  /**
   * A connection broke one of the broker's limits and is being refused or
   * closed (for a metric). `clientId` is empty if the client had not connected
   * yet, and cut to 64 characters when the client id is itself the violation.
   */
  onLimitViolation?: (kind: LimitKind, clientId: string) => void;
}

export interface BrokerOptions {
  logger: Logger;
  hooks: BrokerHooks;
  /** Input limits; each missing field takes its AWS IoT Core default (`DEFAULT_BROKER_LIMITS`). */
  limits?: Partial<BrokerLimits>;
}

/** Details for the warning; a violation is logged once, by whoever detects it. */
interface ViolationContext {
  clientId: string;
  topic?: string;
  packetType?: string;
}

/** The error aedes turns into CONNACK return code 2 [MQTT-3.2.2-3]. */
function identifierRejected(): Error & { returnCode: 2 } {
  return Object.assign(new Error('identifier rejected'), { returnCode: 2 as const });
}

const SYS_PREFIX = '$SYS/';
/** AWS IoT Basic Ingest: `$aws/rules/<rule>/<topic>` reaches that rule directly. */
const BASIC_INGEST_PREFIX = '$aws/rules/';

/** `$aws/rules/<rule>/rest` → `rest`, for the limits, which AWS applies to the topic without the prefix. */
function withoutBasicIngestPrefix(topic: string): string {
  if (!topic.startsWith(BASIC_INGEST_PREFIX)) return topic;
  const slash = topic.indexOf('/', BASIC_INGEST_PREFIX.length);
  return slash < 0 ? '' : topic.slice(slash + 1);
}

/** Usernames by connection, for principal(); weak so a closed connection leaves nothing behind. */
const principals = new WeakMap<Client, string>();

function clientIdentity(client: Client | null): { principal?: string; sourceIp?: string } {
  if (!client) return {};
  const principal = principals.get(client);
  // TCP clients have a socket as conn; WebSocket clients the HTTP upgrade request.
  const conn = client.conn as { remoteAddress?: string } | undefined;
  const address = conn?.remoteAddress ?? (client.req as { socket?: { remoteAddress?: string } } | undefined)?.socket?.remoteAddress;
  const sourceIp = address?.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return { ...(principal !== undefined ? { principal } : {}), ...(sourceIp !== undefined ? { sourceIp } : {}) };
}

export class Broker {
  readonly #aedes: Aedes;
  readonly #logger: Logger;
  readonly #limits: Readonly<BrokerLimits>;
  readonly #report: (violation: LimitViolation, context: ViolationContext) => void;
  readonly #tcpServers: TcpServer[] = [];
  readonly #wsServers: WebSocketServer[] = [];

  private constructor(
    aedes: Aedes,
    logger: Logger,
    limits: Readonly<BrokerLimits>,
    report: (violation: LimitViolation, context: ViolationContext) => void,
  ) {
    this.#aedes = aedes;
    this.#logger = logger;
    this.#limits = limits;
    this.#report = report;
  }

  static async create(options: BrokerOptions): Promise<Broker> {
    const { logger, hooks } = options;
    const limits = resolveLimits(options.limits);
    const report = (violation: LimitViolation, context: ViolationContext): void => {
      const { clientId, topic, packetType } = context;
      logger.warn(
        { clientId, topic: topic === undefined ? undefined : truncateForLog(topic), packetType, ...violation },
        `MQTT ${violation.kind === 'client_id' ? 'connection refused' : 'connection closed'}: ${violation.limit} exceeded`,
      );
      try {
        hooks.onLimitViolation?.(violation.kind, clientId);
      } catch (error) {
        logger.error({ err: error }, 'onLimitViolation hook threw');
      }
    };
    const deliver = (packet: PublishPacket, client: Client | null): Promise<void> =>
      hooks
        .onMessage({
          topic: packet.topic,
          payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
          qos: packet.qos,
          retain: packet.retain,
          clientId: client?.id ?? '',
          receivedAt: Date.now(),
          ...clientIdentity(client),
        })
        .catch((error: unknown) => logger.error({ err: error, topic: packet.topic }, 'rules pipeline failed for a message'));
    const aedes = await Aedes.createBroker({
      // aedes refuses MQTT 3.1 client ids over 23 characters (the 3.1 spec's
      // limit) before authenticate runs; lift it to the MQTT string maximum so
      // the byte limit below applies to every protocol version alike.
      maxClientsIdLength: 65_535,
      // aedes closes connections whose topics exceed this before our hooks run
      // (see the clientError listener); ours is at most this.
      maxTopicLevels: AEDES_MAX_TOPIC_LEVELS,
      authenticate(client, username, password, done) {
        const idViolation = checkClientId(client.id, limits);
        if (idViolation) {
          report(idViolation, { clientId: truncateForLog(client.id) });
          return done(identifierRejected(), false);
        }
        const ok = hooks.authenticate({ clientId: client.id, username, password });
        if (ok) {
          if (username) principals.set(client, username);
          return done(null, true);
        }
        logger.warn({ clientId: client.id }, 'MQTT connection refused: not authorized');
        // [MQTT-3.2.2-3] return code 5: not authorized
        const error = Object.assign(new Error('not authorized'), { returnCode: 5 });
        return done(error as Parameters<typeof done>[0], false);
      },
      // aedes 1.2 writes a QoS 1 PUBACK before it calls `published`, but only
      // after `authorizePublish` calls back: so a device's message goes through
      // the rules pipeline here, and the acknowledgement waits for it.
      // An error here makes aedes close an MQTT 3.1.1 connection: there is no
      // negative PUBACK before MQTT 5 (lib/handlers/publish.js, lib/client.js _onError).
      authorizePublish(client, packet, done) {
        // AWS: the Basic Ingest prefix does not count toward the topic limits.
        const violation = checkPublish(withoutBasicIngestPrefix(packet.topic), packet.payload, limits);
        if (violation) {
          report(violation, { clientId: client?.id ?? '', topic: packet.topic });
          return done(new Error(`${violation.limit} exceeded`));
        }
        if (packet.topic.startsWith(SYS_PREFIX)) return done(new Error(`${SYS_PREFIX} topics are reserved`));
        void deliver(packet, client).then(() => done(null));
      },
      // An error closes the connection, as for PUBLISH; aedes has already
      // checked the filter's syntax [MQTT-4.7.1] when this runs.
      authorizeSubscribe(client, subscription, done) {
        if (subscription.topic.startsWith(BASIC_INGEST_PREFIX)) {
          // AWS: Basic Ingest topics go to the rules engine only; nobody may subscribe to them. SUBACK 0x80, connection kept.
          logger.warn({ clientId: client.id, topic: truncateForLog(subscription.topic) }, 'MQTT subscription refused: Basic Ingest topics ($aws/rules/...) cannot be subscribed to');
          return done(null, null);
        }
        const violation = checkTopic(subscription.topic, limits);
        if (!violation) return done(null, subscription);
        report(violation, { clientId: client.id, topic: subscription.topic });
        return done(new Error(`${violation.limit} exceeded`));
      },
      // The server's own publishes (republish actions, functions) have no
      // client and skip authorizePublish; they reach the rules here.
      published(packet, client, done) {
        if (client || packet.topic.startsWith(SYS_PREFIX)) return done(null);
        void deliver(packet, null).then(() => done(null));
      },
    });
    aedes.on('clientError', (client: Client, error: Error) => {
      // aedes's own level check (lib/handlers/publish.js, lib/utils.js validateTopic)
      // runs before authorizePublish/authorizeSubscribe, for topics over 100 levels.
      if (error.message === 'topic has too many levels') {
        report({ kind: 'topic_levels', limit: 'maxTopicLevels', max: limits.maxTopicLevels, size: undefined }, { clientId: client.id });
      }
      logger.debug({ clientId: client.id, err: error.message }, 'MQTT client error');
    });
    aedes.on('client', (client: Client) => logger.debug({ clientId: client.id }, 'MQTT client connected'));
    aedes.on('clientDisconnect', (client: Client) => logger.debug({ clientId: client.id }, 'MQTT client disconnected'));
    return new Broker(aedes, logger, limits, report);
  }

  /** The limits in force, defaults filled in. */
  get limits(): Readonly<BrokerLimits> {
    return this.#limits;
  }

  /**
   * Hands a connection to aedes behind the frame guard (see frame-guard.ts).
   * `oversize` reports a too-large packet once per connection and closes it.
   */
  #handle(conn: Duplex, request?: IncomingMessage): { oversize: (size: number | undefined, packetType: string) => void } {
    const client = this.#aedes.handle(conn, request);
    let reported = false;
    const oversize = (size: number | undefined, packetType: string): void => {
      if (!reported) {
        reported = true;
        // client.id is null until CONNECT has been handled.
        const clientId = (client.id as string | null) ?? '';
        this.#report({ kind: 'payload', limit: 'maxPayloadBytes', max: this.#limits.maxPayloadBytes, size }, { clientId, packetType });
      }
      conn.destroy();
    };
    guardFrames(conn, maxRemainingLength(this.#limits), (packetType, declaredLength) => oversize(declaredLength, packetType));
    return { oversize };
  }

  get connectedClients(): number {
    return this.#aedes.connectedClients;
  }

  /** Plain MQTT over TCP. Port 0 picks a free port; the bound address is returned. */
  async listenTcp(host: string, port: number): Promise<AddressInfo> {
    const server = createServer((socket) => this.#handle(socket));
    this.#tcpServers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return server.address() as AddressInfo;
  }

  /** MQTT over WebSocket on an existing HTTP server, at `path` (subprotocol `mqtt`). */
  attachWebSocket(httpServer: HttpServer, path: string): void {
    const wss = new WebSocketServer({
      noServer: true,
      // ws buffers a whole message before the frame guard sees it: cap it at the
      // largest MQTT packet the limits allow (fixed header is at most 5 bytes), in bytes.
      maxPayload: maxRemainingLength(this.#limits) + 5,
      handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false),
    });
    this.#wsServers.push(wss);
    httpServer.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      if (url.pathname !== path) return;
      wss.handleUpgrade(request, socket, head, (ws) => {
        const stream = createWebSocketStream(ws);
        const { oversize } = this.#handle(stream, request);
        stream.on('error', (error: Error & { code?: string }) => {
          // One WebSocket message over maxPayload: ws closes with 1009 before the guard sees the bytes.
          if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') oversize(undefined, 'websocket message');
          else this.#logger.debug({ err: error.message }, 'MQTT WebSocket stream error');
        });
      });
    });
  }

  /** Publishes as the server (republish actions, function runtime). */
  publish(topic: string, payload: Buffer, qos: 0 | 1 = 0, retain = false): Promise<void> {
    const packet: PublishPacket = { cmd: 'publish', topic, payload, qos, retain, dup: false, messageId: 0 };
    return new Promise((resolve, reject) => {
      this.#aedes.publish(packet, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Stops accepting connections, then disconnects clients and closes aedes. */
  async close(): Promise<void> {
    // server.close() only calls back once every connection has ended, and
    // aedes.close() is what ends them: start the first, then do the second.
    const listenersClosed = Promise.all(
      this.#tcpServers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
    for (const wss of this.#wsServers) {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    }
    await new Promise<void>((resolve) => this.#aedes.close(() => resolve()));
    await listenersClosed;
  }
}

/** Constant-time comparison for tokens presented as MQTT passwords. */
export function tokenMatches(presented: Buffer | undefined, expected: string): boolean {
  if (!presented) return false;
  const wanted = Buffer.from(expected);
  return presented.length === wanted.length && timingSafeEqual(presented, wanted);
}
