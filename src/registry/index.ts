export { Registry, policyDocumentSchema, THING_NAME, POLICY_NAME } from './registry.js';
export type { Thing, Policy, PolicyDocument } from './registry.js';
