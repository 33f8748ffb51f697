import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { Aedes, type Client, type PublishPacket } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { Logger } from '../core/index.js';

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
}

export interface BrokerHooks {
  /**
   * Runs before the broker acknowledges a QoS 1 message, so the rules
   * pipeline can enqueue the message's actions first. A rejection is logged.
   */
  onMessage(message: InboundMessage): Promise<void>;
  /** Connection policy. Devices are anonymous-with-`--insecure` until device security exists. */
  authenticate(credentials: { clientId: string; username: string | undefined; password: Buffer | undefined }): boolean;
}

export interface BrokerOptions {
  logger: Logger;
  hooks: BrokerHooks;
}

const SYS_PREFIX = '$SYS/';

export class Broker {
  readonly #aedes: Aedes;
  readonly #logger: Logger;
  readonly #tcpServers: TcpServer[] = [];
  readonly #wsServers: WebSocketServer[] = [];

  private constructor(aedes: Aedes, logger: Logger) {
    this.#aedes = aedes;
    this.#logger = logger;
  }

  static async create(options: BrokerOptions): Promise<Broker> {
    const { logger, hooks } = options;
    const deliver = (packet: PublishPacket, clientId: string): Promise<void> =>
      hooks
        .onMessage({
          topic: packet.topic,
          payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
          qos: packet.qos,
          retain: packet.retain,
          clientId,
          receivedAt: Date.now(),
        })
        .catch((error: unknown) => logger.error({ err: error, topic: packet.topic }, 'rules pipeline failed for a message'));
    const aedes = await Aedes.createBroker({
      authenticate(client, username, password, done) {
        const ok = hooks.authenticate({ clientId: client.id, username, password });
        if (ok) return done(null, true);
        logger.warn({ clientId: client.id }, 'MQTT connection refused: not authorized');
        // [MQTT-3.2.2-3] return code 5: not authorized
        const error = Object.assign(new Error('not authorized'), { returnCode: 5 });
        return done(error as Parameters<typeof done>[0], false);
      },
      // aedes 1.2 writes a QoS 1 PUBACK before it calls `published`, but only
      // after `authorizePublish` calls back: so a device's message goes through
      // the rules pipeline here, and the acknowledgement waits for it.
      authorizePublish(client, packet, done) {
        if (packet.topic.startsWith(SYS_PREFIX)) return done(new Error(`${SYS_PREFIX} topics are reserved`));
        void deliver(packet, client?.id ?? '').then(() => done(null));
      },
      // The server's own publishes (republish actions, functions) have no
      // client and skip authorizePublish; they reach the rules here.
      published(packet, client, done) {
        if (client || packet.topic.startsWith(SYS_PREFIX)) return done(null);
        void deliver(packet, '').then(() => done(null));
      },
    });
    aedes.on('clientError', (client: Client, error: Error) => {
      logger.debug({ clientId: client.id, err: error.message }, 'MQTT client error');
    });
    aedes.on('client', (client: Client) => logger.debug({ clientId: client.id }, 'MQTT client connected'));
    aedes.on('clientDisconnect', (client: Client) => logger.debug({ clientId: client.id }, 'MQTT client disconnected'));
    return new Broker(aedes, logger);
  }

  get connectedClients(): number {
    return this.#aedes.connectedClients;
  }

  /** Plain MQTT over TCP. Port 0 picks a free port; the bound address is returned. */
  async listenTcp(host: string, port: number): Promise<AddressInfo> {
    const server = createServer((socket) => this.#aedes.handle(socket));
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
    const wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false) });
    this.#wsServers.push(wss);
    httpServer.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      if (url.pathname !== path) return;
      wss.handleUpgrade(request, socket, head, (ws) => {
        const stream = createWebSocketStream(ws);
        stream.on('error', (error) => this.#logger.debug({ err: error.message }, 'MQTT WebSocket stream error'));
        this.#aedes.handle(stream, request);
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
