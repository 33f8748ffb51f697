/**
 * Deploying a function against a real server: a TypeScript type error or a
 * syntax error fails `sluice deploy` with file:line and the compiler's message,
 * sends nothing, and the running version keeps serving; the fixed source deploys.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SluiceServer, runCli } from './support/sluice-process.js';

let dataDir: string;
let workDir: string;
let server: SluiceServer;
const cli = (...args: string[]) => runCli(['--data', dataDir, ...args]);

// The function lives outside the repository (no tsconfig.json above it), so the check's strict defaults apply.
const STACK = ['stack: deploy-check', 'functions:', '  versioned:', '    handler: ./versioned.ts#handler', '    timeout: 5s', ''].join('\n');

/** The handler's source: `sluice/runtime` imported for its types, a version to return, and whatever else a case adds. */
function source(version: number, extra = ''): string {
  return [
    "import type { SnsPublishInput } from 'sluice/runtime';",
    '',
    'export async function handler(event: { name?: string }): Promise<{ v: number; greeting: string }> {',
    `  const input: SnsPublishInput = { TopicArn: 'unused', Message: event.name ?? 'nobody' };`,
    extra,
    `  return { v: ${version}, greeting: input.Message };`,
    '}',
    '',
  ].join('\n');
}

async function deploy(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return cli('deploy', join(workDir, 'stack.yaml'));
}

async function invoke(): Promise<unknown> {
  const result = await cli('functions', 'invoke', 'versioned', '--payload', JSON.stringify({ name: 'e2e' }));
  assert.equal(result.code, 0, result.stderr);
  return (JSON.parse(result.stdout) as { value: unknown }).value;
}

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sluice-deploy-e2e-'));
  workDir = await mkdtemp(join(tmpdir(), 'sluice-deploy-src-'));
  await writeFile(join(workDir, 'stack.yaml'), STACK);
  await writeFile(join(workDir, 'versioned.ts'), source(1));
  server = await SluiceServer.start(dataDir, ['--insecure']);
  const first = await deploy();
  assert.equal(first.code, 0, first.stderr);
});

after(async () => {
  if (server) await server.stop('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
  await rm(workDir, { recursive: true, force: true });
});

test('a deploy with a TypeScript type error is refused with file:line and the message; the old version keeps serving', async () => {
  assert.deepEqual(await invoke(), { v: 1, greeting: 'e2e' });
  // Line 5 of the source: the `extra` line.
  await writeFile(join(workDir, 'versioned.ts'), source(2, "  const n: number = 'x';"));
  const refused = await deploy();
  assert.equal(refused.code, 1, refused.stdout);
  const file = join(workDir, 'versioned.ts');
  assert.ok(refused.stderr.includes(`${file}:5:9: TS2322: Type 'string' is not assignable to type 'number'.`), refused.stderr);
  assert.match(refused.stderr, /SLUICE_ERR_FUNCTION_BUNDLE/);
  assert.deepEqual(await invoke(), { v: 1, greeting: 'e2e' }, 'the running version is untouched');

  // A wrong argument to a sluice/runtime type is a type error too.
  await writeFile(join(workDir, 'versioned.ts'), source(2, "  const other: SnsPublishInput = { TopicArn: 'x', Message: 42 };\n  void other;"));
  const wrongRuntimeType = await deploy();
  assert.equal(wrongRuntimeType.code, 1);
  assert.match(wrongRuntimeType.stderr, /versioned\.ts:5:\d+: TS2322: Type 'number' is not assignable to type 'string'\./);
  assert.deepEqual(await invoke(), { v: 1, greeting: 'e2e' });
});

test('a deploy with a syntax error is refused with file:line; the old version keeps serving', async () => {
  await writeFile(join(workDir, 'versioned.ts'), source(2, '  const broken = 1 +;'));
  const refused = await deploy();
  assert.equal(refused.code, 1, refused.stdout);
  assert.ok(refused.stderr.includes(`${join(workDir, 'versioned.ts')}:5:`), refused.stderr);
  assert.match(refused.stderr, /SLUICE_ERR_FUNCTION_BUNDLE/);
  assert.deepEqual(await invoke(), { v: 1, greeting: 'e2e' });
});

test('the fixed source deploys and the new version serves', async () => {
  await writeFile(join(workDir, 'versioned.ts'), source(2, '  const n: number = 2;\n  void n;'));
  const deployed = await deploy();
  assert.equal(deployed.code, 0, deployed.stderr);
  assert.deepEqual(await invoke(), { v: 2, greeting: 'e2e' });
});
