/**
 * Checks that need more than the schema: every rule's SQL compiles (with the
 * rule's own sqlVersion, as it will be deployed), every action template
 * compiles, every test case's topic is one a device could publish to, and
 * every reference names something that exists (in this stack, or deployed
 * elsewhere when the caller says so).
 */
import { isSluiceError, SluiceError, type ErrorPlace } from '../core/index.js';
import { validateSubscriptionInput, type SubscribeInput } from '../notify/index.js';
import { compileRule, compileTemplate, lambdaTargets, validateTopicName, type CompiledRule } from '../rules/index.js';
import { didYouMean } from './suggest.js';
import type { ParsedStackFile } from './schema.js';
import type { ActionSpec, ExternalReference, ResourceKind } from './types.js';
import type { FieldPath, StackLocator } from './yaml-source.js';

/**
 * How references to resources outside the stack are treated: a predicate says
 * whether one exists; `'defer'` accepts them and lists them in
 * `externalReferences` for the server to check (the CLI cannot know).
 * Without either, every reference must resolve inside the stack.
 */
export type ExternalResources = ((kind: ExternalReference['kind'], name: string) => boolean) | 'defer';

export function validateStack(stack: ParsedStackFile, locator: StackLocator, external: ExternalResources | undefined): ExternalReference[] {
  const references: ExternalReference[] = [];
  const reference = (kind: ExternalReference['kind'], name: string, known: Record<string, unknown>, path: FieldPath) => {
    if (Object.hasOwn(known, name)) return;
    if (external === 'defer') {
      references.push({ kind, name, place: locator.place(path) });
      return;
    }
    if (external?.(kind, name)) return;
    const suggestion = didYouMean(name, Object.keys(known));
    const hint = suggestion ? ` (did you mean '${suggestion}'?)` : '';
    throw new SluiceError('SLUICE_ERR_STACK_REFERENCE', `unknown ${referenceKindLabel(kind)} '${name}': not defined in this stack nor deployed${hint}`, {
      place: locator.place(path),
    });
  };

  for (const [ruleName, rule] of Object.entries(stack.rules)) {
    const rulePath = ['rules', ruleName];
    const compiled = withPlace(() => compileRule(rule.sql, { sqlVersion: rule.sqlVersion }), (place) => sqlPlace(locator, [...rulePath, 'sql'], place));
    // aws_lambda('name', ...) with a literal name: the function must exist, as for a function action.
    for (const functionName of lambdaTargets(compiled)) reference('function', functionName, stack.functions, [...rulePath, 'sql']);
    rule.tests.forEach((test, i) => {
      const problem = validateTopicName(test.topic);
      if (problem) throw new SluiceError('SLUICE_ERR_STACK_INVALID', `not a topic a device can publish to: ${problem}`, { place: locator.place([...rulePath, 'tests', i, 'topic']) });
    });
    const actions: Array<[ActionSpec, FieldPath]> = rule.actions.map((action, i) => [action, [...rulePath, 'actions', i]]);
    if (rule.errorAction) actions.push([rule.errorAction, [...rulePath, 'errorAction']]);
    for (const [action, path] of actions) validateAction(action, [...path, action.kind], stack, locator, reference, compiled);
  }
  // A function's destinations must exist, as a rule action's targets must (a topic destination is checked when it is used).
  for (const [name, fn] of Object.entries(stack.functions)) {
    for (const when of ['onSuccess', 'onFailure'] as const) {
      const target = fn.destinations?.[when];
      const path = ['functions', name, 'destinations', when];
      if (target && 'function' in target) reference('function', target.function, stack.functions, [...path, 'function']);
      if (target && 'bucket' in target) reference('bucket', target.bucket, stack.buckets, [...path, 'bucket']);
    }
  }
  // A thing's type must exist before the thing: declared here, or made elsewhere (the registry refuses an unknown type).
  for (const [name, thing] of Object.entries(stack.things)) {
    if (thing.thingTypeName !== undefined) reference('thingType', thing.thingTypeName, stack.thingTypes, ['things', name, 'thingTypeName']);
  }
  for (const [name, certificate] of Object.entries(stack.certificates)) {
    if (certificate.thing !== undefined) reference('thing', certificate.thing, stack.things, ['certificates', name, 'thing']);
    certificate.policies.forEach((policy, i) => reference('policy', policy, stack.policies, ['certificates', name, 'policies', i]));
  }
  const thing = stack.simulator?.thing;
  if (thing !== undefined) reference('thing', thing, stack.things, ['simulator', 'thing']);
  for (const [topic, { subscriptions }] of Object.entries(stack.topics)) {
    const seen = new Map<string, number>();
    subscriptions.forEach((subscription, i) => {
      const path = ['topics', topic, 'subscriptions', i];
      const endpoint = validateSubscription(subscription as SubscribeInput, path, locator);
      const key = `${subscription.protocol}:${endpoint}`;
      const first = seen.get(key);
      if (first !== undefined) {
        throw new SluiceError('SLUICE_ERR_STACK_INVALID', `subscription ${subscription.protocol} ${endpoint} is listed twice (also subscriptions[${first}])`, { place: locator.place([...path, 'endpoint']) });
      }
      seen.set(key, i);
      // A function subscription's function must exist, as a function action's must.
      if (subscription.protocol === 'function') reference('function', endpoint, stack.functions, [...path, 'endpoint']);
    });
  }
  return references;
}

