import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceError, topicArn } from '../core/index.js';
import { parseAlertHygieneConfig } from '../notify/index.js';
import { parseStack } from './index.js';

const REFERENCE = 'stacks/soil-moisture.yaml';

test('the reference stack parses into the AWS reference resources', () => {
  const stack = parseStack({ fileName: REFERENCE, source: readFileSync(REFERENCE, 'utf8') }, {});
  assert.equal(stack.name, 'soil-moisture');
  assert.deepEqual(Object.keys(stack.buckets), ['rule-filter-bucket']);
  assert.deepEqual(stack.topics['humidity-alerts']?.subscriptions, [{ protocol: 'email', endpoint: 'you@example.com' }]);
  const fn = stack.functions['humidity-alert'];
  assert.equal(fn?.timeoutMs, 10_000);
  assert.equal(fn?.memorySizeMb, 128);
  assert.equal(fn?.exportName, 'handler');
  assert.equal(fn?.environment.alert_sns, topicArn('humidity-alerts'));
  assert.deepEqual(stack.rules.SoilHumidityTestRule?.actions, [
    { kind: 's3', bucket: 'rule-filter-bucket', key: '${topic()}/${timestamp()}', contentType: 'application/json' },
  ]);
  assert.equal(stack.rules.SoilHumidityAlertRule?.sql, "SELECT * FROM 'device/+/devicePayload' WHERE humidity < 35");
  assert.deepEqual(stack.rules.SoilHumidityAlertRule?.actions, [{ kind: 'function', name: 'humidity-alert' }]);
  assert.equal(stack.rules.SoilHumidityAlertRule?.enabled, true);
  assert.ok(stack.things['serverless-iot-backend-thing']);
  assert.ok(stack.policies['serverless-iot-backend-policy']?.document.Statement);
  assert.deepEqual(stack.simulator, {
    devices: 3,
    intervalMs: 30_000,
    qos: 1,
    namePrefix: 'soilSensor',
    topic: 'device/${name}/devicePayload',
    thing: 'serverless-iot-backend-thing',
  });
  assert.deepEqual(stack.externalReferences, []);
  assert.ok(Object.isFrozen(stack.rules));
});

test('a topic dedupe key with ${regex:...} survives stack substitution, its one backslash intact (single quotes)', () => {
  const source = [
    'stack: hygiene',
    'topics:',
    '  humidity-alerts:',
    "    dedupe: { key: '${regex:device name (\\S+)}', window: 15m, digest: true }",
    '    subscriptions:',
    '      - protocol: email',
    '        endpoint: ops@example.com',
    "        dedupe: { key: '${json.device}', window: 1h }",
  ].join('\n');
  const stack = parseStack({ fileName: 'x.yaml', source }, {});
  assert.deepEqual(stack.topics['humidity-alerts']?.dedupe, { key: '${regex:device name (\\S+)}', window: '15m', digest: true });
  assert.deepEqual(stack.topics['humidity-alerts']?.subscriptions[0]?.dedupe, { key: '${json.device}', window: '1h' });
  const policy = parseAlertHygieneConfig(stack.topics['humidity-alerts']?.dedupe);
  assert.equal(policy.keyOf({ message: 'Humidity 32 under threshold for device name soilSensor2' }), 'soilSensor2');
  assert.equal(policy.windowMs, 15 * 60_000);
});

test('--param overrides a default, and defaults fill the rest', () => {
  const source = readFileSync(REFERENCE, 'utf8');
  const stack = parseStack({ fileName: REFERENCE, source }, { alertEmail: 'ops@example.org' });
  assert.deepEqual(stack.topics['humidity-alerts']?.subscriptions, [{ protocol: 'email', endpoint: 'ops@example.org' }]);
  assert.deepEqual(stack.params, { alertEmail: 'ops@example.org', simulatorCertDir: '../data/certs/simulator' });
});

test('defaults: timeout 3s, memory 128 MB, enabled rules, qos 0 republish; #export picks the handler', () => {
  const stack = parseStack(
    {
      fileName: 'x.yaml',
      source: [
        'stack: defaults',
        'functions:',
        '  f: { handler: ./f.ts#onReading }',
        'rules:',
        '  R:',
        "    sql: SELECT * FROM 'a/+'",
        '    actions:',
        "      - republish: { topic: 'b/${topic(2)}' }",
      ].join('\n'),
    },
    {},
  );
  assert.deepEqual(stack.functions.f, { handler: './f.ts', exportName: 'onReading', timeoutMs: 3_000, memorySizeMb: 128, environment: {} });
  assert.deepEqual(stack.rules.R?.actions, [{ kind: 'republish', topic: 'b/${topic(2)}', qos: 0 }]);
  assert.equal(stack.rules.R?.enabled, true);
  assert.equal(stack.rules.R?.sqlVersion, '2016-03-23');
});

