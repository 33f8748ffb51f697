/**
 * Stack substitutions: `${param:NAME}` becomes the parameter's value and
 * `${topic:NAME}` the ARN of topic NAME of this stack, in any string value.
 * Every other `${...}` is left alone: those are the rules engine's
 * substitution templates (`${topic()}`, `${timestamp()}`) or the simulator's
 * `${name}`, resolved at run time.
 */
import { SluiceError, topicArn } from '../core/index.js';
import { didYouMean } from './suggest.js';
import type { FieldPath, StackLocator } from './yaml-source.js';

const STACK_REFERENCE = /\$\{(param|topic):([^}]*)\}/g;

export interface SubstitutionContext {
  params: Readonly<Record<string, string>>;
  topics: ReadonlySet<string>;
  locator: StackLocator;
}

/** Returns a copy of `value` with stack references resolved; `skip` lists top-level keys left untouched. */
export function substitute(value: unknown, context: SubstitutionContext, skip: ReadonlySet<string>): unknown {
  return walk(value, [], context, skip);
}

function walk(value: unknown, path: PropertyKey[], context: SubstitutionContext, skip: ReadonlySet<string>): unknown {
  if (typeof value === 'string') return resolveString(value, path, context);
  if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i], context, skip));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      out[key] = path.length === 0 && skip.has(key) ? child : walk(child, [...path, key], context, skip);
    }
    return out;
  }
  return value;
}

function resolveString(text: string, path: FieldPath, context: SubstitutionContext): string {
  return text.replace(STACK_REFERENCE, (whole, kind: string, name: string, index: number) => {
    if (kind === 'param') {
      const param = context.params[name];
      if (param !== undefined) return param;
      throw unknownReference(`unknown parameter '${name}'`, name, Object.keys(context.params), 'parameters', path, index, context);
    }
    if (context.topics.has(name)) return topicArn(name);
    throw unknownReference(`unknown topic '${name}' in ${whole}`, name, [...context.topics], 'topics', path, index, context);
  });
}

function unknownReference(
  message: string,
  name: string,
  known: string[],
  section: string,
  path: FieldPath,
  index: number,
  context: SubstitutionContext,
): SluiceError {
  const suggestion = didYouMean(name, known);
  const hint = suggestion ? ` (did you mean '${suggestion}'?)` : known.length === 0 ? ` (the stack declares no ${section})` : ` (declared: ${known.join(', ')})`;
  return new SluiceError('SLUICE_ERR_STACK_REFERENCE', `${message}${hint}`, { place: context.locator.placeInValue(path, index) });
}
