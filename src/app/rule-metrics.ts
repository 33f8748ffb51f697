import { targetResource, type ActionJob } from '../actions/index.js';
import type { Metrics } from '../core/index.js';

/** Per rule, since this process started (`GET /api/v1/rules`). */
export interface RuleMetrics {
  matches: number;
  /** Rule actions that succeeded (error actions not counted). */
  actionSuccesses: number;
  /** Rule actions that failed for good: retries used up or not retryable (then the error action or the dead-letter store took them). */
  actionFailures: number;
  lastFailure: { at: string; action: string; error: string } | null;
}

/**
 * The last failure of each rule, from the executor's `onSettled` hook (jobs
 * that failed for good). In memory, bounded by the number of rules that ever
 * failed since start, which the deployed rules bound.
 */
export class RuleFailures {
  readonly #last = new Map<string, { at: string; action: string; error: string }>();

  /** The executor's `onSettled` hook. */
  readonly settled = (job: ActionJob, outcome: { ok: true } | { ok: false; error: string }): void => {
    // `$notify/...` and `$invoke` jobs are not a rule's.
    if (outcome.ok || job.ruleName.startsWith('$')) return;
    this.#last.set(job.ruleName, {
      at: new Date().toISOString(),
      action: `${job.target.kind} ${targetResource(job.target)}`,
      error: outcome.error,
    });
  };

  last(ruleName: string): RuleMetrics['lastFailure'] {
    return this.#last.get(ruleName) ?? null;
  }
}

/** Each rule's counts from the Prometheus counters, and its last failure; rules never counted are absent (all zero). */
export async function ruleMetrics(metrics: Metrics, failures: RuleFailures): Promise<Map<string, RuleMetrics>> {
  const rules = new Map<string, RuleMetrics>();
  const row = (rule: string): RuleMetrics => {
    let found = rules.get(rule);
    if (!found) {
      found = { matches: 0, actionSuccesses: 0, actionFailures: 0, lastFailure: failures.last(rule) };
      rules.set(rule, found);
    }
    return found;
  };
  for (const { labels, value } of (await metrics.ruleMatches.get()).values) row(String(labels.rule)).matches += value;
  for (const { labels, value } of (await metrics.actions.get()).values) {
    // Error actions run for a failure that is already counted.
    if (String(labels.kind).startsWith('error:')) continue;
    if (labels.outcome === 'success') row(String(labels.rule)).actionSuccesses += value;
    else if (labels.outcome === 'failure') row(String(labels.rule)).actionFailures += value;
  }
  return rules;
}
