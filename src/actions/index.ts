export { RuleSet } from './rule-set.js';
export type { RouteResult, RuleFailure } from './rule-set.js';
export { ActionDispatcher } from './dispatcher.js';
export type { DispatcherOptions } from './dispatcher.js';
export { executeAction } from './execute.js';
export type { ActionConfig, ActionTarget, ActionJob, ActionInput, RuleDefinition } from './model.js';
export type { ActionPorts, ObjectWriter, FunctionInvoker, MessagePublisher } from './ports.js';
