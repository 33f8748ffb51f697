import { testFunctions } from './eval.test-support.js';

// Each case cites the AWS function reference section its example comes from
// (/work/awsdocs/developerguide/iot-sql-functions.md#<anchor>); the rest are
// the argument-type tables' rows, including wrong types → Undefined.
testFunctions({
  abs: [
    ['abs(-5)', 5], // iot-sql-functions.md#iot-func-abs
    ['abs(n)', 2.5],
    ["abs('-4')", 4],
    ["abs('x')", undefined],
    ['abs(t)', undefined],
    ['abs(arr)', undefined],
    ['abs(obj)', undefined],
    ['abs(nul)', undefined],
    ['abs(missing)', undefined],
    ['abs(0)', 0],
  ],
  acos: [
    ['acos(0)', 1.5707963267948966], // #iot-func-acos
    ["acos('1')", 0],
    ['acos(2)', undefined], // imaginary result
    ['acos(t)', undefined],
  ],
  asin: [
    ['asin(0)', 0], // #iot-func-asin: 0.0
    ['asin(2)', undefined],
    ["asin('x')", undefined],
  ],
  atan: [
    ['atan(0)', 0], // #iot-func-atan: 0.0
    ["atan('1')", 0.7853981633974483],
    ['atan(arr)', undefined],
  ],
  atan2: [
    ['atan2(1, 0)', 1.5707963267948966], // #iot-func-atan2: the first argument is y
    ["atan2('0', '-1')", Math.PI],
    ["atan2(1, 'x')", undefined],
    ['atan2(t, 1)', undefined],
  ],
  ceil: [
    ['ceil(1.2)', 2], // #iot-func-ceil
    ['ceil(-1.2)', -1], // #iot-func-ceil; not -0
    ['ceil(num)', 4],
    ['ceil(3)', 3],
    ['ceil(obj)', undefined],
  ],
  cos: [
    ['cos(0)', 1], // #iot-func-cos
    ["cos('x')", undefined],
  ],
  cosh: [
    ['cosh(2.3)', 5.037220649268761], // #iot-func-cosh
    ['cosh(nul)', undefined],
  ],
  exp: [
    ['exp(1)', Math.E], // #iot-func-exp: e
    ["exp('0')", 1],
    ['exp(1000)', undefined], // overflows a double: no JSON form
    ['exp(t)', undefined],
  ],
  floor: [
    ['floor(1.2)', 1], // #iot-func-floor
    ['floor(-1.2)', -2], // #iot-func-floor
    ["floor('-0.5')", -1],
    ['floor(arr)', undefined],
  ],
  ln: [
    ['ln(exp(1))', 1], // #iot-func-nln: ln(e) = 1
    ['ln(0)', undefined], // -Infinity
    ['ln(-1)', undefined],
    ['ln(t)', undefined],
  ],
  log: [
    ['log(100)', 2], // #iot-func-log: base 10
    ["log('1000')", 3],
    ['log(0)', undefined],
    ['log(obj)', undefined],
  ],
  mod: [
    ['mod(8, 3)', 2], // #iot-func-mod
    ['mod(-8, 3)', -2], // sign of the dividend, as `%`
    ['mod(8, -3)', 2],
    ['mod(5.5, 2)', 1.5],
    ['mod(5.1, 1)', 0.1], // exact decimal, not 0.0999...
    ["mod('8', '3')", 2],
    ['mod(8, 0)', undefined],
    ["mod(8, 'x')", undefined],
    ['mod(t, 2)', undefined],
  ],
  power: [
    ['power(2, 5)', 32], // #iot-func-power: 32.0
    ["power('2', '0.5')", Math.SQRT2],
    ['power(-8, 0.5)', undefined], // NaN
    ['power(0, -1)', undefined], // Infinity
    ['power(2, t)', undefined],
  ],
  rand: [['rand() >= 0 AND rand() < 1', true]], // #iot-sql-function-rand
  remainder: [
    ['remainder(8, 3)', 2], // #iot-func-remainder
    ['remainder(-8, 3)', -2],
    ['remainder(7.5, 2)', 1.5],
    ['remainder(1, 0)', undefined],
    ['remainder(arr, 2)', undefined],
  ],
  round: [
    // #iot-func-round: the examples (half away from zero) over the table's "rounded down".
    ['Round(1.2)', 1],
    ['Round(1.5)', 2],
    ['Round(1.7)', 2],
    ['Round(-1.1)', -1],
    ['Round(-1.5)', -2],
    ['round(1.4)', 1],
    ['round(n)', -3],
    ['round(-0.4)', 0],
    ["round('2.5')", 3],
    ['round(5)', 5],
    ['round(nul)', undefined],
  ],
  sign: [
    ['sign(-7)', -1], // #iot-func-sign
    ['sign(0)', 0], // #iot-func-sign
    ['sign(13)', 1], // #iot-func-sign
    ["sign('-0.5')", -1],
    ['sign(t)', undefined],
  ],
  sin: [
    ['sin(0)', 0], // #iot-func-sin: 0.0
    ['sin(arr)', undefined],
  ],
  sinh: [
    ['sinh(2.3)', 4.936961805545957], // #iot-func-sinh
    ["sinh('x')", undefined],
  ],
  sqrt: [
    ['sqrt(9)', 3], // #iot-func-sqrt: 3.0
    ["sqrt('2.25')", 1.5],
    ['sqrt(-1)', undefined], // NaN has no JSON form
    ['sqrt(t)', undefined],
  ],
  tan: [
    ['tan(3)', -0.1425465430742778], // #iot-func-tan
    ['tan(obj)', undefined],
  ],
  tanh: [
    ['tanh(2.3)', 0.9800963962661914], // #iot-func-tanh
    ['tanh(nul)', undefined],
  ],
  trunc: [
    ['trunc(2.3, 0)', 2], // #iot-func-trunc
    ['trunc(2.3123, 2)', 2.31], // #iot-func-trunc
    ['trunc(2.888, 2)', 2.88], // #iot-func-trunc
    ['trunc(2.00, 5)', 2], // #iot-func-trunc
    ['trunc(0.29, 2)', 0.29], // decimal digits, not binary
    ['trunc(-2.888, 1)', -2.8], // toward zero
    ['trunc(5, 2)', 5],
    ['trunc(2.345, -1)', 2], // places below 0 are 0
    ['trunc(2.345, 1.9)', 2.3], // places rounded down
    ["trunc('2.345', 2)", 2.34],
    ['trunc(-0.5, 0)', 0], // not -0
    ["trunc('x', 2)", undefined],
    ['trunc(2.5, t)', undefined],
    ['trunc(arr, 1)', undefined],
  ],
  bitand: [
    ['bitand(13, 5)', 5], // #iot-func-bitand
    ['bitand(13.9, 5.2)', 5], // rounded down
    ["bitand('13', '5')", 5],
    ['bitand(-1, 255)', 255],
    ['bitand(4294967296 + 1, 4294967297)', 4294967297], // beyond 32 bits
    ["bitand(13, 'x')", undefined],
    ['bitand(t, 1)', undefined],
  ],
  bitor: [
    ['bitor(8, 5)', 13], // #iot-func-bitor
    ["bitor('8', 5.5)", 13],
    ['bitor(8, nul)', undefined],
  ],
  bitxor: [
    ['bitxor(13, 5)', 8], // #iot-func-xbitor (the docs spell the example `bitor(13, 5) = 8`)
    ['bitxor(13, 13)', 0],
    ['bitxor(arr, 1)', undefined],
  ],
  bitnot: [
    // #iot-func-bitnot says bitnot(13) = 2; a NOT of a signed Int is -14 (see math.ts).
    ['bitnot(13)', -14],
    ['bitnot(-1)', 0],
    ['bitnot(13.7)', -14],
    ["bitnot('0')", -1],
    ['bitnot(t)', undefined],
  ],
});
