import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testFunctions } from './eval.test-support.js';
import { translateJavaRegex } from './regex.js';

// Doc examples cite /work/awsdocs/developerguide/iot-sql-functions.md#<anchor>.
// SQL strings need `\\` for one backslash, hence String.raw.
const r = String.raw;

testFunctions({
  regexp_matches: [
    ['regexp_matches("aaaa", "a{2,}")', true], // #iot-func-regex-matches
    ['regexp_matches("aaaa", "b")', false], // #iot-func-regex-matches
    [r`regexp_matches('a1', '\\d')`, true], // contains a match: find(), not matches()
    [r`regexp_matches('ABC', '(?i)^abc$')`, true], // a leading Java inline flag
    [r`regexp_matches('x', '\\p{Alpha}')`, true], // POSIX class
    [r`regexp_matches('é', '\\p{Alpha}')`, false], // ASCII only, as in Java
    [r`regexp_matches('é', '\\p{IsLatin}')`, true],
    [r`regexp_matches('a.b', '\\Q.\\E')`, true],
    [r`regexp_matches('ab', '\\Q.\\E')`, false],
    [r`regexp_matches('a]', 'a]')`, true], // a lone ] is literal in Java
    [r`regexp_matches('abc\n', 'c$')`, true], // Java $ also matches before a final line break
    [r`regexp_matches('abc\n', 'c\\z')`, false],
    ['regexp_matches(123, 2)', true], // both converted to strings
    ["regexp_matches(arr, '\"a\"')", true],
    ["regexp_matches('aaa', 'a*+')", undefined], // possessive quantifier: not in JS
    ["regexp_matches('aaa', '(?>a)')", undefined], // atomic group
    ["regexp_matches('a', '[a-z&&[^b]]')", undefined], // class intersection
    ["regexp_matches('a', '(')", undefined], // invalid
    ["regexp_matches(nul, 'a')", undefined],
    ['regexp_matches(s, missing)', undefined],
  ],
  regexp_replace: [
    ['regexp_replace("abcd", "bc", "x")', 'axd'], // #iot-func-regex-replace
    ['regexp_replace("abcd", "b(.*)d", "$1")', 'ac'], // #iot-func-regex-replace
    [r`regexp_replace('2024-01-31', '(\\d+)-(\\d+)-(\\d+)', '$3/$2/$1')`, '31/01/2024'],
    ["regexp_replace('ab', '(?<first>a)', '${first}${first}')", 'aab'], // named group
    [r`regexp_replace('ab', 'a', '\\$1')`, '$1b'], // \$ is a literal dollar
    ["regexp_replace('ab', 'a', '$0$0')", 'aab'],
    ["regexp_replace('ab', '(a)', '$11')", 'a1b'], // $1 then 1: there is no group 11
    ["regexp_replace('ab', '(a)|(b)', '[$2]')", '[][b]'], // an unmatched group adds nothing
    ["regexp_replace('abc', 'x*', '-')", '-a-b-c-'],
    ["regexp_replace('ab', 'a', '$2')", undefined], // no such group: an error in Java
    ["regexp_replace('ab', 'a', '$x')", undefined], // illegal group reference
    [r`regexp_replace('ab', 'a', 'x\\')`, undefined], // trailing backslash
    ["regexp_replace('ab', '[', 'x')", undefined],
    [r`regexp_replace(12.5, '\\.', ',')`, '12,5'],
    ["regexp_replace(s, nul, 'x')", undefined],
  ],
  regexp_substr: [
    ['regexp_substr("hihihello", "hi")', 'hi'], // #iot-func-regex-substr
    ['regexp_substr("hihihello", "(hi)*")', 'hihi'], // #iot-func-regex-substr
    [r`regexp_substr('t=21.5C', '[0-9.]+')`, '21.5'],
    ["regexp_substr('abc', 'x')", undefined], // no match
    ["regexp_substr('abc', '[')", undefined],
    ["regexp_substr(missing, 'a')", undefined],
  ],
});

test('Java regex syntax is translated where JS has an equivalent', () => {
  const cases: Array<[string, string | undefined]> = [
    ['a{2,}', 'a{2,}'],
    [r`\Qa.b\E`, r`a\.b`],
    [r`\0101`, r`\u{41}`],
    [r`\x{1F600}`, r`\u{1F600}`],
    [r`\e`, r`\u{1b}`],
    [r`[\p{Digit}x]`, '[0-9x]'],
    [r`\P{Digit}`, '[^0-9]'],
    [r`a\-b`, 'a-b'],
    [r`[a\-b]`, r`[a\-b]`],
    [r`\#`, '#'],
    ['a}', r`a\}`],
    ['(?<year>\\d{4})', '(?<year>\\d{4})'],
    [r`\p{InGreek}`, undefined],
    [r`\G`, undefined],
    ['(?x)a b', undefined],
    ['a(?i)b', undefined],
    ['a{x', undefined],
  ];
  for (const [java, js] of cases) assert.equal(translateJavaRegex(java)?.source, js, java);
  assert.deepEqual(translateJavaRegex('(?is)a.b'), { source: 'a.b', flags: 'uis' });
});
