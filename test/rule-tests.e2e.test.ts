/**
 * `sluice test STACK.yaml` as a user runs it: locally (no server, no --data),
 * on a temporary stack with passing and failing cases, and on the reference
 * stack. Exit codes: 0 all pass, 1 a case failed, 2 the input is invalid.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from './support/sluice-process.js';

let dir: string;
let passing: string;
let failing: string;
let invalid: string;

const RULE = [
  '  Alert:',
  "    sql: SELECT name, humidity * 2 AS h, topic(2) AS device FROM 'device/+/data' WHERE humidity < 35",
  '    actions: [{ republish: { topic: alerts } }]',
  '    tests:',
  '      - name: dry soil',
  '        topic: device/${param:device}/data',
  '        payload: { name: n1, humidity: 30 }',
  '        expect: { device: d1, h: 60, name: n1 }',
  '      - name: wet soil',
  '        topic: device/d1/data',
  '        payload: { name: n1, humidity: 50 }',
  '        noMatch: true',
];

const ARCHIVE = [
  '  Archive:',
  "    sql: SELECT * FROM 'device/#'",
  '    actions: [{ republish: { topic: archive } }]',
  '    tests:',
  '      - name: raw bytes pass through',
  '        topic: device/d1/raw',
  '        payloadBase64: AAH/fw==',
  '        expectBase64: AAH/fw==',
];

const stack = (...rules: string[][]) => ['stack: rules-under-test', 'parameters:', '  device: { default: d1 }', 'rules:', ...rules.flat()].join('\n');

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-test-cmd-'));
  passing = join(dir, 'passing.yaml');
  failing = join(dir, 'failing.yaml');
  invalid = join(dir, 'invalid.yaml');
  await writeFile(passing, stack(RULE, ARCHIVE));
  await writeFile(
    failing,
    stack(
      [
        ...RULE,
        '      - name: off by one',
        '        topic: device/d1/data',
        '        payload: { name: n1, humidity: 30 }',
        '        expect: { device: d1, h: 61, name: n1 }',
        '      - name: wrong topic',
        '        topic: elsewhere/d1/data',
        '        payload: { humidity: 50 }',
        '        noMatch: true',
      ],
      ARCHIVE,
    ),
  );
  // Line 11 holds the misspelt field.
  await writeFile(invalid, stack(['  Alert:', "    sql: SELECT * FROM 'device/+/data'", '    actions: [{ republish: { topic: alerts } }]', '    tests:', '      - topic: device/d1/data', '        payload: {}', '        expcet: {}']));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('all cases pass: one line per case, the summary, exit 0', async () => {
  const result = await runCli(['test', passing]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, '');
  assert.equal(result.stdout, ['✔ Alert › dry soil', '✔ Alert › wet soil', '✔ Archive › raw bytes pass through', '', '3 passed, 0 failed', ''].join('\n'));
});

test('a failing case: ✖ with its place and a diff of expected vs actual, exit 1', async () => {
  const result = await runCli(['test', failing]);
  assert.equal(result.code, 1, result.stderr);
  const lines = result.stdout.split('\n');
  assert.ok(lines.includes('✔ Alert › dry soil'), result.stdout);
  assert.ok(lines.includes('✖ Alert › off by one'), result.stdout);
  assert.ok(lines.includes(`    ${failing}:17:9: rules.Alert.tests[2]: the output differs from the expected one`), result.stdout);
  assert.ok(lines.includes('    -   "h": 61,') && lines.includes('    +   "h": 60,'), result.stdout);
  assert.ok(lines.includes('        "device": "d1",'), 'unchanged lines are shown as context');
  assert.ok(lines.includes('✖ Alert › wrong topic'), result.stdout);
  assert.match(result.stdout, /the topic 'elsewhere\/d1\/data' does not match the rule's FROM filter 'device\/\+\/data'/);
  assert.ok(lines.includes('✔ Archive › raw bytes pass through'), result.stdout);
  assert.match(result.stdout, /\n3 passed, 2 failed\n$/);
});

test('--json: a machine-readable report, same exit code', async () => {
  const result = await runCli(['test', failing, '--json']);
  assert.equal(result.code, 1, result.stderr);
  const report = JSON.parse(result.stdout) as {
    ok: boolean;
    stack: string;
    passed: number;
    failed: number;
    untested: string[];
    results: Array<{ rule: string; name: string; passed: boolean; failure?: string; place: { line: number }; expected: unknown; actual: unknown }>;
  };
  assert.equal(report.ok, false);
  assert.equal(report.stack, 'rules-under-test');
  assert.deepEqual([report.passed, report.failed], [3, 2]);
  const offByOne = report.results.find((r) => r.name === 'off by one');
  assert.equal(offByOne?.passed, false);
  assert.equal(offByOne?.place.line, 17);
  assert.deepEqual(offByOne?.expected, { output: { device: 'd1', h: 61, name: 'n1' } });
  assert.deepEqual(offByOne?.actual, {
    matched: true,
    output: { name: 'n1', h: 60, device: 'd1' },
    outputBase64: Buffer.from('{"name":"n1","h":60,"device":"d1"}').toString('base64'),
  });
});

test('--rule runs one rule; --param sets a parameter, as for deploy', async () => {
  const archive = await runCli(['test', failing, '--rule', 'Archive']);
  assert.equal(archive.code, 0, archive.stderr);
  assert.equal(archive.stdout, '✔ Archive › raw bytes pass through\n\n1 passed, 0 failed\n');

  // The first case expects device d1, so another device makes it fail.
  const other = await runCli(['test', passing, '--rule', 'Alert', '--param', 'device=d2', '--json']);
  assert.equal(other.code, 1, other.stderr);
  const report = JSON.parse(other.stdout) as { results: Array<{ name: string; passed: boolean; actual: { output?: { device?: string } } }> };
  assert.equal(report.results[0]?.actual.output?.device, 'd2');
});

test('an invalid stack file, parameter or rule name: a positioned error, exit 2', async () => {
  const [bad, json, param, rule] = await Promise.all([
    runCli(['test', invalid]),
    runCli(['test', invalid, '--json']),
    runCli(['test', passing, '--param', 'devcie=d2']),
    runCli(['test', passing, '--rule', 'Alrt']),
  ]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stdout, '');
  assert.equal(bad.stderr, `error: ${invalid}:11:9: rules.Alert.tests[0].expcet: unknown field 'expcet' (did you mean 'expect'?) [SLUICE_ERR_STACK_INVALID]\n`);

  assert.equal(json.code, 2);
  const { error } = JSON.parse(json.stdout) as { error: { code: string; place: { line: number; field: string } } };
  assert.equal(error.code, 'SLUICE_ERR_STACK_INVALID');
  assert.deepEqual([error.place.line, error.place.field], [11, 'rules.Alert.tests[0].expcet']);

  assert.equal(param.code, 2);
  assert.match(param.stderr, /--param devcie is not a parameter of this stack \(did you mean 'device'\?\)/);

  assert.equal(rule.code, 2);
  assert.match(rule.stderr, /--rule Alrt: no such rule in this stack \(did you mean 'Alert'\?\)/);
});

test('the reference stack passes out of the box', async () => {
  const result = await runCli(['test', 'stacks/soil-moisture.yaml']);
  assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
  assert.match(result.stdout, /^✔ SoilHumidityTestRule › /m);
  assert.match(result.stdout, /^✔ SoilHumidityAlertRule › /m);
  assert.match(result.stdout, /\n\d+ passed, 0 failed\n$/);
});
