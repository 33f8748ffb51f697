import { testFunctions } from './eval.test-support.js';

// Doc examples cite /work/awsdocs/developerguide/iot-sql-functions.md#<anchor>.
// Non-String arguments take the standard String conversion (numbers as
// written, Booleans lower case, arrays/objects as JSON); Null and Undefined
// give Undefined.
testFunctions({
  chr: [
    ['chr(65)', 'A'], // #iot-func-chr
    ['chr(49)', '1'], // #iot-func-chr
    ['chr(65.9)', 'A'], // rounded down
    ["chr('66')", 'B'],
    ['chr(128)', undefined], // not ASCII
    ['chr(-1)', undefined],
    ['chr(t)', undefined],
    ["chr('x')", undefined],
    ['chr(arr)', undefined],
  ],
  concat: [
    ['concat()', undefined], // #iot-func-concat
    ['concat(1)', '1'], // #iot-func-concat (the table's "returned unmodified" loses to this example)
    ['concat([1, 2, 3], 4)', [1, 2, 3, 4]], // #iot-func-concat
    ['concat([1, 2, 3], "hello")', [1, 2, 3, 'hello']], // #iot-func-concat
    ['concat("con", "cat")', 'concat'], // #iot-func-concat
    ['concat(1, "hello")', '1hello'], // #iot-func-concat
    ['concat("he","is","man")', 'heisman'], // #iot-func-concat
    ['concat([1, 2, 3], "hello", [4, 5, 6])', [1, 2, 3, 'hello', 4, 5, 6]], // #iot-func-concat
    ["concat(s, ' ', 'world')", 'Hello world'],
    ["concat('n', 1, true, 2.5)", 'n1true2.5'],
    ['concat(s, obj)', 'Hello{"k":"v"}'],
    ['concat(arr, [2], nul)', [1, 'a', 2, null]],
    ['concat(arr)', [1, 'a']],
    ['concat(s)', 'Hello'],
    ['concat(s, missing)', undefined],
    ['concat(s, nul)', undefined],
    ['concat(arr, missing)', undefined],
  ],
  endswith: [
    ['endswith("cat","at")', true], // #iot-func-endswith
    ["endswith(s, 'lo')", true],
    ["endswith(s, 'He')", false],
    ["endswith(12.5, '.5')", true],
    ["endswith(missing, 'x')", undefined],
    ['endswith(s, nul)', undefined],
  ],
  indexof: [
    ['indexof("abcd", "bc")', 1], // #iot-sql-function-indexof
    ["indexof('abcd', 'x')", -1],
    ["indexof(emoji, 'b')", 2], // characters, not UTF-16 units
    ['indexof(12345, 34)', 2],
    ["indexof(arr, '\"a\"')", 3],
    ["indexof(nul, 'a')", undefined],
    ['indexof(s, missing)', undefined],
  ],
  length: [
    ['length("hi")', 2], // #iot-sql-function-length
    ['length(false)', 5], // #iot-sql-function-length
    ['length(s)', 5],
    ["length('')", 0],
    ['length(emoji)', 3], // code points
    ['length(123)', 3],
    ['length(arr)', 7], // its JSON text [1,"a"], by the standard conversion
    ['length(obj)', 9],
    ['length(nul)', undefined],
    ['length(missing)', undefined],
  ],
  lower: [
    ['lower("HELLO")', 'hello'], // #iot-func-lower
    ['lower(["HELLO"])', '["hello"]'], // #iot-func-lower
    ['LOWER(s)', 'hello'],
    ['lower(t)', 'true'],
    ['lower(nul)', undefined],
  ],
  lpad: [
    ['lpad("hello", 2)', '  hello'], // #iot-func-lpad
    ['lpad(1, 3)', '   1'], // #iot-func-lpad
    ['lpad(s, 2.9)', '  Hello'],
    ["lpad(s, '1')", ' Hello'],
    ['lpad(s, -5)', 'Hello'], // clamped to 0
    ['length(lpad(s, 5000))', 1005], // clamped to 1000
    ['lpad(s, t)', undefined],
    ["lpad(s, 'x')", undefined],
    ['lpad(nul, 1)', undefined],
  ],
  ltrim: [
    // #iot-func-ltrim shows Ltrim(" h i ") = "hi ", which drops an inner space too; only leading blanks go.
    ['Ltrim(" h i ")', 'h i '],
    ["ltrim('\\t x')", 'x'],
    ["ltrim('\\n x')", '\n x'], // tabs and spaces only
    ['ltrim(5)', '5'],
    ['ltrim(nul)', undefined],
  ],
  numbytes: [
    ['numbytes("hi")', 2], // #iot-sql-function-numbytes
    ['numbytes("€")', 3], // #iot-sql-function-numbytes
    ['numbytes(emoji)', 6],
    ['numbytes(t)', 4],
    ['numbytes(missing)', undefined],
  ],
  replace: [
    ['replace("abcd", "bc", "x")', 'axd'], // #iot-func-replace
    ['replace("abcdabcd", "b", "x")', 'axcdaxcd'], // #iot-func-replace
    ["replace('a.b', '.', '$&')", 'a$&b'], // literal, no patterns
    ["replace('abc', '', '-')", '-a-b-c-'],
    ['replace(1212, 1, 3)', '3232'],
    ["replace(s, nul, 'x')", undefined],
    ["replace(s, 'l', missing)", undefined],
  ],
  rpad: [
    ['rpad("hello", 2)', 'hello  '], // #iot-func-rpad
    ['rpad(1, 3)', '1   '], // #iot-func-rpad
    ['rpad(s, 1.5)', 'Hello '],
    ['rpad(s, obj)', undefined],
    ['rpad(missing, 1)', undefined],
  ],
  rtrim: [
    ['rtrim(" h i ")', ' h i'], // #iot-func-rtrim
    ["rtrim('x \\t')", 'x'],
    ['rtrim(t)', 'true'],
    ['rtrim(nul)', undefined],
  ],
  startswith: [
    ['startswith("ranger","ran")', true], // #iot-func-startswith
    ["startswith(s, 'lo')", false],
    ['startswith(123, 1)', true], // converted to strings
    ["startswith(arr, '[1')", true],
    ["startswith(nul, 'x')", undefined],
    ['startswith(s, missing)', undefined],
  ],
  substring: [
    ['substring("012345", 0)', '012345'], // #iot-func-substring
    ['substring("012345", 2)', '2345'], // #iot-func-substring
    ['substring("012345", 2.745)', '2345'], // #iot-func-substring
    ['substring(123, 2)', '3'], // #iot-func-substring
    ['substring("012345", -1)', '012345'], // #iot-func-substring
    ['substring(true, 1.2)', 'rue'], // #iot-func-substring
    ['substring(false, -2.411E247)', 'false'], // #iot-func-substring
    ['substring("012345", 1, 3)', '12'], // #iot-func-substring
    ['substring("012345", -50, 50)', '012345'], // #iot-func-substring
    ['substring("012345", 3, 1)', ''], // #iot-func-substring
    ["substring(s, '1', '3')", 'el'],
    ['substring(emoji, 1, 2)', '😀'],
    ['substring(arr, 1)', '1,"a"]'],
    ["substring(s, 'x')", undefined],
    ['substring(s, t)', undefined],
    ['substring(nul, 1)', undefined],
  ],
  trim: [
    ['Trim(" hi ") ', 'hi'], // #iot-func-trim
    ["trim('\\t a b \\t')", 'a b'],
    ['trim(arr)', '[1,"a"]'],
    ['trim(nul)', undefined],
  ],
  upper: [
    ['upper("hello")', 'HELLO'], // #iot-sql-function-upper
    ['upper(s)', 'HELLO'],
    ['upper(1)', '1'],
    ['upper(obj)', '{"K":"V"}'],
    ['upper(missing)', undefined],
  ],
});
