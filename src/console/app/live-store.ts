import { mqttConnection, type MqttMessage, type QoS } from './mqtt';
import { onTokenChange } from './token';
import { prettyJson } from './components';

/** At most this many messages are kept (shown or waiting while paused); older ones are dropped. */
export const MAX_MESSAGES = 500;

export interface LiveMessage extends MqttMessage {
  /** Unique within the page load, for list keys. */
  seq: number;
  /** The payload pretty-printed when it is JSON, computed once on arrival. */
  display: string;
}

export interface LiveSubscription {
  filter: string;
  qos: QoS;
  stop: () => void;
}

/**
 * The Live page's state, kept outside the component so that opening a
 * message's trace and coming back keeps the subscriptions and the list.
 * Messages arrive as fast as the broker sends them but the view is told at
 * most once per animation frame, and memory stays bounded at MAX_MESSAGES.
 */
class LiveStore {
  messages: LiveMessage[] = [];
  subscriptions: LiveSubscription[] = [];
  paused = false;
  /** Messages received while paused (newest last), bounded. */
  #waiting: LiveMessage[] = [];
  /** Messages received since the last frame (newest last), bounded. */
  #incoming: LiveMessage[] = [];
  #frame: number | undefined;
  #seq = 0;
  #lastRaw: MqttMessage | undefined;
  readonly #listeners = new Set<() => void>();

  get waitingCount(): number {
    return this.#waiting.length;
  }

  subscribeView(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async subscribe(filter: string, qos: QoS): Promise<void> {
    if (this.subscriptions.some((entry) => entry.filter === filter)) throw new Error(`already subscribed to '${filter}'`);
    const connection = mqttConnection();
    if (!connection) throw new Error('not signed in');
    const stop = await connection.subscribe(filter, (message) => this.#receive(message), { qos });
    this.subscriptions = [...this.subscriptions, { filter, qos, stop }];
    this.#notify();
  }

  unsubscribe(filter: string): void {
    const entry = this.subscriptions.find((candidate) => candidate.filter === filter);
    if (!entry) return;
    entry.stop();
    this.subscriptions = this.subscriptions.filter((candidate) => candidate !== entry);
    this.#notify();
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    if (!paused && this.#waiting.length > 0) {
      this.#merge(this.#waiting);
      this.#waiting = [];
    }
    this.#notify();
  }

  clear(): void {
    this.messages = [];
    this.#waiting = [];
    this.#incoming = [];
    this.#notify();
  }

  reset(): void {
    for (const entry of this.subscriptions) entry.stop();
    this.subscriptions = [];
    this.paused = false;
    this.clear();
  }

  #receive(message: MqttMessage): void {
    // A message matching two of our filters reaches both handlers; keep it once.
    if (message === this.#lastRaw) return;
    this.#lastRaw = message;
    this.#seq += 1;
    this.#incoming.push({ ...message, seq: this.#seq, display: prettyJson(message.text) });
    if (this.#incoming.length > MAX_MESSAGES) this.#incoming.splice(0, this.#incoming.length - MAX_MESSAGES);
    if (this.#frame === undefined) this.#frame = requestAnimationFrame(() => this.#flush());
  }

  #flush(): void {
    this.#frame = undefined;
    const batch = this.#incoming;
    this.#incoming = [];
    if (this.paused) {
      this.#waiting.push(...batch);
      if (this.#waiting.length > MAX_MESSAGES) this.#waiting.splice(0, this.#waiting.length - MAX_MESSAGES);
    } else {
      this.#merge(batch);
    }
    this.#notify();
  }

  /** Newest first in `messages`; `batch` is oldest first. */
  #merge(batch: LiveMessage[]): void {
    const newestFirst = batch.slice(-MAX_MESSAGES).reverse();
    this.messages = newestFirst.concat(this.messages.slice(0, MAX_MESSAGES - newestFirst.length));
  }

  #notify(): void {
    for (const listener of this.#listeners) listener();
  }
}

export const liveStore = new LiveStore();

// A new session starts with an empty Live page.
onTokenChange(() => liveStore.reset());
