/**
 * Rule `sqlVersion` and `tests:` in the stack file: the schema (valid and
 * invalid cases, with the place each error points at), that tests are never
 * deployed nor hashed, and the runner behind `sluice test`.
 */
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceError, silentLogger } from '../core/index.js';
import { createMemoryStateStore } from '../state/index.js';
import { StackService } from './index.js';
import { parseStackLocated } from './parse.js';
import { DEFAULT_TEST_CLIENT_ID, DEFAULT_TEST_TIMESTAMP, runRuleTests, type RuleTestResult } from './rule-tests.js';
import { recordingTarget } from './test-helpers.js';

const FILE = 'stacks/t.yaml';
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** Lines 1-6: a stack with one rule R; `tests:` is line 7 and its first case starts on line 8. */
const HEAD = ['stack: t', 'rules:', '  R:', "    sql: SELECT * FROM 'device/+/data' WHERE humidity < 35", '    actions:', '      - republish: { topic: out }'];
const withTests = (...lines: string[]) => [...HEAD, '    tests:', ...lines].join('\n');
const parse = (source: string, params: Record<string, string> = {}) => parseStackLocated({ fileName: FILE, source }, params);

test('sqlVersion: 2016-03-23 by default; 2015-10-08 when asked, quoted or not', () => {
  assert.equal(parse(HEAD.join('\n')).definition.rules.R?.sqlVersion, '2016-03-23');
  for (const written of ["'2015-10-08'", '2015-10-08']) {
    const source = [...HEAD.slice(0, 4), `    sqlVersion: ${written}`, ...HEAD.slice(4)].join('\n');
    assert.equal(parse(source).definition.rules.R?.sqlVersion, '2015-10-08');
  }
});

test('tests parse into normalised cases, kept out of the deployed rule', () => {
  const { definition, tests } = parse(
    withTests(
      '      - name: dry',
      '        topic: device/a/data',
      '        payload: { humidity: 30, name: "n" }',
      '        clientId: c1',
      '        timestamp: 1700000000000',
      '        principal: cert-1',
      '        expect: { humidity: 30, name: n }',
      "      - topic: device/a/data",
      "        payload: 'not json'",
      '        noMatch: true',
      '      - topic: device/a/data',
      '        payloadBase64: AAH/fw==',
      '        expectBase64: AAH/fw==',
      '      - topic: device/a/data',
      '        payload: 42',
      '        expect: null',
    ),
  );
  assert.equal(Object.hasOwn(definition.rules.R ?? {}, 'tests'), false, 'tests are not part of the RuleSpec');
  assert.deepEqual(tests.R, [
    {
      name: 'dry',
      topic: 'device/a/data',
      payloadBase64: b64('{"humidity":30,"name":"n"}'),
      clientId: 'c1',
      timestamp: 1_700_000_000_000,
      principal: 'cert-1',
      expect: { kind: 'output', value: { humidity: 30, name: 'n' } },
    },
    { topic: 'device/a/data', payloadBase64: b64('not json'), expect: { kind: 'noMatch' } },
    { topic: 'device/a/data', payloadBase64: 'AAH/fw==', expect: { kind: 'outputBytes', base64: 'AAH/fw==' } },
    { topic: 'device/a/data', payloadBase64: b64('42'), expect: { kind: 'output', value: null } },
  ]);
  assert.ok(Object.isFrozen(tests.R));
});

test('a rule without tests has no entry; ${param:...} in tests takes the defaults or --param', () => {
  const source = [
    'stack: t',
    'parameters:',
    '  device: { default: d1 }',
    ...HEAD.slice(1),
    '    tests:',
    '      - { topic: "device/${param:device}/data", payload: { humidity: 1 }, expect: { humidity: 1 } }',
  ].join('\n');
  assert.equal(parse(source).tests.R?.[0]?.topic, 'device/d1/data');
  assert.equal(parse(source, { device: 'd7' }).tests.R?.[0]?.topic, 'device/d7/data');
  assert.deepEqual(parse(HEAD.join('\n')).tests, {});
});

interface BadCase {
  name: string;
  source: string;
  code?: SluiceError['code'];
  line: number;
  column: number;
  field: string;
  message: RegExp;
}

