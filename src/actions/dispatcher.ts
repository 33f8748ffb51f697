import { errorMessage, type Logger, type Metrics } from '../core/index.js';
import { executeAction } from './execute.js';
import { awsActionName, targetResource, type ActionJob } from './model.js';
import type { ActionPorts } from './ports.js';

export interface DispatcherOptions {
  ports: ActionPorts;
  logger: Logger;
  metrics: Metrics;
  /** Jobs running at once, across all targets. */
  concurrency?: number;
  /** Jobs waiting beyond which `enqueue` makes its caller wait (back-pressure, not memory growth). */
  maxQueued?: number;
  /** Told about every finished job, for traces and tests. */
  onSettled?: (job: ActionJob, outcome: { ok: true } | { ok: false; error: string }) => void;
}

/**
 * Runs action jobs off the message path with bounded concurrency and a
 * bounded queue. A failed action hands AWS's error message to the rule's
 * error action. This queue lives in memory: the durable queue with retries
 * and dead letters (issue 3) replaces it behind the same `enqueue`.
 */
export class ActionDispatcher {
  readonly #options: Required<Omit<DispatcherOptions, 'onSettled'>> & Pick<DispatcherOptions, 'onSettled'>;
  readonly #queue: ActionJob[] = [];
  readonly #spaceWaiters: Array<() => void> = [];
  readonly #idleWaiters: Array<() => void> = [];
  #running = 0;

  constructor(options: DispatcherOptions) {
    this.#options = { concurrency: 16, maxQueued: 10_000, ...options };
  }

  get pending(): number {
    return this.#queue.length + this.#running;
  }

  async enqueue(jobs: ReadonlyArray<ActionJob>): Promise<void> {
    for (const job of jobs) {
      while (this.#queue.length >= this.#options.maxQueued) {
        // Start what can start first: an idle dispatcher would otherwise wait for space nobody frees.
        this.#pump();
        if (this.#queue.length < this.#options.maxQueued) break;
        await new Promise<void>((resolve) => this.#spaceWaiters.push(resolve));
      }
      this.#queue.push(job);
      this.#options.metrics.actionsInFlight.inc();
    }
    this.#pump();
  }

  /** Resolves once every queued and running job has finished: for graceful shutdown. */
  async drain(): Promise<void> {
    if (this.pending === 0) return;
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  #pump(): void {
    while (this.#running < this.#options.concurrency && this.#queue.length > 0) {
      const job = this.#queue.shift() as ActionJob;
      this.#spaceWaiters.shift()?.();
      this.#running += 1;
      void this.#run(job).finally(() => {
        this.#running -= 1;
        this.#options.metrics.actionsInFlight.dec();
        this.#pump();
        if (this.pending === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
      });
    }
  }

  async #run(job: ActionJob): Promise<void> {
    const { ports, logger, metrics } = this.#options;
    const timer = metrics.actionSeconds.startTimer({ kind: job.target.kind });
    let outcome: { ok: true } | { ok: false; error: string };
    try {
      await executeAction(job.target, job.input, job.id, ports);
      metrics.actions.inc({ rule: job.ruleName, kind: job.target.kind, outcome: 'success' });
      outcome = { ok: true };
    } catch (error) {
      const message = errorMessage(error);
      metrics.actions.inc({ rule: job.ruleName, kind: job.target.kind, outcome: 'failure' });
      logger.error(
        { rule: job.ruleName, action: job.target.kind, resource: targetResource(job.target), jobId: job.id, err: message },
        'rule action failed',
      );
      await this.#runErrorAction(job, message);
      outcome = { ok: false, error: message };
    } finally {
      timer();
    }
    // Outside the try: an observer that throws must not turn a success into a failure.
    this.#options.onSettled?.(job, outcome);
  }

  /** AWS IoT's error action message shape, so consumers written for AWS work unchanged. */
  async #runErrorAction(job: ActionJob, errorText: string): Promise<void> {
    if (!job.errorTarget) return;
    const { ports, logger, metrics } = this.#options;
    const report = {
      ruleName: job.ruleName,
      topic: job.input.topic,
      cloudwatchTraceId: job.id,
      clientId: job.input.clientId,
      base64OriginalPayload: job.originalPayload.toString('base64'),
      failures: [{ failedAction: awsActionName(job.target), failedResource: targetResource(job.target), errorMessage: errorText }],
    };
    const payload = Buffer.from(JSON.stringify(report));
    try {
      await executeAction(job.errorTarget, { ...job.input, payload, value: report }, `${job.id}:error`, ports);
      metrics.actions.inc({ rule: job.ruleName, kind: `error:${job.errorTarget.kind}`, outcome: 'success' });
    } catch (error) {
      metrics.actions.inc({ rule: job.ruleName, kind: `error:${job.errorTarget.kind}`, outcome: 'failure' });
      logger.error({ rule: job.ruleName, jobId: job.id, err: errorMessage(error) }, 'error action failed too; failure is only in this log until dead letters exist');
    }
  }
}
