import { DuckDBInstance } from '@duckdb/node-api';

/**
 * Runs SQL in a fresh in-memory DuckDB, the independent reader of the
 * archive, and returns the rows as JSON values (BIGINTs and DECIMALs as
 * strings, TIMESTAMPs as 'YYYY-MM-DD HH:MM:SS.mmm').
 */
export async function duckdbQuery(sql: string): Promise<Array<Record<string, unknown>>> {
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  try {
    const result = await connection.runAndReadAll(sql);
    return result.getRowObjectsJson() as Array<Record<string, unknown>>;
  } finally {
    connection.closeSync();
    db.closeSync();
  }
}

/** A path inside a SQL string literal. */
export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
