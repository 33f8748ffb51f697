import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { ARN_REGION, SluiceError, functionArn, newId, sha256Hex, type Logger, type Metrics } from '../core/index.js';
import { writeFileAtomic, writeHostFile } from './host-file.js';
import { InvocationHistory, type InvocationRecord } from './invocations.js';
import { FunctionLogStore } from './log-store.js';
import { VersionPool } from './pool.js';
import { isTimeout } from './slot.js';
import {
  THROTTLED_ERROR_TYPE,
  type FunctionDefinition,
  type FunctionRuntimeOptions,
  type FunctionConfiguration,
  type FunctionSummary,
  type InvocationResult,
  type InvokeOptions,
  type RuntimeServices,
  type DestinationCondition,
  type DestinationRecord,
  type DestinationTarget,
} from './types.js';
import { MAX_EVENT_AGE_MS, validateDefinition } from './validate.js';

const DEFAULT_MAX_WORKERS = 10;
const DEFAULT_MAX_QUEUED = 1_000;
/** Error types are label values: a long class name must not make a long series name. */
const MAX_ERROR_TYPE_LABEL = 100;
/** 5 minutes: long enough that a function invoked every 30 s (the reference sensors) stays warm. */
const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;
/** Lambda gives a function's init phase 10 s whatever its timeout. */
const MIN_INIT_TIMEOUT_MS = 10_000;
/** Lambda's defaults for asynchronous invocations: two retries, events kept 6 hours. */
export const DEFAULT_RETRY_ATTEMPTS = 2;
export const DEFAULT_MAX_EVENT_AGE_MS = MAX_EVENT_AGE_MS;
const DEFAULT_ASYNC_RETRY_DELAY_MS = 60_000;
/** A throttled asynchronous event is tried again after at most this long (Lambda: up to 5 minutes). */
const MAX_THROTTLE_DELAY_MS = 5 * 60_000;

/** How the outcome of one asynchronous invocation is reported to its destination. */
export interface AsyncOutcome {
  condition: DestinationCondition;
  requestId: string;
  event: unknown;
  /** Attempts made (Lambda's approximateInvokeCount). */
  invokeCount: number;
  /** The last attempt's result; for a failure known only by its message (a rule action's job), `error` alone. */
  result?: InvocationResult;
  error?: { type?: string; message: string };
}

interface Deployed {
  def: FunctionDefinition;
  version: string;
  codeSha256: string;
  file: string;
  deployedAt: string;
  pool: VersionPool;
  /** prom-client children, looked up once per deployment rather than once per invocation. */
  meters: Meters | undefined;
}

type Outcome = 'success' | 'error' | 'timeout' | 'throttled';

interface Meters {
  outcomes: Record<Outcome, { inc(): void }>;
  duration: { observe(seconds: number): void };
  throttles: { inc(): void };
}

/**
 * Runs functions: each invocation in a worker thread from a small warm pool
 * per function version. Isolation is for faults (a crash, a hang, a leak
 * fails one invocation), not for hostile code: functions are the operator's.
 */
export class FunctionRuntime {
  readonly #dir: string;
  readonly #logger: Logger;
  readonly #services: RuntimeServices;
  readonly #maxWorkers: number;
  readonly #maxQueued: number;
  readonly #idleTimeoutMs: number;
  readonly #metrics: Metrics | undefined;
  readonly #logs: FunctionLogStore;
  readonly #invocations: InvocationHistory;
  /** Replaced or removed versions still finishing invocations, for the concurrency gauge. */
  readonly #retiring = new Set<Deployed>();
  readonly #hostFile: Promise<string>;
  readonly #functions = new Map<string, Deployed>();
  /** Code files still wanted by a deployment (current, retiring, or being written); deleted at zero. */
  readonly #fileRefs = new Map<string, number>();
  /** `Event` invocations and retiring pools: `close` waits for them. */
  readonly #background = new Set<Promise<unknown>>();
  readonly #asyncRetryDelayMs: number;
  /** Resolves when `close` starts: asynchronous retries waiting their turn give up then. */
  readonly #closing: Promise<void>;
  #signalClosing!: () => void;
  #closed = false;

