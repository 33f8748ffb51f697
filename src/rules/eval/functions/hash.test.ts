import { testFunctions } from './eval.test-support.js';

// iot-sql-functions.md#iot-sql-function-hash: the hex digest of the string;
// other types by the standard String conversion; Null/Undefined → Undefined.
testFunctions({
  md5: [
    ['md5("hello")', '5d41402abc4b2a76b9719d911017c592'], // #iot-sql-function-hash
    ['md5(1)', 'c4ca4238a0b923820dcc509a6f75849b'], // md5("1")
    ['md5(nul)', undefined],
    ['md5(missing)', undefined],
    ['md5(*)', undefined], // the raw payload is not a String
  ],
  sha1: [
    ['sha1("hello")', 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d'],
    ['sha1(t)', '5ffe533b830f08a0326348a9160afafc8ada44db'], // sha1("true")
    ['sha1(nul)', undefined],
  ],
  sha224: [
    ['sha224("hello")', 'ea09ae9cc6768c50fcee903ed054556e5bfc8347907f12598aa24193'],
    ['sha224(missing)', undefined],
  ],
  sha256: [
    ['sha256("hello")', '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824'],
    // UTF-8 bytes E2 82 AC, as `printf € | sha256sum`
    ['sha256("€")', 'c4cc90ed3d26f12d4b08a75140970a7904035c31cbb4515a83f19b9003c00d1d'],
    ['sha256(nul)', undefined],
  ],
  sha384: [
    ['sha384("hello")', '59e1748777448c69de6b800d7a33bbfb9ff1b463e44354c3553bcdb9c666fa90125a3c79f90397bdf5f6a13de828684f'],
    ['sha384(missing)', undefined],
  ],
  sha512: [
    ['sha512("hello")', '9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043'],
    ['sha512(nul)', undefined],
  ],
});
