import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { isSluiceError, type Logger } from '../core/index.js';
import type { FunctionLogLevel, FunctionLogStore } from './log-store.js';
import type { InvocationResult, RuntimeServices, SerializedError } from './types.js';
import {
  MAX_OBJECT_BYTES,
  type HostData,
  type LogLevel,
  type ServiceReplyMessage,
  type ServiceReplyValue,
  type ServiceRequest,
  type WorkerToMain,
} from './worker/messages.js';
import { serializeError } from './worker/serialize-error.js';

/** Per invocation, so a chatty function cannot grow the server's memory without bound. */
const MAX_LOG_BYTES = 256 * 1024;
const MB = 1024 * 1024;

/** The worker's console levels as Lambda prints them. */
const LAMBDA_LEVEL: Record<LogLevel, FunctionLogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' };

/** The object store's error codes under S3's error names, so code written for AWS can test `error.name`. */
const S3_ERROR_NAMES: Readonly<Record<string, string>> = {
  SLUICE_ERR_OBJECT_NOT_FOUND: 'NoSuchKey',
  SLUICE_ERR_BUCKET_NOT_FOUND: 'NoSuchBucket',
};

type Outcome = { ok: true; value: unknown } | { ok: false; error: SerializedError };

export interface SlotConfig {
  hostFile: string;
  hostData: HostData;
  env: Record<string, string>;
  memorySizeMb: number;
  /** Milliseconds the module may take to load (Lambda's init phase has its own limit, 10 s). */
  initTimeoutMs: number;
  logger: Logger;
  services: RuntimeServices;
  /** Where every invocation's START, console lines, END and REPORT go. */
  logs: FunctionLogStore;
}

interface Current {
  requestId: string;
  logs: string[];
  logBytes: number;
  /** Service calls made so far by this invocation, numbering each so a retried invocation makes the same calls with the same numbers. */
  serviceCalls: number;
  settle?: (outcome: Outcome) => void;
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
  /** Set once the module has loaded (`{}`) or failed to (`{ error }`): invocations then skip the wait. */
  #initResult: { error?: SerializedError } | undefined;
  readonly #startedAt = performance.now();
  /** Lambda's "Init Duration", reported on the first invocation of this worker only. */
  #initDurationMs: number | undefined;
  /** The most the worker has used so far (Lambda's "Max Memory Used" is the sandbox's peak too). */
  #maxMemoryBytes = 0;
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

  /**
   * Runs one invocation and writes its log as Lambda does: START, the
   * function's lines, an error line if it failed, END, REPORT.
   */
  async invoke(requestId: string, event: unknown, timeoutMs: number): Promise<InvocationResult> {
    const current: Current = { requestId, logs: [], logBytes: 0, serviceCalls: 0 };
    this.#current = current;
    try {
      const initStart = performance.now();
      // Warm: no timer, no race. Cold: wait for the module to load, bounded by the init timeout.
      const initError = this.#initResult ? this.#initResult.error : await this.#waitReady();
      const { functionName, functionVersion } = this.#config.hostData;
      this.#config.logs.append(functionName, requestId, 'START', `START RequestId: ${requestId} Version: ${functionVersion}`);
      let outcome: Outcome;
      let durationMs: number;
      if (initError) {
        outcome = { ok: false, error: initError };
        durationMs = performance.now() - initStart;
      } else {
        const start = performance.now();
        outcome = await this.#run(current, event, timeoutMs);
        durationMs = performance.now() - start;
      }
      this.#logEnd(requestId, outcome, durationMs, timeoutMs);
      return { ...outcome, requestId, durationMs, logs: current.logs };
    } finally {
      this.#current = undefined;
    }
  }

  #logEnd(requestId: string, outcome: Outcome, durationMs: number, timeoutMs: number): void {
    const { logs, hostData, memorySizeMb } = this.#config;
    const name = hostData.functionName;
    const timedOut = !outcome.ok && isTimeout(outcome.error, timeoutMs);
    if (!outcome.ok) {
      // Lambda's Node runtime: `console.error('Invoke Error', '\t' + JSON)`; a timeout is its own line.
      const { type, message, stack } = outcome.error;
      const text = timedOut
        ? message
        : `Invoke Error \t${JSON.stringify({ errorType: type, errorMessage: message, ...(stack ? { stack: stack.split('\n') } : {}) })}`;
      logs.append(name, requestId, 'ERROR', text);
    }
    logs.append(name, requestId, 'END', `END RequestId: ${requestId}`);
    let report =
      `REPORT RequestId: ${requestId}\tDuration: ${durationMs.toFixed(2)} ms\tBilled Duration: ${Math.max(1, Math.ceil(durationMs))} ms` +
      `\tMemory Size: ${memorySizeMb} MB\tMax Memory Used: ${Math.max(1, Math.ceil(this.#maxMemoryBytes / MB))} MB`;
    if (this.#initDurationMs !== undefined) {
      report += `\tInit Duration: ${this.#initDurationMs.toFixed(2)} ms`;
      this.#initDurationMs = undefined;
    }
    if (timedOut) report += '\tStatus: timeout';
    else if (!outcome.ok && !this.#alive) report += `\tStatus: error\tError Type: ${outcome.error.type}`;
    logs.append(name, requestId, 'REPORT', report);
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

  #run(current: Current, event: unknown, timeoutMs: number): Promise<Outcome> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        finish({ ok: false, error: { type: 'TimeoutError', message: timeoutMessage(timeoutMs) } });
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
        this.#initDurationMs = performance.now() - this.#startedAt;
        this.#noteMemory(message.memoryBytes);
        this.#settleInit(undefined);
        break;
      case 'init-error':
        this.#settleInit(message.error);
        void this.terminate();
        break;
      case 'log':
        this.#log(message.level, message.line, message.requestId, message.time);
        break;
      case 'result':
        this.#noteMemory(message.memoryBytes);
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
    this.#settleInit(error);
    this.#current?.settle?.({ ok: false, error });
  }

