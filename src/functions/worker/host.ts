/**
 * The worker host: the first code a function worker runs. It loads the
 * function's bundle, then runs one invocation at a time as the main thread
 * asks. It is bundled with esbuild into a plain .mjs (see `host-file.ts`), so
 * the worker never needs tsx.
 *
 * Faults are the main thread's business: an uncaught exception or
 * `process.exit` ends this thread, and the main thread fails the invocation
 * in flight and replaces the worker. This host only reports what it can see.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { format, inspect } from 'node:util';
import { getHeapStatistics } from 'node:v8';
import type { HostData, InvokeMessage, LogLevel, MainToWorker, WorkerToMain } from './messages.js';
import { serializeError } from './serialize-error.js';

const port = parentPort;
if (port === null) throw new Error('the Sluice function host must run in a worker thread');
const data = workerData as HostData;

// Function bundles carry inline source maps; with this, stacks name the author's .ts files and lines.
process.setSourceMapsEnabled(true);

function send(message: WorkerToMain): void {
  port!.postMessage(message);
}

/**
 * What the REPORT line calls "Max Memory Used": this worker's V8 heap (the
 * physical pages its isolate has committed) plus the external memory its
 * objects hold (Buffers, ArrayBuffers). Not the RSS, which every worker
 * thread shares with the server. getHeapStatistics costs under a
 * microsecond; process.memoryUsage() reads /proc for the RSS and costs ~15.
 */
function memoryBytes(): number {
  const heap = getHeapStatistics();
  return heap.total_physical_size + heap.external_memory;
}

/** The invocation whose logs console output belongs to (one at a time per worker). */
let currentRequestId: string | undefined;

// Console output goes to the main thread as messages, not to stdout: messages
// keep their order relative to the result, so every line lands in the right
// invocation's `logs`, and the server's stdout stays for its own output.
function capture(level: LogLevel) {
  return (...args: unknown[]): void => send({ type: 'log', requestId: currentRequestId, level, line: format(...args), time: Date.now() });
}
console.log = capture('info');
console.info = capture('info');
console.debug = capture('debug');
console.warn = capture('warn');
console.error = capture('error');
console.trace = (...args: unknown[]) => {
  const trace = new Error(format(...args)).stack?.replace(/^Error/, 'Trace') ?? '';
  send({ type: 'log', requestId: currentRequestId, level: 'trace', line: trace, time: Date.now() });
};
console.dir = (value: unknown) => send({ type: 'log', requestId: currentRequestId, level: 'info', line: inspect(value), time: Date.now() });

type Handler = (event: unknown, context: unknown, callback?: (error: unknown, value?: unknown) => void) => unknown;

async function load(): Promise<Handler | undefined> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(data.codeFile).href)) as Record<string, unknown>;
  } catch (error) {
    const cause = serializeError(error);
    send({ type: 'init-error', error: { ...cause, type: 'Runtime.ImportModuleError', message: `${cause.type}: ${cause.message}` } });
    return undefined;
  }
  const handler = mod[data.exportName];
  if (typeof handler !== 'function') {
    send({
      type: 'init-error',
      error: { type: 'Runtime.HandlerNotFound', message: `${data.functionName}.${data.exportName} is undefined or not exported` },
    });
    return undefined;
  }
  return handler as Handler;
}

function contextFor(message: InvokeMessage) {
  return {
    functionName: data.functionName,
    functionVersion: data.functionVersion,
    invokedFunctionArn: data.invokedFunctionArn,
    memoryLimitInMB: String(data.memoryLimitInMB),
    awsRequestId: message.requestId,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
    // Lambda's Node runtime has this flag; Sluice never waits for the event loop to drain.
    callbackWaitsForEmptyEventLoop: false,
  };
}

/** Awaits a promise-returning handler, or a callback-style one (three parameters, as Lambda allows). */
function callHandler(handler: Handler, message: InvokeMessage): Promise<unknown> {
  const context = contextFor(message);
  if (handler.length >= 3) {
    return new Promise((resolve, reject) => {
      const result = handler(message.event, context, (error, value) => (error ? reject(error) : resolve(value)));
      if (result instanceof Promise) result.then(resolve, reject);
    });
  }
  return Promise.resolve().then(() => handler(message.event, context));
}

/** Lambda returns the result as JSON, so a Date becomes a string and a function disappears here too. */
function toJsonValue(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : JSON.parse(text);
}

async function invoke(handler: Handler, message: InvokeMessage): Promise<void> {
  currentRequestId = message.requestId;
  try {
    const value = await callHandler(handler, message);
    let json: unknown;
    try {
      json = toJsonValue(value);
    } catch (error) {
      const cause = serializeError(error);
      send({
        type: 'result',
        requestId: message.requestId,
        ok: false,
        error: { ...cause, type: 'Runtime.ResponseSerializationError' },
        memoryBytes: memoryBytes(),
      });
      return;
    }
    send({ type: 'result', requestId: message.requestId, ok: true, value: json, memoryBytes: memoryBytes() });
  } catch (error) {
    send({ type: 'result', requestId: message.requestId, ok: false, error: serializeError(error), memoryBytes: memoryBytes() });
  } finally {
    currentRequestId = undefined;
  }
}

const handler = await load();
if (handler !== undefined) {
  port.on('message', (message: MainToWorker) => {
    switch (message.type) {
      case 'invoke':
        void invoke(handler, message);
        break;
      case 'service-reply':
        // Answered by the `sluice/runtime` copy bundled into the function, which listens too.
        break;
      default: {
        const unexpected: never = message;
        throw new Error(`unexpected message ${JSON.stringify(unexpected)}`);
      }
    }
  });
  send({ type: 'ready', memoryBytes: memoryBytes() });
}
