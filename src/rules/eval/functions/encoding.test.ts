import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRule, decodeMessage } from '../../index.js';
import { evaluate, testFunctions } from './eval.test-support.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');

testFunctions({
  encode: [
    ["encode('hello', 'base64')", 'aGVsbG8='],
    ["encode(1, 'base64')", 'MQ=='], // converted to a String first (#iot-sql-encode-payload)
    ["encode(obj, 'base64')", b64('{"k":"v"}')],
    ["encode('€', 'base64')", '4oKs'], // UTF-8 bytes
    ["encode(nul, 'base64')", undefined],
    ["encode(missing, 'base64')", undefined],
    ["encode(s, 'hex')", undefined], // base64 is the only scheme
    ["encode(s, 'BASE64')", undefined],
  ],
  decode: [
    ["decode('aGVsbG8=', 'base64')", 'hello'],
    ["decode('aGVsbG8', 'base64')", 'hello'], // padding is optional, as Java's decoder
    [`decode('${b64('[1, 2]')}', 'base64')`, [1, 2]], // JSON is returned as a value
    [`decode('${b64('{"a": {"b": 1}}')}', 'base64').a.b`, 1],
    [`decode('${b64('33')}', 'base64')`, 33], // any JSON document, as in iot-sql-where.md's non-JSON payload example
    [`decode('${b64('"x"')}', 'base64')`, 'x'],
    [`decode('${b64('hello world')}', 'base64')`, 'hello world'], // not JSON: the text
    [`decode('${b64('{not json')}', 'base64')`, '{not json'],
    ["decode('!!!!', 'base64')", null], // "returns NULL if the string cannot be decoded"
    ["decode('aGVsbG8=\\n', 'base64')", null],
    ["decode('aGVsbG8==', 'base64')", null], // wrong padding
    ["decode('/w==', 'base64')", null], // byte FF is not UTF-8
    ["decode(5, 'base64')", undefined],
    ["decode(nul, 'base64')", undefined],
    ["decode('aGVsbG8=', 'proto')", undefined],
  ],
});

test('encode(*, ...) encodes the raw payload bytes, JSON or not (#iot-sql-encode-payload)', () => {
  const binary = Buffer.from([0xff, 0x00, 0x01, 0x80]);
  assert.equal(evaluate("encode(*, 'base64')", { payload: binary }), '/wABgA==');
  assert.equal(evaluate("encode(*, 'base64')", { payload: { a: 1 } }), b64('{"a":1}'));
  assert.equal(evaluate("decode(encode(*, 'base64'), 'base64')", { payload: binary }), null);
  assert.equal(evaluate("decode(*, 'base64')", { payload: Buffer.from('aGVsbG8=') }), 'hello');
});

test('decode(encode(*)) reads a non-JSON payload as JSON (iot-sql-where.md, example with non-JSON payload)', () => {
  const msg = decodeMessage({ topic: 'topic/subtopic', payload: Buffer.from('80'), clientId: 'c', timestamp: 1 });
  const sql = "SELECT decode(encode(*, 'base64'), 'base64') AS value FROM 'topic/subtopic' WHERE decode(encode(*, 'base64'), 'base64') > 50";
  const result = compileRule(sql).evaluate(msg);
  assert.ok(result.matched);
  assert.deepEqual(result.output.value, { value: 80 });
});

test('decode reads attributes of an encoded JSON document (#iot-sql-decode-base64)', () => {
  const msg = decodeMessage({ topic: 'topic/subtopic', payload: Buffer.from('{"encoded_temp": "eyAidGVtcGVyYXR1cmUiOiAzMyB9Cg=="}'), clientId: 'c', timestamp: 1 });
  const result = compileRule(`SELECT decode(encoded_temp,"base64").temperature AS temp from 'topic/subtopic'`).evaluate(msg);
  assert.ok(result.matched);
  assert.deepEqual(result.output.value, { temp: 33 });
});
