import type { ActionDispatcher, RuleSet } from '../actions/index.js';
import type { InboundMessage } from '../broker/index.js';
import { errorMessage, isSluiceError, newId, type Logger, type Metrics } from '../core/index.js';
import { decodeMessage } from '../rules/index.js';

export interface PipelineDeps {
  rules: RuleSet;
  dispatcher: ActionDispatcher;
  metrics: Metrics;
  logger: Logger;
}

/**
 * The message path after the broker: decode → match and evaluate rules →
 * enqueue their actions. The broker waits for this before PUBACK, so once
 * enqueue is durable (issue 3) an acknowledged message cannot be lost.
 */
export function createMessagePipeline(deps: PipelineDeps): (message: InboundMessage) => Promise<void> {
  return async (message) => {
    deps.metrics.messagesReceived.inc({ qos: String(message.qos) });
    const decoded = decodeMessage({
      topic: message.topic,
      payload: message.payload,
      clientId: message.clientId,
      timestamp: message.receivedAt,
    });
    const routed = deps.rules.route(decoded, newId());
    for (const rule of routed.matchedRules) deps.metrics.ruleMatches.inc({ rule });
    for (const failure of routed.failures) {
      const reason = isSluiceError(failure.error) && failure.error.code === 'SLUICE_ERR_PAYLOAD_NOT_JSON' ? 'payload_not_json' : 'evaluation_error';
      deps.metrics.ruleErrors.inc({ rule: failure.ruleName, reason });
      deps.logger.warn(
        { rule: failure.ruleName, topic: message.topic, clientId: message.clientId, reason, err: errorMessage(failure.error) },
        'rule could not evaluate message; skipped for this rule',
      );
    }
    if (routed.jobs.length > 0) await deps.dispatcher.enqueue(routed.jobs);
  };
}
