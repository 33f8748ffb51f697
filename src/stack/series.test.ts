import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SluiceError, silentLogger } from '../core/index.js';
import { createMemoryStateStore } from '../state/index.js';
import { parseStack, StackService } from './index.js';
import { recordingTarget } from './test-helpers.js';

const STACK = [
  'stack: readings',
  'series:',
  '  soil-humidity: { retention: 30d }',
  '  raw-values:',
  'rules:',
  '  R:',
  "    sql: SELECT humidity FROM 'device/+/devicePayload'",
  '    actions:',
  '      - timeseries:',
  '          series: soil-humidity',
  "          device: '${name}'",
  "          time: '${timeStampEpoch}'",
  '          fields: [humidity]',
  '      - timeseries: { series: raw-values, fields: [humidity, temperature] }',
].join('\n');

test('series and timeseries actions parse: retention in ms, the device defaulting to the client id', () => {
  const stack = parseStack({ fileName: 'x.yaml', source: STACK }, {});
  assert.deepEqual(stack.series, { 'soil-humidity': { retentionMs: 30 * 86_400_000 }, 'raw-values': {} });
  assert.deepEqual(stack.rules.R?.actions, [
    { kind: 'timeseries', series: 'soil-humidity', device: '${name}', time: '${timeStampEpoch}', fields: ['humidity'] },
    { kind: 'timeseries', series: 'raw-values', device: '${clientid()}', fields: ['humidity', 'temperature'] },
  ]);
});

test('a series is a resource: created before the rules that write to it, deleted after them', async () => {
  const target = recordingTarget();
  const service = new StackService({ state: createMemoryStateStore(), target, logger: silentLogger() });
  await service.deploy({ fileName: 'x.yaml', source: STACK, params: {}, functions: {} });
  assert.deepEqual(target.calls, [`putSeries soil-humidity retention=${30 * 86_400_000}`, 'putSeries raw-values', 'putRule R']);
  target.calls.length = 0;
  await service.destroy('readings', { emptyBuckets: false });
  assert.deepEqual(target.calls, ['deleteRule R', 'deleteSeries raw-values', 'deleteSeries soil-humidity']);
});

test('mistakes in series and timeseries actions point at file, line and field', () => {
  const cases: Array<{ source: string; line: number; field: string; message: RegExp; code?: string }> = [
    { source: STACK.replace('retention: 30d', 'retention: 30'), line: 3, field: 'series.soil-humidity.retention', message: /expected a retention such as 30d or 12h/ },
    { source: STACK.replace('retention: 30d', 'retention: 0d'), line: 3, field: 'series.soil-humidity.retention', message: /more than 0/ },
    { source: STACK.replace('retention: 30d', 'keep: 30d'), line: 3, field: 'series.soil-humidity.keep', message: /unknown field/ },
    { source: STACK.replace('  raw-values:', '  ab:'), line: 4, field: 'series.ab', message: /series names are 3-255 characters/ },
    { source: STACK.replace('fields: [humidity]', 'fields: []'), line: 13, field: 'rules.R.actions[0].timeseries.fields', message: /at least one field/ },
    { source: STACK.replace('fields: [humidity]', 'fields: [humidity, humidity]'), line: 13, field: 'rules.R.actions[0].timeseries.fields[1]', message: /listed twice/ },
    { source: STACK.replace("time: '${timeStampEpoch}'", "time: '${timeStampEpoch'"), line: 12, field: 'rules.R.actions[0].timeseries.time', message: /./, code: 'SLUICE_ERR_TEMPLATE_SYNTAX' },
    {
      source: STACK.replace('series: soil-humidity', 'series: soil-humdity'),
      line: 10,
      field: 'rules.R.actions[0].timeseries.series',
      message: /unknown series 'soil-humdity'.*did you mean 'soil-humidity'/,
      code: 'SLUICE_ERR_STACK_REFERENCE',
    },
  ];
  for (const bad of cases) {
    assert.throws(
      () => parseStack({ fileName: 'x.yaml', source: bad.source }, {}),
      (error: unknown) => {
        assert.ok(error instanceof SluiceError, String(error));
        assert.equal(error.code, bad.code ?? 'SLUICE_ERR_STACK_INVALID', String(error));
        assert.equal(error.place?.line, bad.line, String(error));
        assert.equal(error.place?.field, bad.field, String(error));
        assert.match(error.message, bad.message);
        return true;
      },
    );
  }
});

test('a series another stack declared may be referred to (checked by the server)', () => {
  const source = ['stack: other', 'rules:', '  R:', "    sql: SELECT * FROM 't'", '    actions:', '      - timeseries: { series: shared-series, fields: [x] }'].join('\n');
  parseStack({ fileName: 'y.yaml', source }, {}, { externalResources: (kind, name) => kind === 'series' && name === 'shared-series' });
  assert.deepEqual(parseStack({ fileName: 'y.yaml', source }, {}, { externalResources: 'defer' }).externalReferences.map((r) => [r.kind, r.name]), [
    ['series', 'shared-series'],
  ]);
});
