import { SluiceError } from '../../core/index.js';
import type { Position } from './ast.js';

/** A parse error that names the offending token and what was expected, at a 1-based line:column. */
export function syntaxError(at: Position, found: string, expected: string): SluiceError {
  return new SluiceError('SLUICE_ERR_RULE_SQL_SYNTAX', `expected ${expected} but found ${found}`, {
    place: { line: at.line, column: at.column },
    details: { token: found, expected, offset: at.offset },
  });
}

/** The SQL parses but cannot run: unknown function, wrong argument count, bad topic filter. */
export function invalidError(at: Position, message: string, details: Record<string, unknown> = {}): SluiceError {
  return new SluiceError('SLUICE_ERR_RULE_SQL_INVALID', message, {
    place: { line: at.line, column: at.column },
    details: { ...details, offset: at.offset },
  });
}