const BAD: BadCase[] = [
  {
    name: 'sqlVersion AWS does not have',
    source: [...HEAD.slice(0, 4), "    sqlVersion: '2017-01-01'", ...HEAD.slice(4)].join('\n'),
    line: 5, column: 17, field: 'rules.R.sqlVersion', message: /sqlVersion must be one of '2016-03-23', '2015-10-08'/,
  },
  {
    name: 'tests is not a list',
    source: [...HEAD, '    tests: { topic: device/a/data }'].join('\n'),
    line: 7, column: 12, field: 'rules.R.tests', message: /expected array, got a map/,
  },
  {
    name: 'misspelt field in a case, with did-you-mean',
    source: withTests('      - topic: device/a/data', '        payload: { humidity: 30 }', '        expcet: {}'),
    line: 10, column: 9, field: 'rules.R.tests[0].expcet', message: /unknown field 'expcet' \(did you mean 'expect'\?\)/,
  },
  {
    name: 'a case without a topic points at the case',
    source: withTests('      - payload: {}', '        noMatch: true'),
    line: 8, column: 9, field: 'rules.R.tests[0].topic', message: /missing required field 'topic'/,
  },
  {
    name: 'a case without a payload',
    source: withTests('      - topic: device/a/data', '        noMatch: true'),
    line: 8, column: 9, field: 'rules.R.tests[0]', message: /needs a 'payload' \(a JSON value or text\) or a 'payloadBase64'/,
  },
  {
    name: 'both payload and payloadBase64',
    source: withTests('      - topic: device/a/data', '        payload: x', '        payloadBase64: eA==', '        noMatch: true'),
    line: 10, column: 24, field: 'rules.R.tests[0].payloadBase64', message: /'payload' or 'payloadBase64', not both/,
  },
  {
    name: 'a case without an expectation',
    source: withTests('      - topic: device/a/data', '        payload: {}'),
    line: 8, column: 9, field: 'rules.R.tests[0]', message: /one of 'expect' .*'expectBase64' .*'noMatch: true'/,
  },
  {
    name: 'two expectations',
    source: withTests('      - topic: device/a/data', '        payload: {}', '        expect: {}', '        noMatch: true'),
    line: 11, column: 18, field: 'rules.R.tests[0].noMatch', message: /not 'expect' and 'noMatch'/,
  },
  {
    name: 'noMatch: false',
    source: withTests('      - topic: device/a/data', '        payload: {}', '        noMatch: false'),
    line: 10, column: 18, field: 'rules.R.tests[0].noMatch', message: /noMatch must be true/,
  },
  {
    name: 'payloadBase64 that is not base64',
    source: withTests('      - topic: device/a/data', "        payloadBase64: 'not base64!'", '        noMatch: true'),
    line: 9, column: 24, field: 'rules.R.tests[0].payloadBase64', message: /payloadBase64 must be base64/,
  },
  {
    name: 'expectBase64 that is not base64',
    source: withTests('      - topic: device/a/data', '        payload: {}', '        expectBase64: 42'),
    line: 10, column: 23, field: 'rules.R.tests[0].expectBase64', message: /expectBase64 must be a base64 string/,
  },
  {
    name: 'a NaN deep in the payload',
    source: withTests('      - topic: device/a/data', '        payload: { humidity: .nan }', '        noMatch: true'),
    line: 9, column: 30, field: 'rules.R.tests[0].payload.humidity', message: /expected a JSON value, got NaN/,
  },
  {
    name: 'timestamp before the epoch',
    source: withTests('      - topic: device/a/data', '        payload: {}', '        timestamp: -1', '        noMatch: true'),
    line: 10, column: 20, field: 'rules.R.tests[0].timestamp', message: /ms since the epoch/,
  },
  {
    name: 'timestamp with a fraction',
    source: withTests('      - topic: device/a/data', '        payload: {}', '        timestamp: 1.5', '        noMatch: true'),
    line: 10, column: 20, field: 'rules.R.tests[0].timestamp', message: /integer/,
  },
  {
    name: 'a topic with a wildcard is no topic to publish to',
    source: withTests('      - topic: device/+/data', '        payload: {}', '        noMatch: true'),
    line: 8, column: 16, field: 'rules.R.tests[0].topic', message: /wildcard/,
  },
  {
    name: 'an error in the second rule names that rule',
    source: [...HEAD, '  S:', "    sql: SELECT * FROM 'x'", '    actions: [{ republish: { topic: out } }]', '    tests:', '      - { topic: x, payload: 1, expect: 1, noMatch: true }'].join('\n'),
    line: 11, column: 53, field: 'rules.S.tests[0].noMatch', message: /not 'expect' and 'noMatch'/,
  },
];