  #settleInit(error: SerializedError | undefined): void {
    this.#initResult ??= error ? { error } : {};
    this.#resolveReady(error);
  }

  #noteMemory(bytes: number): void {
    if (bytes > this.#maxMemoryBytes) this.#maxMemoryBytes = bytes;
  }

  /** Lambda's wording for a runtime that died under the invocation. */
  #deathError(code: number | undefined): SerializedError {
    if (this.#crash) return this.#crash;
    return { type: 'Runtime.ExitError', message: `Runtime exited${code === undefined ? '' : ` with error: exit status ${code}`}` };
  }

  #onStream(level: LogLevel, text: string): void {
    const time = Date.now();
    for (const line of text.split('\n')) if (line) this.#log(level, line, this.#current?.requestId, time);
  }

  #log(level: LogLevel, line: string, requestId: string | undefined, time: number): void {
    this.#config.logger[level]({ requestId }, line);
    this.#config.logs.append(this.#config.hostData.functionName, requestId, LAMBDA_LEVEL[level], line, time);
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
      let name = isSluiceError(error) ? error.code : type;
      if (request.service.startsWith('s3.')) name = S3_ERROR_NAMES[name] ?? name;
      reply = { type: 'service-reply', id, ok: false, error: { type: name, message } };
    }
    if (!this.#alive) return;
    // An object's body is a buffer of its own (see #callService): moved to the worker, not copied.
    const body = reply.ok ? reply.value.object?.body : undefined;
    this.#worker.postMessage(reply, body ? [body.buffer] : []);
  }

  async #callService(request: ServiceRequest): Promise<ServiceReplyValue> {
    const { services } = this.#config;
    const current = this.#current;
    const origin = current ? { requestId: current.requestId, sequence: current.serviceCalls++ } : undefined;
    switch (request.service) {
      case 'sns.publish': {
        const { topicArn, message, subject, messageAttributes, messageStructure } = request;
        return services.publishNotification(
          {
            topicArn,
            message,
            ...(subject !== undefined ? { subject } : {}),
            ...(messageAttributes !== undefined ? { messageAttributes } : {}),
            ...(messageStructure !== undefined ? { messageStructure } : {}),
          },
          origin,
        );
      }
      case 'mqtt.publish': {
        const { payload } = request;
        const bytes = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
        await services.publishMqtt({ topic: request.topic, payload: bytes, qos: request.qos });
        return {};
      }
      case 's3.putObject': {
        if (!services.putObject) throw new Error('s3.putObject: no object store is wired to the function runtime');
        const { bucket, key, body, contentType, metadata } = request;
        // The worker checks this too; it is not a security boundary, so check again.
        if (body.byteLength > MAX_OBJECT_BYTES) throw objectTooLarge('s3.putObject', `Body is ${body.byteLength} bytes`);
        const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
        await services.putObject(bucket, key, bytes, contentType, metadata);
        return {};
      }
      case 's3.getObject': {
        if (!services.getObject) throw new Error('s3.getObject: no object store is wired to the function runtime');
        const found = await services.getObject(request.bucket, request.key);
        if (found.body.byteLength > MAX_OBJECT_BYTES) {
          throw objectTooLarge('s3.getObject', `object '${request.key}' in bucket '${request.bucket}' is ${found.body.byteLength} bytes`);
        }
        // A copy in a buffer of its own, so transferring it cannot detach the store's
        // memory (or Node's shared pool, which small Buffers are cut from).
        const body = new Uint8Array(found.body.byteLength);
        body.set(found.body);
        return {
          object: {
            body,
            ...(found.contentType !== undefined ? { contentType: found.contentType } : {}),
            ...(found.metadata !== undefined ? { metadata: { ...found.metadata } } : {}),
            ...(found.lastModified !== undefined ? { lastModified: found.lastModified.getTime() } : {}),
          },
        };
      }
      default: {
        const unexpected: never = request;
        throw new Error(`unknown service ${JSON.stringify(unexpected)}`);
      }
    }
  }
}

/** S3's name for a body over its limit; ours is `MAX_OBJECT_BYTES`. */
function objectTooLarge(call: string, what: string): Error {
  const error = new Error(`${call}: ${what}, more than the limit of ${MAX_OBJECT_BYTES} bytes (32 MiB)`);
  error.name = 'EntityTooLarge';
  return error;
}

/** The runtime's own timeout, not a handler's error that happens to be named TimeoutError. */
export function isTimeout(error: SerializedError, timeoutMs: number): boolean {
  return error.type === 'TimeoutError' && error.stack === undefined && error.message === timeoutMessage(timeoutMs);
}

export function timeoutMessage(timeoutMs: number): string {
  return `Task timed out after ${seconds(timeoutMs)} seconds`;
}

/** `10.00`: Lambda prints timeouts in seconds with two decimals. */
function seconds(ms: number): string {
  return (ms / 1000).toFixed(2);
}
