import { SluiceError, errorMessage } from '../core/index.js';
import {
  TopicIndex,
  basicIngestTarget,
  compileRule,
  compileTemplate as compileRuleTemplate,
  type CompiledRule,
  type CompiledTemplate,
  type DecodedMessage,
  type FunctionInvoker,
  type RuleEvaluation,
} from '../rules/index.js';
import type { ActionConfig, ActionJob, ActionTarget, ArchiveTarget, RuleDefinition } from './model.js';

type CompiledAction =
  | { kind: 's3'; bucket: CompiledTemplate; key: CompiledTemplate; contentType?: string }
  | { kind: 'function'; functionName: string }
  | { kind: 'republish'; topic: CompiledTemplate; qos: 0 | 1 }
  | { kind: 'http'; url: CompiledTemplate; headers: Array<{ key: string; value: CompiledTemplate }>; timeoutMs: number }
  /** No templates: one archive action is one stream of batches. */
  | ArchiveTarget
  | { kind: 'timeseries'; series: string; device: CompiledTemplate; time?: CompiledTemplate; fields: string[] };

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
  /** Rules that read fields of this message although its payload is not JSON (they saw Undefined). */
  unreadable: string[];
  /** Only when asked (`timed`), for message traces: the rules evaluated, and the ms each took (render included), index by index. */
  evaluated?: string[];
  evaluationMs?: number[];
}

/**
 * The deployed rules, compiled once, indexed by their FROM filter so a message
 * only meets the rules whose filter matches its topic.
 */
export class RuleSet {
  readonly #rules = new Map<string, DeployedRule>();
  readonly #index = new TopicIndex<DeployedRule>();
  /**
   * The operator's switch (the console's enable/disable), by rule name: it
   * wins over the stack file's `enabled`, and outlives a redeploy of the rule.
   * Kept by name even while no rule has it (set before the stacks deploy).
   */
  readonly #switched = new Map<string, boolean>();

  /** Compiles first, so a rule that does not compile leaves the deployed one in place. */
  put(definition: RuleDefinition): void {
    const compiled = compileRule(definition.sql, { sqlVersion: definition.sqlVersion });
    const deployed: DeployedRule = {
      definition,
      compiled,
      actions: definition.actions.map((action) => compileAction(action, compiled)),
      errorAction: definition.errorAction ? compileAction(definition.errorAction, compiled) : undefined,
    };
    this.delete(definition.name);
    this.#rules.set(definition.name, deployed);
    // A rule without FROM is reachable only through Basic Ingest.
    if (compiled.topicFilter !== undefined) this.#index.add(compiled.topicFilter, deployed);
  }

  delete(name: string): boolean {
    const existing = this.#rules.get(name);
    if (!existing) return false;
    this.#rules.delete(name);
    if (existing.compiled.topicFilter !== undefined) this.#index.remove(existing.compiled.topicFilter, existing);
    return true;
  }

  get(name: string): RuleDefinition | undefined {
    return this.#rules.get(name)?.definition;
  }

  /** Turns a rule on or off over its definition's `enabled`; undefined removes the switch. A disabled rule matches nothing. */
  setEnabled(name: string, enabled: boolean | undefined): void {
    if (enabled === undefined) this.#switched.delete(name);
    else this.#switched.set(name, enabled);
  }

  /** Whether the rule runs: the operator's switch, else the definition's `enabled`; false for an unknown rule. */
  isEnabled(name: string): boolean {
    const rule = this.#rules.get(name);
    return rule !== undefined && this.#enabled(rule);
  }

