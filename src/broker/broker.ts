import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { createServer as createTlsServer, TLSSocket, type Server as TlsServer } from 'node:tls';
import type { Duplex } from 'node:stream';
import { Aedes, type Client, type PublishPacket } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { Logger } from '../core/index.js';
import { guardFrames } from './frame-guard.js';
import { lifecyclePayload, lifecycleTopic, versionCounter, type DisconnectReason, type LifecycleEvent } from './lifecycle.js';
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
export type { DisconnectReason, LifecycleEvent } from './lifecycle.js';

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
  /**
   * Connection policy: who may connect, and what the connection may then do.
   * Runs at every CONNECT; the permissions it grants are checked on every
   * PUBLISH, SUBSCRIBE and delivery of that connection.
   */
  authenticate(request: ConnectRequest): ConnectDecision | Promise<ConnectDecision>;
  /** Connect/disconnect/subscribe events, AWS's lifecycle events; the broker also publishes them on `$aws/events/...`. */
  onLifecycle?: (event: LifecycleEvent) => void;
  /**
   * A connection broke one of the broker's limits and is being refused or
   * closed (for a metric). `clientId` is empty if the client had not connected
   * yet, and cut to 64 characters when the client id is itself the violation.
   */
  onLimitViolation?: (kind: LimitKind, clientId: string) => void;
}

export type Transport = 'tcp' | 'tls' | 'ws' | 'wss';

/** Everything known about a client when it sends CONNECT. */
export interface ConnectRequest {
  clientId: string;
  username: string | undefined;
  password: Buffer | undefined;
  /** The client's TLS certificate (DER) and the chain it presented, on TLS listeners. */
  certificate: { der: Buffer; chain: Buffer[] } | undefined;
  sourceIp: string | undefined;
  transport: Transport;
}

/** What a connection may do; checked per packet, so implementations cache. */
export interface ClientPermissions {
  /** The identity behind the connection (certificate id, token principal, `admin`), for principal() and lifecycle events. */
  readonly principal: string | undefined;
  canPublish(topic: string, retain: boolean): boolean;
  canSubscribe(filter: string): boolean;
  canReceive(topic: string): boolean;
}

export type ConnectDecision = { ok: true; permissions: ClientPermissions } | { ok: false; reason: string };

/** Everything may be done: the `--insecure` demo and the operator's admin token. */
export const ALLOW_ALL: ClientPermissions = Object.freeze({
  principal: undefined,
  canPublish: () => true,
  canSubscribe: () => true,
  canReceive: () => true,
});

