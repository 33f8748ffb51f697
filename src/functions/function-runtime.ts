import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { ARN_REGION, SluiceError, functionArn, newId, sha256Hex, type Logger } from '../core/index.js';
import { writeFileAtomic, writeHostFile } from './host-file.js';
import { VersionPool } from './pool.js';
import type { FunctionDefinition, FunctionRuntimeOptions, FunctionSummary, InvocationResult, InvokeOptions, RuntimeServices } from './types.js';
import { validateDefinition } from './validate.js';

const DEFAULT_MAX_WORKERS = 10;
/** 5 minutes: long enough that a function invoked every 30 s (the reference sensors) stays warm. */
const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;
/** Lambda gives a function's init phase 10 s whatever its timeout. */
const MIN_INIT_TIMEOUT_MS = 10_000;

interface Deployed {
  def: FunctionDefinition;
  version: string;
  codeSha256: string;
  file: string;
  deployedAt: string;
  pool: VersionPool;
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
  readonly #idleTimeoutMs: number;
  readonly #hostFile: Promise<string>;
  readonly #functions = new Map<string, Deployed>();
  /** Code files still wanted by a deployment (current, retiring, or being written); deleted at zero. */
  readonly #fileRefs = new Map<string, number>();
  /** `Event` invocations and retiring pools: `close` waits for them. */
  readonly #background = new Set<Promise<unknown>>();
  #closed = false;

  constructor(options: FunctionRuntimeOptions) {
    this.#dir = path.join(options.dataDir, 'functions');
    this.#logger = options.logger;
    this.#services = options.services;
    this.#maxWorkers = options.maxWorkersPerFunction ?? DEFAULT_MAX_WORKERS;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
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
      deployed = { def, version, codeSha256, file, deployedAt: new Date().toISOString(), pool: this.#newPool(def, version, file, hostFile) };
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

  list(): FunctionSummary[] {
    return [...this.#functions.values()]
      .map(({ def, version, codeSha256, deployedAt }) => ({
        name: def.name,
        version,
        timeoutMs: def.timeoutMs,
        memorySizeMb: def.memorySizeMb,
        codeSha256,
        deployedAt,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
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
    const running = this.#run(deployed, requestId, event);
    if (options.invocationType !== 'Event') return running;
    // Lambda's asynchronous invocation: accepted now (202), the outcome only logged.
    this.#background.add(running);
    void running.finally(() => this.#background.delete(running));
    return { ok: true, value: undefined, requestId, durationMs: 0, logs: [] };
  }

  /** Waits for in-flight invocations (each bounded by its timeout), then terminates every worker. */
  async close(): Promise<void> {
    this.#closed = true;
    const deployments = [...this.#functions.values()];
    this.#functions.clear();
    await Promise.all([...deployments.map((d) => d.pool.retire()), ...this.#background]);
  }

  async #run(deployed: Deployed, requestId: string, event: unknown): Promise<InvocationResult> {
    const log = this.#logger.child({ function: deployed.def.name, version: deployed.version, requestId });
    const result = await deployed.pool.invoke(requestId, event);
    const durationMs = Math.round(result.durationMs * 100) / 100;
    if (result.ok) log.debug({ durationMs }, 'invocation succeeded');
    else log.warn({ durationMs, errorType: result.error.type, errorMessage: result.error.message }, 'invocation failed');
    return result;
  }

  #newPool(def: FunctionDefinition, version: string, file: string, hostFile: string): VersionPool {
    const arn = functionArn(def.name);
    return new VersionPool({
      timeoutMs: def.timeoutMs,
      maxWorkers: this.#maxWorkers,
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
      },
    });
  }

  /** Old warm workers finish their in-flight invocations, then exit; then the code file can go. */
  async #retire(deployed: Deployed): Promise<void> {
    const retiring = deployed.pool.retire();
    this.#background.add(retiring);
    try {
      await retiring;
    } finally {
      this.#background.delete(retiring);
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
  const config = JSON.stringify([codeSha256, def.exportName, def.timeoutMs, def.memorySizeMb, env]);
  return sha256Hex(config).slice(0, 12);
}

function notFound(name: string): SluiceError {
  return new SluiceError('SLUICE_ERR_FUNCTION_NOT_FOUND', `function not found: ${name}`, { details: { functionName: name } });
}
