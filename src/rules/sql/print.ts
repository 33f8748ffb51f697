/**
 * Prints an AST back as SQL text that parses to the same tree (spans aside):
 * for error messages that quote an expression, for the console, and for the
 * parse → print → parse property test that keeps the parser honest.
 * Binary operands that are themselves binary are always parenthesized, so
 * the text never depends on precedence subtleties.
 */
import { assertNever } from '../../core/index.js';
import type { Expression, SelectItem, SelectStatement } from './ast.js';
import { RESERVED } from './parser.js';

export function printStatement(statement: SelectStatement): string {
  const parts: string[] = [];
  if (statement.set.length > 0) {
    parts.push(`SET ${statement.set.map((a) => `@${a.name} = ${printExpression(a.value)}`).join(', ')}`);
  }
  parts.push(printSelectList(statement.items, statement.value));
  if (statement.from) {
    parts.push(`FROM ${statement.from.quoted ? quoteString(statement.from.topicFilter) : statement.from.topicFilter}`);
  }
  if (statement.where) parts.push(`WHERE ${printExpression(statement.where)}`);
  return parts.join(' ');
}

function printSelectList(items: readonly SelectItem[], value: boolean): string {
  const first = items[0];
  if (value && first?.type === 'SelectExpression') {
    const text = printExpression(first.expression);
    // `SELECT VALUE -1` would read as the attribute `value` minus 1.
    return `SELECT VALUE ${text.startsWith('-') ? `(${text})` : text}`;
  }
  return `SELECT ${items.map(printItem).join(', ')}`;
}

function printItem(item: SelectItem): string {
  if (item.type === 'SelectAll') return '*';
  const text = printExpression(item.expression);
  return item.alias ? `${text} AS ${item.alias.map(printIdentifier).join('.')}` : text;
}

export function printExpression(node: Expression): string {
  switch (node.type) {
    case 'Literal':
      return printLiteral(node.value, node.decimal === true);
    case 'Identifier':
      return printIdentifier(node.name);
    case 'Variable':
      return `@${node.name}`;
    case 'Payload':
      return '*';
    case 'Member':
      return `${printPostfixObject(node.object)}.${printIdentifier(node.property)}`;
    case 'Index':
      return `${printPostfixObject(node.object)}[${printExpression(node.index)}]`;
    case 'Call': {
      const [value, type] = node.args;
      if (node.name === 'cast' && value && type?.type === 'Literal') return `cast(${printExpression(value)} AS ${String(type.value)})`;
      return `${node.name}(${node.args.map(printExpression).join(', ')})`;
    }
    case 'Unary': {
      const operand = printExpression(node.operand);
      const wrapped = isAtomic(node.operand) ? operand : `(${operand})`;
      return node.op === 'NOT' ? `NOT ${wrapped}` : `-${wrapped}`;
    }
    case 'Binary':
      return `${printOperand(node.left)} ${node.op} ${printOperand(node.right)}`;
    case 'Array':
      return `[${node.elements.map(printExpression).join(', ')}]`;
    case 'Object':
      return `{${node.properties.map((p) => `${quoteString(p.key)}: ${printExpression(p.value)}`).join(', ')}}`;
    case 'Case': {
      const whens = node.whens.map((w) => `WHEN ${printExpression(w.when)} THEN ${printExpression(w.then)}`).join(' ');
      const otherwise = node.otherwise ? ` ELSE ${printExpression(node.otherwise)}` : '';
      return `CASE ${printExpression(node.subject)} ${whens}${otherwise} END`;
    }
    case 'Subquery': {
      const where = node.where ? ` WHERE ${printExpression(node.where)}` : '';
      return `(${printSelectList(node.items, node.value)} FROM ${printExpression(node.from)}${where})`;
    }
    default:
      return assertNever(node, 'expression');
  }
}

/** Nodes whose text is one unit that postfix operators and unary minus can follow or precede without parentheses. */
function isAtomic(node: Expression): boolean {
  switch (node.type) {
    case 'Literal':
      return !(typeof node.value === 'number' && (node.value < 0 || Object.is(node.value, -0)));
    case 'Identifier':
    case 'Variable':
    case 'Member':
    case 'Index':
    case 'Call':
    case 'Array':
    case 'Object':
    case 'Subquery':
    case 'Case':
      return true;
    default:
      return false;
  }
}

function printPostfixObject(node: Expression): string {
  const text = printExpression(node);
  return isAtomic(node) && node.type !== 'Case' ? text : `(${text})`;
}

function printOperand(node: Expression): string {
  const text = printExpression(node);
  return node.type === 'Binary' || node.type === 'Unary' ? `(${text})` : text;
}

function printLiteral(value: string | number | boolean | null, decimal: boolean): string {
  if (value === null) return 'NULL';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'string') return quoteString(value);
  const text = String(value);
  // Keep a decimal literal decimal (10.0), which matters under SQL 2015-10-08.
  return decimal && /^-?\d+$/.test(text) ? `${text}.0` : text;
}

const BARE_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function printIdentifier(name: string): string {
  if (BARE_IDENTIFIER.test(name) && !RESERVED.has(name.toUpperCase())) return name;
  return `\`${name.replaceAll('`', '``')}\``;
}

const STRING_ESCAPES: Record<string, string> = { '\\': '\\\\', "'": "\\'", '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

function quoteString(value: string): string {
  let out = "'";
  for (const ch of value) {
    const escaped = STRING_ESCAPES[ch];
    if (escaped !== undefined) out += escaped;
    else if (ch < ' ') out += `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}'`;
}