for (const bad of BAD) {
  test(`bad rule test: ${bad.name}`, () => {
    assert.throws(
      () => parse(bad.source),
      (error: unknown) => {
        assert.ok(error instanceof SluiceError, String(error));
        assert.equal(error.code, bad.code ?? 'SLUICE_ERR_STACK_INVALID', String(error));
        assert.deepEqual(error.place, { file: FILE, line: bad.line, column: bad.column, field: bad.field }, String(error));
        assert.match(error.message, bad.message);
        assert.doesNotMatch(error.toString(), /\n/, 'one line');
        return true;
      },
    );
  });
}

test('the plan: a new sqlVersion updates the rule; a change to its tests changes nothing', async () => {
  const target = recordingTarget();
  const service = new StackService({ state: createMemoryStateStore(), target, logger: silentLogger() });
  const source = withTests('      - { topic: device/a/data, payload: { humidity: 1 }, expect: { humidity: 1 } }');
  const deploy = (text: string) => service.deploy({ fileName: FILE, source: text, params: {}, functions: {} });
  await deploy(source);

  const newTests = await deploy(source.replace('humidity: 1 }, expect: { humidity: 1 }', 'humidity: 90 }, noMatch: true'));
  assert.deepEqual(newTests.plan, [{ action: 'unchanged', kind: 'rule', name: 'R' }]);
  assert.equal(newTests.applied, false);

  const newVersion = await deploy(source.replace('    actions:', "    sqlVersion: '2015-10-08'\n    actions:"));
  assert.deepEqual(newVersion.plan, [{ action: 'update', kind: 'rule', name: 'R' }]);
  const record = await service.get('t');
  const rule = record?.resources.find((r) => r.kind === 'rule');
  assert.equal(rule?.kind === 'rule' ? rule.spec.sqlVersion : undefined, '2015-10-08');
  assert.equal(rule && 'tests' in rule.spec, false, 'tests are not recorded');
});

/** A stack whose cases pass and fail in every way a case can. */
const RUNNER_STACK = [
  'stack: runner',
  'rules:',
  '  Alert:',
  "    sql: SELECT name, humidity * 2 AS h, topic(2) AS device, clientid() AS c, timestamp() AS t FROM 'device/+/data' WHERE humidity < 35",
  '    actions: [{ republish: { topic: out } }]',
  '    tests:',
  '      - name: dry',
  '        topic: device/d1/data',
  '        payload: { name: n1, humidity: 30 }',
  `        expect: { name: n1, h: 60, device: d1, c: ${DEFAULT_TEST_CLIENT_ID}, t: ${DEFAULT_TEST_TIMESTAMP} }`,
  '      - name: key order does not matter; client id and time as given',
  '        topic: device/d2/data',
  "        payload: '{\"humidity\": 1, \"name\": \"n2\"}'",
  '        clientId: c9',
  '        timestamp: 5',
  '        expect: { t: 5, c: c9, device: d2, h: 2, name: n2 }',
  '      - name: wet',
  '        topic: device/d1/data',
  '        payload: { humidity: 50 }',
  '        noMatch: true',
  '      - name: wrong output',
  '        topic: device/d1/data',
  '        payload: { name: n1, humidity: 30 }',
  '        expect: { name: n1, h: 61 }',
  '      - name: wrong topic',
  '        topic: other/d1/data',
  '        payload: { humidity: 50 }',
  '        noMatch: true',
  '      - name: matches though it should not',
  '        topic: device/d1/data',
  '        payload: { humidity: 10 }',
  '        noMatch: true',
  '      - name: does not match though it should',
  '        topic: device/d1/data',
  '        payload: { humidity: 90 }',
  '        expect: {}',
  '  Merge:',
  "    sql: SELECT *, topic(2) AS device FROM 'device/+/data'",
  '    actions: [{ republish: { topic: out } }]',
  '    tests:',
  '      - name: not JSON',
  '        topic: device/d1/data',
  '        payload: not json',
  '        expect: {}',
  '  Archive:',
  "    sql: SELECT * FROM 'device/#'",
  '    actions: [{ republish: { topic: out } }]',
  '    tests:',
  '      - name: bytes pass through',
  '        topic: device/d1/raw',
  '        payloadBase64: AAH/fw==',
  '        expectBase64: AAH/fw==',
  '      - name: bytes are not JSON',
  '        topic: device/d1/raw',
  '        payloadBase64: AAH/fw==',
  '        expect: {}',
  '      - name: other bytes',
  '        topic: device/d1/raw',
  '        payloadBase64: AAH/fw==',
  '        expectBase64: AAE=',
  '  Untested:',
  "    sql: SELECT * FROM 'x/y'",
  '    actions: [{ republish: { topic: out } }]',
].join('\n');

