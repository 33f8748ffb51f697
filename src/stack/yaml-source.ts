/**
 * Reading the stack file as a YAML document that keeps source positions, and
 * turning a field path (as zod reports it) back into `file:line:column`.
 */
import { isMap, isNode, isPair, isScalar, LineCounter, parseDocument, Scalar, type Document, type Node } from 'yaml';
import { formatFieldPath, SluiceError, type ErrorPlace } from '../core/index.js';

export type FieldPath = ReadonlyArray<PropertyKey>;

export interface StackSource {
  /** The name errors are reported against, e.g. `stacks/soil-moisture.yaml`. */
  fileName: string;
  /** The YAML text. */
  source: string;
}

/** Parses YAML; syntax errors (and warnings such as CloudFormation's `!Ref` tags) become SLUICE_ERR_STACK_YAML. */
export function loadYaml(src: StackSource): { value: unknown; locator: StackLocator } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(src.source, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    const pos = problem.linePos?.[0] ?? lineCounter.linePos(problem.pos[0]);
    // prettyErrors appends " at line L, column C:" and a source excerpt; the place already says that.
    const message = (problem.message.split('\n')[0] ?? problem.message).replace(/ at line \d+, column \d+:?$/, '');
    const hint = /Unresolved tag/.test(message) ? ' (stack files do not use YAML tags such as !Ref; write ${param:NAME} or ${topic:NAME})' : '';
    throw new SluiceError('SLUICE_ERR_STACK_YAML', `${message}${hint}`, {
      place: { file: src.fileName, line: pos.line, column: pos.col },
    });
  }
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  return { value, locator: new StackLocator(src.fileName, src.source, doc, lineCounter) };
}

export class StackLocator {
  readonly fileName: string;
  #source: string;
  #doc: Document;
  #lines: LineCounter;

  constructor(fileName: string, source: string, doc: Document, lines: LineCounter) {
    this.fileName = fileName;
    this.#source = source;
    this.#doc = doc;
    this.#lines = lines;
  }

  /**
   * The place of the node at `path`. If the path goes further than the
   * document (a missing field), points at the key of the deepest node that
   * exists, which is where the missing field belongs. With `atKey`, points at
   * the key of the last segment instead of its value (for unknown fields).
   */
  place(path: FieldPath, options: { atKey?: boolean } = {}): ErrorPlace {
    const field = formatFieldPath(path);
    const { node, key, complete } = this.#walk(path);
    const target = (options.atKey || !complete ? key : node) ?? node ?? key;
    return { ...this.#position(target?.range?.[0] ?? 0), ...(field ? { field } : {}) };
  }

  /** The place of character `index` of the string value at `path`, for errors inside a scalar (SQL, templates). */
  placeInValue(path: FieldPath, index: number): ErrorPlace {
    const { node, complete } = this.#walk(path);
    const field = formatFieldPath(path);
    if (!complete || !isScalar(node) || typeof node.value !== 'string' || !node.range) return this.place(path);
    const offset = sourceOffsetOfValueIndex(this.#source, node, index);
    return { ...this.#position(offset), field };
  }

  /** The place of `index` in the value, given as 1-based line and column within that value (SQL positions). */
  placeInValueAt(path: FieldPath, line: number, column: number): ErrorPlace {
    const { node } = this.#walk(path);
    const value = isScalar(node) && typeof node.value === 'string' ? node.value : '';
    let index = 0;
    for (let l = 1; l < line; l++) {
      const next = value.indexOf('\n', index);
      if (next < 0) break;
      index = next + 1;
    }
    return this.placeInValue(path, Math.min(index + Math.max(column - 1, 0), value.length));
  }

  #position(offset: number): { file: string; line: number; column: number } {
    const { line, col } = this.#lines.linePos(offset);
    return { file: this.fileName, line, column: col };
  }

  #walk(path: FieldPath): { node: Node | undefined; key: Node | undefined; complete: boolean } {
    let node: unknown = this.#doc.contents;
    let key: Node | undefined;
    for (const segment of path) {
      const next = childOf(node, segment);
      if (!next) return { node: node as Node | undefined, key, complete: false };
      node = next.value;
      key = next.key ?? key;
    }
    return { node: isNode(node) ? node : undefined, key, complete: true };
  }
}

function childOf(node: unknown, segment: PropertyKey): { key: Node | undefined; value: unknown } | undefined {
  if (isMap(node)) {
    const pair = node.items.find((item) => isPair(item) && (isScalar(item.key) ? String(item.key.value) : item.key) === String(segment));
    if (!pair) return undefined;
    return { key: isNode(pair.key) ? pair.key : undefined, value: pair.value ?? pair.key };
  }
  if (node && typeof node === 'object' && 'items' in node && Array.isArray(node.items) && typeof segment === 'number') {
    const item: unknown = node.items[segment];
    // A list item has no key: the item itself is where a field missing from it belongs.
    return item === undefined ? undefined : { key: isNode(item) ? item : undefined, value: item };
  }
  return undefined;
}

/**
 * Maps an index in a scalar's parsed value to an offset in the source, for
 * plain, quoted and block scalars alike: walk value and source together,
 * skipping source characters the value does not contain (quotes, escape
 * backslashes, block headers, indentation, folded line breaks).
 */
function sourceOffsetOfValueIndex(source: string, node: Scalar, index: number): number {
  const [start, end] = node.range ?? [0, 0];
  const value = String(node.value);
  let s = start;
  let indent = 0;
  const block = node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED;
  if (block) {
    // Skip the header (`|`, `>-`, ...) to the first content line; indentation is that of the first non-blank line.
    s = source.indexOf('\n', start) + 1;
    const firstLine = /^(?:[ \t]*\n)*( *)/.exec(source.slice(s, end));
    indent = firstLine?.[1]?.length ?? 0;
  } else if (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE) {
    s += 1;
  }
  let lineStart = block;
  const skippable = (c: string | undefined) => c === ' ' || c === '\n' || c === '\\' || c === '"' || c === "'";
  for (let i = 0; i <= index && s < end; ) {
    if (lineStart) {
      // Skip exactly the block's indentation so more-indented lines keep their extra spaces.
      for (let skipped = 0; skipped < indent && source[s] === ' '; skipped++) s++;
      lineStart = false;
      continue;
    }
    const c = source[s];
    // A line break in folded and plain multi-line scalars becomes a space in the value.
    const matches = c === value[i] || (c === '\n' && value[i] === ' ' && node.type !== Scalar.BLOCK_LITERAL);
    if (i === index && (matches || !skippable(c))) break;
    if (matches) i++;
    if (c === '\n') lineStart = block;
    s++;
  }
  return Math.min(s, end);
}
