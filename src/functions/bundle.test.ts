import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceError } from '../core/index.js';
import { bundleFunction, typeCheckEnabledByEnvironment } from './bundle.js';
import { typeCheckStats } from './typecheck.js';
import { FIXTURES } from './test-helpers.js';
import { sns } from './runtime/index.js';

async function tempSource(t: { after(fn: () => Promise<void>): void }, name: string, source: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-bundle-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, name);
  await writeFile(file, source);
  return file;
}

test('bundles a handler, its relative imports and sluice/runtime into one module', async () => {
  const { code } = await bundleFunction(path.join(FIXTURES, 'humidity-alert.ts'));
  assert.doesNotMatch(code, /from\s+["']sluice\/runtime["']/);
  assert.match(code, /sluiceFunctionHost/); // the runtime's code is inside
  const echo = await bundleFunction(path.join(FIXTURES, 'echo.ts'));
  assert.match(echo.code, /Hello, /); // the helper's code is inside
  assert.doesNotMatch(echo.code, /from\s+["']\.\/lib/);
});

test('a syntax error names file, line and column', async (t) => {
  const file = await tempSource(t, 'broken.ts', 'export function handler() {\n  return 1 +;\n}\n');
  const error = await bundleFunction(file).then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof SluiceError);
  assert.equal(error.code, 'SLUICE_ERR_FUNCTION_BUNDLE');
  assert.equal(error.place?.file, file);
  assert.equal(error.place?.line, 2);
  assert.equal(typeof error.place?.column, 'number');
  assert.ok(error.message.startsWith(`${file}:2:`), error.message);
});

test('an unresolvable import names the importing line', async (t) => {
  const file = await tempSource(t, 'imports.ts', "import { x } from './missing.js';\nexport const handler = () => x;\n");
  await assert.rejects(bundleFunction(file), (error: unknown) => {
    assert.ok(error instanceof SluiceError);
    assert.equal(error.place?.line, 1);
    assert.match(error.message, /missing\.js/);
    return true;
  });
});

test('a missing entry file or export is a bundle error', async (t) => {
  await assert.rejects(bundleFunction(path.join(FIXTURES, 'nope.ts')), { code: 'SLUICE_ERR_FUNCTION_BUNDLE' });
  const file = await tempSource(t, 'other.js', 'export function main() {}\n');
  await assert.rejects(bundleFunction(file), (error: unknown) => {
    assert.ok(error instanceof SluiceError);
    assert.equal(error.code, 'SLUICE_ERR_FUNCTION_BUNDLE');
    assert.match(error.message, /"handler".*main/);
    return true;
  });
  assert.ok((await bundleFunction(file, 'main')).code.length > 0);
});

test('sluice/runtime outside a Sluice worker fails clearly instead of hanging', async () => {
  await assert.rejects(sns.publish({ TopicArn: 'arn', Message: 'm' }), /only inside a function run by Sluice/);
});

test('a type error in a TypeScript entry fails the bundle with file:line:column and the TS code', async (t) => {
  const file = await tempSource(t, 'typed.ts', "export async function handler() {\n  const n: number = 'x';\n  return { v: n };\n}\n");
  const cacheDir = path.join(path.dirname(file), '.cache');
  const error = await bundleFunction(file, 'handler', { typeCheck: { cacheDir } }).then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof SluiceError);
  assert.equal(error.code, 'SLUICE_ERR_FUNCTION_BUNDLE');
  assert.deepEqual(error.place, { file, line: 2, column: 9 });
  assert.equal(error.message, `${file}:2:9: TS2322: Type 'string' is not assignable to type 'number'.`);
});

test('typeCheck: false, SLUICE_FUNCTION_TYPECHECK=0 and JavaScript entries skip the type check', async (t) => {
  const file = await tempSource(t, 'loose.ts', "export async function handler() {\n  const n: number = 'x';\n  return { v: n };\n}\n");
  const before = typeCheckStats.checks;
  assert.ok((await bundleFunction(file, 'handler', { typeCheck: false })).code.includes('"x"'));
  const saved = process.env.SLUICE_FUNCTION_TYPECHECK;
  process.env.SLUICE_FUNCTION_TYPECHECK = '0';
  try {
    assert.ok((await bundleFunction(file)).code.length > 0);
  } finally {
    if (saved === undefined) delete process.env.SLUICE_FUNCTION_TYPECHECK;
    else process.env.SLUICE_FUNCTION_TYPECHECK = saved;
  }
  assert.equal(typeCheckEnabledByEnvironment({ SLUICE_FUNCTION_TYPECHECK: 'false' }), false);
  assert.equal(typeCheckEnabledByEnvironment({ SLUICE_FUNCTION_TYPECHECK: '1' }), true);
  assert.equal(typeCheckEnabledByEnvironment({}), true);
  const js = await tempSource(t, 'plain.js', 'export function handler(event) {\n  return event.missing.deeply;\n}\n');
  assert.ok((await bundleFunction(js)).code.length > 0);
  assert.equal(typeCheckStats.checks, before, 'no check ran');
});
