import type { Clock, Metrics } from '../core/index.js';
import type { ActionExecutor } from './executor.js';
import type { ActionQueue } from './queue/port.js';

export interface RuleActionCounts {
  rule: string;
  matched: number;
  succeeded: number;
  retried: number;
  failed: number;
  deadLettered: number;
  /** Jobs of this rule queued or running now. */
  queued: number;
}

export interface ActionStatus {
  backlog: number;
  running: number;
  deadLetters: number;
  /** ms */
  oldestJobAgeMs: number;
  rules: RuleActionCounts[];
}

/** `sluice status` and `GET /api/v1/status`: the queue as it is, and each rule's counts since start. */
export async function actionStatus(queue: ActionQueue, executor: ActionExecutor, metrics: Metrics, clock: Clock): Promise<ActionStatus> {
  const stats = await queue.stats(clock.now());
  const rules = new Map<string, RuleActionCounts>();
  const row = (rule: string): RuleActionCounts => {
    let found = rules.get(rule);
    if (!found) {
      found = { rule, matched: 0, succeeded: 0, retried: 0, failed: 0, deadLettered: 0, queued: stats.depthByRule[rule] ?? 0 };
      rules.set(rule, found);
    }
    return found;
  };
  for (const { labels, value } of (await metrics.ruleMatches.get()).values) row(String(labels.rule)).matched += value;
  for (const { labels, value } of (await metrics.actions.get()).values) {
    if (String(labels.kind).startsWith('error:')) continue;
    const counts = row(String(labels.rule));
    if (labels.outcome === 'success') counts.succeeded += value;
    else if (labels.outcome === 'retry') counts.retried += value;
    else if (labels.outcome === 'failure') counts.failed += value;
    else if (labels.outcome === 'dead_letter') counts.deadLettered += value;
  }
  for (const rule of Object.keys(stats.depthByRule)) row(rule);
  return {
    backlog: stats.depth,
    running: executor.running,
    deadLetters: stats.deadLetters,
    oldestJobAgeMs: stats.oldestAgeMs,
    rules: [...rules.values()].sort((a, b) => (a.rule < b.rule ? -1 : 1)),
  };
}
