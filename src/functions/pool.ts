import { THROTTLED_ERROR_TYPE, type InvocationResult } from './types.js';
import { WorkerSlot, type SlotConfig } from './slot.js';

export interface PoolConfig {
  slot: SlotConfig;
  timeoutMs: number;
  maxWorkers: number;
  /** Invocations that may wait for a worker; one more is throttled (`TooManyRequestsException`). */
  maxQueued: number;
  /** Milliseconds an idle worker stays warm. */
  idleTimeoutMs: number;
}

/**
 * The warm workers of one function version. Invocations take an idle worker,
 * or start one while under `maxWorkers`, or wait their turn (FIFO, at most
 * `maxQueued` of them; beyond that they are throttled at once). A retired
 * pool (its version was replaced or removed) finishes what it has, then
 * terminates its workers.
 */
export class VersionPool {
  readonly #config: PoolConfig;
  readonly #slots = new Set<WorkerSlot>();
  /** Most recently used last, so the warmest worker is reused and the coldest reaped. */
  readonly #idle: WorkerSlot[] = [];
  readonly #idleTimers = new Map<WorkerSlot, NodeJS.Timeout>();
  readonly #waiters: Array<(slot: WorkerSlot) => void> = [];
  #inFlight = 0;
  #retired = false;
  #drained: (() => void) | undefined;
  #retiring: Promise<void> | undefined;

  constructor(config: PoolConfig) {
    this.#config = config;
  }

  async invoke(requestId: string, event: unknown): Promise<InvocationResult> {
    const acquired = this.#acquire();
    if (acquired === undefined) return this.#throttled(requestId);
    this.#inFlight++;
    try {
      const slot = await acquired;
      slot.setBusy(true);
      try {
        return await slot.invoke(requestId, event, this.#config.timeoutMs);
      } finally {
        this.#release(slot);
      }
    } finally {
      this.#inFlight--;
      if (this.#inFlight === 0) this.#drained?.();
    }
  }

  /** Stops taking new work; resolves once in-flight invocations end (bounded by their timeouts) and every worker has exited. */
  retire(): Promise<void> {
    this.#retiring ??= this.#retire();
    return this.#retiring;
  }

  async #retire(): Promise<void> {
    this.#retired = true;
    if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
    await Promise.all([...this.#slots].map((slot) => slot.terminate()));
    this.#slots.clear();
    this.#idle.length = 0;
    for (const timer of this.#idleTimers.values()) clearTimeout(timer);
    this.#idleTimers.clear();
  }

  get workerCount(): number {
    return this.#slots.size;
  }

  /** Invocations running in a worker now (Lambda's concurrent executions). */
  get running(): number {
    return this.#inFlight - this.#waiters.length;
  }

  /** Invocations waiting for a worker. */
  get queued(): number {
    return this.#waiters.length;
  }

  #throttled(requestId: string): InvocationResult {
    const { maxWorkers, maxQueued, slot } = this.#config;
    return {
      ok: false,
      error: {
        type: THROTTLED_ERROR_TYPE,
        message:
          maxWorkers === 0
            ? `Rate exceeded: function ${slot.hostData.functionName} has a reserved concurrency of 0`
            : `Rate exceeded: function ${slot.hostData.functionName} has ${maxWorkers} invocations running and ${maxQueued} waiting`,
      },
      requestId,
      durationMs: 0,
      logs: [],
    };
  }

  /** An idle or new worker, or a place in the queue; undefined when the queue is full. */
  #acquire(): Promise<WorkerSlot> | undefined {
    for (let slot = this.#idle.pop(); slot; slot = this.#idle.pop()) {
      clearTimeout(this.#idleTimers.get(slot));
      this.#idleTimers.delete(slot);
      if (slot.alive) return Promise.resolve(slot);
      this.#slots.delete(slot);
    }
    if (this.#slots.size < this.#config.maxWorkers) return Promise.resolve(this.#spawn());
    if (this.#waiters.length >= this.#config.maxQueued) return undefined;
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #spawn(): WorkerSlot {
    const slot = new WorkerSlot(this.#config.slot);
    this.#slots.add(slot);
    // A worker that dies while idle (a stray timer throwing) leaves the pool at once.
    void slot.exited.then(() => this.#forget(slot));
    return slot;
  }

  #forget(slot: WorkerSlot): void {
    this.#slots.delete(slot);
    const index = this.#idle.indexOf(slot);
    if (index >= 0) this.#idle.splice(index, 1);
    clearTimeout(this.#idleTimers.get(slot));
    this.#idleTimers.delete(slot);
  }

  #release(slot: WorkerSlot): void {
    slot.setBusy(false);
    if (!slot.alive) this.#slots.delete(slot);
    const waiter = this.#waiters.shift();
    if (waiter) {
      // Hand over directly, so a queued invocation never loses its turn to a newcomer.
      waiter(slot.alive ? slot : this.#spawn());
      return;
    }
    if (!slot.alive) return;
    if (this.#retired) {
      void slot.terminate();
      return;
    }
    this.#idle.push(slot);
    const timer = setTimeout(() => {
      this.#forget(slot);
      void slot.terminate();
    }, this.#config.idleTimeoutMs);
    timer.unref();
    this.#idleTimers.set(slot, timer);
  }
}