/**
 * notify's own checks of a subscription (endpoint per protocol, filter and
 * delivery policies, raw delivery), at the line of the field they are about;
 * inside a filter policy written as a map, at the offending entry. Returns
 * the normalized endpoint.
 */
function validateSubscription(subscription: SubscribeInput, path: FieldPath, locator: StackLocator): string {
  try {
    return validateSubscriptionInput(subscription);
  } catch (error) {
    if (!isSluiceError(error)) throw error;
    const field = fieldSegments(error.place?.field ?? '');
    const root = field[0];
    const inFile = typeof root === 'string' && Object.hasOwn(subscription, root) ? field : [];
    throw new SluiceError('SLUICE_ERR_STACK_INVALID', error.message, { place: locator.place([...path, ...inFile]), cause: error });
  }
}

/** `filterPolicy.price[0]["a b"]` → ['filterPolicy', 'price', 0, 'a b']. */
function fieldSegments(field: string): Array<string | number> {
  const segments: Array<string | number> = [];
  const pattern = /^([^.[\]]+)|\.([^.[\]]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/gy;
  for (let match = pattern.exec(field); match; match = pattern.exec(field)) {
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(match[2]);
    else if (match[3] !== undefined) segments.push(Number(match[3]));
    else if (match[4] !== undefined) segments.push(JSON.parse(match[4]) as string);
  }
  return segments;
}

/** How errors name a kind of resource: `thing type`, not `thingType`. */
export function referenceKindLabel(kind: ResourceKind): string {
  return kind === 'thingType' ? 'thing type' : kind;
}

type Reference = (kind: ExternalReference['kind'], name: string, known: Record<string, unknown>, path: FieldPath) => void;

function validateAction(action: ActionSpec, path: FieldPath, stack: ParsedStackFile, locator: StackLocator, reference: Reference, rule: CompiledRule): void {
  const template = (field: string | FieldPath, text: string) => {
    const fieldPath = [...path, ...(typeof field === 'string' ? [field] : field)];
    // Templates see the rule's SET variables, as the deployed rule's do.
    withPlace(
      () => compileTemplate(text, { variables: rule.variables, sqlVersion: rule.sqlVersion }),
      (place) => locator.placeInValue(fieldPath, Math.max((place.column ?? 1) - 1, 0)),
    );
  };
  switch (action.kind) {
    case 's3':
      template('bucket', action.bucket);
      template('key', action.key);
      // A templated bucket name is only known per message, so it cannot be checked here.
      if (!action.bucket.includes('${')) reference('bucket', action.bucket, stack.buckets, [...path, 'bucket']);
      return;
    case 'function':
      reference('function', action.name, stack.functions, [...path, 'name']);
      return;
    case 'republish':
      template('topic', action.topic);
      return;
    case 'http': {
      template('url', action.url);
      const problem = httpUrlProblem(action.url);
      if (problem) throw new SluiceError('SLUICE_ERR_STACK_INVALID', problem, { place: locator.place([...path, 'url']) });
      action.headers.forEach((header, i) => template(['headers', i, 'value'], header.value));
      return;
    }
    case 'archive':
      reference('bucket', action.bucket, stack.buckets, [...path, 'bucket']);
      return;
    case 'timeseries':
      reference('series', action.series, stack.series, [...path, 'series']);
      template('device', action.device);
      if (action.time !== undefined) template('time', action.time);
      return;
    default: {
      const unknownKind: never = action;
      throw new Error(`unhandled action kind ${JSON.stringify(unknownKind)}`);
    }
  }
}

/** Runs a compiler; re-throws its SluiceError with the place translated into the stack file. */
function withPlace<T>(compile: () => T, translate: (place: ErrorPlace & { offset?: number }) => ErrorPlace): T {
  try {
    return compile();
  } catch (error) {
    if (!isSluiceError(error)) throw error;
    const offset = typeof error.details?.offset === 'number' ? error.details.offset : undefined;
    const place = translate({ ...error.place, ...(offset === undefined ? {} : { offset }) });
    throw new SluiceError(error.code, error.message, { place, cause: error, ...(error.details ? { details: error.details } : {}) });
  }
}

/** SQL errors carry a line and column within the SQL (and an offset, when the rules engine gives one). */
function sqlPlace(locator: StackLocator, path: FieldPath, place: ErrorPlace & { offset?: number }): ErrorPlace {
  if (place.offset !== undefined) return locator.placeInValue(path, place.offset);
  if (place.line !== undefined) return locator.placeInValueAt(path, place.line, place.column ?? 1);
  return locator.place(path);
}

/**
 * Whether an `http` action's url is an http(s) URL once each `${...}` part is
 * stood in for by a placeholder: a template may fill a path segment or a host
 * label, but the scheme and the shape must be there in the stack file.
 * Credentials are refused: they would end up in logs and error messages (and
 * fetch refuses them); an `authorization` header carries them instead.
 */
function httpUrlProblem(url: string): string | undefined {
  const expected = `url must be an http:// or https:// URL (substitution templates aside), got '${url}'`;
  let parsed: URL;
  try {
    parsed = new URL(withoutTemplates(url, 'x'));
  } catch {
    return expected;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return expected;
  if (parsed.username || parsed.password) return 'url must not contain credentials; send them in a header (headers: [{ key: authorization, value: ... }])';
  return undefined;
}

/**
 * Replaces each `${...}` part of a template (one that compiles) by `placeholder`.
 * Skips over quoted strings and nested braces inside the expression, so a `}`
 * in `${get(x, '}')}` does not end the part early.
 */
function withoutTemplates(template: string, placeholder: string): string {
  let out = '';
  let i = 0;
  for (let open = template.indexOf('${'); open >= 0; open = template.indexOf('${', i)) {
    out += template.slice(i, open) + placeholder;
    let depth = 0;
    let quote: string | undefined;
    let j = open + 2;
    for (; j < template.length; j++) {
      const c = template[j];
      if (quote) {
        if (c === quote) quote = undefined;
      } else if (c === "'" || c === '"' || c === '`') quote = c;
      else if (c === '{') depth++;
      else if (c === '}') {
        if (depth === 0) break;
        depth--;
      }
    }
    i = j + 1;
  }
  return out + template.slice(i);
}
