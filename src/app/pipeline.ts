import type { ActionExecutor, ActionJob, RuleSet } from '../actions/index.js';
import type { InboundMessage } from '../broker/index.js';
import { errorMessage, isSluiceError, newTimeOrderedId, type Logger, type Metrics } from '../core/index.js';
import { decodeMessage, type FunctionInvoker } from '../rules/index.js';
import type { TraceRing } from '../trace/index.js';

export interface PipelineDeps {
  rules: RuleSet;
  /** Runs functions for the rules' aws_lambda() calls. */
  invoke: FunctionInvoker;
  executor: ActionExecutor;
  metrics: Metrics;
  logger: Logger;
  /** Message traces; unset: tracing is off (`--trace-messages 0`). */
  traces?: TraceRing<ActionJob>;
}

const TIMED = { timed: true };

/**
 * The message path after the broker: decode → match and evaluate rules →
 * enqueue their actions durably. The broker waits for this before a QoS 1
 * PUBACK, so an acknowledged message's actions are on disk.
 */
export function createMessagePipeline(deps: PipelineDeps): (message: InboundMessage) => Promise<void> {
  return async (message) => {
    deps.metrics.messagesReceived.inc({ qos: String(message.qos) });
    const decoded = decodeMessage({
      topic: message.topic,
      payload: message.payload,
      clientId: message.clientId,
      timestamp: message.receivedAt,
      ...(message.principal !== undefined ? { principal: message.principal } : {}),
      ...(message.sourceIp !== undefined ? { sourceIp: message.sourceIp } : {}),
    });
    // Time-ordered: job ids start with it, and the queue's id index stays append-only (core/ids.ts).
    const messageId = newTimeOrderedId();
    const { traces } = deps;
    const routed = await deps.rules.routeAsync(decoded, messageId, deps.invoke, traces ? TIMED : undefined);
    const trace = traces?.record(messageId, message, routed, routed.jobs, Date.now());
    for (const rule of routed.matchedRules) deps.metrics.ruleMatches.inc({ rule });
    for (const rule of routed.unreadable) {
      deps.metrics.rulePayloadNotJson.inc({ rule });
      deps.logger.debug({ rule, topic: message.topic, clientId: message.clientId }, 'payload is not JSON; the rule read its fields as Undefined');
    }
    for (const failure of routed.failures) {
      const reason = isSluiceError(failure.error) && failure.error.code === 'SLUICE_ERR_PAYLOAD_NOT_JSON' ? 'payload_not_json' : 'evaluation_error';
      deps.metrics.ruleErrors.inc({ rule: failure.ruleName, reason });
      deps.logger.warn(
        { rule: failure.ruleName, topic: message.topic, clientId: message.clientId, reason, err: errorMessage(failure.error) },
        'rule could not evaluate message; skipped for this rule',
      );
    }
    if (routed.jobs.length === 0) return;
    if (message.qos === 0) {
      // QoS 0 promises nothing back to the device, so nothing waits for the commit.
      void deps.executor.enqueue(routed.jobs, 0).then(
        (outcome) => {
          if (outcome === 'dropped' && trace) traces?.enqueueFailed(trace, 'dropped: the action backlog is full (QoS 0)', Date.now());
        },
        (error: unknown) => {
          if (trace) traces?.enqueueFailed(trace, `could not enqueue: ${errorMessage(error)}`, Date.now());
          deps.metrics.messagesDropped.inc({ reason: 'enqueue_failed' });
          deps.logger.error({ topic: message.topic, err: errorMessage(error) }, 'could not enqueue QoS 0 actions; dropped');
        },
      );
      return;
    }
    try {
      await deps.executor.enqueue(routed.jobs, message.qos);
    } catch (error) {
      if (trace) traces?.enqueueFailed(trace, `could not enqueue: ${errorMessage(error)}`, Date.now());
      throw error;
    }
  };
}
