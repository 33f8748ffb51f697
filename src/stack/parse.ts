/**
 * parseStack: YAML → schema → substitutions → semantic checks, one named step
 * each. Pure: no disk, no network; every failure is a SluiceError with a place.
 */
import { SluiceError } from '../core/index.js';
import { parametersSchema, stackSchema } from './schema.js';
import { didYouMean } from './suggest.js';
import { substitute } from './substitute.js';
import type { ParameterSpec, RuleSpec, RuleTestSpec, StackDefinition } from './types.js';
import { validateStack, type ExternalResources } from './validate.js';
import { loadYaml, type StackLocator, type StackSource } from './yaml-source.js';
import { issueToError } from './zod-place.js';

export interface ParseStackOptions {
  /** How references to resources outside the stack are checked (see `ExternalResources`). */
  externalResources?: ExternalResources;
}

/** A parsed stack plus the locator, so later steps (handler files, ownership) can point at fields too. */
export interface LocatedStack {
  definition: StackDefinition;
  locator: StackLocator;
  /**
   * Each rule's `tests:` cases (rules without tests are left out), for
   * `sluice test`. Kept out of `definition`: tests are validated, never deployed.
   */
  tests: Record<string, RuleTestSpec[]>;
}

export function parseStack(src: StackSource, params: Record<string, string>, options: ParseStackOptions = {}): StackDefinition {
  return parseStackLocated(src, params, options).definition;
}

export function parseStackLocated(src: StackSource, params: Record<string, string>, options: ParseStackOptions = {}): LocatedStack {
  const { value, locator } = loadYaml(src);
  const root = requireMap(value, locator);
  const parameters = parseParameters(root.parameters, locator);
  const resolved = resolveParams(parameters, params, locator);
  const topics = new Set(root.topics && typeof root.topics === 'object' ? Object.keys(root.topics) : []);
  // Parameter declarations are not substituted: a default is a value, not a template.
  const substituted = substitute(root, { params: resolved, topics, locator }, new Set(['parameters']));
  const result = stackSchema.safeParse(substituted);
  if (!result.success) throw issueToError(result.error, substituted, locator, stackSchema);
  const stack = result.data;
  const externalReferences = validateStack(stack, locator, options.externalResources);
  const rules: Record<string, RuleSpec> = {};
  const tests: Record<string, RuleTestSpec[]> = {};
  for (const [ruleName, { tests: cases, ...rule }] of Object.entries(stack.rules)) {
    rules[ruleName] = rule;
    if (cases.length > 0) tests[ruleName] = cases;
  }
  const definition: StackDefinition = {
    name: stack.stack,
    ...(stack.description === undefined ? {} : { description: stack.description }),
    fileName: src.fileName,
    parameters,
    params: resolved,
    buckets: stack.buckets,
    series: stack.series,
    topics: stack.topics,
    functions: stack.functions,
    rules,
    thingTypes: stack.thingTypes,
    things: stack.things,
    policies: stack.policies,
    certificates: stack.certificates,
    ...(stack.simulator
      ? {
          simulator: {
            devices: stack.simulator.devices,
            intervalMs: stack.simulator.interval,
            qos: stack.simulator.qos,
            namePrefix: stack.simulator.namePrefix,
            topic: stack.simulator.topic,
            ...(stack.simulator.thing === undefined ? {} : { thing: stack.simulator.thing }),
          },
        }
      : {}),
    externalReferences,
  };
  return { definition: deepFreeze(definition), locator, tests: deepFreeze(tests) };
}

const SECTIONS = ['parameters', 'buckets', 'series', 'topics', 'functions', 'rules', 'thingTypes', 'things', 'policies', 'certificates'];

function requireMap(value: unknown, locator: StackLocator): Record<string, unknown> {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    // `rules:` with nothing under it (common while editing) means no rules, not a type error.
    const root = { ...(value as Record<string, unknown>) };
    for (const section of SECTIONS) if (root[section] === null) delete root[section];
    return root;
  }
  throw new SluiceError('SLUICE_ERR_STACK_INVALID', "a stack file is a map with at least 'stack: NAME'", { place: locator.place([]) });
}

function parseParameters(raw: unknown, locator: StackLocator): Record<string, ParameterSpec> {
  const result = parametersSchema.safeParse(raw);
  if (!result.success) throw issueToError(result.error, raw, locator, parametersSchema, ['parameters']);
  return result.data;
}

/** Declared defaults, overridden by `--param`; an undeclared `--param` or a required one left out is an error. */
function resolveParams(declared: Record<string, ParameterSpec>, given: Record<string, string>, locator: StackLocator): Record<string, string> {
  const names = Object.keys(declared);
  for (const name of Object.keys(given)) {
    if (Object.hasOwn(declared, name)) continue;
    const suggestion = didYouMean(name, names);
    const hint = suggestion ? ` (did you mean '${suggestion}'?)` : names.length ? ` (declared: ${names.join(', ')})` : ' (the stack declares no parameters)';
    throw new SluiceError('SLUICE_ERR_STACK_REFERENCE', `--param ${name} is not a parameter of this stack${hint}`, {
      place: names.length ? locator.place(['parameters'], { atKey: true }) : { file: locator.fileName, field: 'parameters' },
    });
  }
  const values: Record<string, string> = {};
  for (const [name, spec] of Object.entries(declared)) {
    const value = given[name] ?? spec.default;
    if (value === undefined) {
      throw new SluiceError('SLUICE_ERR_STACK_INVALID', `parameter '${name}' has no default: pass --param ${name}=VALUE`, {
        place: locator.place(['parameters', name], { atKey: true }),
      });
    }
    values[name] = value;
  }
  return values;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
