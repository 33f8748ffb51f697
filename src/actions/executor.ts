import { errorMessage, systemClock, type Clock, type Logger, type Metrics } from '../core/index.js';
import { isRetryable, isThrottled } from './action-error.js';
import { executeAction, functionEvent, type ActionResult } from './execute.js';
import { ARCHIVE_MAX_BATCH_MESSAGES, awsActionName, targetResource, type ActionJob } from './model.js';
import type { ActionPorts } from './ports.js';
import { isBatchingTarget, targetKey, type ActionQueue, type DeadLetter, type QueuedJob } from './queue/port.js';
import { backoffDelayMs, retryPolicyFor } from './retry-policy.js';

export interface ExecutorOptions {
  queue: ActionQueue;
  ports: ActionPorts;
  logger: Logger;
  metrics: Metrics;
  clock?: Clock;
  random?: () => number;
  /** Jobs running at once, across all targets. */
  concurrency?: number;
  /** Jobs running at once against one target (a bucket, a function, an HTTP origin), so a slow one cannot take every slot. */
  perTargetConcurrency?: number;
  /**
   * Jobs held at once for one batching target (an archive): they wait there
   * until their batch is written, so they take none of `concurrency`'s slots.
   */
  batchConcurrency?: number;
  /** Jobs on disk beyond which QoS 1 acknowledgements wait and QoS 0 messages are dropped (and counted). */
  maxBacklog?: number;
  /** ms between looks at the queue when nothing wakes the executor. */
  idlePollMs?: number;
  /** Told about every job that finished for good (done, handled by its error action, or dead-lettered). */
  onSettled?: (job: ActionJob, outcome: { ok: true } | { ok: false; error: string; deadLettered: boolean }) => void;
  /** Told about every attempt's outcome (message traces). Must not throw; called on the executor's path. */
  onAttempt?: (job: ActionJob, report: AttemptReport) => void;
}

/** One attempt of a job, for message traces. Times are the executor clock's ms since the epoch. */
export interface AttemptReport {
  /** failed: failed for good, taken by the error action or an onFailure destination. */
  outcome: 'ok' | 'retrying' | 'failed' | 'dead-letter';
  /** Attempts counted so far (a throttled one is not). */
  attempts: number;
  startedAt: number;
  finishedAt: number;
  error?: string;
  result?: ActionResult;
}

export type EnqueueOutcome = 'enqueued' | 'dropped';

/** Jobs leased in one queue call for a batching target: a batch fills without a queue round trip per message. */
const BATCH_LEASE = 500;
const THROTTLE_MIN_DELAY_MS = 1_000;
const THROTTLE_MAX_DELAY_MS = 5 * 60_000;

/**
 * Runs the durable queue's jobs: leases them with global and per-target
 * bounds, retries retryable failures with backoff, hands exhausted ones to
 * the rule's error action with AWS's message, and dead-letters what that
 * cannot take. Only leased jobs live in memory; the backlog stays on disk.
 */
export class ActionExecutor {
  readonly #o: Required<Omit<ExecutorOptions, 'onSettled' | 'onAttempt'>> & Pick<ExecutorOptions, 'onSettled' | 'onAttempt'>;
  readonly #running = new Set<Promise<void>>();
  readonly #busyTargets = new Map<string, number>();
  /** Running jobs of batching targets, which do not count against `concurrency`. */
  #batchRunning = 0;
  readonly #spaceWaiters: Array<() => void> = [];
  #backlog = 0;
  /** Jobs not yet done per target (waiting, retrying or running), to choose whom to lease for. */
  #targets = new Map<string, number>();
  #turn = 0;
  #recountedAt = Number.NEGATIVE_INFINITY;
  #refreshRequested = false;
  #changesDuringRecount: Map<string, number> | undefined;
  #wake: (() => void) | undefined;
  /** A wake() that came while the loop was not asleep (leasing, counting): the next sleep returns at once instead of losing it. */
  #wakeRequested = false;
  #loop: Promise<void> | undefined;
  #stopped = false;

