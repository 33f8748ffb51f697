import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { isSluiceError, type Logger } from '../core/index.js';
import type { InvocationResult, RuntimeServices, SerializedError } from './types.js';
import type { HostData, LogLevel, ServiceReplyMessage, ServiceRequest, WorkerToMain } from './worker/messages.js';
import { serializeError } from './worker/serialize-error.js';

/** Per invocation, so a chatty function cannot grow the server's memory without bound. */
const MAX_LOG_BYTES = 256 * 1024;

export interface SlotConfig {
  hostFile: string;
  hostData: HostData;
  env: Record<string, string>;
  memorySizeMb: number;
  /** Milliseconds the module may take to load (Lambda's init phase has its own limit, 10 s). */
  initTimeoutMs: number;
  logger: Logger;
  services: RuntimeServices;
}

interface Current {
  requestId: string;
  logs: string[];
  logBytes: number;
  /** Service calls made so far by this invocation, numbering each so a retried invocation makes the same calls with the same numbers. */
  serviceCalls: number;
  settle?: (outcome: { ok: true; value: unknown } | { ok: false; error: SerializedError }) => void;
}

/**
 * One worker thread running one function version, one invocation at a time.
 * Anything that kills the thread (timeout, uncaught exception, process.exit,
 * out of memory) fails only the invocation in flight; the pool then drops
 * this slot and starts a fresh one.
 */
export class WorkerSlot {
  readonly #config: SlotConfig;
  readonly #worker: Worker;
  readonly #ready: Promise<SerializedError | undefined>;
  #resolveReady!: (error: SerializedError | undefined) => void;
  #alive = true;
  #crash: SerializedError | undefined;
  #current: Current | undefined;
  readonly exited: Promise<void>;