test('runRuleTests: every case runs, in file order, with pass or a reason', () => {
  const report = runRuleTests(parse(RUNNER_STACK));
  assert.equal(report.stack, 'runner');
  assert.equal(report.file, FILE);
  const summary = report.results.map((r) => [r.rule, r.name, r.passed]);
  assert.deepEqual(summary, [
    ['Alert', 'dry', true],
    ['Alert', 'key order does not matter; client id and time as given', true],
    ['Alert', 'wet', true],
    ['Alert', 'wrong output', false],
    ['Alert', 'wrong topic', false],
    ['Alert', 'matches though it should not', false],
    ['Alert', 'does not match though it should', false],
    ['Merge', 'not JSON', false],
    ['Archive', 'bytes pass through', true],
    ['Archive', 'bytes are not JSON', false],
    ['Archive', 'other bytes', false],
  ]);
  assert.equal(report.passed, 4);
  assert.equal(report.failed, 7);
  assert.deepEqual(report.untested, ['Untested']);

  const byName = (name: string) => report.results.find((r) => r.name === name) as RuleTestResult;
  assert.deepEqual(byName('dry').place, { file: FILE, line: 7, column: 9, field: 'rules.Alert.tests[0]' });
  assert.deepEqual(byName('wrong output').expected, { output: { name: 'n1', h: 61 } });
  assert.deepEqual(byName('wrong output').actual, {
    matched: true,
    output: { name: 'n1', h: 60, device: 'd1', c: DEFAULT_TEST_CLIENT_ID, t: DEFAULT_TEST_TIMESTAMP },
    outputBase64: b64(JSON.stringify({ name: 'n1', h: 60, device: 'd1', c: DEFAULT_TEST_CLIENT_ID, t: DEFAULT_TEST_TIMESTAMP })),
  });
  assert.match(byName('wrong output').failure ?? '', /output differs/);
  assert.equal(byName('wrong topic').failure, "the topic 'other/d1/data' does not match the rule's FROM filter 'device/+/data'");
  assert.deepEqual(byName('wrong topic').actual, { matched: false, reason: 'topic' });
  assert.match(byName('matches though it should not').failure ?? '', /expected no match, but the rule matched/);
  assert.match(byName('does not match though it should').failure ?? '', /WHERE clause is not true/);
  assert.deepEqual(byName('does not match though it should').actual, { matched: false, reason: 'where' });
  assert.match(byName('not JSON').failure ?? '', /rule failed on this message.*not JSON/);
  assert.equal((byName('not JSON').actual as { error: { code?: string } }).error.code, 'SLUICE_ERR_PAYLOAD_NOT_JSON');
  assert.deepEqual(byName('bytes pass through').actual, { matched: true, outputBase64: 'AAH/fw==' });
  assert.match(byName('bytes are not JSON').failure ?? '', /no JSON value .*expectBase64/);
  assert.match(byName('other bytes').failure ?? '', /output bytes differ/);
});

test('runRuleTests --rule: one rule only; an unknown name is an error with a suggestion', () => {
  const stack = parse(RUNNER_STACK);
  const archive = runRuleTests(stack, { rule: 'Archive' });
  assert.deepEqual([...new Set(archive.results.map((r) => r.rule))], ['Archive']);
  assert.deepEqual(runRuleTests(stack, { rule: 'Untested' }), { file: FILE, stack: 'runner', passed: 0, failed: 0, results: [], untested: ['Untested'] });
  assert.throws(() => runRuleTests(stack, { rule: 'Alrt' }), (error: unknown) => {
    assert.ok(error instanceof SluiceError);
    assert.equal(error.code, 'SLUICE_ERR_STACK_REFERENCE');
    assert.match(error.message, /--rule Alrt: no such rule in this stack \(did you mean 'Alert'\?\)/);
    return true;
  });
});

