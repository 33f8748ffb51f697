import { postHttp } from './http.js';
import type { ActionInput, ActionTarget } from './model.js';
import type { ActionPorts } from './ports.js';

/**
 * Runs one rendered action. Throws on failure; the dispatcher decides what a
 * failure leads to (error action now, retries with the durable queue later).
 */
export async function executeAction(target: ActionTarget, input: ActionInput, jobId: string, ports: ActionPorts): Promise<void> {
  switch (target.kind) {
    case 's3':
      await ports.objects.putObject(target.bucket, target.key, input.payload, {
        ...(target.contentType ? { contentType: target.contentType } : {}),
        metadata: { topic: input.topic, clientid: input.clientId, timestamp: String(input.timestamp) },
      });
      return;
    case 'function': {
      // A binary payload reaches a function base64-encoded, as it would reach Lambda.
      const event = input.value === undefined ? input.payload.toString('base64') : input.value;
      const outcome = await ports.functions.invokeAsync(target.functionName, event, jobId);
      if (!outcome.ok) throw new Error(outcome.errorMessage);
      return;
    }
    case 'republish':
      await ports.broker.publish(target.topic, input.payload, target.qos);
      return;
    case 'http':
      // Straight to the network (global fetch), not through a port: tests run a real server.
      await postHttp(target, input, jobId);
      return;
  }
}