  constructor(options: FunctionRuntimeOptions) {
    this.#dir = path.join(options.dataDir, 'functions');
    this.#logger = options.logger;
    this.#services = options.services;
    this.#maxWorkers = options.maxWorkersPerFunction ?? DEFAULT_MAX_WORKERS;
    this.#maxQueued = options.maxQueuedPerFunction ?? DEFAULT_MAX_QUEUED;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.#metrics = options.metrics;
    // Logs are kept on disk by default, so they can be read after a restart (or a crash) as well.
    this.#logs = options.logStore ?? new FunctionLogStore({ directory: path.join(options.dataDir, 'logs', 'functions'), ...options.logRetention });
    this.#invocations = new InvocationHistory(options.invocationsKept);
    this.#asyncRetryDelayMs = options.asyncRetryDelayMs ?? DEFAULT_ASYNC_RETRY_DELAY_MS;
    this.#closing = new Promise((resolve) => (this.#signalClosing = resolve));
    this.#metrics?.observeFunctions(() => this.#concurrency());
    // Bundled once, up front, so the first invocation does not pay for it.
    this.#hostFile = writeHostFile(this.#dir);
    this.#hostFile.catch(() => {}); // reported by the first deploy that awaits it
  }

  async deploy(input: FunctionDefinition): Promise<void> {
    this.#assertOpen();
    const def = validateDefinition(input);
    const codeSha256 = sha256Hex(def.code);
    const version = versionOf(def, codeSha256);
    const previous = this.#functions.get(def.name);
    if (previous?.version === version) return;
    const file = path.join(this.#dir, def.name, `${codeSha256}.mjs`);
    this.#ref(file);
    let deployed: Deployed;
    try {
      const hostFile = await this.#hostFile;
      await writeFileAtomic(file, def.code);
      deployed = {
        def,
        version,
        codeSha256,
        file,
        deployedAt: new Date().toISOString(),
        pool: this.#newPool(def, version, file, hostFile),
        meters: this.#meters(def.name),
      };
    } catch (error) {
      this.#unref(file);
      throw error;
    }
    // Re-read: another deploy of the same name may have finished while this one wrote its file.
    const replaced = this.#functions.get(def.name);
    this.#functions.set(def.name, deployed);
    this.#logger.info({ function: def.name, version, codeSha256 }, 'function deployed');
    if (replaced) void this.#retire(replaced);
  }

  async remove(name: string): Promise<void> {
    const deployed = this.#functions.get(name);
    if (!deployed) throw notFound(name);
    this.#functions.delete(name);
    this.#logger.info({ function: name }, 'function removed');
    await this.#retire(deployed);
  }

  has(name: string): boolean {
    return this.#functions.has(name);
  }

  /** Every invocation's START, console lines, END and REPORT, per function (see log-store.ts for the retention). */
  get logs(): FunctionLogStore {
    return this.#logs;
  }

  /** The newest `limit` invocations of a function (by name, across versions and after removal), newest first; in memory only. */
  invocations(name: string, limit?: number): InvocationRecord[] {
    return this.#invocations.list(name, limit);
  }

  list(): FunctionSummary[] {
    return [...this.#functions.values()].map(summarize).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Lambda's GetFunctionConfiguration: the deployed version's settings (environment variable names only, not their values); undefined for an unknown function. */
  describe(name: string): FunctionConfiguration | undefined {
    const deployed = this.#functions.get(name);
    if (!deployed) return undefined;
    const { def } = deployed;
    return {
      ...summarize(deployed),
      functionArn: functionArn(def.name),
      exportName: def.exportName,
      environmentVariableNames: Object.keys(def.environment).sort(),
      retryAttempts: def.retryAttempts ?? DEFAULT_RETRY_ATTEMPTS,
      maxEventAgeMs: def.maxEventAgeMs ?? DEFAULT_MAX_EVENT_AGE_MS,
      ...(def.reservedConcurrency !== undefined ? { reservedConcurrency: def.reservedConcurrency } : {}),
      ...(def.destinations !== undefined ? { destinations: def.destinations } : {}),
    };
  }

  /**
   * A handler's error or timeout is a result (`ok: false`), as in Lambda's
   * `FunctionError`; only an unknown function or a closed runtime throws.
   */
  async invoke(name: string, event: unknown, options: InvokeOptions = {}): Promise<InvocationResult> {
    this.#assertOpen();
    const deployed = this.#functions.get(name);
    if (!deployed) throw notFound(name);
    const requestId = options.requestId ?? newId();
    if (options.invocationType !== 'Event') return this.#run(deployed, requestId, event, options.trigger);
    const running = this.#runAsync(name, requestId, event, options.trigger).catch((error: unknown) => {
      this.#logger.error({ function: name, requestId, err: error instanceof Error ? error.message : String(error) }, 'asynchronous invocation failed unexpectedly');
    });
    // Lambda's asynchronous invocation: accepted now (202), the outcome only logged.
    this.#background.add(running);
    void running.finally(() => this.#background.delete(running));
    return { ok: true, value: undefined, requestId, durationMs: 0, logs: [] };
  }

  /** Waits for in-flight invocations (each bounded by its timeout), then terminates every worker and ends log followers. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#signalClosing();
    const deployments = [...this.#functions.values()];
    this.#functions.clear();
    try {
      await Promise.all([...deployments.map((d) => d.pool.retire()), ...this.#background]);
    } finally {
      await this.#logs.close();
    }
  }

  /**
   * The retry settings of a function's asynchronous invocations, and whether
   * it has an onFailure destination; undefined for an unknown function.
   */
  asyncConfig(name: string): { retryAttempts: number; maxEventAgeMs: number; hasOnFailure: boolean } | undefined {
    const def = this.#functions.get(name)?.def;
    if (!def) return undefined;
    return {
      retryAttempts: def.retryAttempts ?? DEFAULT_RETRY_ATTEMPTS,
      maxEventAgeMs: def.maxEventAgeMs ?? DEFAULT_MAX_EVENT_AGE_MS,
      hasOnFailure: def.destinations?.onFailure !== undefined,
    };
  }

  /**
   * Sends an asynchronous invocation's record to the function's onSuccess or
   * onFailure destination. Used by `Event` invocations and by the rule
   * action's jobs, whose retries the action queue makes. Resolves true when a
   * destination took the record, false when there is none or its delivery
   * failed (logged and counted in `sluice_function_destination_deliveries_total`); never throws.
   */
  async deliverToDestination(name: string, outcome: AsyncOutcome): Promise<boolean> {
    const deployed = this.#functions.get(name);
    if (!deployed) return false;
    const destination = outcome.condition === 'Success' ? deployed.def.destinations?.onSuccess : deployed.def.destinations?.onFailure;
    if (!destination) return false;
    const record = destinationRecord(deployed, outcome);
    const labels = { function: name, condition: outcome.condition };
    try {
      await this.#deliver(destination, record, name);
      this.#metrics?.functionDestinations.inc({ ...labels, outcome: 'delivered' });
      this.#logger.info({ function: name, requestId: outcome.requestId, condition: outcome.condition, destination }, 'destination record delivered');
      return true;
    } catch (error) {
      this.#metrics?.functionDestinations.inc({ ...labels, outcome: 'failed' });
      this.#logger.error(
        { function: name, requestId: outcome.requestId, condition: outcome.condition, destination, err: error instanceof Error ? error.message : String(error) },
        'destination delivery failed',
      );
      return false;
    }
  }

  async #deliver(target: DestinationTarget, record: DestinationRecord, source: string): Promise<void> {
    const json = JSON.stringify(record);
    if ('topic' in target) {
      await this.#services.publishNotification({ topicArn: target.topic, message: json });
    } else if ('function' in target) {
      await this.invoke(target.function, record, { invocationType: 'Event', trigger: `destination:${source}` });
    } else if ('mqtt' in target) {
      await this.#services.publishMqtt({ topic: target.mqtt, payload: Buffer.from(json), qos: 1 });
    } else {
      if (!this.#services.putObject) throw new Error('no object store is wired for bucket destinations');
      const day = record.timestamp.slice(0, 10).replaceAll('-', '/');
      const prefix = (target.prefix ?? '').replace(/\/+$/, '');
      const key = `${prefix ? `${prefix}/` : ''}${day}/${record.requestContext.requestId}.json`;
      await this.#services.putObject(target.bucket, key, Buffer.from(json), 'application/json');
    }
  }

  /**
   * Lambda's asynchronous invocation: after a function error, up to
   * `retryAttempts` more attempts (after `asyncRetryDelayMs`, then twice
   * that); throttles are retried with backoff without counting, until the
   * event is `maxEventAge` old. The outcome goes to the destinations.
   */
  async #runAsync(name: string, requestId: string, event: unknown, trigger: string | undefined): Promise<void> {
    const acceptedAt = Date.now();
    let attempts = 0;
    let throttles = 0;
    for (;;) {
      // Each attempt runs the version deployed now, as Lambda's retries run $LATEST.
      const deployed = this.#functions.get(name);
      if (!deployed || this.#closed) {
        this.#logger.warn({ function: name, requestId, attempts }, 'asynchronous invocation abandoned: the function is gone or the runtime closed');
        return;
      }
      const { retryAttempts = DEFAULT_RETRY_ATTEMPTS, maxEventAgeMs = DEFAULT_MAX_EVENT_AGE_MS } = deployed.def;
      const result = await this.#run(deployed, requestId, event, trigger);
      const throttled = !result.ok && result.error.type === THROTTLED_ERROR_TYPE;
      if (throttled) throttles++;
      else attempts++;
      if (result.ok) {
        await this.deliverToDestination(name, { condition: 'Success', requestId, event, invokeCount: attempts, result });
        return;
      }
      const delay = throttled
        ? Math.min(MAX_THROTTLE_DELAY_MS, this.#asyncRetryDelayMs * 2 ** Math.min(throttles - 1, 10))
        : this.#asyncRetryDelayMs * 2 ** (attempts - 1);
      const exhausted = !throttled && attempts > retryAttempts;
      const tooOld = Date.now() + delay - acceptedAt >= maxEventAgeMs;
      if (exhausted || tooOld) {
        const condition = exhausted ? 'RetriesExhausted' : 'EventAgeExceeded';
        const delivered = await this.deliverToDestination(name, { condition, requestId, event, invokeCount: attempts, result });
        if (!delivered) this.#logger.warn({ function: name, requestId, attempts, condition }, 'asynchronous invocation failed for good');
        return;
      }
      this.#metrics?.functionAsyncRetries.inc({ function: name });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise((resolve) => (timer = setTimeout(resolve, delay))), this.#closing]);
      clearTimeout(timer);
    }
  }

  async #run(deployed: Deployed, requestId: string, event: unknown, trigger: string | undefined): Promise<InvocationResult> {
    const startedAt = new Date().toISOString();
    const result = await deployed.pool.invoke(requestId, event);
    const { name } = deployed.def;
    this.#invocations.record(name, {
      requestId,
      startedAt,
      durationMs: round2(result.durationMs),
      status: result.ok ? 'ok' : 'error',
      ...(result.ok ? {} : { error: `${result.error.type}: ${result.error.message}` }),
      ...(trigger !== undefined ? { trigger } : {}),
    });
    const meters = deployed.meters;
    if (result.ok) {
      meters?.outcomes.success.inc();
      meters?.duration.observe(result.durationMs / 1000);
      if (this.#logger.isLevelEnabled('debug')) {
        this.#logger.debug({ function: name, version: deployed.version, requestId, durationMs: round2(result.durationMs) }, 'invocation succeeded');
      }
      return result;
    }
    const { type, message } = result.error;
    if (type === THROTTLED_ERROR_TYPE) {
      meters?.outcomes.throttled.inc();
      meters?.throttles.inc();
    } else {
      (isTimeout(result.error, deployed.def.timeoutMs) ? meters?.outcomes.timeout : meters?.outcomes.error)?.inc();
      meters?.duration.observe(result.durationMs / 1000);
      this.#metrics?.functionErrors.inc({ function: name, type: type.slice(0, MAX_ERROR_TYPE_LABEL) });
    }
    // Throttles are counted, not logged one by one: they come in floods.
    this.#logger[type === THROTTLED_ERROR_TYPE ? 'debug' : 'warn'](
      { function: name, version: deployed.version, requestId, durationMs: round2(result.durationMs), errorType: type, errorMessage: message },
      'invocation failed',
    );
    return result;
  }

  #meters(name: string): Meters | undefined {
    const m = this.#metrics;
    if (!m) return undefined;
    const outcome = (o: Outcome) => m.functionInvocations.labels({ function: name, outcome: o });
    return {
      outcomes: { success: outcome('success'), error: outcome('error'), timeout: outcome('timeout'), throttled: outcome('throttled') },
      duration: m.functionDuration.labels({ function: name }),
      throttles: m.functionThrottles.labels({ function: name }),
    };
  }

  /** Running and queued invocations per function, over its current and retiring versions. */
  #concurrency(): Array<{ function: string; running: number; queued: number }> {
    const byName = new Map<string, { function: string; running: number; queued: number }>();
    for (const d of [...this.#functions.values(), ...this.#retiring]) {
      const entry = byName.get(d.def.name) ?? { function: d.def.name, running: 0, queued: 0 };
      entry.running += d.pool.running;
      entry.queued += d.pool.queued;
      byName.set(d.def.name, entry);
    }
    return [...byName.values()];
  }

  #newPool(def: FunctionDefinition, version: string, file: string, hostFile: string): VersionPool {
    const arn = functionArn(def.name);
    return new VersionPool({
      timeoutMs: def.timeoutMs,
      // Reserved concurrency caps this version's workers; 0 throttles everything (nothing may wait for a worker that never comes).
      maxWorkers: Math.min(this.#maxWorkers, def.reservedConcurrency ?? Number.POSITIVE_INFINITY),
      maxQueued: def.reservedConcurrency === 0 ? 0 : this.#maxQueued,
      idleTimeoutMs: this.#idleTimeoutMs,
      slot: {
        hostFile,
        hostData: {
          sluiceFunctionHost: true,
          codeFile: file,
          exportName: def.exportName,
          functionName: def.name,
          functionVersion: version,
          invokedFunctionArn: arn,
          memoryLimitInMB: def.memorySizeMb,
        },
        // Only the function's own variables and Lambda's: never the server's (HOME, tokens, SLUICE_*).
        env: {
          ...def.environment,
          AWS_LAMBDA_FUNCTION_NAME: def.name,
          AWS_LAMBDA_FUNCTION_VERSION: version,
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(def.memorySizeMb),
          AWS_REGION: ARN_REGION,
          AWS_DEFAULT_REGION: ARN_REGION,
          AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
        },
        memorySizeMb: def.memorySizeMb,
        initTimeoutMs: Math.max(def.timeoutMs, MIN_INIT_TIMEOUT_MS),
        logger: this.#logger.child({ function: def.name, version }),
        services: this.#services,
        logs: this.#logs,
      },
    });
  }

  /** Old warm workers finish their in-flight invocations, then exit; then the code file can go. */
  async #retire(deployed: Deployed): Promise<void> {
    const retiring = deployed.pool.retire();
    this.#background.add(retiring);
    this.#retiring.add(deployed);
    try {
      await retiring;
    } finally {
      this.#background.delete(retiring);
      this.#retiring.delete(deployed);
    }
    this.#unref(deployed.file);
  }

  #ref(file: string): void {
    this.#fileRefs.set(file, (this.#fileRefs.get(file) ?? 0) + 1);
  }

  #unref(file: string): void {
    const count = (this.#fileRefs.get(file) ?? 1) - 1;
    if (count > 0) {
      this.#fileRefs.set(file, count);
      return;
    }
    this.#fileRefs.delete(file);
    unlink(file).catch(() => {}); // already gone is fine
  }

  #assertOpen(): void {
    if (this.#closed) throw new SluiceError('SLUICE_ERR_FUNCTION_FAILED', 'the function runtime is closed');
  }
}