  constructor(options: ExecutorOptions) {
    this.#o = {
      clock: systemClock,
      random: Math.random,
      // Half the slots at most for one target: a slow target slows only its own
      // jobs, and a single fs bucket still gets enough parallel fsyncs.
      concurrency: 32,
      perTargetConcurrency: 16,
      batchConcurrency: ARCHIVE_MAX_BATCH_MESSAGES,
      maxBacklog: 100_000,
      idlePollMs: 1_000,
      ...options,
    };
  }

  /** Jobs queued or running, as last counted. */
  get backlog(): number {
    return this.#backlog;
  }

  get running(): number {
    return this.#running.size;
  }

  async start(): Promise<void> {
    await this.#recount(this.#o.clock.now());
    this.#loop = this.#run();
  }

  /**
   * Durably records a message's jobs. QoS 1 callers await this before the
   * PUBACK; when the backlog is over its limit they wait (clients slow down)
   * while QoS 0 messages are dropped and counted instead.
   *
   * `derived`: jobs made by work the queue already admitted (a function
   * action's notifications). They are taken at once, over the limit if need
   * be: making them wait for room could deadlock, with every running slot held
   * by such work waiting for the others to finish.
   */
  async enqueue(jobs: ReadonlyArray<ActionJob>, qos: 0 | 1 | 2, options: { derived?: boolean } = {}): Promise<EnqueueOutcome> {
    if (jobs.length === 0) return 'enqueued';
    while (options.derived !== true && this.#backlog >= this.#o.maxBacklog && !this.#stopped) {
      if (qos === 0) {
        this.#o.metrics.messagesDropped.inc({ reason: 'backlog_full' });
        return 'dropped';
      }
      await new Promise<void>((resolve) => this.#spaceWaiters.push(resolve));
    }
    // Archive jobs are leased to this executor as they are written: each waits in memory for its batch
    // object anyway, and reading it back from the queue (lease, decode) cost more than the rest of its path.
    const queued: Array<{ job: ActionJob; key: string }> = [];
    const leasing: Array<{ job: ActionJob; key: string }> = [];
    for (const job of jobs) {
      const key = targetKey(job);
      (isBatchingTarget(key) && !this.#stopped ? leasing : queued).push({ job, key });
    }
    const [written, leased] = await Promise.allSettled([
      queued.length > 0 ? this.#o.queue.enqueue(queued.map(({ job }) => job)) : Promise.resolve(),
      leasing.length > 0 ? this.#o.queue.enqueueLeased(leasing.map(({ job }) => job)) : Promise.resolve([]),
    ]);
    // The two share one commit, but a job that cannot be encoded fails its own call only:
    // jobs that were written run, and the caller still hears of the failure.
    const accepted = [...(written.status === 'fulfilled' ? queued : []), ...(leased.status === 'fulfilled' ? leasing : [])];
    this.#backlog += accepted.length;
    for (const { key } of accepted) this.#countTarget(key, 1);
    if (leased.status === 'fulfilled') for (const held of leased.value) this.#start(held, true);
    if (written.status === 'fulfilled' && queued.length > 0) this.wake();
    if (written.status === 'rejected') throw written.reason;
    if (leased.status === 'rejected') throw leased.reason;
    return 'enqueued';
  }

  /** Look at the queue now (new jobs, replayed dead letters). */
  wake(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    if (wake) wake();
    else this.#wakeRequested = true;
  }

  /** Stops leasing and waits for running jobs; queued jobs stay on disk for the next start. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.wake();
    for (const release of this.#spaceWaiters.splice(0)) release();
    await this.#loop;
    await Promise.all([...this.#running]);
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      try {
        if (this.#refreshRequested) {
          this.#refreshRequested = false;
          await this.#recount(this.#o.clock.now());
        }
        const started = await this.#leaseAndStart();
        if (started > 0) continue;
        await this.#sleep(await this.#idleDelay());
      } catch (error) {
        // A failed queue read (a locked or full disk) must not end the loop, nor the process with an unhandled rejection.
        this.#o.logger.error({ err: errorMessage(error) }, 'action queue read failed; retrying');
        await this.#sleep(this.#o.idlePollMs);
      }
    }
  }

  /**
   * Leases jobs for one target at a time (its share of the free slots, or a
   * batch for an archive), taking targets in turn among those under their
   * bound that have jobs waiting, so one busy target never makes the others
   * wait and a lease never walks past another target's backlog.
   */
  async #leaseAndStart(): Promise<number> {
    let started = 0;
    const nothingDue = new Set<string>();
    while (!this.#stopped) {
      const slotFree = this.#running.size - this.#batchRunning < this.#o.concurrency;
      const room = (target: string): number =>
        (isBatchingTarget(target) ? this.#o.batchConcurrency : slotFree ? this.#o.perTargetConcurrency : 0) - (this.#busyTargets.get(target) ?? 0);
      const candidates = [...this.#targets].filter(([target, count]) => {
        const busy = this.#busyTargets.get(target) ?? 0;
        return !nothingDue.has(target) && room(target) > 0 && count > busy;
      });
      if (candidates.length === 0) break;
      this.#turn = (this.#turn + 1) % candidates.length;
      const [target, waiting] = candidates[this.#turn] as [string, number];
      const batching = isBatchingTarget(target);
      // Several jobs per lease (one queue transaction instead of one each), but no more than this
      // target's share of the free slots, so the other targets with work still get theirs this round.
      const freeSlots = this.#o.concurrency - (this.#running.size - this.#batchRunning);
      const share = Math.max(1, Math.min(room(target), Math.ceil(freeSlots / candidates.length), waiting - (this.#busyTargets.get(target) ?? 0)));
      const leased = await this.#o.queue.lease(batching ? Math.min(BATCH_LEASE, room(target)) : share, this.#o.clock.now(), { target });
      if (leased.length === 0) {
        nothingDue.add(target);
        continue;
      }
      for (const queued of leased) this.#start(queued, batching);
      started += leased.length;
    }
    return started;
  }

  #start(queued: QueuedJob, batching: boolean): void {
    if (batching) this.#batchRunning += 1;
    const running: Promise<void> = this.#execute(queued).finally(() => {
      if (batching) this.#batchRunning -= 1;
      this.#running.delete(running);
      this.wake();
    });
    this.#running.add(running);
  }

  async #idleDelay(): Promise<number> {
    const now = this.#o.clock.now();
    // Recount while idle, at most once per poll interval: the queue is the
    // truth, the counter only an estimate, and a count scans the whole queue.
    if (now - this.#recountedAt >= this.#o.idlePollMs || this.#running.size === 0) await this.#recount(now);
    // Archive jobs waiting for their batch hold no slot: only the others decide whether the executor is full.
    if (this.#running.size - this.#batchRunning >= this.#o.concurrency) return this.#o.idlePollMs;
    const next = await this.#o.queue.nextReadyAt();
    if (next === undefined || next <= now) return this.#o.idlePollMs;
    return Math.min(next - now, this.#o.idlePollMs);
  }

  #sleep(ms: number): Promise<void> {
    if (this.#wakeRequested) {
      this.#wakeRequested = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        // Forget this sleeper once it has woken, so a later wake() is remembered rather than spent on it.
        if (this.#wake === done) this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.#wake = done;
    });
  }

  /** The queue is the truth; the in-memory counts are estimates between recounts (replays, duplicate enqueues). */
  async #recount(now: number): Promise<void> {
    this.#recountedAt = now;
    // Changes made while the count runs may or may not be in it; they are kept
    // aside and applied on top, so a job enqueued meanwhile is never forgotten.
    const during = new Map<string, number>();
    this.#changesDuringRecount = during;
    let counted: Map<string, number>;
    try {
      counted = await this.#o.queue.activeTargets();
    } finally {
      this.#changesDuringRecount = undefined;
    }
    // Overcounting is harmless (a lease finds nothing; the next recount corrects it); undercounting would hide jobs.
    for (const target of during.keys()) counted.set(target, Math.max(counted.get(target) ?? 0, this.#targets.get(target) ?? 0));
    for (const [target, count] of counted) if (count <= 0) counted.delete(target);
    this.#targets = counted;
    this.#backlog = [...counted.values()].reduce((sum, n) => sum + n, 0);
    this.#releaseSpace();
  }

  /** Recount at the next look (after a replay put dead letters back), and look now. */
  refresh(): void {
    this.#recountedAt = Number.NEGATIVE_INFINITY;
    this.#refreshRequested = true;
    this.wake();
  }

  #countTarget(target: string, delta: number): void {
    const during = this.#changesDuringRecount;
    if (during) during.set(target, (during.get(target) ?? 0) + delta);
    const count = (this.#targets.get(target) ?? 0) + delta;
    if (count > 0) this.#targets.set(target, count);
    else this.#targets.delete(target);
  }

  #releaseSpace(): void {
    while (this.#backlog < this.#o.maxBacklog && this.#spaceWaiters.length > 0) this.#spaceWaiters.shift()?.();
  }

  #finished(job: ActionJob): void {
    this.#countTarget(targetKey(job), -1);
    this.#backlog = Math.max(0, this.#backlog - 1);
    this.#releaseSpace();
  }

  async #execute(queued: QueuedJob): Promise<void> {
    const { queue, ports, logger, metrics } = this.#o;
    const { job } = queued;
    const key = targetKey(job);
    const labels = { rule: job.ruleName, kind: job.target.kind };
    this.#busyTargets.set(key, (this.#busyTargets.get(key) ?? 0) + 1);
    metrics.actionsInFlight.inc();
    const timer = metrics.actionSeconds.startTimer({ kind: job.target.kind });
    const startedAt = this.#o.clock.now();
    try {
      if (this.#expiredEvent(queued)) {
        await this.#failed(queued, new Error(queued.lastError ?? 'the event expired before its first attempt'), { attempted: false, startedAt });
        return;
      }
      let result: ActionResult | undefined;
      try {
        result = await executeAction(job.target, job.input, job.id, ports, queued.attempts + 1);
      } catch (error) {
        await this.#failed(queued, error, { startedAt });
        return;
      }
      await queue.complete(job.id);
      metrics.actions.inc({ ...labels, outcome: 'success' });
      this.#finished(job);
      this.#o.onSettled?.(job, { ok: true });
      this.#o.onAttempt?.(job, { outcome: 'ok', attempts: queued.attempts + 1, startedAt, finishedAt: this.#o.clock.now(), ...(result ? { result } : {}) });
    } catch (error) {
      // The queue itself failed: the lease is kept, and the job runs again after a restart.
      logger.error({ jobId: job.id, err: errorMessage(error) }, 'action queue update failed');
    } finally {
      timer();
      metrics.actionsInFlight.dec();
      const left = (this.#busyTargets.get(key) ?? 1) - 1;
      if (left > 0) this.#busyTargets.set(key, left);
      else this.#busyTargets.delete(key);
    }
  }

  /**
   * Lambda discards an asynchronous event older than its maxEventAge before
   * trying it again (or at all), so a function job that waited that long in
   * the queue goes to its onFailure destination instead of running late.
   */
  #expiredEvent(queued: QueuedJob): boolean {
    if (queued.job.target.kind !== 'function') return false;
    const policy = retryPolicyFor(queued.job.target, this.#retryLimits(queued.job));
    return this.#o.clock.now() - queued.enqueuedAt >= policy.maxAgeMs;
  }

  async #failed(queued: QueuedJob, error: unknown, { attempted = true, startedAt }: { attempted?: boolean; startedAt: number }): Promise<void> {
    const { queue, logger, metrics, clock, random } = this.#o;
    const { job } = queued;
    const labels = { rule: job.ruleName, kind: job.target.kind };
    const message = errorMessage(error);
    const now = clock.now();
    const attempts = queued.attempts + (attempted ? 1 : 0);
    const policy = retryPolicyFor(job.target, this.#retryLimits(job));
    const ageMs = now - queued.enqueuedAt;
    const context = { rule: job.ruleName, action: job.target.kind, resource: targetResource(job.target), jobId: job.id, attempts, err: message };
    if (attempted && isThrottled(error) && ageMs < policy.maxAgeMs) {
      // Lambda retries a throttled event for up to its maxEventAge, backing off from 1 s to 5 min.
      // The queue keeps no throttle count, so the wait grows with the event's age instead.
      const delay = Math.round(Math.min(THROTTLE_MAX_DELAY_MS, Math.max(THROTTLE_MIN_DELAY_MS, ageMs / 2)) * (0.5 + random() / 2));
      await queue.retry(job.id, now + delay, message, { countAttempt: false });
      this.#o.onAttempt?.(job, { outcome: 'retrying', attempts: queued.attempts, startedAt, finishedAt: now, error: message });
      metrics.actions.inc({ ...labels, outcome: 'throttled' });
      logger.warn({ ...context, retryInMs: delay }, 'function throttled; will retry without counting an attempt');
      return;
    }
    if (attempted && isRetryable(error) && attempts < policy.maxAttempts && ageMs < policy.maxAgeMs) {
      const delay = backoffDelayMs(attempts, policy, random);
      await queue.retry(job.id, now + delay, message);
      this.#o.onAttempt?.(job, { outcome: 'retrying', attempts, startedAt, finishedAt: now, error: message });
      metrics.actions.inc({ ...labels, outcome: 'retry' });
      logger.warn({ ...context, retryInMs: delay }, 'rule action failed; will retry');
      return;
    }
    metrics.actions.inc({ ...labels, outcome: 'failure' });
    logger.error(context, 'rule action failed for good');
    const failures: DeadLetter['failures'] = [
      { failedAction: awsActionName(job.target), failedResource: targetResource(job.target), errorMessage: message },
    ];
    // A function's onFailure destination takes the record first (Lambda); the error action only runs when there is none or it failed.
    const condition = !attempted || (isRetryable(error) && attempts < policy.maxAttempts) ? 'EventAgeExceeded' : 'RetriesExhausted';
    const handled =
      ((!attempted || isRetryable(error)) && (await this.#toFailureDestination(job, condition, attempts, message))) || (await this.#runErrorAction(job, failures));
    if (handled) {
      await queue.complete(job.id);
    } else {
      await queue.deadLetter(job.id, failures, now, { countAttempt: attempted });
      metrics.actions.inc({ ...labels, outcome: 'dead_letter' });
      logger.error(context, 'rule action dead-lettered; replay it with "sluice dlq replay"');
    }
    this.#finished(job);
    this.#o.onSettled?.(job, { ok: false, error: message, deadLettered: !handled });
    this.#o.onAttempt?.(job, { outcome: handled ? 'failed' : 'dead-letter', attempts, startedAt, finishedAt: now, error: message });
  }

  /** The rule's own limits win; else, for a function action, the function's retryAttempts and maxEventAge. */
  #retryLimits(job: ActionJob): ActionJob['retry'] {
    if (job.retry !== undefined || job.target.kind !== 'function') return job.retry;
    return this.#o.ports.functions.retryLimits?.(job.target.functionName);
  }

  async #toFailureDestination(job: ActionJob, condition: 'RetriesExhausted' | 'EventAgeExceeded', attempts: number, lastError: string): Promise<boolean> {
    const { ports, logger, metrics } = this.#o;
    if (job.target.kind !== 'function' || !ports.functions.failed) return false;
    try {
      const delivered = await ports.functions.failed(job.target.functionName, functionEvent(job.input), job.id, { condition, attempts, errorMessage: lastError });
      if (delivered) metrics.actions.inc({ rule: job.ruleName, kind: job.target.kind, outcome: 'destination' });
      return delivered;
    } catch (error) {
      logger.error({ rule: job.ruleName, jobId: job.id, err: errorMessage(error) }, 'onFailure destination failed');
      return false;
    }
  }

  /** AWS IoT's error action message, so consumers written for AWS work unchanged. Returns whether it ran. */
  async #runErrorAction(job: ActionJob, failures: DeadLetter['failures']): Promise<boolean> {
    if (!job.errorTarget) return false;
    const { ports, logger, metrics } = this.#o;
    const report = {
      ruleName: job.ruleName,
      topic: job.input.topic,
      cloudwatchTraceId: job.id,
      clientId: job.input.clientId,
      base64OriginalPayload: job.originalPayload.toString('base64'),
      failures,
    };
    const labels = { rule: job.ruleName, kind: `error:${job.errorTarget.kind}` };
    try {
      await executeAction(job.errorTarget, { ...job.input, payload: Buffer.from(JSON.stringify(report)), value: report }, `${job.id}:error`, ports);
      metrics.actions.inc({ ...labels, outcome: 'success' });
      return true;
    } catch (error) {
      metrics.actions.inc({ ...labels, outcome: 'failure' });
      logger.error({ rule: job.ruleName, jobId: job.id, err: errorMessage(error) }, 'error action failed too');
      return false;
    }
  }
}
