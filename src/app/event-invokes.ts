import type { ActionExecutor, ActionJob } from '../actions/index.js';
import { SluiceError, newId } from '../core/index.js';
import type { FunctionRuntime } from '../functions/index.js';

/** The rule name the queue, its metrics and the dead-letter store show for an `Event` invoke made through the API. */
export const EVENT_INVOKE_RULE = '$invoke';

/**
 * Asynchronous (`Event`) invokes from the API and CLI go through the durable
 * action queue, like a rule's function action: accepted means on disk, so a
 * restart does not lose the event or its pending retries, and the function's
 * retryAttempts, maxEventAge and destinations apply as they do for rules.
 * What is left after them lands in the dead-letter store under
 * `$invoke`, where `sluice dlq` can replay it.
 */
export function eventInvoker(executor: ActionExecutor, functions: Pick<FunctionRuntime, 'has'>) {
  return async (functionName: string, event: unknown): Promise<{ requestId: string }> => {
    if (!functions.has(functionName)) throw new SluiceError('SLUICE_ERR_FUNCTION_NOT_FOUND', `no function named '${functionName}' is deployed`);
    const requestId = newId();
    const payload = Buffer.from(JSON.stringify(event ?? null));
    const job: ActionJob = {
      id: requestId,
      ruleName: EVENT_INVOKE_RULE,
      actionIndex: 0,
      target: { kind: 'function', functionName },
      input: { topic: `$invoke/${functionName}`, clientId: 'api', timestamp: Date.now(), payload, value: event ?? null },
      originalPayload: payload,
    };
    // As a QoS 1 message does: wait for room in the backlog, and for the commit.
    await executor.enqueue([job], 1);
    return { requestId };
  };
}
