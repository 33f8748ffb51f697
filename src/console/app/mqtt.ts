import mqtt from 'mqtt';
import type { IClientPublishOptions, MqttClient } from 'mqtt';
import { useEffect, useState } from 'preact/hooks';
import { currentToken, onTokenChange } from './token';

/**
 * One MQTT-over-WebSocket connection per signed-in session, shared by every
 * page. The broker authenticates the operator with the API token as the
 * password (username "console"); a read-only token may subscribe, not publish.
 * Subscriptions are reference-counted: the broker sees one SUBSCRIBE per
 * filter however many components listen, and the UNSUBSCRIBE when the last
 * one leaves.
 */
export type MqttState = 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'closed';
export type QoS = 0 | 1 | 2;

export interface MqttMessage {
  topic: string;
  payload: Uint8Array;
  /** The payload decoded as UTF-8 (invalid bytes become U+FFFD). */
  text: string;
  qos: QoS;
  retain: boolean;
  /** Date.now() when the browser received it. */
  receivedAt: number;
}

export type MessageHandler = (message: MqttMessage) => void;

interface FilterEntry {
  handlers: Set<MessageHandler>;
  /** Resolves once the broker granted the subscription; rejects with its refusal. */
  ready: Promise<void>;
}

const decoder = new TextDecoder('utf-8');

export class MqttConnection {
  readonly #client: MqttClient;
  readonly #filters = new Map<string, FilterEntry>();
  readonly #stateListeners = new Set<() => void>();
  #state: MqttState = 'connecting';
  #lastError: string | undefined;

  constructor(token: string) {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    this.#client = mqtt.connect(`${scheme}://${location.host}/mqtt`, {
      username: 'console',
      password: token,
      clientId: `sluice-console-${Math.random().toString(16).slice(2, 10)}`,
      protocolVersion: 4,
      reconnectPeriod: 2000,
      connectTimeout: 10_000,
      clean: true,
    });
    this.#client.on('connect', () => this.#setState('connected', undefined));
    this.#client.on('reconnect', () => this.#setState('reconnecting', this.#lastError));
    this.#client.on('offline', () => this.#setState('offline', this.#lastError));
    this.#client.on('close', () => {
      if (this.#state === 'connected') this.#setState('reconnecting', this.#lastError);
    });
    this.#client.on('error', (error) => this.#setState(this.#state, error.message));
    this.#client.on('message', (topic, payload, packet) => this.#dispatch(topic, payload, packet.qos, packet.retain));
  }

  get state(): MqttState {
    return this.#state;
  }

  /** The last error the client reported (a refused CONNECT, a lost socket), cleared on connect. */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** Filters with at least one listener. */
  get filters(): string[] {
    return [...this.#filters.keys()];
  }

  onStateChange(listener: () => void): () => void {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  /**
   * Calls `handler` for every message whose topic matches `filter`. Resolves
   * with the function that stops it once the broker granted the subscription;
   * rejects with the broker's refusal (the handler is then removed).
   */
  async subscribe(filter: string, handler: MessageHandler, options: { qos?: QoS } = {}): Promise<() => void> {
    let entry = this.#filters.get(filter);
    if (!entry) {
      const ready = new Promise<void>((resolve, reject) => {
        this.#client.subscribe(filter, { qos: options.qos ?? 0 }, (error, granted) => {
          if (error) return reject(new Error(`subscribe to '${filter}' failed: ${error.message}`));
          if (granted?.some((grant) => grant.qos === 128)) return reject(new Error(`the broker refused the subscription to '${filter}'`));
          resolve();
        });
      });
      entry = { handlers: new Set(), ready };
      this.#filters.set(filter, entry);
    }
    entry.handlers.add(handler);
    const current = entry;
    try {
      await current.ready;
    } catch (error) {
      current.handlers.delete(handler);
      if (this.#filters.get(filter) === current) this.#filters.delete(filter);
      throw error;
    }
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      current.handlers.delete(handler);
      if (current.handlers.size === 0 && this.#filters.get(filter) === current) {
        this.#filters.delete(filter);
        this.#client.unsubscribe(filter);
      }
    };
  }

  /** Publishes and resolves when the broker has it (QoS 1/2) or the packet is written (QoS 0). */
  publish(topic: string, payload: string, options: { qos?: QoS; retain?: boolean } = {}): Promise<void> {
    const publishOptions: IClientPublishOptions = { qos: options.qos ?? 0, retain: options.retain ?? false };
    return new Promise((resolve, reject) => {
      if (!this.#client.connected) return reject(new Error(`not connected to the broker (${this.#state})`));
      this.#client.publish(topic, payload, publishOptions, (error) =>
        error ? reject(new Error(`publish to '${topic}' failed: ${error.message}`)) : resolve(),
      );
    });
  }

  close(): void {
    this.#filters.clear();
    this.#client.end(true);
    this.#setState('closed', undefined);
  }

  #setState(state: MqttState, error: string | undefined): void {
    this.#state = state;
    this.#lastError = state === 'connected' ? undefined : error;
    for (const listener of this.#stateListeners) listener();
  }

  #dispatch(topic: string, payload: Uint8Array, qos: QoS, retain: boolean): void {
    const message: MqttMessage = { topic, payload, text: decoder.decode(payload), qos, retain, receivedAt: Date.now() };
    for (const [filter, entry] of this.#filters) {
      if (!topicMatchesFilter(filter, topic)) continue;
      for (const handler of entry.handlers) handler(message);
    }
  }
}

let shared: { token: string; connection: MqttConnection } | undefined;

/** The session's connection, opened on first use; null when signed out. */
export function mqttConnection(): MqttConnection | null {
  const token = currentToken();
  if (token === null) return null;
  if (shared?.token !== token) {
    shared?.connection.close();
    shared = { token, connection: new MqttConnection(token) };
  }
  return shared.connection;
}

// Signing out (or a new token) closes the old connection at once.
onTokenChange((token) => {
  if (shared && shared.token !== token) {
    shared.connection.close();
    shared = undefined;
  }
});

/** The shared connection plus its state and last error, re-rendering on changes. */
export function useMqtt(): { connection: MqttConnection | null; state: MqttState; error: string | undefined } {
  const connection = mqttConnection();
  const [, setTick] = useState(0);
  useEffect(() => connection?.onStateChange(() => setTick((tick) => tick + 1)), [connection]);
  return { connection, state: connection?.state ?? 'closed', error: connection?.lastError };
}

/** MQTT topic-filter matching ([MQTT-4.7]): `+` one level, `#` the rest; `$` topics only match filters that name them. */
export function topicMatchesFilter(filter: string, topic: string): boolean {
  const filterLevels = filter.split('/');
  const topicLevels = topic.split('/');
  if (topic.startsWith('$') && !filter.startsWith('$')) return false; // [MQTT-4.7.2-1]
  for (let index = 0; index < filterLevels.length; index += 1) {
    const level = filterLevels[index];
    if (level === '#') return true;
    if (index >= topicLevels.length) return false;
    if (level !== '+' && level !== topicLevels[index]) return false;
  }
  return filterLevels.length === topicLevels.length;
}