/** Content-addressed, so every node of a cluster computes the same version for the same deployment. */
function versionOf(def: FunctionDefinition, codeSha256: string): string {
  const env = Object.entries(def.environment).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const config = [codeSha256, def.exportName, def.timeoutMs, def.memorySizeMb, env] as unknown[];
  // Only when set, so a definition without them keeps the version it had before they existed.
  const asyncConfig = { r: def.reservedConcurrency, a: def.retryAttempts, e: def.maxEventAgeMs, d: def.destinations };
  if (Object.values(asyncConfig).some((v) => v !== undefined)) config.push(asyncConfig);
  return sha256Hex(JSON.stringify(config)).slice(0, 12);
}

/** Lambda's destination record (version 1.0). */
function destinationRecord(deployed: Deployed, outcome: AsyncOutcome): DestinationRecord {
  const { result } = outcome;
  let responsePayload: unknown;
  let functionError: string | undefined;
  if (result?.ok) {
    responsePayload = result.value ?? null;
  } else {
    const error = result?.ok === false ? result.error : outcome.error;
    functionError = 'Unhandled';
    responsePayload = {
      errorType: error?.type ?? 'Error',
      errorMessage: error?.message ?? 'unknown error',
      ...(result?.ok === false && result.error.stack ? { trace: result.error.stack.split('\n') } : {}),
    };
  }
  return {
    version: '1.0',
    timestamp: new Date().toISOString(),
    requestContext: {
      requestId: outcome.requestId,
      functionArn: `${functionArn(deployed.def.name)}:$LATEST`,
      condition: outcome.condition,
      approximateInvokeCount: outcome.invokeCount,
    },
    requestPayload: outcome.event,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', ...(functionError ? { functionError } : {}) },
    responsePayload,
  };
}

function round2(ms: number): number {
  return Math.round(ms * 100) / 100;
}

function notFound(name: string): SluiceError {
  return new SluiceError('SLUICE_ERR_FUNCTION_NOT_FOUND', `function not found: ${name}`, { details: { functionName: name } });
}

function summarize({ def, version, codeSha256, deployedAt }: { def: FunctionDefinition; version: string; codeSha256: string; deployedAt: string }): FunctionSummary {
  return { name: def.name, version, timeoutMs: def.timeoutMs, memorySizeMb: def.memorySizeMb, codeSha256, deployedAt };
}
