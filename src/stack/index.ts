/**
 * The stack capability's public surface: the stack file format (parse,
 * validate), deployment requests, planning and applying through a target port.
 */
export { parseStack, type ParseStackOptions } from './parse.js';
export type { StackSource } from './yaml-source.js';
export type { ExternalResources } from './validate.js';
export { prepareStackDeployment } from './prepare.js';
export { stackDeployRequestSchema, type StackDeployRequest } from './request.js';
export { formatPlan, canonicalJson, specHash, type PlanStep, type StackDeployResult, type IssuedStackCertificate } from './plan.js';
export type { DeployedResource } from './apply.js';
export { StackService, STACKS_COLLECTION, type DeployedStack, type DeployedStackSummary, type StackServiceOptions } from './service.js';
export type { StackTarget, IssuedCertificate } from './target.js';
export { simulatorCertificate, type SimulatorCertificate } from './simulator-certificate.js';
export { RESOURCE_KINDS } from './types.js';
export type * from './types.js';
export { loadStackFile } from './prepare.js';
export { parsePolicyDocumentFile } from './policy-file.js';
export type { LocatedStack } from './parse.js';
export {
  runRuleTests,
  DEFAULT_TEST_CLIENT_ID,
  DEFAULT_TEST_TIMESTAMP,
  type RuleTestReport,
  type RuleTestResult,
  type ExpectedOutcome,
  type ActualOutcome,
  type RunRuleTestsOptions,
} from './rule-tests.js';
