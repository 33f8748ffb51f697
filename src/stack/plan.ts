/**
 * Planning: a stack becomes a flat list of resources with content hashes; the
 * plan is the diff of that list against the deployed record, by (kind, name).
 */
import { sha256Hex } from '../core/index.js';
import {
  RESOURCE_KINDS,
  type BucketSpec,
  type CertificateSpec,
  type FunctionDeploySpec,
  type PolicySpec,
  type ResourceKind,
  type RuleSpec,
  type SeriesSpec,
  type StackDefinition,
  type ThingSpec,
  type ThingTypeSpec,
  type TopicSpec,
  type TopicSubscriptionSpec,
} from './types.js';

/** One resource as planned and as recorded; `spec` is what the target's `put...` receives. */
export type StackResource =
  | { kind: 'bucket'; name: string; hash: string; spec: BucketSpec }
  | { kind: 'series'; name: string; hash: string; spec: SeriesSpec }
  | { kind: 'topic'; name: string; hash: string; spec: TopicSpec }
  | { kind: 'subscription'; name: string; hash: string; spec: TopicSubscriptionSpec }
  | { kind: 'function'; name: string; hash: string; spec: FunctionDeploySpec }
  | { kind: 'policy'; name: string; hash: string; spec: PolicySpec }
  | { kind: 'thingType'; name: string; hash: string; spec: ThingTypeSpec }
  | { kind: 'thing'; name: string; hash: string; spec: ThingSpec }
  | { kind: 'rule'; name: string; hash: string; spec: RuleSpec }
  /** `certificateId` is set once the certificate is issued (in the deployed record, never in a plan). */
  | { kind: 'certificate'; name: string; hash: string; spec: CertificateSpec; certificateId?: string };

export interface PlanStep {
  action: 'create' | 'update' | 'delete' | 'unchanged';
  kind: ResourceKind;
  name: string;
}

export interface StackDeployResult {
  stack: string;
  plan: PlanStep[];
  applied: boolean;
  /** Certificates this deploy issued (none when every declared one was issued before). */
  certificates?: IssuedStackCertificate[];
}

/**
 * A certificate a deploy issued. Over HTTP the answer carries the PEMs and
 * the private key (its only appearance: the server never keeps it) for the
 * CLI to write into `out`; a process that deployed a file from its own disk
 * (`sluice up --stack`) writes them itself and lists the `files`.
 */
export interface IssuedStackCertificate {
  name: string;
  certificateId: string;
  certificateArn: string;
  thing?: string;
  policies: string[];
  /** As in the stack file: relative to it. */
  out: string;
  certificatePem?: string;
  privateKeyPem?: string;
  rootCaPem?: string;
  /** The files written, once they are. */
  files?: string[];
}

/** JSON with sorted keys, so equal specs hash equally whatever order the file used. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function specHash(spec: unknown): string {
  return sha256Hex(canonicalJson(spec));
}

/** A subscription is identified by its topic, protocol and endpoint; changing the endpoint replaces it. */
export function subscriptionName(spec: TopicSubscriptionSpec): string {
  return `${spec.topic}/${spec.protocol}:${spec.endpoint}`;
}

/** The stack's resources in apply order; `code` holds each function's bundle. */
export function stackResources(definition: StackDefinition, code: Record<string, string>): StackResource[] {
  const resources: StackResource[] = [];
  const add = <R extends StackResource>(resource: Omit<R, 'hash'>) => resources.push({ ...resource, hash: specHash(resource.spec) } as R);
  for (const [name, spec] of Object.entries(definition.buckets)) add({ kind: 'bucket', name, spec });
  for (const [name, spec] of Object.entries(definition.series)) add({ kind: 'series', name, spec });
  for (const [topic, { subscriptions, ...spec }] of Object.entries(definition.topics)) {
    add({ kind: 'topic', name: topic, spec });
    for (const subscription of subscriptions) {
      const sub = { topic, ...subscription };
      add({ kind: 'subscription', name: subscriptionName(sub), spec: sub });
    }
  }
  for (const [name, spec] of Object.entries(definition.functions)) add({ kind: 'function', name, spec: { ...spec, code: code[name] ?? '' } });
  for (const [name, spec] of Object.entries(definition.policies)) add({ kind: 'policy', name, spec });
  for (const [name, spec] of Object.entries(definition.thingTypes)) add({ kind: 'thingType', name, spec });
  for (const [name, spec] of Object.entries(definition.things)) add({ kind: 'thing', name, spec });
  for (const [name, spec] of Object.entries(definition.rules)) add({ kind: 'rule', name, spec });
  for (const [name, spec] of Object.entries(definition.certificates)) add({ kind: 'certificate', name, spec });
  return sortForApply(resources);
}

