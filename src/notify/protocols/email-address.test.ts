import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSluiceError } from '../../core/index.js';
import { normalizeEmailAddress } from './email-address.js';

test('email addresses: accepted, in normalized form', () => {
  const table: Array<[string, string]> = [
    ['ops@example.com', 'ops@example.com'],
    ['  Ops.Team+alerts@Example.COM ', 'Ops.Team+alerts@example.com'],
    ["o'neil@sub.example.co.uk", "o'neil@sub.example.co.uk"],
    ['dev@localhost', 'dev@localhost'],
    ['user@bücher.example', 'user@bücher.example'],
    [`${'a'.repeat(64)}@example.com`, `${'a'.repeat(64)}@example.com`],
  ];
  for (const [input, expected] of table) assert.equal(normalizeEmailAddress(input), expected, input);
});

test('email addresses: refused with SLUICE_ERR_SUBSCRIPTION_INVALID and the endpoint named', () => {
  const table = [
    '', 'ops', 'ops@', '@example.com', 'ops@@example.com', 'a b@example.com', '.ops@example.com', 'o..ps@example.com',
    'ops@example..com', 'ops@-example.com', 'ops@example.com.', 'ops@exa_mple.com', 'Ops <ops@example.com>',
    'a@example.com,b@example.com', 'ops@example.com\nBcc: x@example.com', '"quoted"@example.com',
    `${'a'.repeat(65)}@example.com`, `a@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(63)}.com`,
  ];
  for (const input of table) {
    assert.throws(() => normalizeEmailAddress(input), (error) => {
      assert.ok(isSluiceError(error), input);
      assert.equal(error.code, 'SLUICE_ERR_SUBSCRIPTION_INVALID');
      assert.ok(error.message.includes(JSON.stringify(input)));
      assert.equal(error.place?.field, 'endpoint');
      return true;
    }, input);
  }
});
