import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceError } from '../core/index.js';
import { prepareStackDeployment, stackDeployRequestSchema } from './index.js';

test('prepareStackDeployment bundles each function, relative to the stack file', async () => {
  const request = await prepareStackDeployment('src/stack/fixtures/minimal.yaml', { email: 'a@example.com' });
  assert.equal(request.fileName, 'src/stack/fixtures/minimal.yaml');
  assert.deepEqual(request.params, { email: 'a@example.com' });
  assert.deepEqual(Object.keys(request.functions), ['alert']);
  assert.match(request.functions.alert?.code ?? '', /humidity/);
  // What the CLI sends is exactly what the API accepts.
  assert.deepEqual(stackDeployRequestSchema.parse(JSON.parse(JSON.stringify(request))), request);
});

test('a missing handler file points at the handler field', async () => {
  await assert.rejects(prepareStackDeployment('src/stack/fixtures/missing-handler.yaml', {}), (error: unknown) => {
    assert.ok(error instanceof SluiceError);
    assert.equal(error.code, 'SLUICE_ERR_STACK_REFERENCE');
    assert.deepEqual(error.place, { file: 'src/stack/fixtures/missing-handler.yaml', line: 6, column: 14, field: 'functions.alert.handler' });
    assert.match(error.message, /no-such-file\.ts not found/);
    return true;
  });
});

test('a stack file that cannot be read names the file', async () => {
  await assert.rejects(prepareStackDeployment('src/stack/fixtures/nope.yaml', {}), (error: unknown) => {
    assert.ok(error instanceof SluiceError);
    assert.equal(error.place?.file, 'src/stack/fixtures/nope.yaml');
    assert.match(error.message, /ENOENT/);
    return true;
  });
});

test('the file is validated locally before anything is bundled', async () => {
  await assert.rejects(prepareStackDeployment('src/stack/fixtures/minimal.yaml', { emial: 'x' }), { code: 'SLUICE_ERR_STACK_REFERENCE' });
});
