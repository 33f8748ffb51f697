import { SluiceError, errorMessage } from '../core/index.js';

/** The one line an error is reported as: `error: file:line:column: field: message [CODE]`. */
export function errorLine(error: unknown): string {
  return error instanceof SluiceError ? `error: ${error.toString()} [${error.code}]` : `error: ${errorMessage(error)}`;
}

/** Errors go to stderr, one line a person can act on, with a non-zero exit code. */
export function fail(error: unknown): never {
  process.stderr.write(`${errorLine(error)}\n`);
  process.exit(1);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain text table: columns padded to their widest cell. */
export function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  process.stdout.write(`${line(headers)}\n`);
  for (const row of rows) process.stdout.write(`${line(row)}\n`);
}

/** Wraps a command action so every error takes the same path out. */
export function action<A extends unknown[]>(run: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await run(...args);
    } catch (error) {
      fail(error);
    }
  };
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
