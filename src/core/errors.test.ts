import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ERROR_CATALOG, SluiceError, formatPlace } from './errors.js';

test('every catalog code has a section in docs/errors.md, and the page names no other code', () => {
  const page = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const documented = [...page.matchAll(/^## (SLUICE_ERR_[A-Z_]+)$/gm)].map((m) => m[1]);
  assert.deepEqual(documented.sort(), Object.keys(ERROR_CATALOG).sort());
});

test('codes are stable names with an HTTP status', () => {
  for (const [code, entry] of Object.entries(ERROR_CATALOG)) {
    assert.match(code, /^SLUICE_ERR_[A-Z_]+$/);
    assert.ok(entry.status >= 400 && entry.status < 600, code);
  }
});

test('errors about input print as file:line:column: field: message', () => {
  const error = new SluiceError('SLUICE_ERR_RULE_SQL_SYNTAX', "expected FROM but found 'WHERE'", {
    place: { file: 'stacks/s.yaml', line: 12, column: 9, field: 'rules.R.sql' },
  });
  assert.equal(error.toString(), "stacks/s.yaml:12:9: rules.R.sql: expected FROM but found 'WHERE'");
  assert.equal(error.status, 400);
  assert.deepEqual(error.toJSON(), {
    code: 'SLUICE_ERR_RULE_SQL_SYNTAX',
    message: "expected FROM but found 'WHERE'",
    place: { file: 'stacks/s.yaml', line: 12, column: 9, field: 'rules.R.sql' },
  });
  assert.equal(formatPlace({ field: 'param' }), 'param');
  assert.equal(formatPlace({ file: 'a.yaml', column: 3 }), 'a.yaml', 'a column without a line means nothing');
  assert.equal(new SluiceError('SLUICE_ERR_INTERNAL', 'plain').toString(), 'plain');
  // An API error relayed by the CLI already names its field: not "since: since: ...".
  const relayed = new SluiceError('SLUICE_ERR_REQUEST_INVALID', 'since: expected a duration', { place: { field: 'since' } });
  assert.equal(relayed.toString(), 'since: expected a duration');
});
