import type { FunctionInvoker } from '../actions/index.js';
import { THROTTLED_ERROR_TYPE, type FunctionRuntime } from '../functions/index.js';

/**
 * The rule `function` action's port onto the runtime. Each attempt of the
 * job is one attempt of Lambda's asynchronous invocation: the durable action
 * queue makes the retries, bounded by the function's `retryAttempts` + 1 and
 * `maxEventAge` (unless the rule sets its own `retry`); a throttled attempt
 * is retried without counting; the outcome goes to the function's destinations.
 */
export function functionActionPort(functions: FunctionRuntime): FunctionInvoker {
  return {
    async invokeAsync(name, event, requestId, attempt = 1) {
      const trigger = triggerOf(requestId);
      const result = await functions.invoke(name, event, { invocationType: 'RequestResponse', requestId, ...(trigger ? { trigger } : {}) });
      if (!result.ok) {
        return { ok: false, errorMessage: `${result.error.type}: ${result.error.message}`, ...(result.error.type === THROTTLED_ERROR_TYPE ? { throttled: true } : {}) };
      }
      await functions.deliverToDestination(name, { condition: 'Success', requestId, event, invokeCount: attempt, result });
      return { ok: true };
    },
    retryLimits(name) {
      const config = functions.asyncConfig(name);
      return config && { maxAttempts: config.retryAttempts + 1, maxAgeMs: config.maxEventAgeMs };
    },
    failed(name, event, requestId, { condition, attempts, errorMessage }) {
      // invokeAsync's message is "<errorType>: <errorMessage>".
      const split = /^([\w.]+): ([\s\S]*)$/.exec(errorMessage);
      const error = split ? { type: split[1] as string, message: split[2] as string } : { message: errorMessage };
      return functions.deliverToDestination(name, { condition, requestId, event, invokeCount: attempts, error });
    },
  };
}

/**
 * The request id of a rule action's invocation is its job id,
 * `<messageId>:<rule>:<action index>` (rule names are letters, digits and
 * `_`); the console shows the rule as the invocation's trigger.
 */
function triggerOf(requestId: string): string | undefined {
  const rule = /^[^:]+:([^:]+):\d+$/.exec(requestId)?.[1];
  return rule === undefined || rule.startsWith('$') ? undefined : `rule:${rule}`;
}