test("runRuleTests evaluates with the rule's sqlVersion", () => {
  const source = (version: string) =>
    ['stack: v', 'rules:', '  R:', "    sql: SELECT VALUE 10.0 / 4 FROM 'a/b'", `    sqlVersion: '${version}'`, '    actions: [{ republish: { topic: out } }]', '    tests:', '      - { topic: a/b, payload: {}, expect: 2.5 }'].join('\n');
  const [v2015] = runRuleTests(parse(source('2015-10-08'))).results;
  const [v2016] = runRuleTests(parse(source('2016-03-23'))).results;
  assert.equal(v2015?.passed, true, v2015?.failure);
  assert.equal(v2016?.passed, false, 'under 2016-03-23 10.0 is an Int, so 10.0 / 4 is 2');
  assert.deepEqual(v2016?.actual, { matched: true, output: 2, outputBase64: b64('2') });
});

test('the reference stack ships rule tests, and they pass', () => {
  const source = readFileSync('stacks/soil-moisture.yaml', 'utf8');
  const report = runRuleTests(parse(source));
  assert.deepEqual(report.untested, []);
  assert.ok(report.results.length >= 4);
  assert.deepEqual(report.results.filter((r) => !r.passed), []);
  assert.ok(report.results.some((r) => r.rule === 'SoilHumidityAlertRule' && r.expected && 'noMatch' in r.expected));
});

test('Basic Ingest topics reach the named rule only, with the prefix taken off, as on the server', () => {
  const source = [
    'stack: ingest',
    'rules:',
    '  NoFrom:',
    '    sql: SELECT topic() AS t, humidity',
    '    actions: [{ republish: { topic: out } }]',
    '    tests:',
    '      - { name: ingest, topic: $aws/rules/NoFrom/device/d1/data, payload: { humidity: 3 }, expect: { t: device/d1/data, humidity: 3 } }',
    '      - { name: plain topic, topic: device/d1/data, payload: {}, noMatch: true }',
    '  WithFrom:',
    "    sql: SELECT VALUE topic() FROM 'device/+/data'",
    '    actions: [{ republish: { topic: out } }]',
    '    tests:',
    '      - { name: ingest, topic: $aws/rules/WithFrom/elsewhere, payload: {}, expect: elsewhere }',
    '      - { name: another rule, topic: $aws/rules/NoFrom/device/d1/data, payload: {}, noMatch: true }',
  ].join('\n');
  const results = runRuleTests(parse(source)).results.map((r) => [r.rule, r.name, r.passed, r.failure]);
  assert.deepEqual(results, [
    ['NoFrom', 'ingest', true, undefined],
    ['NoFrom', 'plain topic', false, "the rule has no FROM clause, so only Basic Ingest messages reach it: publish on '$aws/rules/NoFrom/...', not 'device/d1/data'"],
    ['WithFrom', 'ingest', true, undefined],
    ['WithFrom', 'another rule', false, "the topic '$aws/rules/NoFrom/device/d1/data' is a Basic Ingest topic of rule 'NoFrom', so it never reaches rule 'WithFrom'"],
  ]);
});

test('principal, clientId and timestamp of a case reach the functions that read them', () => {
  const source = [
    'stack: ctx',
    'rules:',
    '  R:',
    "    sql: SELECT principal() AS p, clientid() AS c, timestamp() AS t FROM 'a/b'",
    '    actions: [{ republish: { topic: out } }]',
    '    tests:',
    '      - { topic: a/b, payload: {}, principal: cert-1, clientId: dev-1, timestamp: 7, expect: { p: cert-1, c: dev-1, t: 7 } }',
    `      - { topic: a/b, payload: {}, expect: { c: ${DEFAULT_TEST_CLIENT_ID}, t: ${DEFAULT_TEST_TIMESTAMP} } }`,
  ].join('\n');
  const report = runRuleTests(parse(source));
  assert.deepEqual(report.results.map((r) => [r.passed, r.failure]), [
    [true, undefined],
    [true, undefined],
  ]);
});
