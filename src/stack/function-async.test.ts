import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceError } from '../core/index.js';
import { parseStack } from './index.js';

const HEAD = ['stack: s', 'buckets:', '  failed-events: {}', 'functions:', '  other: { handler: ./o.ts }', '  f:', '    handler: ./f.ts'];

function parse(lines: string[]) {
  return parseStack({ fileName: 'stacks/s.yaml', source: [...HEAD, ...lines].join('\n') }, {});
}

test('a function takes reservedConcurrency, retryAttempts, maxEventAge and destinations', () => {
  const stack = parse([
    '    reservedConcurrency: 0',
    '    retryAttempts: 1',
    '    maxEventAge: 2h',
    '    destinations:',
    '      onSuccess: { mqtt: fn/f/ok }',
    '      onFailure: { bucket: failed-events, prefix: f/failures }',
  ]);
  const fn = stack.functions.f;
  assert.equal(fn?.reservedConcurrency, 0);
  assert.equal(fn?.retryAttempts, 1);
  assert.equal(fn?.maxEventAgeMs, 2 * 3_600_000);
  assert.deepEqual(fn?.destinations, { onSuccess: { mqtt: 'fn/f/ok' }, onFailure: { bucket: 'failed-events', prefix: 'f/failures' } });
  // Unset fields stay absent, so functions deployed before them keep their hash.
  assert.deepEqual(stack.functions.other, { handler: './o.ts', exportName: 'handler', timeoutMs: 3_000, memorySizeMb: 128, environment: {} });
  const topic = parse(['    destinations: { onFailure: { topic: alerts }, onSuccess: { function: other } }']).functions.f;
  assert.deepEqual(topic?.destinations, { onFailure: { topic: 'alerts' }, onSuccess: { function: 'other' } });
});

const BAD: Array<{ name: string; lines: string[]; code: SluiceError['code']; line: number; field: string; message: RegExp }> = [
  { name: 'retryAttempts above 2', lines: ['    retryAttempts: 3'], code: 'SLUICE_ERR_STACK_INVALID', line: 8, field: 'functions.f.retryAttempts', message: /2/ },
  { name: 'negative reservedConcurrency', lines: ['    reservedConcurrency: -1'], code: 'SLUICE_ERR_STACK_INVALID', line: 8, field: 'functions.f.reservedConcurrency', message: /0/ },
  { name: 'maxEventAge under 60s', lines: ['    maxEventAge: 30s'], code: 'SLUICE_ERR_STACK_INVALID', line: 8, field: 'functions.f.maxEventAge', message: /at least 60s/ },
  { name: 'maxEventAge over 6h', lines: ['    maxEventAge: 7h'], code: 'SLUICE_ERR_STACK_INVALID', line: 8, field: 'functions.f.maxEventAge', message: /at most 21600s/ },
  {
    name: 'unknown destination kind',
    lines: ['    destinations:', '      onFailure: { queue: q }'],
    code: 'SLUICE_ERR_STACK_INVALID', line: 9, field: 'functions.f.destinations.onFailure', message: /one of \{ topic: NAME \}/,
  },
  {
    name: 'mqtt destination with a wildcard',
    lines: ['    destinations:', '      onSuccess: { mqtt: a/+/b }'],
    code: 'SLUICE_ERR_STACK_INVALID', line: 9, field: 'functions.f.destinations.onSuccess.mqtt', message: /without \+ or #/,
  },
  {
    name: 'unknown destination function',
    lines: ['    destinations:', '      onFailure: { function: othr }'],
    code: 'SLUICE_ERR_STACK_REFERENCE', line: 9, field: 'functions.f.destinations.onFailure.function', message: /unknown function 'othr'.*did you mean 'other'/,
  },
  {
    name: 'unknown destination bucket',
    lines: ['    destinations:', '      onFailure: { bucket: failed-event }'],
    code: 'SLUICE_ERR_STACK_REFERENCE', line: 9, field: 'functions.f.destinations.onFailure.bucket', message: /unknown bucket 'failed-event'/,
  },
];

for (const bad of BAD) {
  test(`bad function: ${bad.name}`, () => {
    assert.throws(
      () => parse(bad.lines),
      (error: unknown) => {
        assert.ok(error instanceof SluiceError, String(error));
        assert.equal(error.code, bad.code, String(error));
        assert.equal(error.place?.file, 'stacks/s.yaml');
        assert.equal(error.place?.line, bad.line, String(error));
        assert.equal(error.place?.field, bad.field, String(error));
        assert.match(error.message, bad.message);
        return true;
      },
    );
  });
}
