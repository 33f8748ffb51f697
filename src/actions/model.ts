/**
 * An action as a rule declares it: templates not yet rendered. AWS's action
 * names and fields (TopicRulePayload), so the kinds to come (sns, http, ...)
 * slot into the same union.
 */
export type ActionConfig =
  | { kind: 's3'; bucket: string; key: string; contentType?: string }
  | { kind: 'function'; functionName: string }
  | { kind: 'republish'; topic: string; qos: 0 | 1 };

/** An action with its templates rendered against one message: what a job carries. */
export type ActionTarget =
  | { kind: 's3'; bucket: string; key: string; contentType?: string }
  | { kind: 'function'; functionName: string }
  | { kind: 'republish'; topic: string; qos: 0 | 1 };

export interface RuleDefinition {
  name: string;
  sql: string;
  enabled: boolean;
  actions: ActionConfig[];
  errorAction?: ActionConfig;
}

/** What an action receives: the rule's SELECT output and where the message came from. */
export interface ActionInput {
  topic: string;
  clientId: string;
  /** ms since the epoch, as `timestamp()` */
  timestamp: number;
  /** The SELECT output as bytes: the original payload for a plain `SELECT *`. */
  payload: Buffer;
  /** The SELECT output as a value; undefined for a binary payload passed through. */
  value: unknown;
}

/**
 * One unit of work. Plain data, so the durable queue (issue 3) can store it.
 * The id is stable for a given message, rule and action, so a retry writes the
 * same object key and reuses the same invocation id.
 */
export interface ActionJob {
  id: string;
  ruleName: string;
  actionIndex: number;
  target: ActionTarget;
  input: ActionInput;
  /** The payload as the device sent it, for the error action's `base64OriginalPayload`. */
  originalPayload: Buffer;
  errorTarget?: ActionTarget;
}

/** AWS's names for the failed action in error-action messages. */
export function awsActionName(target: ActionTarget): string {
  switch (target.kind) {
    case 's3':
      return 'S3Action';
    case 'function':
      return 'LambdaAction';
    case 'republish':
      return 'RepublishAction';
  }
}

export function targetResource(target: ActionTarget): string {
  switch (target.kind) {
    case 's3':
      return target.bucket;
    case 'function':
      return target.functionName;
    case 'republish':
      return target.topic;
  }
}