  /** `enabled` is the effective state (the operator's switch, else the definition's). */
  list(): Array<RuleDefinition & { topicFilter: string | undefined }> {
    return [...this.#rules.values()]
      .map((rule) => ({ ...rule.definition, enabled: this.#enabled(rule), topicFilter: rule.compiled.topicFilter }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  #enabled(rule: DeployedRule): boolean {
    return this.#switched.get(rule.definition.name) ?? rule.definition.enabled;
  }

  /**
   * match → evaluate → render. A rule that fails on this message (say, a
   * runtime error in a function it calls) is reported and skipped; the other
   * rules still run. Rules that call aws_lambda() cannot run here (they fail
   * with a clear error); `routeAsync` runs them.
   */
  route(message: DecodedMessage, messageId: string): RouteResult {
    const result: RouteResult = { jobs: [], matchedRules: [], failures: [], unreadable: [] };
    for (const { rule, message: seen } of this.#candidates(message)) {
      try {
        this.#collect(result, rule, seen, rule.compiled.evaluate(seen), messageId);
      } catch (error) {
        result.failures.push(failure(rule, error));
      }
    }
    return result;
  }

  /** As `route`, running aws_lambda() calls through `invoke` (the server's functions). `timed`: fill `evaluationMs`. */
  async routeAsync(message: DecodedMessage, messageId: string, invoke: FunctionInvoker, options?: { timed?: boolean }): Promise<RouteResult> {
    const result: RouteResult = { jobs: [], matchedRules: [], failures: [], unreadable: [] };
    const evaluated = options?.timed === true ? (result.evaluated = [] as string[]) : undefined;
    const timings = evaluated ? (result.evaluationMs = [] as number[]) : undefined;
    for (const { rule, message: seen } of this.#candidates(message)) {
      const started = timings ? performance.now() : 0;
      try {
        const evaluation = rule.compiled.invokesFunctions ? await rule.compiled.evaluateAsync(seen, invoke) : rule.compiled.evaluate(seen);
        this.#collect(result, rule, seen, evaluation, messageId);
      } catch (error) {
        result.failures.push(failure(rule, error));
      }
      if (timings) {
        evaluated?.push(rule.definition.name);
        timings.push(performance.now() - started);
      }
    }
    return result;
  }

  /**
   * The enabled rules for this message, each with the message as the rule
   * sees it. Basic Ingest (`$aws/rules/<rule>/<topic>`) goes to the named
   * rule only, with the prefix taken off the topic (AWS "Basic Ingest").
   */
  *#candidates(message: DecodedMessage): Generator<{ rule: DeployedRule; message: DecodedMessage }> {
    const ingest = basicIngestTarget(message.topic);
    if (ingest) {
      const rule = this.#rules.get(ingest.ruleName);
      if (rule && this.#enabled(rule)) yield { rule, message: withTopic(message, ingest.topic) };
      return;
    }
    for (const rule of this.#index.match(message.topic)) {
      if (this.#enabled(rule)) yield { rule, message };
    }
  }

  #collect(result: RouteResult, rule: DeployedRule, message: DecodedMessage, evaluation: RuleEvaluation, messageId: string): void {
    // Not an error (AWS reads such fields as Undefined), but worth a metric: a device sending garbage never alerts.
    if (rule.compiled.readsPayload && message.payload.length > 0 && !message.json().ok) result.unreadable.push(rule.definition.name);
    if (!evaluation.matched) return;
    const input = {
      topic: message.topic,
      clientId: message.clientId,
      timestamp: message.timestamp,
      payload: evaluation.output.bytes,
      value: evaluation.output.value,
    };
    const vars = evaluation.vars;
    const errorTarget = rule.errorAction ? renderAction(rule.errorAction, message, vars) : undefined;
    // Render all of a rule's actions before adding any, so a failure never leaves half a rule's jobs.
    const jobs = rule.actions.map((action, actionIndex): ActionJob => ({
      id: `${messageId}:${rule.definition.name}:${actionIndex}`,
      ruleName: rule.definition.name,
      actionIndex,
      target: renderAction(action, message, vars),
      input,
      originalPayload: message.payload,
      ...(errorTarget ? { errorTarget } : {}),
      ...(rule.definition.retry ? { retry: rule.definition.retry } : {}),
    }));
    result.matchedRules.push(rule.definition.name);
    result.jobs.push(...jobs);
  }
}

function withTopic(message: DecodedMessage, topic: string): DecodedMessage {
  // json() is shared, so the payload is still parsed at most once.
  return { ...message, topic, json: () => message.json() };
}

function failure(rule: DeployedRule, error: unknown): RuleFailure {
  return { ruleName: rule.definition.name, error: error instanceof Error ? error : new Error(errorMessage(error)) };
}

/** Templates see the rule's SET variables (AWS "SET clause"), not its SELECT aliases. */
function compileAction(config: ActionConfig, rule: CompiledRule): CompiledAction {
  const compileTemplate = (template: string): CompiledTemplate => compileRuleTemplate(template, { variables: rule.variables, sqlVersion: rule.sqlVersion });
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
    case 'archive':
      return config;
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
    case 'timeseries':
      return {
        kind: 'timeseries',
        series: config.series,
        device: compileTemplate(config.device),
        ...(config.time !== undefined ? { time: compileTemplate(config.time) } : {}),
        fields: config.fields,
      };
  }
}

/** Substitution templates see the incoming message, as AWS IoT's do. */
function renderAction(action: CompiledAction, message: DecodedMessage, vars: readonly unknown[]): ActionTarget {
  switch (action.kind) {
    case 's3':
      return {
        kind: 's3',
        bucket: action.bucket.render(message, vars),
        key: action.key.render(message, vars),
        ...(action.contentType ? { contentType: action.contentType } : {}),
      };
    case 'function':
    case 'archive':
      return action;
    case 'republish':
      return { kind: 'republish', topic: action.topic.render(message, vars), qos: action.qos };
    case 'http':
      return {
        kind: 'http',
        url: action.url.render(message, vars),
        headers: action.headers.map(({ key, value }) => ({ key, value: value.render(message, vars) })),
        timeoutMs: action.timeoutMs,
      };
    case 'timeseries':
      return {
        kind: 'timeseries',
        series: action.series,
        device: action.device.render(message, vars),
        ...(action.time ? { time: action.time.render(message, vars) } : {}),
        fields: action.fields,
      };
  }
}
