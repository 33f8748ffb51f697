import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Decimal } from 'decimal.js';
import { arithmetic } from './values.js';

const Decimal34 = Decimal.clone({ precision: 34 });

/** Short decimals, as sensors send them: up to 6 decimals, up to 9 integer digits. */
const shortDecimal = fc
  .tuple(fc.integer({ min: -999_999_999, max: 999_999_999 }), fc.integer({ min: 0, max: 6 }))
  .map(([digits, scale]) => Number((digits / 10 ** scale).toFixed(scale)))
  .filter((n) => !Number.isInteger(n));

test('decimal + - * give the exact decimal result as the nearest double (property, against decimal.js)', () => {
  fc.assert(
    fc.property(shortDecimal, fc.oneof(shortDecimal, fc.integer({ min: -1e6, max: 1e6 })), fc.constantFrom('+', '-', '*'), (a, b, op) => {
      const exact = op === '+' ? new Decimal34(a).plus(b) : op === '-' ? new Decimal34(a).minus(b) : new Decimal34(a).times(b);
      const expected = exact.toNumber();
      assert.equal(arithmetic(op, a, b), expected === 0 ? 0 : expected, `${a} ${op} ${b}`);
    }),
    { numRuns: 2000, seed: 4 },
  );
});

test('the AWS examples of decimal arithmetic', () => {
  assert.equal(arithmetic('+', 0.1, 0.2), 0.3);
  assert.equal(arithmetic('*', 1.1, 3), 3.3);
  assert.equal(arithmetic('-', 0.3, 0.1), 0.2);
  assert.equal(arithmetic('*', 32, 1.5), 48);
  assert.equal(arithmetic('+', 1e-7, 1), 1.0000001, 'exponent notation takes the decimal.js path');
  assert.equal(arithmetic('*', 123456789.123, 1000.001), 123456912579.78912, 'too many digits for a double: nearest double of the exact product');
});
