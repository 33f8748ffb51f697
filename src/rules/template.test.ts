import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceError } from '../core/index.js';
import { compileTemplate, decodeMessage } from './index.js';

const msg = decodeMessage({
  topic: 'device/soilSensor2/devicePayload',
  payload: Buffer.from(JSON.stringify({ name: 'soilSensor2', humidity: 29, ratio: 0.5, ok: true, none: null, nested: { x: { y: 'deep' } }, list: [1, 'a'] })),
  clientId: 'sim-2',
  timestamp: 1598536072677,
});

const RENDER: Array<[template: string, expected: string]> = [
  ['${topic()}/${timestamp()}', 'device/soilSensor2/devicePayload/1598536072677'],
  ['${topic(2)}', 'soilSensor2'],
  ['${topic(3)}-${topic(9)}-', 'devicePayload--'], // out of range → Undefined → empty
  ['Humidity ${humidity} under threshold for device name ${name}', 'Humidity 29 under threshold for device name soilSensor2'],
  ['${nested.x.y}', 'deep'],
  ['${nested.x}', '{"y":"deep"}'],
  ['${list}|${list[1]}', '[1,"a"]|a'],
  ['${ratio} ${ok} ${none} [${missing}] [${nested.missing.y}]', '0.5 true null [] []'],
  ['${humidity * 2 + 1}', '59'],
  ["${'}'}", '}'], // a brace inside a string does not close the expression
  ['${ CLIENTID() }', 'sim-2'],
  ["${ {'n': name, 'l': [humidity]} }/x", '{"n":"soilSensor2","l":[29]}/x'], // the literal's '}' does not close the template
  ["${CASE humidity WHEN 29 THEN 'dry' ELSE 'wet' END}-${list CONTAINS 'a'}-${humidity IN [1]}", 'dry-true-false'],
  ['no substitutions', 'no substitutions'],
  ['$ {x} and $x and } stay literal', '$ {x} and $x and } stay literal'],
  ['', ''],
];

test('templates render against the original payload and message', () => {
  for (const [template, expected] of RENDER) {
    const compiled = compileTemplate(template);
    assert.equal(compiled.source, template);
    assert.equal(compiled.render(msg), expected, template);
  }
});

test('payload attributes of a non-JSON payload render empty; metadata still works', () => {
  const binary = decodeMessage({ topic: 'a/b', payload: Buffer.from([0xff, 0x01]), clientId: 'c', timestamp: 5 });
  assert.equal(compileTemplate('${topic()}/${timestamp()}/${name}').render(binary), 'a/b/5/');
});

const INVALID: Array<[template: string, column: number, fragment: string]> = [
  ['${topic()', 10, "expected '}' to close the '${' at column 1 but found end of template"],
  ['key/${topic() x}', 15, "expected '}' to close the '${' at column 5 but found 'x'"],
  ['a/${}', 5, "expected an expression but found '}'"],
  ['a/${', 5, 'expected an expression but found end of input'],
  ['${topic(}', 9, "expected an expression but found '}'"],
  ["${'abc}", 8, "closing ' of the string started at 1:3"],
  ['x/${nope()}', 5, "unknown function 'nope'"],
  ['x/${topic(1, 2)}', 5, "function 'topic' takes 0 to 1 argument(s)"],
  ['${a #}', 5, "expected a token but found '#'"],
];

test('bad templates fail with SLUICE_ERR_TEMPLATE_SYNTAX and a column', () => {
  for (const [template, column, fragment] of INVALID) {
    assert.throws(
      () => compileTemplate(template),
      (error: unknown) => {
        assert.ok(error instanceof SluiceError, template);
        assert.equal(error.code, 'SLUICE_ERR_TEMPLATE_SYNTAX', template);
        assert.equal(error.place?.column, column, `${template}: ${error.message}`);
        assert.ok(error.message.includes(fragment), `${template}: ${error.message}`);
        return true;
      },
    );
  }
});
