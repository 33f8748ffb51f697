/**
 * Substitution templates for action parameters (AWS IoT "Substitution
 * templates"): literal text with `${expression}` parts, e.g.
 * `${topic()}/${timestamp()}`. The expression uses the rule SQL grammar and is
 * evaluated against the ORIGINAL message payload, not the SELECT output — as
 * on AWS, SELECT aliases are not visible here, while the rule's SET
 * variables are (`${@name}`). A non-JSON payload has no attributes: `${name}`
 * renders empty rather than failing the action.
 */
import { isSluiceError, SluiceError } from '../core/index.js';
import { compileExpression, messageEnv, type Compiled, type CompileOptions } from './eval/evaluate.js';
import type { DecodedMessage } from './eval/message.js';
import { toTemplateString } from './eval/values.js';
import { DEFAULT_SQL_VERSION, type SqlVersion } from './sql/ast.js';
import { Parser } from './sql/parser.js';

export interface CompiledTemplate {
  readonly source: string;
  /** `vars`: the rule's SET variable values by slot (RuleEvaluation.vars). */
  render(msg: DecodedMessage, vars?: readonly unknown[]): string;
}

export interface TemplateOptions {
  /** The rule's SET variables, name → slot: `${@v}` may use them (AWS "SET clause"). */
  variables?: ReadonlyMap<string, number>;
  sqlVersion?: SqlVersion;
}

type Part = string | Compiled;

export function compileTemplate(template: string, options: TemplateOptions = {}): CompiledTemplate {
  const sqlVersion = options.sqlVersion ?? DEFAULT_SQL_VERSION;
  const parts: Part[] = [];
  let literal = '';
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('${', i);
    if (open < 0) break;
    literal += template.slice(i, open);
    if (literal) parts.push(literal);
    literal = '';
    const { compiled, end } = compilePart(template, open, { variables: options.variables ?? new Map(), sqlVersion });
    parts.push(compiled);
    i = end;
  }
  literal += template.slice(i);
  if (literal) parts.push(literal);

  return Object.freeze({
    source: template,
    render(msg: DecodedMessage, vars: readonly unknown[] = []): string {
      // Templates only read variables, never assign them, so sharing the rule's array is safe.
      const env = messageEnv(msg, sqlVersion, vars as unknown[]);
      let out = '';
      for (const part of parts) out += typeof part === 'string' ? part : toTemplateString(part(env));
      return out;
    },
  });
}

/** Parses `${ expression }` starting at `open` (the `$`); returns the offset after the `}`. */
function compilePart(template: string, open: number, options: CompileOptions): { compiled: Compiled; end: number } {
  try {
    const parser = new Parser(template, open + 2);
    const expression = parser.parseExpression();
    const close = parser.token;
    if (close.kind !== 'punct' || close.value !== '}') {
      const found = close.kind === 'eof' ? 'end of template' : `'${close.text}'`;
      throw templateError(close.span.start.line, close.span.start.column, `expected '}' to close the '\${' at column ${open + 1} but found ${found}`, found, "'}'");
    }
    return { compiled: compileExpression(expression, options), end: close.span.end.offset };
  } catch (error) {
    if (isSluiceError(error) && error.code !== 'SLUICE_ERR_TEMPLATE_SYNTAX') {
      // Same message and place, under the template's own error code.
      throw new SluiceError('SLUICE_ERR_TEMPLATE_SYNTAX', `in substitution template: ${error.message}`, {
        ...(error.place ? { place: error.place } : {}),
        details: { ...error.details, template },
        cause: error,
      });
    }
    throw error;
  }
}

function templateError(line: number, column: number, message: string, token: string, expected: string): SluiceError {
  return new SluiceError('SLUICE_ERR_TEMPLATE_SYNTAX', message, { place: { line, column }, details: { token, expected } });
}
