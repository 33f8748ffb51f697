import { SluiceError } from '../core/index.js';
import type { FunctionRuntime } from '../functions/index.js';
import type { FunctionInvoker } from '../rules/index.js';

/**
 * aws_lambda() in a rule: a synchronous (RequestResponse) invocation whose
 * result becomes the call's value. The rule waits at most `timeoutMs` (AWS:
 * 2 s); a slower function keeps running to its own timeout, but this
 * message's evaluation of the rule fails, as does one whose function throws.
 */
export function functionInvokerForRules(functions: FunctionRuntime): FunctionInvoker {
  return async (functionName, payload, timeoutMs) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(
          new SluiceError('SLUICE_ERR_FUNCTION_TIMEOUT', `aws_lambda('${functionName}') did not answer within ${timeoutMs} ms`, {
            details: { function: functionName, timeoutMs },
          }),
        );
      }, timeoutMs);
    });
    try {
      const result = await Promise.race([functions.invoke(functionName, payload, { invocationType: 'RequestResponse' }), timeout]);
      if (result.ok) return result.value;
      throw new SluiceError('SLUICE_ERR_FUNCTION_FAILED', `aws_lambda('${functionName}') failed: ${result.error.type}: ${result.error.message}`, {
        details: { function: functionName, requestId: result.requestId, errorType: result.error.type },
      });
    } finally {
      clearTimeout(timer);
    }
  };
}