test('references outside the stack: a predicate accepts them, defer lists them for the server', () => {
  const source = ['stack: ext', 'rules:', '  R:', "    sql: SELECT * FROM 'a/b'", '    actions:', '      - s3: { bucket: shared-bucket, key: k }'].join('\n');
  assert.throws(() => parseStack({ fileName: 'x.yaml', source }, {}), { code: 'SLUICE_ERR_STACK_REFERENCE' });
  parseStack({ fileName: 'x.yaml', source }, {}, { externalResources: (kind, name) => kind === 'bucket' && name === 'shared-bucket' });
  const deferred = parseStack({ fileName: 'x.yaml', source }, {}, { externalResources: 'defer' });
  assert.deepEqual(deferred.externalReferences, [
    { kind: 'bucket', name: 'shared-bucket', place: { file: 'x.yaml', line: 6, column: 23, field: 'rules.R.actions[0].s3.bucket' } },
  ]);
});

test('an http action parses: url and header templates kept, timeout in ms, defaults for the rest', () => {
  const stack = parseStack(
    {
      fileName: 'x.yaml',
      source: [
        'stack: webhook',
        'rules:',
        '  Forward:',
        "    sql: SELECT * FROM 'device/+/devicePayload'",
        '    actions:',
        "      - http: { url: 'https://example.org/ingest/${topic(2)}', headers: [{ key: 'x-source', value: 'sluice' }, { key: x-device, value: '${clientid()}' }], timeout: 2.5s }",
        "      - http: { url: 'http://${topic(2)}.devices.example.org:8080/r' }",
      ].join('\n'),
    },
    {},
  );
  assert.deepEqual(stack.rules.Forward?.actions, [
    {
      kind: 'http',
      url: 'https://example.org/ingest/${topic(2)}',
      headers: [
        { key: 'x-source', value: 'sluice' },
        { key: 'x-device', value: '${clientid()}' },
      ],
      timeoutMs: 2_500,
    },
    { kind: 'http', url: 'http://${topic(2)}.devices.example.org:8080/r', headers: [], timeoutMs: 10_000 },
  ]);
});

interface BadCase {
  name: string;
  source: string[];
  params?: Record<string, string>;
  code: SluiceError['code'];
  line: number;
  column?: number;
  field?: string;
  message: RegExp;
}

const RULE_HEAD = ['stack: bad', 'rules:', '  R:'];

