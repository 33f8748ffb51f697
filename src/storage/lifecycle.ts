import { errorMessage, type Clock, type Logger } from '../core/index.js';
import type { ObjectStore } from './object-store.js';

/** One of a bucket's lifecycle rules, as S3's Expiration: objects under `prefix` (all when unset) expire `expireAfterDays` days after they were last written. */
export interface LifecycleRule {
  prefix?: string;
  expireAfterDays: number;
}

const DAY_MS = 86_400_000;

/**
 * When an object expires, as S3 computes it: its last-modified time plus the
 * rule's days, rounded up to the next midnight UTC ("Amazon S3 calculates
 * the time by adding the number of days specified in the rule to the object
 * creation time and rounding the resulting time to the next day midnight
 * UTC", S3 User Guide, lifecycle expiration). Milliseconds since the epoch.
 */
export function expiresAt(lastModified: Date, expireAfterDays: number): number {
  const due = lastModified.getTime() + expireAfterDays * DAY_MS;
  return Math.ceil(due / DAY_MS) * DAY_MS;
}

/**
 * Deletes the objects that the rules say have expired at `now`, and only
 * those: an object under no rule's prefix is never looked at twice, never
 * deleted. Where rules overlap, the earliest expiry wins, as on S3.
 * Returns the number of objects deleted per bucket.
 */
export async function sweepLifecycle(
  store: ObjectStore,
  rules: ReadonlyMap<string, readonly LifecycleRule[]>,
  now: number,
  logger?: Logger,
): Promise<Map<string, number>> {
  const deleted = new Map<string, number>();
  for (const [bucket, bucketRules] of rules) {
    if (!(await store.bucketExists(bucket))) continue;
    let count = 0;
    for (const rule of bucketRules) {
      let startAfter: string | undefined;
      for (;;) {
        const page = await store.listObjects(bucket, {
          ...(rule.prefix ? { prefix: rule.prefix } : {}),
          ...(startAfter !== undefined ? { startAfter } : {}),
          limit: 1000,
        });
        for (const object of page) {
          if (expiresAt(object.lastModified, rule.expireAfterDays) <= now) {
            await store.deleteObject(bucket, object.key);
            count++;
          }
        }
        const last = page.at(-1);
        if (!last || page.length < 1000) break;
        startAfter = last.key;
      }
    }
    if (count > 0) {
      deleted.set(bucket, count);
      logger?.info({ bucket, deleted: count }, 'lifecycle: expired objects deleted');
    }
  }
  return deleted;
}

export interface LifecycleSweeperOptions {
  store: ObjectStore;
  /** The rules now in force, read at every sweep (a deploy may change them). */
  rules: () => ReadonlyMap<string, readonly LifecycleRule[]>;
  clock: Clock;
  logger: Logger;
  /** How often to sweep, in ms; S3 runs lifecycle about once a day, Sluice hourly by default so expiry lags less. */
  intervalMs?: number;
  /** Called after each sweep, with what it deleted (metrics, tests). */
  onSweep?: (deleted: Map<string, number>) => void;
}

/** Runs `sweepLifecycle` at start and then every `intervalMs`; one sweep at a time. */
export class LifecycleSweeper {
  readonly #options: LifecycleSweeperOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();
  #busy = false;

  constructor(options: LifecycleSweeperOptions) {
    this.#options = options;
  }

  start(): void {
    void this.sweep();
    this.#timer = setInterval(() => void this.sweep(), this.#options.intervalMs ?? 3_600_000);
    this.#timer.unref();
  }

  /** One sweep now (skipped when one is running); resolves when it is done. Failures are logged, not thrown: the next sweep tries again. */
  sweep(): Promise<void> {
    if (this.#busy) return this.#running;
    this.#busy = true;
    const { store, rules, clock, logger, onSweep } = this.#options;
    this.#running = sweepLifecycle(store, rules(), clock.now(), logger)
      .then((deleted) => onSweep?.(deleted))
      .catch((error: unknown) => logger.error({ err: errorMessage(error) }, 'lifecycle sweep failed; trying again at the next one'))
      .finally(() => {
        this.#busy = false;
      });
    return this.#running;
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }
}
