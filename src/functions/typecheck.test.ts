import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceError } from '../core/index.js';
import { forgetTypeCheckSuccesses, isTypeCheckedFile, typeCheckFunction, typeCheckStats } from './typecheck.js';

type Context = { after(fn: () => Promise<void>): void };

/** A temp folder (no tsconfig.json above it: the strict defaults apply) with the given files, and a cache dir of its own. */
async function project(t: Context, files: Record<string, string>): Promise<{ dir: string; cacheDir: string; file(name: string): string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-typecheck-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  return { dir, cacheDir: path.join(dir, '.cache'), file: (name) => path.join(dir, name) };
}

async function typeError(promise: Promise<unknown>): Promise<SluiceError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof SluiceError, `expected a SluiceError, got ${String(error)}`);
  assert.equal(error.code, 'SLUICE_ERR_FUNCTION_BUNDLE');
  return error;
}

test('only TypeScript entries are checked', () => {
  for (const name of ['a.ts', 'a.tsx', 'a.mts', 'a.cts', 'A.TS']) assert.equal(isTypeCheckedFile(name), true, name);
  for (const name of ['a.js', 'a.mjs', 'a.cjs', 'a.jsx', 'a.d']) assert.equal(isTypeCheckedFile(name), false, name);
});

test('a type error fails with file:line:column, the TS code and the message, the first one in place', async (t) => {
  const p = await project(t, {
    'handler.ts': "import { twice } from './lib/math.js';\n\nexport async function handler() {\n  const n: number = 'x';\n  return twice(n);\n}\n",
    'lib/math.ts': 'export function twice(n: number): string {\n  return n * 2;\n}\n',
  });
  const error = await typeError(typeCheckFunction(p.file('handler.ts'), { cacheDir: p.cacheDir }));
  const lines = error.message.split('\n');
  assert.equal(lines.length, 2, error.message);
  // Every non-lib file of the program is checked: the imported helper too.
  assert.ok(lines.includes(`${p.file('handler.ts')}:4:9: TS2322: Type 'string' is not assignable to type 'number'.`), error.message);
  assert.ok(lines.includes(`${p.file('lib/math.ts')}:2:3: TS2322: Type 'number' is not assignable to type 'string'.`), error.message);
  assert.ok(error.place?.file && error.place.line && error.place.column);
  assert.ok(error.message.startsWith(`${error.place.file}:${error.place.line}:${error.place.column}: TS2322: `));
  assert.equal(error.toString(), error.message, 'the place is not printed twice');
  assert.deepEqual(error.details, { typeErrors: 2, codes: ['TS2322'] });
  // A failure leaves no marker behind.
  assert.deepEqual(await readdir(p.cacheDir).catch(() => []), []);
});

test('at most ten errors are listed, then how many more', async (t) => {
  const body = Array.from({ length: 13 }, (_, i) => `  const v${i}: number = '${i}';`).join('\n');
  const p = await project(t, { 'many.ts': `export function handler() {\n${body}\n  return [${Array.from({ length: 13 }, (_, i) => `v${i}`).join(', ')}];\n}\n` });
  const error = await typeError(typeCheckFunction(p.file('many.ts'), { cacheDir: false }));
  const lines = error.message.split('\n');
  assert.equal(lines.length, 11, error.message);
  assert.equal(lines[10], 'and 3 more');
  assert.deepEqual(error.place, { file: p.file('many.ts'), line: 2, column: 9 });
});

test('a clean file passes; the second check is a cache hit, in memory then on disk; an edit checks again', async (t) => {
  const source = "import { readFileSync } from 'node:fs';\nexport async function handler(event: { file: string }): Promise<number> {\n  return readFileSync(event.file).length;\n}\n";
  const p = await project(t, { 'clean.ts': source, 'other.ts': 'export const x = 1;\n' });
  const before = { ...typeCheckStats };
  const first = await typeCheckFunction(p.file('clean.ts'), { cacheDir: p.cacheDir });
  assert.equal(first.cached, false);
  assert.equal(typeCheckStats.compiled, before.compiled + 1);
  assert.equal((await readdir(p.cacheDir)).filter((n) => n.endsWith('.json')).length, 1, 'one marker written');

  const second = await typeCheckFunction(p.file('clean.ts'), { cacheDir: p.cacheDir });
  assert.equal(second.cached, 'memory');
  forgetTypeCheckSuccesses(); // as a new process would start
  const third = await typeCheckFunction(p.file('clean.ts'), { cacheDir: p.cacheDir });
  assert.equal(third.cached, 'disk');
  assert.equal(typeCheckStats.compiled, before.compiled + 1, 'the compiler ran once');
  assert.equal(typeCheckStats.memoryHits, before.memoryHits + 1);
  assert.equal(typeCheckStats.diskHits, before.diskHits + 1);

  // The cache is per cache dir: another one has not seen this success.
  assert.equal((await typeCheckFunction(p.file('clean.ts'), { cacheDir: false })).cached, false);

  // Editing the entry (here: breaking it) is seen, whatever the markers say.
  await writeFile(p.file('clean.ts'), source.replace('.length', '.lenght'));
  const error = await typeError(typeCheckFunction(p.file('clean.ts'), { cacheDir: p.cacheDir }));
  assert.match(error.message, /clean\.ts:3:\d+: TS2551: Property 'lenght' does not exist/);
  await writeFile(p.file('clean.ts'), source);
  assert.notEqual((await typeCheckFunction(p.file('clean.ts'), { cacheDir: p.cacheDir })).cached, false, 'the success with the same content still holds');
});