/** A live connection, as `recheck` sees it. */
export interface ConnectionInfo {
  readonly clientId: string;
  readonly principal: string | undefined;
  readonly transport: Transport;
  /** What it presented at CONNECT, so the same decision can be taken again. */
  readonly request: ConnectRequest;
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
/** AWS lifecycle events: only the server publishes here. */
const EVENTS_PREFIX = '$aws/events/';
/** AWS IoT Basic Ingest: `$aws/rules/<rule>/<topic>` reaches that rule directly. */
const BASIC_INGEST_PREFIX = '$aws/rules/';

/** `$aws/rules/<rule>/rest` → `rest`, for the limits, which AWS applies to the topic without the prefix. */
function withoutBasicIngestPrefix(topic: string): string {
  if (!topic.startsWith(BASIC_INGEST_PREFIX)) return topic;
  const slash = topic.indexOf('/', BASIC_INGEST_PREFIX.length);
  return slash < 0 ? '' : topic.slice(slash + 1);
}

interface Session {
  permissions: ClientPermissions;
  request: ConnectRequest;
  transport: Transport;
  sourceIp: string | undefined;
  /** Why the server closed it, for the disconnected lifecycle event. */
  closeReason?: DisconnectReason;
  sessionIdentifier: string;
}

/** Sessions by aedes client; weak so a closed connection leaves nothing behind. */
type Sessions = WeakMap<Client, Session>;

function clientIdentity(client: Client | null, sessions: Sessions): { principal?: string; sourceIp?: string } {
  if (!client) return {};
  const session = sessions.get(client);
  const principal = session?.permissions.principal;
  const sourceIp = session?.sourceIp;
  return { ...(principal !== undefined ? { principal } : {}), ...(sourceIp !== undefined ? { sourceIp } : {}) };
}

/** The remote address of a TCP/TLS socket or of a WebSocket's upgrade request, without the IPv4-mapped prefix. */
function remoteAddress(client: Client): string | undefined {
  const conn = client.conn as { remoteAddress?: string } | undefined;
  const address = conn?.remoteAddress ?? (client.req as { socket?: { remoteAddress?: string } } | undefined)?.socket?.remoteAddress;
  return address?.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

/** The client certificate of a TLS connection (direct TLS socket, or the socket under a WebSocket's upgrade request). */
function peerCertificate(client: Client): { der: Buffer; chain: Buffer[] } | undefined {
  const socket = (client.conn instanceof TLSSocket ? client.conn : (client.req as { socket?: unknown } | undefined)?.socket) as unknown;
  if (!(socket instanceof TLSSocket)) return undefined;
  const peer = socket.getPeerCertificate(true);
  if (!peer || !('raw' in peer) || !Buffer.isBuffer(peer.raw)) return undefined;
  const chain: Buffer[] = [];
  const seen = new Set<Buffer>([peer.raw]);
  // issuerCertificate links up the presented chain; a self-signed certificate points at itself.
  for (let issuer = peer.issuerCertificate; issuer && Buffer.isBuffer(issuer.raw) && !seen.has(issuer.raw); issuer = issuer.issuerCertificate) {
    seen.add(issuer.raw);
    chain.push(issuer.raw);
    if (issuer.issuerCertificate === issuer) break;
  }
  return { der: peer.raw, chain };
}

export class Broker {
  readonly #aedes: Aedes;
  readonly #logger: Logger;
  readonly #limits: Readonly<BrokerLimits>;
  readonly #report: (violation: LimitViolation, context: ViolationContext) => void;
  readonly #tcpServers: Array<TcpServer | TlsServer | HttpsServer> = [];
  readonly #sessions: Sessions;
  readonly #transports: WeakMap<object, Transport>;
  readonly #wsServers: WebSocketServer[] = [];

  private constructor(parts: {
    aedes: Aedes;
    logger: Logger;
    limits: Readonly<BrokerLimits>;
    report: (violation: LimitViolation, context: ViolationContext) => void;
    sessions: Sessions;
    transports: WeakMap<object, Transport>;
  }) {
    this.#aedes = parts.aedes;
    this.#logger = parts.logger;
    this.#limits = parts.limits;
    this.#report = parts.report;
    this.#sessions = parts.sessions;
    this.#transports = parts.transports;
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
    const sessions: Sessions = new WeakMap();
    // Which listener a connection came in on, keyed by its stream, set before aedes sees it.
    const transports = new WeakMap<object, Transport>();
    const deliver = (packet: PublishPacket, client: Client | null): Promise<void> =>
      hooks
        .onMessage({
          topic: packet.topic,
          payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
          qos: packet.qos,
          retain: packet.retain,
          clientId: client?.id ?? '',
          receivedAt: Date.now(),
          ...clientIdentity(client, sessions),
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
        const transport = transports.get(client.conn) ?? 'tcp';
        const request: ConnectRequest = {
          clientId: client.id,
          username,
          password,
          certificate: transport === 'tls' || transport === 'wss' ? peerCertificate(client) : undefined,
          sourceIp: remoteAddress(client),
          transport,
        };
        void Promise.resolve()
          .then(() => hooks.authenticate(request))
          .then(
            (decision) => {
              if (decision.ok) {
                sessions.set(client, { permissions: decision.permissions, request, transport, sourceIp: request.sourceIp, sessionIdentifier: randomUUID() });
                // aedes closes the older connection with this client id next (AWS: the new one takes over).
                const previous = clientsOf(aedes)[client.id];
                const previousSession = previous && previous !== client ? sessions.get(previous) : undefined;
                if (previousSession) previousSession.closeReason = 'DUPLICATE_CLIENTID';
                return done(null, true);
              }
              logger.warn({ clientId: truncateForLog(client.id), transport, sourceIp: request.sourceIp, reason: decision.reason }, 'MQTT connection refused: not authorized');
              // [MQTT-3.2.2-3] return code 5: not authorized
              const error = Object.assign(new Error('not authorized'), { returnCode: 5 });
              return done(error as Parameters<typeof done>[0], false);
            },
            (error: unknown) => {
              logger.error({ err: error, clientId: truncateForLog(client.id) }, 'MQTT authentication failed');
              const failure = Object.assign(new Error('server unavailable'), { returnCode: 3 });
              return done(failure as Parameters<typeof done>[0], false);
            },
          );
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
        if (packet.topic.startsWith(SYS_PREFIX) || packet.topic.startsWith(EVENTS_PREFIX)) return done(new Error(`${packet.topic.split('/')[0]} topics are reserved`));
        const session = client ? sessions.get(client) : undefined;
        if (client && !session?.permissions.canPublish(packet.topic, packet.retain)) {
          // AWS closes the connection of a client that publishes where its policy does not allow.
          logger.warn({ clientId: client.id, topic: truncateForLog(packet.topic), retain: packet.retain }, 'MQTT publish refused by policy; closing the connection');
          if (session) session.closeReason = 'AUTHORIZATION_FAILURE';
          return done(new Error('not authorized to publish'));
        }
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
        const session = sessions.get(client);
        if (!session?.permissions.canSubscribe(subscription.topic)) {
          // SUBACK 0x80 for this filter only; the connection and its other filters stay (AWS).
          logger.warn({ clientId: client.id, topic: truncateForLog(subscription.topic) }, 'MQTT subscription refused by policy');
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
      // iot:Receive: checked on every delivery, so a policy can let a client
      // subscribe widely but receive only some topics (AWS).
      authorizeForward(client, packet) {
        if (packet.topic.startsWith(SYS_PREFIX)) return null;
        const session = sessions.get(client);
        return session?.permissions.canReceive(packet.topic) ? packet : null;
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
    Broker.#publishLifecycle(aedes, sessions, hooks, logger);
    return new Broker({ aedes, logger, limits, report, sessions, transports });
  }

  /** AWS lifecycle events for every connection that passed authentication. */
  static #publishLifecycle(aedes: Aedes, sessions: Sessions, hooks: BrokerHooks, logger: Logger): void {
    const nextVersion = versionCounter();
    const emit = (event: LifecycleEvent): void => {
      try {
        hooks.onLifecycle?.(event);
      } catch (error) {
        logger.error({ err: error }, 'onLifecycle hook threw');
      }
      const packet: PublishPacket = { cmd: 'publish', topic: lifecycleTopic(event), payload: lifecyclePayload(event), qos: 1, retain: false, dup: false, messageId: 0 };
      aedes.publish(packet, (error) => {
        if (error) logger.warn({ err: error.message, topic: packet.topic }, 'could not publish a lifecycle event');
      });
    };
    const common = (client: Client, session: Session) => ({
      clientId: client.id,
      timestamp: Date.now(),
      sessionIdentifier: session.sessionIdentifier,
      principalIdentifier: session.permissions.principal,
    });
    aedes.on('clientReady', (client: Client) => {
      const session = sessions.get(client);
      if (session) emit({ ...common(client, session), eventType: 'connected', ipAddress: session.sourceIp, versionNumber: nextVersion() });
    });
    aedes.on('clientDisconnect', (client: Client) => {
      const session = sessions.get(client);
      if (!session) return;
      // aedes sets _disconnected only when the client sent a DISCONNECT packet.
      const clientInitiated = (client as unknown as { _disconnected?: boolean })._disconnected === true;
      const reason: DisconnectReason = clientInitiated ? 'CLIENT_INITIATED_DISCONNECT' : (session.closeReason ?? 'CONNECTION_LOST');
      emit({ ...common(client, session), eventType: 'disconnected', clientInitiatedDisconnect: clientInitiated, disconnectReason: reason, versionNumber: nextVersion() });
    });
    aedes.on('subscribe', (subscriptions: Array<{ topic: string }>, client: Client) => {
      const session = sessions.get(client);
      if (session && subscriptions.length > 0) emit({ ...common(client, session), eventType: 'subscribed', topics: subscriptions.map((s) => s.topic) });
    });
    aedes.on('unsubscribe', (topics: string[], client: Client) => {
      const session = sessions.get(client);
      if (session && topics.length > 0) emit({ ...common(client, session), eventType: 'unsubscribed', topics });
    });
  }

  /** The limits in force, defaults filled in. */
  get limits(): Readonly<BrokerLimits> {
    return this.#limits;
  }

  /**
   * Hands a connection to aedes behind the frame guard (see frame-guard.ts).
   * `oversize` reports a too-large packet once per connection and closes it.
   */
  #handle(conn: Duplex, transport: Transport, request?: IncomingMessage): { oversize: (size: number | undefined, packetType: string) => void } {
    this.#transports.set(conn, transport);
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
    const server = createServer((socket) => this.#handle(socket, 'tcp'));
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
        const { oversize } = this.#handle(stream, request.socket instanceof TLSSocket ? 'wss' : 'ws', request);
        stream.on('error', (error: Error & { code?: string }) => {
          // One WebSocket message over maxPayload: ws closes with 1009 before the guard sees the bytes.
          if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') oversize(undefined, 'websocket message');
          else this.#logger.debug({ err: error.message }, 'MQTT WebSocket stream error');
        });
      });
    });
  }

  /**
   * MQTT over TLS 1.2+ (AWS: port 8883). Client certificates are requested
   * but checked by `hooks.authenticate`, not by TLS, so a certificate
   * registered without its CA can connect and every refusal has a logged
   * reason; `ca` lists the CAs whose certificates clients may present.
   */
  async listenTls(host: string, port: number, credentials: TlsCredentials): Promise<AddressInfo> {
    const server = createTlsServer(tlsOptions(credentials), (socket) => this.#handle(socket, 'tls'));
    server.on('tlsClientError', (error) => this.#logger.debug({ err: error.message }, 'TLS handshake failed'));
    return this.#listen(server, host, port);
  }

  /** MQTT over secure WebSocket at `path` on its own HTTPS listener, with the same TLS credentials. */
  async listenWss(host: string, port: number, path: string, credentials: TlsCredentials): Promise<AddressInfo> {
    const server = createHttpsServer(tlsOptions(credentials), (_request, response) => {
      response.writeHead(426, { 'content-type': 'text/plain' }).end(`MQTT over WebSocket: connect to ${path} with the mqtt subprotocol\n`);
    });
    this.attachWebSocket(server as unknown as HttpServer, path);
    return this.#listen(server, host, port);
  }

  async #listen(server: TcpServer | TlsServer | HttpsServer, host: string, port: number): Promise<AddressInfo> {
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

  /** Replaces the CAs and server certificate of the TLS listeners, for new connections (a registered CA, a renewed certificate). */
  updateTlsCredentials(credentials: TlsCredentials): void {
    for (const server of this.#tcpServers) {
      if ('setSecureContext' in server && typeof server.setSecureContext === 'function') server.setSecureContext(tlsOptions(credentials));
    }
  }

  /**
   * Re-decides every live connection (a certificate revoked, a policy
   * edited): `decide` returns the connection's new permissions, or undefined
   * to close it. Used so that registry changes apply at once.
   */
  async recheck(decide: (connection: ConnectionInfo) => Promise<ClientPermissions | undefined>): Promise<number> {
    let closed = 0;
    const clients = this.#liveClients();
    await Promise.all(
      clients.map(async (client) => {
        const session = this.#sessions.get(client);
        if (!session) return;
        const permissions = await decide({ clientId: client.id, principal: session.permissions.principal, transport: session.transport, request: session.request });
        if (permissions) {
          session.permissions = permissions;
          return;
        }
        session.closeReason = 'AUTHORIZATION_FAILURE';
        closed++;
        this.#logger.warn({ clientId: client.id, principal: session.permissions.principal }, 'MQTT connection closed: no longer authorized');
        client.close();
      }),
    );
    return closed;
  }

  #liveClients(): Client[] {
    return Object.values(clientsOf(this.#aedes)).filter((client): client is Client => client !== undefined);
  }

  /** The live connections that passed authentication. */
  connections(): ConnectionInfo[] {
    return this.#liveClients().flatMap((client) => {
      const session = this.#sessions.get(client);
      return session ? [{ clientId: client.id, principal: session.permissions.principal, transport: session.transport, request: session.request }] : [];
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

/** A TLS listener's server certificate and key (PEM), and the CAs client certificates may come from. */
export interface TlsCredentials {
  cert: string;
  key: string;
  ca: string[];
}

/** aedes keeps its connected clients by id in `clients`, which its type declarations leave out. */
function clientsOf(aedes: Aedes): Record<string, Client | undefined> {
  return (aedes as unknown as { clients: Record<string, Client | undefined> }).clients;
}

function tlsOptions(credentials: TlsCredentials) {
  return {
    cert: credentials.cert,
    key: credentials.key,
    ca: credentials.ca,
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: 'TLSv1.2' as const,
  };
}

/** Constant-time comparison for tokens presented as MQTT passwords. */
export function tokenMatches(presented: Buffer | undefined, expected: string): boolean {
  if (!presented) return false;
  const wanted = Buffer.from(expected);
  return presented.length === wanted.length && timingSafeEqual(presented, wanted);
}
