import { errorMessage, type Logger, type Metrics } from '../core/index.js';

/** Queue jobs that are not a rule's carry a rule name starting with `$` (rule names cannot). */
const INTERNAL_PREFIX = '$';

/** Counts since this process started (queuePending and deadLetters: now). */
export interface OverviewTotals {
  messagesReceived: number;
  ruleMatches: number;
  /** Rule actions that succeeded (notification deliveries, API Event invokes and error actions not counted). */
  actionSuccesses: number;
  /** Rule actions that failed for good. */
  actionFailures: number;
  /** Notification deliveries sent (every protocol). */
  alertsSent: number;
  /** Jobs queued or running now (rule actions and notification deliveries). */
  queuePending: number;
  deadLetters: number;
}

/** One second of the overview's history. */
export interface OverviewSample {
  /** ms since the epoch */
  t: number;
  messagesPerSecond: number;
  ruleMatchesPerSecond: number;
  actionSuccessesPerSecond: number;
  actionFailuresPerSecond: number;
  alertsPerSecond: number;
  queuePending: number;
}

/** `GET /api/v1/overview`. */
export interface Overview {
  connectedClients: number;
  totals: OverviewTotals;
  /** Oldest first. */
  history: OverviewSample[];
}

type Labels = Record<string, string | number | undefined>;

/** A prom-client counter's values, as `get()` answers them. */
interface CounterValues {
  get(): Promise<{ values: Array<{ value: number; labels: Labels }> }>;
}

async function sum(counter: CounterValues, keep: (labels: Labels) => boolean): Promise<number> {
  return (await counter.get()).values.reduce((total, { value, labels }) => (keep(labels) ? total + value : total), 0);
}

/** `$notify/<topic>` (notification deliveries, counted as alerts), `$invoke` (API Event invokes) and error actions are not rule actions. */
function ruleAction(labels: Labels): boolean {
  return !String(labels.kind).startsWith('error:') && !String(labels.rule).startsWith(INTERNAL_PREFIX);
}

/** Reads the totals from the server's Prometheus counters and the action queue's counts. */
export async function readTotals(metrics: Metrics, queueStats: () => Promise<{ depth: number; deadLetters: number }>): Promise<OverviewTotals> {
  const [messagesReceived, ruleMatches, actionSuccesses, actionFailures, alertsSent, stats] = await Promise.all([
    sum(metrics.messagesReceived, () => true),
    sum(metrics.ruleMatches, () => true),
    sum(metrics.actions, (labels) => labels.outcome === 'success' && ruleAction(labels)),
    sum(metrics.actions, (labels) => labels.outcome === 'failure' && ruleAction(labels)),
    sum(metrics.notificationsSent, (labels) => labels.outcome === 'sent'),
    queueStats(),
  ]);
  return { messagesReceived, ruleMatches, actionSuccesses, actionFailures, alertsSent, queuePending: stats.depth, deadLetters: stats.deadLetters };
}

export interface OverviewSamplerOptions {
  totals: () => Promise<OverviewTotals>;
  connectedClients: () => number;
  logger: Logger;
  /** ms between samples; default 1,000. */
  intervalMs?: number;
  /** Samples kept; default 300 (five minutes at one a second). */
  capacity?: number;
  /** ms since the epoch */
  now?: () => number;
}

/**
 * The overview's history: every `intervalMs` the totals are read and the
 * rates since the previous reading kept, the last `capacity` of them. The
 * timer is unref'd (it never keeps the process alive) and runs from `start`
 * to `stop`; a reading still running when the next is due is not doubled.
 */
export class OverviewSampler {
  readonly #o: Required<Omit<OverviewSamplerOptions, 'logger'>> & { logger: Logger };
  readonly #history: OverviewSample[] = [];
  #previous: { at: number; totals: OverviewTotals } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;

  constructor(options: OverviewSamplerOptions) {
    this.#o = { intervalMs: 1_000, capacity: 300, now: Date.now, ...options };
  }

  /** Takes the first reading (the baseline rates are measured from), then samples every `intervalMs`. */
  async start(): Promise<void> {
    if (this.#timer) return;
    await this.sample();
    this.#timer = setInterval(() => {
      if (this.#inFlight) return;
      this.#inFlight = this.sample()
        .catch((error: unknown) => this.#o.logger.warn({ err: errorMessage(error) }, 'overview sample failed'))
        .finally(() => (this.#inFlight = undefined));
    }, this.#o.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#inFlight;
  }

  /** One reading: the first only sets the baseline; each later one adds a sample of the rates since the one before. */
  async sample(): Promise<void> {
    const totals = await this.#o.totals();
    const at = this.#o.now();
    const previous = this.#previous;
    this.#previous = { at, totals };
    if (!previous) return;
    const seconds = Math.max(at - previous.at, 1) / 1000;
    const rate = (field: keyof OverviewTotals) => round2(Math.max(0, totals[field] - previous.totals[field]) / seconds);
    this.#history.push({
      t: at,
      messagesPerSecond: rate('messagesReceived'),
      ruleMatchesPerSecond: rate('ruleMatches'),
      actionSuccessesPerSecond: rate('actionSuccesses'),
      actionFailuresPerSecond: rate('actionFailures'),
      alertsPerSecond: rate('alertsSent'),
      queuePending: totals.queuePending,
    });
    if (this.#history.length > this.#o.capacity) this.#history.splice(0, this.#history.length - this.#o.capacity);
  }

  async overview(): Promise<Overview> {
    return { connectedClients: this.#o.connectedClients(), totals: await this.#o.totals(), history: [...this.#history] };
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