test('an edit to an imported file is seen through the cache', async (t) => {
  const p = await project(t, {
    'entry.ts': "import { label } from './label.js';\nexport const handler = (): string => label(1);\n",
    'label.ts': 'export const label = (n: number): string => `#${n}`;\n',
  });
  assert.equal((await typeCheckFunction(p.file('entry.ts'), { cacheDir: p.cacheDir })).cached, false);
  await writeFile(p.file('label.ts'), 'export const label = (n: number): number => n;\n');
  forgetTypeCheckSuccesses();
  const error = await typeError(typeCheckFunction(p.file('entry.ts'), { cacheDir: p.cacheDir }));
  assert.match(error.message, /entry\.ts:2:\d+: TS2322: Type 'number' is not assignable to type 'string'/);
});

test('sluice/runtime resolves to Sluice\'s runtime types: a wrong argument to sns.publish fails', async (t) => {
  const good = "import { mqtt, sns } from 'sluice/runtime';\nexport async function handler() {\n  const { MessageId } = await sns.publish({ TopicArn: 't', Message: 'm' });\n  await mqtt.publish({ topic: 'a/b', payload: { MessageId }, qos: 1 });\n  return MessageId;\n}\n";
  const p = await project(t, {
    'good.ts': good,
    'bad.ts': "import { sns } from 'sluice/runtime';\nexport async function handler() {\n  return sns.publish({ TopicArn: 't', Message: 42 });\n}\n",
    'typo.ts': "import { sns } from 'sluice/runtime';\nexport async function handler() {\n  return sns.publish({ TopicArn: 't', Mesage: 'm' });\n}\n",
  });
  await typeCheckFunction(p.file('good.ts'), { cacheDir: false });
  const bad = await typeError(typeCheckFunction(p.file('bad.ts'), { cacheDir: false }));
  assert.match(bad.message, /^\S+bad\.ts:3:\d+: TS2322: Type 'number' is not assignable to type 'string'\./);
  assert.equal(bad.message.split('\n').length, 1, 'the runtime\'s own files report nothing');
  const typo = await typeError(typeCheckFunction(p.file('typo.ts'), { cacheDir: false }));
  assert.match(typo.message, /typo\.ts:3:\d+: TS2561: Object literal may only specify known properties, but 'Mesage' does not exist/);
});

test('defaults are strict; the nearest tsconfig.json sets the options instead, with Sluice\'s @types/node if it has none', async (t) => {
  const loose = "import { EOL } from 'node:os';\nexport function handler(event) {\n  return event.name + EOL;\n}\n";
  const p = await project(t, {
    'strict/loose.ts': loose,
    'mine/tsconfig.json': JSON.stringify({ compilerOptions: { strict: false, target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', types: ['node'], outDir: 'dist', declaration: true } }),
    'mine/src/loose.ts': loose,
    'broken/tsconfig.json': '{ "compilerOptions": { "strict": tru } }',
    'broken/handler.ts': 'export const handler = () => 1;\n',
  });
  const strict = await typeError(typeCheckFunction(p.file('strict/loose.ts'), { cacheDir: false }));
  assert.match(strict.message, /loose\.ts:2:\d+: TS7006: Parameter 'event' implicitly has an 'any' type\./);
  // strict: false, an outDir and declaration (emit options are dropped), @types/node from Sluice's node_modules.
  await typeCheckFunction(p.file('mine/src/loose.ts'), { cacheDir: false });
  const broken = await typeError(typeCheckFunction(p.file('broken/handler.ts'), { cacheDir: false }));
  assert.equal(broken.place?.file, p.file('broken/tsconfig.json'));
  assert.match(broken.message, /tsconfig\.json:1:\d+: TS\d+: /);
});

test('a program with an error only in an options or global diagnostic still names a file', async (t) => {
  const p = await project(t, {
    'tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, types: ['no-such-types-package'] } }),
    'handler.ts': 'export const handler = () => 1;\n',
  });
  const error = await typeError(typeCheckFunction(p.file('handler.ts'), { cacheDir: false }));
  assert.match(error.message, /TS2688: Cannot find type definition file for 'no-such-types-package'/);
  assert.ok(error.place?.file);
});
