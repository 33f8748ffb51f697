import type { ConformanceCase } from './cases.js';
import { BINARY_PAYLOADS_CASES } from './binary-payloads.cases.js';
import { CASE_CASES } from './case.cases.js';
import { DATA_TYPES_CASES } from './data-types.cases.js';
import { FROM_CASES } from './from.cases.js';
import { FUNCTIONS_CASES } from './functions.cases.js';
import { JSON_CASES } from './json.cases.js';
import { LITERALS_CASES } from './literals.cases.js';
import { NESTED_QUERIES_CASES } from './nested-queries.cases.js';
import { OPERATORS_CASES } from './operators.cases.js';
import { REFERENCE_CASES } from './reference.cases.js';
import { SELECT_CASES } from './select.cases.js';
import { SET_CASES } from './set.cases.js';
import { SQL_VERSION_CASES } from './sql-version.cases.js';
import { SUBSTITUTION_TEMPLATES_CASES } from './substitution-templates.cases.js';
import { SYNTAX_CASES } from './syntax.cases.js';
import { WHERE_CASES } from './where.cases.js';

/** Every conformance case, grouped by the page it comes from. */
export const CASES_BY_PAGE: Readonly<Record<string, readonly ConformanceCase[]>> = {
  'iot-sql-reference.md': REFERENCE_CASES,
  'iot-sql-select.md': SELECT_CASES,
  'iot-sql-from.md': FROM_CASES,
  'iot-sql-where.md': WHERE_CASES,
  'iot-sql-data-types.md': DATA_TYPES_CASES,
  'iot-sql-operators.md': OPERATORS_CASES,
  'iot-sql-functions.md': FUNCTIONS_CASES,
  'iot-sql-literals.md': LITERALS_CASES,
  'iot-sql-case.md': CASE_CASES,
  'iot-sql-json.md': JSON_CASES,
  'iot-sql-nested-queries.md': NESTED_QUERIES_CASES,
  'iot-sql-set (URL)': SET_CASES,
  'iot-substitution-templates.md': SUBSTITUTION_TEMPLATES_CASES,
  'binary-payloads.md': BINARY_PAYLOADS_CASES,
  'iot-rule-sql-version.md': SQL_VERSION_CASES,
  'syntax (keywords, invalid statements)': SYNTAX_CASES,
};

export const ALL_CASES: readonly ConformanceCase[] = Object.values(CASES_BY_PAGE).flat();
