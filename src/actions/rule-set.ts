import { SluiceError, errorMessage } from '../core/index.js';
import {
  TopicIndex,
  compileRule,
  compileTemplate,
  type CompiledRule,
  type CompiledTemplate,
  type DecodedMessage,
} from '../rules/index.js';
import type { ActionConfig, ActionJob, ActionTarget, RuleDefinition } from './model.js';

type CompiledAction =
  | { kind: 's3'; bucket: CompiledTemplate; key: CompiledTemplate; contentType?: string }
  | { kind: 'function'; functionName: string }
  | { kind: 'republish'; topic: CompiledTemplate; qos: 0 | 1 }
  | { kind: 'http'; url: CompiledTemplate; headers: Array<{ key: string; value: CompiledTemplate }>; timeoutMs: number };

interface DeployedRule {
  definition: RuleDefinition;
  compiled: CompiledRule;
  actions: CompiledAction[];
  errorAction: CompiledAction | undefined;
}

export interface RuleFailure {
  ruleName: string;
  error: SluiceError | Error;
}

export interface RouteResult {
  jobs: ActionJob[];
  matchedRules: string[];
  failures: RuleFailure[];
}

/**
 * The deployed rules, compiled once, indexed by their FROM filter so a message
 * only meets the rules whose filter matches its topic.
 */
export class RuleSet {
  readonly #rules = new Map<string, DeployedRule>();
  readonly #index = new TopicIndex<DeployedRule>();

  /** Compiles first, so a rule that does not compile leaves the deployed one in place. */
  put(definition: RuleDefinition): void {
    const compiled = compileRule(definition.sql);
    const deployed: DeployedRule = {
      definition,
      compiled,
      actions: definition.actions.map(compileAction),
      errorAction: definition.errorAction ? compileAction(definition.errorAction) : undefined,
    };
    this.delete(definition.name);
    this.#rules.set(definition.name, deployed);
    this.#index.add(compiled.topicFilter, deployed);
  }

  delete(name: string): boolean {
    const existing = this.#rules.get(name);
    if (!existing) return false;
    this.#rules.delete(name);
    this.#index.remove(existing.compiled.topicFilter, existing);
    return true;
  }

  get(name: string): RuleDefinition | undefined {
    return this.#rules.get(name)?.definition;
  }

  list(): Array<RuleDefinition & { topicFilter: string }> {
    return [...this.#rules.values()]
      .map((rule) => ({ ...rule.definition, topicFilter: rule.compiled.topicFilter }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /**
   * match → evaluate → render. A rule that fails on this message (say, a
   * non-JSON payload for a rule that reads fields) is reported and skipped;
   * the other rules still run.
   */
  route(message: DecodedMessage, messageId: string): RouteResult {
    const result: RouteResult = { jobs: [], matchedRules: [], failures: [] };
    for (const rule of this.#index.match(message.topic)) {
      if (!rule.definition.enabled) continue;
      try {
        const evaluation = rule.compiled.evaluate(message);
        if (!evaluation.matched) continue;
        const input = {
          topic: message.topic,
          clientId: message.clientId,
          timestamp: message.timestamp,
          payload: evaluation.output.bytes,
          value: evaluation.output.value,
        };
        const errorTarget = rule.errorAction ? renderAction(rule.errorAction, message) : undefined;
        // Render all of a rule's actions before adding any, so a failure never leaves half a rule's jobs.
        const jobs = rule.actions.map((action, actionIndex): ActionJob => ({
          id: `${messageId}:${rule.definition.name}:${actionIndex}`,
          ruleName: rule.definition.name,
          actionIndex,
          target: renderAction(action, message),
          input,
          originalPayload: message.payload,
          ...(errorTarget ? { errorTarget } : {}),
          ...(rule.definition.retry ? { retry: rule.definition.retry } : {}),
        }));
        result.matchedRules.push(rule.definition.name);
        result.jobs.push(...jobs);
      } catch (error) {
        result.failures.push({
          ruleName: rule.definition.name,
          error: error instanceof Error ? error : new Error(errorMessage(error)),
        });
      }
    }
    return result;
  }
}

function compileAction(config: ActionConfig): CompiledAction {
  switch (config.kind) {
    case 's3':
      return {
        kind: 's3',
        bucket: compileTemplate(config.bucket),
        key: compileTemplate(config.key),
        ...(config.contentType ? { contentType: config.contentType } : {}),
      };
    case 'function':
      return { kind: 'function', functionName: config.functionName };
    case 'republish':
      return { kind: 'republish', topic: compileTemplate(config.topic), qos: config.qos };
    case 'http':
      // AWS: the url and header values take substitution templates; header keys do not.
      return {
        kind: 'http',
        url: compileTemplate(config.url),
        headers: config.headers.map(({ key, value }) => ({ key, value: compileTemplate(value) })),
        timeoutMs: config.timeoutMs,
      };
  }
}

/** Substitution templates see the incoming message, as AWS IoT's do. */
function renderAction(action: CompiledAction, message: DecodedMessage): ActionTarget {
  switch (action.kind) {
    case 's3':
      return {
        kind: 's3',
        bucket: action.bucket.render(message),
        key: action.key.render(message),
        ...(action.contentType ? { contentType: action.contentType } : {}),
      };
    case 'function':
      return action;
    case 'republish':
      return { kind: 'republish', topic: action.topic.render(message), qos: action.qos };
    case 'http':
      return {
        kind: 'http',
        url: action.url.render(message),
        headers: action.headers.map(({ key, value }) => ({ key, value: value.render(message) })),
        timeoutMs: action.timeoutMs,
      };
  }
}
