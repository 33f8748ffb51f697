import type { ArchiveRecord } from './records.js';

/**
 * Column types of the Parquet archive. `null`: only nulls seen so far (the
 * column exists, its type is still open).
 */
export type ColumnType = 'null' | 'boolean' | 'int64' | 'double' | 'string' | 'json' | 'timestamp';

/** The type one JSON value asks for. */
export function typeOfValue(value: unknown): ColumnType {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isSafeInteger(value) ? 'int64' : 'double';
  if (typeof value === 'string') return 'string';
  // Objects and arrays: kept whole as JSON text (Parquet's JSON type), so any shape fits one column.
  return 'json';
}

/**
 * The narrowest type holding both: null takes any type, integers widen to
 * double, and any other disagreement (a number then a string, an object then
 * a boolean) widens to string, the type every value can be written as.
 */
export function widen(a: ColumnType, b: ColumnType): ColumnType {
  if (a === b || b === 'null') return a;
  if (a === 'null') return b;
  if ((a === 'int64' && b === 'double') || (a === 'double' && b === 'int64')) return 'double';
  return 'string';
}

/**
 * A stream's schema, inferred from its records and only ever widened: a new
 * field adds a nullable column, a value that does not fit widens its column.
 * Kept for the life of the writer, so later objects carry every column seen
 * so far with the widest type seen so far.
 */
export class ArchiveSchema {
  readonly #columns = new Map<string, ColumnType>([
    ['_id', 'string'],
    ['_topic', 'string'],
    ['_client_id', 'string'],
    ['_timestamp', 'timestamp'],
  ]);

  observe(record: ArchiveRecord): void {
    for (const [name, value] of record.fields) {
      const seen = this.#columns.get(name);
      const type = typeOfValue(value);
      this.#columns.set(name, seen === undefined ? type : widen(seen, type));
    }
  }

  /** Columns in order: the origin columns, then fields in the order they first appeared. */
  columns(): Array<{ name: string; type: ColumnType }> {
    return [...this.#columns].map(([name, type]) => ({ name, type }));
  }
}
