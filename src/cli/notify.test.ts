/** `sluice notify`'s --attr* flags as SNS Publish message attributes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMessageAttributes } from './notify.js';

test('each flag makes its SNS data type', () => {
  assert.deepEqual(
    parseMessageAttributes({
      attr: ['severity=high', 'note=a=b'],
      attrNumber: ['humidity=29.5', 'count=-3', 'big=1e3'],
      attrList: ['sensors=soilSensor1,soilSensor3', 'mixed=["a",1,true,null]', 'none='],
      attrBinary: ['raw=AAEC'],
    }),
    {
      severity: { DataType: 'String', StringValue: 'high' },
      note: { DataType: 'String', StringValue: 'a=b' },
      humidity: { DataType: 'Number', StringValue: '29.5' },
      count: { DataType: 'Number', StringValue: '-3' },
      big: { DataType: 'Number', StringValue: '1e3' },
      sensors: { DataType: 'String.Array', StringValue: '["soilSensor1","soilSensor3"]' },
      mixed: { DataType: 'String.Array', StringValue: '["a",1,true,null]' },
      none: { DataType: 'String.Array', StringValue: '[]' },
      raw: { DataType: 'Binary', BinaryValue: 'AAEC' },
    },
  );
  assert.equal(parseMessageAttributes({}), undefined);
  assert.equal(parseMessageAttributes({ attr: [], attrNumber: [] }), undefined);
});

test('bad flags are errors that name the flag and the attribute', () => {
  const cases: Array<[Parameters<typeof parseMessageAttributes>[0], RegExp]> = [
    [{ attr: ['severity'] }, /^--attr expects NAME=VALUE, got "severity"$/],
    [{ attr: ['=x'] }, /^--attr expects NAME=VALUE/],
    [{ attr: ['a='] }, /^--attr: attribute "a" has an empty value/],
    [{ attr: ['bad name=x'] }, /^--attr: attribute name "bad name" is not valid/],
    [{ attrNumber: ['n=abc'] }, /^--attr-number: attribute "n": "abc" is not a number$/],
    [{ attrNumber: ['n='] }, /is not a number/],
    [{ attrNumber: ['n=Infinity'] }, /is not a number/],
    [{ attrNumber: ['n=0x10'] }, /is not a number/],
    [{ attrList: ['l=[1,'] }, /^--attr-list: attribute "l": not a JSON array/],
    [{ attrList: ['l=[{"a":1}]'] }, /items must be strings, numbers, true, false or null/],
    [{ attrBinary: ['b=abc'] }, /^--attr-binary: attribute "b": the value is not base64$/],
    [{ attrBinary: ['b='] }, /not base64/],
    [{ attr: ['a=1'], attrList: ['a=x'] }, /^--attr-list: attribute "a" is given more than once$/],
  ];
  for (const [flags, message] of cases) {
    assert.throws(() => parseMessageAttributes(flags), (error: Error) => {
      assert.match(error.message, message, JSON.stringify(flags));
      return true;
    });
  }
});