  constructor(config: SlotConfig) {
    this.#config = config;
    this.#ready = new Promise((resolve) => (this.#resolveReady = resolve));
    this.#worker = new Worker(config.hostFile, {
      workerData: config.hostData,
      env: config.env,
      // Not the server's flags (e.g. `--import tsx`): the host is plain JavaScript.
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: config.memorySizeMb },
      stdout: true,
      stderr: true,
      name: `sluice-function:${config.hostData.functionName}`,
    });
    this.exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
    this.#worker.on('message', (message: WorkerToMain) => this.#onMessage(message));
    this.#worker.on('error', (error) => this.#onError(error));
    this.#worker.on('exit', (code) => this.#onExit(code));
    this.#worker.stdout.setEncoding('utf8').on('data', (text: string) => this.#onStream('info', text));
    this.#worker.stderr.setEncoding('utf8').on('data', (text: string) => this.#onStream('error', text));
  }

  get alive(): boolean {
    return this.#alive;
  }

  /** An idle worker must not keep the server's process alive; a busy one must. */
  setBusy(busy: boolean): void {
    if (busy) this.#worker.ref();
    else this.#worker.unref();
  }

  async invoke(requestId: string, event: unknown, timeoutMs: number): Promise<InvocationResult> {
    const current: Current = { requestId, logs: [], logBytes: 0, serviceCalls: 0 };
    this.#current = current;
    try {
      const initStart = performance.now();
      const initError = await this.#waitReady();
      if (initError) return { ok: false, error: initError, requestId, durationMs: performance.now() - initStart, logs: current.logs };
      const start = performance.now();
      const outcome = await this.#run(current, event, timeoutMs);
      return { ...outcome, requestId, durationMs: performance.now() - start, logs: current.logs };
    } finally {
      this.#current = undefined;
    }
  }

  terminate(): Promise<void> {
    this.#alive = false;
    void this.#worker.terminate();
    return this.exited;
  }

  async #waitReady(): Promise<SerializedError | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<SerializedError>((resolve) => {
      timer = setTimeout(() => {
        void this.terminate();
        resolve({ type: 'Runtime.InitTimeout', message: `Init timed out after ${seconds(this.#config.initTimeoutMs)} seconds` });
      }, this.#config.initTimeoutMs);
    });
    try {
      return await Promise.race([this.#ready, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  #run(current: Current, event: unknown, timeoutMs: number): Promise<{ ok: true; value: unknown } | { ok: false; error: SerializedError }> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        finish({ ok: false, error: { type: 'TimeoutError', message: `Task timed out after ${seconds(timeoutMs)} seconds` } });
        // The handler may be stuck in a loop: only terminating the thread stops it.
        void this.terminate();
      }, timeoutMs);
      const finish: NonNullable<Current['settle']> = (outcome) => {
        clearTimeout(timer);
        current.settle = undefined;
        resolve(outcome);
      };
      current.settle = finish;
      if (!this.#alive) {
        finish({ ok: false, error: this.#deathError(undefined) });
        return;
      }
      try {
        this.#worker.postMessage({ type: 'invoke', requestId: current.requestId, event, deadline: Date.now() + timeoutMs });
      } catch (error) {
        // The event is not structured-cloneable (a function, say): the caller's fault, not the worker's.
        finish({ ok: false, error: { ...serializeError(error), type: 'Runtime.InvalidEvent' } });
      }
    });
  }

  #onMessage(message: WorkerToMain): void {
    switch (message.type) {
      case 'ready':
        this.#resolveReady(undefined);
        break;
      case 'init-error':
        this.#resolveReady(message.error);
        void this.terminate();
        break;
      case 'log':
        this.#log(message.level, message.line, message.requestId);
        break;
      case 'result':
        if (this.#current?.requestId === message.requestId) {
          this.#current.settle?.(message.ok ? { ok: true, value: message.value } : { ok: false, error: message.error });
        }
        break;
      case 'service-request':
        void this.#serve(message.id, message.request);
        break;
      default: {
        const unexpected: never = message;
        this.#config.logger.error({ message: unexpected }, 'unexpected message from function worker');
      }
    }
  }

  #onError(error: Error): void {
    const serialized = serializeError(error);
    const code = (error as { code?: unknown }).code;
    this.#crash = code === 'ERR_WORKER_OUT_OF_MEMORY' ? { ...serialized, type: 'Runtime.OutOfMemory' } : serialized;
  }

  #onExit(code: number): void {
    this.#alive = false;
    const error = this.#deathError(code);
    this.#resolveReady(error);
    this.#current?.settle?.({ ok: false, error });
  }

  /** Lambda's wording for a runtime that died under the invocation. */
  #deathError(code: number | undefined): SerializedError {
    if (this.#crash) return this.#crash;
    return { type: 'Runtime.ExitError', message: `Runtime exited${code === undefined ? '' : ` with error: exit status ${code}`}` };
  }

  #onStream(level: LogLevel, text: string): void {
    for (const line of text.split('\n')) if (line) this.#log(level, line, this.#current?.requestId);
  }

  #log(level: LogLevel, line: string, requestId: string | undefined): void {
    this.#config.logger[level]({ requestId }, line);
    const current = this.#current;
    // Lines logged at import time, before the first invocation, belong to the invocation that started the worker.
    if (!current || (requestId !== undefined && requestId !== current.requestId)) return;
    if (current.logBytes >= MAX_LOG_BYTES) return;
    current.logBytes += line.length;
    current.logs.push(current.logBytes >= MAX_LOG_BYTES ? `${line.slice(0, 200)} ... (logs truncated at ${MAX_LOG_BYTES} bytes)` : line);
  }

  async #serve(id: number, request: ServiceRequest): Promise<void> {
    let reply: ServiceReplyMessage;
    try {
      reply = { type: 'service-reply', id, ok: true, value: await this.#callService(request) };
    } catch (error) {
      // The code is what a handler can branch on (as AWS SDK errors carry `name`);
      // the server's stack means nothing to the function's author.
      const { type, message } = serializeError(error);
      reply = { type: 'service-reply', id, ok: false, error: { type: isSluiceError(error) ? error.code : type, message } };
    }
    if (this.#alive) this.#worker.postMessage(reply);
  }

  async #callService(request: ServiceRequest): Promise<{ messageId?: string }> {
    const { services } = this.#config;
    const current = this.#current;
    const origin = current ? { requestId: current.requestId, sequence: current.serviceCalls++ } : undefined;
    switch (request.service) {
      case 'sns.publish': {
        const { topicArn, message, subject } = request;
        return services.publishNotification(subject === undefined ? { topicArn, message } : { topicArn, message, subject }, origin);
      }
      case 'mqtt.publish': {
        const { payload } = request;
        const bytes = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
        await services.publishMqtt({ topic: request.topic, payload: bytes, qos: request.qos });
        return {};
      }
      default: {
        const unexpected: never = request;
        throw new Error(`unknown service ${JSON.stringify(unexpected)}`);
      }
    }
  }
}

/** `10.00`: Lambda prints timeouts in seconds with two decimals. */
function seconds(ms: number): string {
  return (ms / 1000).toFixed(2);
}
