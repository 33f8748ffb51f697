import { syntaxErrorAt, type ConformanceCase } from './cases.js';

const PAGE = 'iot-sql-literals.md#iot-sql-literals';
const FROM = "FROM 'topic/subtopic'";

/** `SELECT <expr> AS r FROM 'topic/subtopic'` expecting `{ r }`. */
function lit(what: string, expr: string, r: unknown, note?: string): ConformanceCase {
  return {
    source: `${PAGE} (derived: ${what})`,
    sql: `SELECT ${expr} AS r ${FROM}`,
    expect: { output: { r } },
    ...(note ? { note } : {}),
  };
}

const JSON_ESCAPES = 'The page says literals use JSON syntax, so string literals take the JSON escapes (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX).';

export const LITERALS_CASES: ConformanceCase[] = [
  {
    source: PAGE,
    sql: "SELECT {'latitude': get(lat_long, 0),'longitude':get(lat_long, 1)} as lat_long FROM 'topic/subtopic'",
    topic: 'topic/subtopic',
    payload: { lat_long: [47.606, -122.332] },
    expect: { output: { lat_long: { latitude: 47.606, longitude: -122.332 } } },
  },
  {
    source: PAGE,
    sql: "SELECT [lat,long] as lat_long FROM 'topic/subtopic'",
    topic: 'topic/subtopic',
    payload: { lat: 47.696, long: -122.332 },
    expect: { output: { lat_long: [47.696, -122.332] } },
    note: 'The page publishes lat 47.696 but shows 47.606 in the output (a typo); the output carries the published value.',
  },
  {
    source: `${PAGE} (derived: "You can also directly specify arrays in the SELECT and WHERE clauses")`,
    sql: `SELECT * ${FROM} WHERE [lat, long] = [47.696, -122.332]`,
    payload: { lat: 47.696, long: -122.332 },
    expect: { output: { lat: 47.696, long: -122.332 } },
  },
  {
    source: `${PAGE} (derived: object literals in the WHERE clause)`,
    sql: `SELECT * ${FROM} WHERE {'a': 1, 'b': [true]} = obj`,
    payload: { obj: { b: [true], a: 1 } },
    expect: { output: { obj: { b: [true], a: 1 } } },
  },
  lit('nested object and array literals', "{'a': [1, {'b': null}], 'c': {'d': 'e'}}", { a: [1, { b: null }], c: { d: 'e' } }),
  lit('an empty object and an empty array', "{'o': {}, 'a': []}", { o: {}, a: [] }),
  {
    source: `${PAGE} (derived: an Undefined value in an object literal is left out, as Undefined keys are in JSON output (iot-sql-data-types.md))`,
    sql: `SELECT {'a': missing, 'b': 1} AS r ${FROM}`,
    payload: { x: 1 },
    expect: { output: { r: { b: 1 } } },
  },
  {
    source: `${PAGE} (derived: an Undefined element of an array literal is left out (iot-sql-data-types.md: Undefined is not representable in JSON))`,
    sql: `SELECT [missing, 1] AS r ${FROM}`,
    payload: { x: 1 },
    expect: { output: { r: [1] } },
    note: 'Documented choice: AWS does not say how an Undefined array element is serialized; Sluice leaves it out.',
  },
  lit('keys in double quotes, as the functions page writes them', '{"a": "b"}', { a: 'b' }),

  // string quoting and escapes
  lit('single-quoted and double-quoted strings (both appear in the examples)', "concat('single', \"double\")", 'singledouble'),
  lit('a double quote inside a single-quoted string', "'say \"hi\"'", 'say "hi"'),
  lit('a single quote inside a double-quoted string', '"it\'s"', "it's"),
  lit('JSON escape \\n', "'a\\nb'", 'a\nb', JSON_ESCAPES),
  lit('JSON escape \\t', "'a\\tb'", 'a\tb', JSON_ESCAPES),
  lit('JSON escape \\"', '"say \\"hi\\""', 'say "hi"', JSON_ESCAPES),
  lit("escaped quote \\'", "'it\\'s'", "it's", JSON_ESCAPES),
  lit('JSON escape \\\\', "'back\\\\slash'", 'back\\slash', JSON_ESCAPES),
  lit('JSON escape \\/', "'a\\/b'", 'a/b', JSON_ESCAPES),
  lit('JSON escape \\uXXXX', "'caf\\u00e9'", 'café', JSON_ESCAPES),
  lit('non-ASCII characters in a string', "'€ and ü'", '€ and ü'),
  {
    source: `${PAGE} (derived: \\x is not a JSON escape)`,
    sql: `SELECT 'a\\xb' AS r ${FROM}`,
    expect: syntaxErrorAt(1, 10),
    note: 'Documented choice: an unknown escape is a syntax error at its backslash.',
  },
  {
    source: `${PAGE} (derived: an unterminated string)`,
    sql: "SELECT color FROM 'topic/subtopic",
    expect: syntaxErrorAt(1, 34),
    note: 'Documented choice: the error is reported where the closing quote is missing (the end of the input).',
  },

  // numbers
  lit('an Int literal', '42', 42),
  lit('a negative Decimal literal', '-122.332', -122.332),
  lit('an exponent (the conversion regex allows E, case-insensitive)', '1e3', 1000),
  lit('an upper-case exponent', '1E3', 1000),
  lit('a negative exponent', '2.5e-3', 0.0025),
  lit('a negative number with an exponent', '-1.5E2', -150),
  lit('an exponent in arithmetic', '5E-1 + 1', 1.5),
  lit('Booleans and Null', "[true, false, null]", [true, false, null]),
];
