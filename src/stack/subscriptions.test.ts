/** Subscriptions in stack files: every protocol, SNS's attributes, and notify's checks at file:line. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceError } from '../core/index.js';
import { parseStack } from './index.js';

const HEAD = ['stack: notify', 'functions:', '  handler: { handler: ./f.ts }', 'topics:', '  alerts:', '    subscriptions:'];

test('subscriptions: every protocol, with filter and delivery policies (maps or JSON text) and raw delivery', () => {
  const stack = parseStack({
    fileName: 'stacks/notify.yaml',
    source: [
      ...HEAD,
      '      - protocol: email',
      '        endpoint: ops@example.com',
      '        filterPolicy: { severity: [high] }',
      '      - protocol: https',
      '        endpoint: https://hooks.example.com/sluice',
      '        rawMessageDelivery: true',
      '        filterPolicyScope: MessageBody',
      '        filterPolicy:',
      '          reading:',
      '            humidity: [{ numeric: ["<", 30] }]',
      '        deliveryPolicy: { healthyRetryPolicy: { numRetries: 5, minDelayTarget: 10 } }',
      '      - protocol: function',
      '        endpoint: handler',
      `        filterPolicy: '{"site": ["north"]}'`,
      '      - protocol: mqtt',
      '        endpoint: alerts/humidity',
      '      - protocol: email-json',
      '        endpoint: robot@example.com',
      '      - protocol: http',
      '        endpoint: http://127.0.0.1:9000/hook',
      `        deliveryPolicy: '{"healthyRetryPolicy": {"numRetries": 1}}'`,
    ].join('\n'),
  }, {});
  assert.deepEqual(stack.topics.alerts?.subscriptions, [
    { protocol: 'email', endpoint: 'ops@example.com', filterPolicy: { severity: ['high'] } },
    {
      protocol: 'https', endpoint: 'https://hooks.example.com/sluice', rawMessageDelivery: true, filterPolicyScope: 'MessageBody',
      filterPolicy: { reading: { humidity: [{ numeric: ['<', 30] }] } }, deliveryPolicy: { healthyRetryPolicy: { numRetries: 5, minDelayTarget: 10 } },
    },
    { protocol: 'function', endpoint: 'handler', filterPolicy: '{"site": ["north"]}' },
    { protocol: 'mqtt', endpoint: 'alerts/humidity' },
    { protocol: 'email-json', endpoint: 'robot@example.com' },
    { protocol: 'http', endpoint: 'http://127.0.0.1:9000/hook', deliveryPolicy: '{"healthyRetryPolicy": {"numRetries": 1}}' },
  ]);
});

const BAD: Array<{ name: string; lines: string[]; code?: string; line: number; column?: number; field: string; message: RegExp }> = [
  {
    name: 'unknown protocol',
    lines: ['      - protocol: sqs', '        endpoint: q'],
    line: 7, column: 19, field: 'topics.alerts.subscriptions[0].protocol', message: /protocol must be one of email, email-json, http, https, function, mqtt/,
  },
  {
    name: 'unknown attribute, with did-you-mean',
    lines: ['      - protocol: email', '        endpoint: a@example.com', '        filterPolicyy: {}'],
    line: 9, column: 9, field: 'topics.alerts.subscriptions[0].filterPolicyy', message: /unknown field 'filterPolicyy' \(did you mean 'filterPolicy'\?\)/,
  },
  {
    name: 'a filter policy error points at the entry',
    lines: ['      - protocol: email', '        endpoint: a@example.com', '        filterPolicy:', '          price:', '            - numeric: [">", "x"]'],
    line: 11, field: 'topics.alerts.subscriptions[0].filterPolicy.price[0].numeric[1]', message: /^filterPolicy\.price\[0\]\.numeric/,
  },
  {
    name: 'a filter policy in JSON text that does not parse',
    lines: ['      - protocol: email', '        endpoint: a@example.com', `        filterPolicy: '{"a": ['`],
    line: 9, column: 23, field: 'topics.alerts.subscriptions[0].filterPolicy', message: /filterPolicy: is not valid JSON/,
  },
  {
    name: 'a scope without a policy',
    lines: ['      - protocol: email', '        endpoint: a@example.com', '        filterPolicyScope: MessageBody'],
    line: 9, column: 28, field: 'topics.alerts.subscriptions[0].filterPolicyScope', message: /needs a filterPolicy/,
  },
  {
    name: 'raw delivery on email',
    lines: ['      - protocol: email', '        endpoint: a@example.com', '        rawMessageDelivery: true'],
    line: 9, column: 29, field: 'topics.alerts.subscriptions[0].rawMessageDelivery', message: /email protocol does not support raw message delivery/,
  },
  {
    name: 'https endpoint with http://',
    lines: ['      - protocol: https', '        endpoint: http://example.com/hook'],
    line: 8, column: 19, field: 'topics.alerts.subscriptions[0].endpoint', message: /a https subscription needs a https:\/\/ URL/,
  },
  {
    name: 'credentials in the URL',
    lines: ['      - protocol: http', '        endpoint: http://u:p@example.com/hook'],
    line: 8, field: 'topics.alerts.subscriptions[0].endpoint', message: /must not contain credentials/,
  },
  {
    name: 'mqtt wildcard',
    lines: ['      - protocol: mqtt', "        endpoint: 'alerts/#'"],
    line: 8, field: 'topics.alerts.subscriptions[0].endpoint', message: /wildcard/,
  },
  {
    name: 'delivery policy out of range',
    lines: ['      - protocol: http', '        endpoint: http://example.com/', '        deliveryPolicy:', '          healthyRetryPolicy: { numRetries: 101 }'],
    line: 10, field: 'topics.alerts.subscriptions[0].deliveryPolicy.healthyRetryPolicy.numRetries', message: /numRetries must be a whole number from 0 to 100/,
  },
  {
    name: 'the same subscription twice',
    lines: ['      - protocol: email', '        endpoint: a@Example.com', '      - protocol: email', '        endpoint: a@example.COM'],
    line: 10, field: 'topics.alerts.subscriptions[1].endpoint', message: /subscription email a@example\.com is listed twice \(also subscriptions\[0\]\)/,
  },
  {
    name: 'a function that is not in the stack',
    lines: ['      - protocol: function', '        endpoint: handlr'],
    code: 'SLUICE_ERR_STACK_REFERENCE', line: 8, field: 'topics.alerts.subscriptions[0].endpoint', message: /unknown function 'handlr'.*did you mean 'handler'/,
  },
];

for (const bad of BAD) {
  test(`subscriptions: bad stack: ${bad.name}`, () => {
    assert.throws(
      () => parseStack({ fileName: 'stacks/bad.yaml', source: [...HEAD, ...bad.lines].join('\n') }, {}),
      (error: unknown) => {
        assert.ok(error instanceof SluiceError, String(error));
        assert.equal(error.code, bad.code ?? 'SLUICE_ERR_STACK_INVALID', String(error));
        assert.equal(error.place?.file, 'stacks/bad.yaml');
        assert.equal(error.place?.line, bad.line, String(error));
        if (bad.column !== undefined) assert.equal(error.place?.column, bad.column, String(error));
        assert.equal(error.place?.field, bad.field, String(error));
        assert.match(error.message, bad.message);
        return true;
      },
    );
  });
}