const ORDER = new Map<ResourceKind, number>(RESOURCE_KINDS.map((kind, i) => [kind, i]));

/** Creation order (buckets … certificates): what a resource refers to exists before it. */
export function sortForApply<T extends { kind: ResourceKind }>(items: T[]): T[] {
  return [...items].sort((a, b) => (ORDER.get(a.kind) ?? 0) - (ORDER.get(b.kind) ?? 0));
}

/** Deletion order is the reverse: rules stop sending to a bucket before it goes. */
export function sortForDelete<T extends { kind: ResourceKind }>(items: T[]): T[] {
  return sortForApply(items).reverse();
}

export function resourceKey(resource: { kind: ResourceKind; name: string }): string {
  return `${resource.kind}:${resource.name}`;
}

/**
 * Kinds whose deletes wait until the creates and updates are done: a thing
 * type can only go once no thing has it, and a thing this deploy keeps may be
 * moving off it to another type.
 */
const DELETED_LAST = new Set<ResourceKind>(['thingType']);

/**
 * Steps in execution order: deletes first (rules first), then creates and
 * updates (buckets first), then the deletes of thing types, then unchanged.
 */
export function diffResources(deployed: readonly ResourceRef[], wanted: readonly ResourceRef[]): PlanStep[] {
  const before = new Map(deployed.map((r) => [resourceKey(r), r]));
  const after = new Set(wanted.map(resourceKey));
  const allDeletes = sortForDelete(deployed.filter((r) => !after.has(resourceKey(r)))).map((r) => step('delete', r));
  const deletes = allDeletes.filter((s) => !DELETED_LAST.has(s.kind));
  const lateDeletes = allDeletes.filter((s) => DELETED_LAST.has(s.kind));
  const changes: PlanStep[] = [];
  const unchanged: PlanStep[] = [];
  for (const resource of wanted) {
    const old = before.get(resourceKey(resource));
    if (!old) changes.push(step('create', resource));
    else if (old.hash !== resource.hash) changes.push(step('update', resource));
    else unchanged.push(step('unchanged', resource));
  }
  return [...deletes, ...sortForApply(changes), ...lateDeletes, ...unchanged];
}

/** What planning needs of a resource, planned or recorded. */
export interface ResourceRef {
  kind: ResourceKind;
  name: string;
  hash: string;
}

function step(action: PlanStep['action'], resource: ResourceRef): PlanStep {
  return { action, kind: resource.kind, name: resource.name };
}

const SYMBOL: Record<PlanStep['action'], string> = { create: '+', update: '~', delete: '-', unchanged: '=' };

/** Human-readable plan: one line per resource, then a summary. */
export function formatPlan(result: StackDeployResult): string {
  const width = Math.max(...RESOURCE_KINDS.map((k) => k.length));
  const lines = result.plan.map((s) => `${SYMBOL[s.action]} ${s.action.padEnd(9)} ${s.kind.padEnd(width)} ${s.name}`);
  const count = (action: PlanStep['action']) => result.plan.filter((s) => s.action === action).length;
  const summary =
    `stack ${result.stack}: ${count('create')} to create, ${count('update')} to update, ${count('delete')} to delete, ${count('unchanged')} unchanged` +
    (result.applied ? ' (applied)' : result.plan.some((s) => s.action !== 'unchanged') ? ' (dry run: nothing applied)' : ' (nothing to do)');
  const issued = (result.certificates ?? []).map(
    (c) => `issued certificate ${c.name} ${c.certificateId}${c.files ? `: wrote ${c.files.join(', ')}` : ''}`,
  );
  return [...lines, summary, ...issued].join('\n');
}