/** Each bad file must fail with the code, and point at the line (and column) and field a person would fix. */
const BAD: BadCase[] = [
  { name: 'YAML syntax: unclosed flow map', source: ['stack: bad', 'buckets:', '  b1: {', ''], code: 'SLUICE_ERR_STACK_YAML', line: 4, column: 1, message: /Flow map/ },
  { name: 'YAML syntax: unclosed quote', source: [...RULE_HEAD, '    sql: "SELECT * FROM \'a\'', '    actions: []', ''], code: 'SLUICE_ERR_STACK_YAML', line: 6, message: /quote/ },
  { name: 'CloudFormation tag', source: ['stack: bad', 'buckets:', '  x: !Ref foo'], code: 'SLUICE_ERR_STACK_YAML', line: 3, column: 6, message: /!Ref/ },
  { name: 'not a map', source: ['- a'], code: 'SLUICE_ERR_STACK_INVALID', line: 1, message: /is a map/ },
  { name: 'missing stack name', source: ['buckets: {}'], code: 'SLUICE_ERR_STACK_INVALID', line: 1, field: 'stack', message: /missing required field 'stack'/ },
  {
    name: 'unknown field, with did-you-mean',
    source: [...RULE_HEAD, "    sql: SELECT * FROM 'a/b'", '    acitons: []'],
    code: 'SLUICE_ERR_STACK_INVALID', line: 5, column: 5, field: 'rules.R.acitons', message: /unknown field 'acitons' \(did you mean 'actions'\?\)/,
  },
  {
    name: 'unknown action kind',
    source: [...RULE_HEAD, "    sql: SELECT * FROM 'a/b'", '    actions:', '      - lamda: { name: x }'],
    code: 'SLUICE_ERR_STACK_INVALID', line: 6, column: 9, field: 'rules.R.actions[0].lamda', message: /unknown field 'lamda'/,
  },
  {
    name: 'wrong type',
    source: ['stack: bad', 'functions:', '  f:', '    handler: ./f.ts', '    memorySize: big'],
    code: 'SLUICE_ERR_STACK_INVALID', line: 5, column: 17, field: 'functions.f.memorySize', message: /expected number, got string 'big'/,
  },
  {
    name: 'topic dedupe: bad window',
    source: ['stack: bad', 'topics:', '  alerts:', "    dedupe: { key: '${regex:device name (\\S+)}', window: 0s }"],
    code: 'SLUICE_ERR_STACK_INVALID', line: 4, field: 'topics.alerts.dedupe.window', message: /too short/,
  },
  {
    name: 'subscription dedupe: unknown placeholder in the key',
    source: ['stack: bad', 'topics:', '  alerts:', '    subscriptions:', '      - protocol: email', '        endpoint: a@example.com', '        dedupe:', "          key: '${device}'", '          window: 15m'],
    code: 'SLUICE_ERR_STACK_INVALID', line: 8, field: 'topics.alerts.subscriptions[0].dedupe.key', message: /unknown placeholder/,
  },
  {
    name: 'dedupe: misspelt field',
    source: ['stack: bad', 'topics:', '  alerts:', '    dedupe:', "      key: '${subject}'", '      window: 1h', '      digets: true'],
    code: 'SLUICE_ERR_STACK_INVALID', line: 7, field: 'topics.alerts.dedupe.digets', message: /digets/,
  },
  {
    name: 'duration without unit',
    source: ['stack: bad', 'functions:', '  f:', '    handler: ./f.ts', '    timeout: 10'],
    code: 'SLUICE_ERR_STACK_INVALID', line: 5, column: 14, field: 'functions.f.timeout', message: /with a unit/,
  },
  {
    name: 'missing required field points at its parent key',
    source: [...RULE_HEAD, '    actions:', '      - republish: { topic: x }'],
    code: 'SLUICE_ERR_STACK_INVALID', line: 3, column: 3, field: 'rules.R.sql', message: /missing required field 'sql'/,
  },
  {
    name: 'invalid resource name points at the key',
    source: ['stack: bad', 'buckets:', '  Bad_Bucket: {}'],
    code: 'SLUICE_ERR_STACK_INVALID', line: 3, column: 3, field: 'buckets.Bad_Bucket', message: /invalid name 'Bad_Bucket'/,
  },
  {
    name: 'action with two kinds',
    source: [...RULE_HEAD, "    sql: SELECT * FROM 'a/b'", '    actions:', '      - function: { name: f }', '        republish: { topic: x }'],
    code: 'SLUICE_ERR_STACK_INVALID', line: 6, column: 9, field: 'rules.R.actions[0]', message: /exactly one kind/,
  },
  {
    name: 'invalid SQL in a plain scalar',
    source: [...RULE_HEAD, "    sql: SELECT * 'device/+' WHERE humidity < 35", '    actions:', '      - republish: { topic: x }'],
    code: 'SLUICE_ERR_RULE_SQL_SYNTAX', line: 4, column: 19, field: 'rules.R.sql', message: /expected .*FROM/,
  },
  {
    name: 'invalid SQL on the second line of a block scalar',
    source: [...RULE_HEAD, '    sql: |', '      SELECT humidity,', "        FROM 'device/+'", '    actions:', '      - republish: { topic: x }'],
    code: 'SLUICE_ERR_RULE_SQL_SYNTAX', line: 6, column: 9, field: 'rules.R.sql', message: /FROM/,
  },
  {
    name: 'invalid SQL in a double-quoted scalar',
    source: [...RULE_HEAD, '    sql: "SELECT * FROM \'device/+\' WHERE humidity <"', '    actions:', '      - republish: { topic: x }'],
    code: 'SLUICE_ERR_RULE_SQL_SYNTAX', line: 4, column: 53, field: 'rules.R.sql', message: /end of input/,
  },
  {
    name: 'invalid SQL in a folded block scalar',
    source: [...RULE_HEAD, '    sql: >', '      SELECT *', "      FROM 'a/+'", '      WHERE humidity < < 3', '    actions:', '      - republish: { topic: x }'],
    code: 'SLUICE_ERR_RULE_SQL_SYNTAX', line: 7, column: 24, field: 'rules.R.sql', message: /'<'/,
  },
  {
    name: 'invalid SQL in a more-indented literal block line',
    source: [...RULE_HEAD, '    sql: |-', '      SELECT *', "        FROM 'a/+'", '          WHERE )', '    actions:', '      - republish: { topic: x }'],
    code: 'SLUICE_ERR_RULE_SQL_SYNTAX', line: 7, column: 17, field: 'rules.R.sql', message: /'\)'/,
  },
  {
    name: "invalid SQL in a single-quoted scalar with '' escapes",
    source: [...RULE_HEAD, "    sql: 'SELECT ''x'' AS y FROM ''a/+'' WHERE )'", '    actions:', '      - republish: { topic: x }'],
    code: 'SLUICE_ERR_RULE_SQL_SYNTAX', line: 4, column: 48, field: 'rules.R.sql', message: /'\)'/,
  },
  {
    name: 'invalid SQL on the continuation line of a plain multi-line scalar',
    source: [...RULE_HEAD, '    sql: SELECT *', "      FROM 'a/+' WHERE )", '    actions:', '      - republish: { topic: x }'],
    code: 'SLUICE_ERR_RULE_SQL_SYNTAX', line: 5, column: 24, field: 'rules.R.sql', message: /'\)'/,
  },
  {
    name: 'invalid topic filter in FROM',
    source: [...RULE_HEAD, "    sql: SELECT * FROM 'a/#/b'", '    actions:', '      - republish: { topic: x }'],
    code: 'SLUICE_ERR_RULE_SQL_INVALID', line: 4, field: 'rules.R.sql', message: /#/,
  },
  {
    name: 'bad substitution template',
    source: ['stack: bad', 'buckets:', '  b-1: {}', 'rules:', '  R:', "    sql: SELECT * FROM 'a/b'", '    actions:', "      - s3: { bucket: b-1, key: '${topic(}/x' }"],
    code: 'SLUICE_ERR_TEMPLATE_SYNTAX', line: 8, column: 42, field: 'rules.R.actions[0].s3.key', message: /template/,
  },
  {
    name: 'http url that is not a URL',
    source: [...RULE_HEAD, "    sql: SELECT * FROM 'a/b'", '    actions:', "      - http: { url: 'example.org/${topic()}' }"],
    code: 'SLUICE_ERR_STACK_INVALID', line: 6, column: 22, field: 'rules.R.actions[0].http.url', message: /http:\/\/ or https:\/\/ URL/,
  },
  {
    name: 'http url with another scheme',
    source: [...RULE_HEAD, "    sql: SELECT * FROM 'a/b'", '    actions:', "      - http: { url: 'ftp://example.org/x' }"],
    code: 'SLUICE_ERR_STACK_INVALID', line: 6, field: 'rules.R.actions[0].http.url', message: /http:\/\/ or https:\/\/ URL/,
  },
  {
    name: 'http url with credentials',
    source: [...RULE_HEAD, "    sql: SELECT * FROM 'a/b'", '    actions:', "      - http: { url: 'https://user:pw@example.org/x' }"],
    code: 'SLUICE_ERR_STACK_INVALID', line: 6, field: 'rules.R.actions[0].http.url', message: /credentials/,
  },
  {
    name: 'http url template that does not parse',
    source: [...RULE_HEAD, "    sql: SELECT * FROM 'a/b'", '    actions:', "      - http: { url: 'https://example.org/${topic(}' }"],
    code: 'SLUICE_ERR_TEMPLATE_SYNTAX', line: 6, field: 'rules.R.actions[0].http.url', message: /template/,
  },
  {
    name: 'bad http header template points into the header value',
    source: [...RULE_HEAD, "    sql: SELECT * FROM 'a/b'", '    actions:', '      - http:', "          url: https://example.org/x", '          headers:', '            - key: x-ok', '              value: fine', '            - key: x-device', "              value: 'id-${clientid(}'"],
    code: 'SLUICE_ERR_TEMPLATE_SYNTAX', line: 12, column: 37, field: 'rules.R.actions[0].http.headers[1].value', message: /template/,
  },
  {
    name: 'http header key that is not a field name',
    source: [...RULE_HEAD, "    sql: SELECT * FROM 'a/b'", '    actions:', "      - http: { url: 'https://example.org/x', headers: [{ key: 'x source', value: v }] }"],
    code: 'SLUICE_ERR_STACK_INVALID', line: 6, field: 'rules.R.actions[0].http.headers[0].key', message: /HTTP field names/,
  },
  {
    name: 'http header key Sluice sets itself',
    source: [...RULE_HEAD, "    sql: SELECT * FROM 'a/b'", '    actions:', "      - http: { url: 'https://example.org/x', headers: [{ key: X-Sluice-Job-Id, value: v }] }"],
    code: 'SLUICE_ERR_STACK_INVALID', line: 6, field: 'rules.R.actions[0].http.headers[0].key', message: /reserved/,
  },
  {
    name: 'http timeout over 60s',
    source: [...RULE_HEAD, "    sql: SELECT * FROM 'a/b'", '    actions:', "      - http: { url: 'https://example.org/x', timeout: 2m }"],
    code: 'SLUICE_ERR_STACK_INVALID', line: 6, field: 'rules.R.actions[0].http.timeout', message: /at most 60s/,
  },
  {
    name: 'http headers in a map instead of the AWS list of key/value',
    source: [...RULE_HEAD, "    sql: SELECT * FROM 'a/b'", '    actions:', "      - http: { url: 'https://example.org/x', headers: { x-source: sluice } }"],
    code: 'SLUICE_ERR_STACK_INVALID', line: 6, field: 'rules.R.actions[0].http.headers', message: /expected array, got a map/,
  },
  {
    name: 'unknown bucket',
    source: [...RULE_HEAD, "    sql: SELECT * FROM 'a/b'", '    actions:', '      - s3: { bucket: nope-bucket, key: k }'],
    code: 'SLUICE_ERR_STACK_REFERENCE', line: 6, column: 23, field: 'rules.R.actions[0].s3.bucket', message: /unknown bucket 'nope-bucket'/,
  },
  {
    name: 'unknown function, with did-you-mean',
    source: ['stack: bad', 'functions:', '  humidity-alert: { handler: ./f.ts }', 'rules:', '  R:', "    sql: SELECT * FROM 'a/b'", '    actions: [{ republish: { topic: x } }]', '    errorAction:', '      function: { name: humidity-alrt }'],
    code: 'SLUICE_ERR_STACK_REFERENCE', line: 9, column: 25, field: 'rules.R.errorAction.function.name', message: /did you mean 'humidity-alert'/,
  },
  {
    name: 'required parameter without value',
    source: ['stack: bad', 'parameters:', '  alertEmail:', '    description: x'],
    code: 'SLUICE_ERR_STACK_INVALID', line: 3, column: 3, field: 'parameters.alertEmail', message: /--param alertEmail=VALUE/,
  },
  {
    name: 'undeclared --param',
    source: ['stack: bad', 'parameters:', '  alertEmail:', '    default: a@example.com'],
    params: { alertEmial: 'x' },
    code: 'SLUICE_ERR_STACK_REFERENCE', line: 2, field: 'parameters', message: /--param alertEmial .*did you mean 'alertEmail'/,
  },
  {
    name: 'unknown ${param:...}',
    source: ['stack: bad', 'topics:', '  t:', '    subscriptions:', '      - protocol: email', '        endpoint: ${param:mail}'],
    code: 'SLUICE_ERR_STACK_REFERENCE', line: 6, column: 19, field: 'topics.t.subscriptions[0].endpoint', message: /unknown parameter 'mail'/,
  },
  {
    name: 'unknown ${topic:...}',
    source: ['stack: bad', 'topics:', '  alerts: {}', 'functions:', '  f:', '    handler: ./f.ts', '    environment:', '      alert_sns: arn=${topic:alrts}'],
    code: 'SLUICE_ERR_STACK_REFERENCE', line: 8, column: 22, field: 'functions.f.environment.alert_sns', message: /unknown topic 'alrts'.*did you mean 'alerts'/,
  },
  {
    name: 'policy statement Effect',
    source: ['stack: bad', 'policies:', '  p:', '    document:', "      Version: '2012-10-17'", '      Statement:', '        - Effect: allow', '          Action: iot:*', "          Resource: '*'"],
    code: 'SLUICE_ERR_STACK_INVALID', line: 7, column: 19, field: 'policies.p.document.Statement[0].Effect', message: /Allow/,
  },
  {
    name: 'simulator thing must exist',
    source: ['stack: bad', 'simulator:', '  thing: nope'],
    code: 'SLUICE_ERR_STACK_REFERENCE', line: 3, column: 10, field: 'simulator.thing', message: /unknown thing 'nope'/,
  },
];

for (const bad of BAD) {
  test(`bad stack: ${bad.name}`, () => {
    assert.throws(
      () => parseStack({ fileName: 'stacks/bad.yaml', source: bad.source.join('\n') }, bad.params ?? {}),
      (error: unknown) => {
        assert.ok(error instanceof SluiceError, String(error));
        assert.equal(error.code, bad.code, String(error));
        assert.equal(error.place?.file, 'stacks/bad.yaml');
        assert.equal(error.place?.line, bad.line, String(error));
        if (bad.column !== undefined) assert.equal(error.place?.column, bad.column, String(error));
        if (bad.field !== undefined) assert.equal(error.place?.field, bad.field, String(error));
        assert.match(error.message, bad.message);
        assert.doesNotMatch(error.toString(), /\n/, 'one line');
        return true;
      },
    );
  });
}
