import { errorMessage, systemClock, type Clock, type Logger } from '../core/index.js';
import type { ReadingsStore } from './port.js';

/** How often retention runs by default: hourly, as S3 applies lifecycle rules in the background, not at the expiry instant. */
export const DEFAULT_SWEEP_INTERVAL_MS = 3_600_000;

export interface RetentionSweeperOptions {
  store: Pick<ReadingsStore, 'expire'>;
  logger: Logger;
  /** Decides what "older than the retention" means; tests pass a simulated one. */
  clock?: Clock;
  /** ms between sweeps; default one hour. */
  intervalMs?: number;
}

/**
 * Applies each series' retention (the lifecycle rule of a series): once at
 * start, then every `intervalMs`. A sweep never overlaps the previous one.
 */
export class RetentionSweeper {
  readonly #o: RetentionSweeperOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> = Promise.resolve();

  constructor(options: RetentionSweeperOptions) {
    this.#o = options;
  }

  /** One sweep now: deletes what has expired at the clock's time; returns how many readings per series. */
  async sweep(): Promise<Record<string, number>> {
    const deleted = await this.#o.store.expire((this.#o.clock ?? systemClock).now());
    if (Object.keys(deleted).length > 0) this.#o.logger.info({ deleted }, 'expired readings past their series retention');
    return deleted;
  }

  start(): void {
    if (this.#timer) return;
    const run = (): void => {
      this.#running = this.#running
        .then(() => this.sweep())
        .catch((error: unknown) => this.#o.logger.error({ err: errorMessage(error) }, 'readings retention sweep failed'));
    };
    this.#timer = setInterval(run, this.#o.intervalMs ?? DEFAULT_SWEEP_INTERVAL_MS);
    this.#timer.unref();
    run();
  }

  /** Stops the schedule and waits for a sweep in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
