import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePrincipal } from './attachments.js';
import { statementsOf } from './policy/index.js';
import { ALLOW_CONNECT, harness } from './certificates.test-support.js';
import type { RegistryChange } from './index.js';

const code = (expected: string) => (error: Error & { code?: string }) => {
  assert.equal(error.code, expected, error.message);
  return true;
};

test('principals: certificate ids, certificate ARNs (ours or AWS) and token principals', () => {
  const id = 'ab'.repeat(32);
  assert.deepEqual(parsePrincipal(id), { kind: 'certificate', principal: id, certificateId: id });
  assert.equal(parsePrincipal(`arn:sluice:iot:local:000000000000:cert/${id.toUpperCase()}`).principal, id);
  assert.equal(parsePrincipal(`arn:aws:iot:eu-west-1:123456789012:cert/0x${id}`).principal, id);
  assert.deepEqual(parsePrincipal('token/3f2a9c01b7d4'), { kind: 'token', principal: 'token/3f2a9c01b7d4', tokenId: '3f2a9c01b7d4' });
  assert.throws(() => parsePrincipal('alice'), /not a principal/);
  assert.throws(() => parsePrincipal('token/'), /not a principal/);
  assert.throws(() => parsePrincipal(42), /not a principal/);
});

test('thing attachments: exclusive means one thing only, both ways', async () => {
  const { registry } = await harness();
  await registry.putThing('a');
  await registry.putThing('b');
  const cert = await registry.createKeysAndCertificate({ keyAlgorithm: 'EC-P256' });
  const shared = await registry.createKeysAndCertificate({ keyAlgorithm: 'EC-P256' });

  await registry.attachThingPrincipal('a', cert.certificateArn, { exclusive: true });
  await assert.rejects(registry.attachThingPrincipal('b', cert.certificateId), /attached exclusively to thing 'a'/);
  await assert.rejects(registry.attachThingPrincipal('b', cert.certificateId, { exclusive: true }), code('SLUICE_ERR_IN_USE'));
  assert.deepEqual(await registry.listPrincipalThingsV2(cert.certificateId), [{ thingName: 'a', thingPrincipalType: 'EXCLUSIVE_THING' }]);

  await registry.attachThingPrincipal('a', shared.certificateId);
  await registry.attachThingPrincipal('b', shared.certificateId);
  await assert.rejects(registry.attachThingPrincipal('a', shared.certificateId, { exclusive: true }), /attached to thing 'b'/);
  assert.deepEqual(await registry.listPrincipalThings(shared.certificateId), ['a', 'b']);
  assert.deepEqual(await registry.listThingPrincipals('a'), [cert.certificateId, shared.certificateId].sort());
  assert.deepEqual(await registry.listThingPrincipalsV2('b'), [{ principal: shared.certificateId, thingPrincipalType: 'NON_EXCLUSIVE_THING' }]);
  assert.deepEqual((await registry.listCertificates({ thingName: 'b' })).map((c) => c.certificateId), [shared.certificateId]);

  // Detaching the exclusive attachment frees the certificate.
  assert.equal(await registry.detachThingPrincipal('a', cert.certificateId), true);
  assert.equal(await registry.detachThingPrincipal('a', cert.certificateId), false);
  await registry.attachThingPrincipal('b', cert.certificateId);
  // Re-attaching changes the type in place.
  await registry.detachThingPrincipal('a', shared.certificateId);
  await registry.attachThingPrincipal('b', shared.certificateId, { exclusive: true });
  assert.deepEqual(await registry.listPrincipalThingsV2(shared.certificateId), [{ thingName: 'b', thingPrincipalType: 'EXCLUSIVE_THING' }]);

  // Tokens are taken as given; certificates and things must exist.
  await registry.attachThingPrincipal('a', 'token/0123456789ab', { exclusive: true });
  assert.deepEqual(await registry.listPrincipalThings('token/0123456789ab'), ['a']);
  await assert.rejects(registry.attachThingPrincipal('a', 'c'.repeat(64)), code('SLUICE_ERR_NOT_FOUND'));
  await assert.rejects(registry.attachThingPrincipal('zzz', cert.certificateId), code('SLUICE_ERR_NOT_FOUND'));
  await assert.rejects(registry.attachThingPrincipal('a', 'someone'), code('SLUICE_ERR_REQUEST_INVALID'));
  await assert.rejects(registry.listThingPrincipals('zzz'), code('SLUICE_ERR_NOT_FOUND'));
  assert.deepEqual(await registry.listPrincipalThings('d'.repeat(64)), []);
});

test('policy attachments: the connect path gets each policy with its default version', async () => {
  const { registry } = await harness();
  const cert = await registry.createKeysAndCertificate({ keyAlgorithm: 'EC-P256' });
  await registry.putPolicy('connect', ALLOW_CONNECT);
  await registry.putPolicy('publish', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: '*' }] });
  await registry.attachPolicy('connect', cert.certificateArn);
  await registry.attachPolicy('connect', cert.certificateId);
  await registry.attachPolicy('publish', cert.certificateId);
  await registry.attachPolicy('publish', 'token/feedbeef0001');
  assert.deepEqual((await registry.listAttachedPolicies(cert.certificateId)).map((p) => p.policyName), ['connect', 'publish']);
  await registry.createPolicyVersion('connect', { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'iot:Connect', Resource: '*' }] }, { setAsDefault: true });
  const [connect] = await registry.listAttachedPolicies(cert.certificateId);
  assert.deepEqual([connect?.version, (connect ? statementsOf(connect.document)[0]?.Effect : undefined)], [2, 'Deny']);
  assert.deepEqual(await registry.listPolicyTargets('publish'), [cert.certificateId, 'token/feedbeef0001'].sort());

  await assert.rejects(registry.deletePolicy('publish'), code('SLUICE_ERR_IN_USE'));
  assert.equal(await registry.detachPolicy('publish', 'token/feedbeef0001'), true);
  assert.equal(await registry.detachPolicy('publish', 'token/feedbeef0001'), false);
  assert.equal(await registry.detachPolicy('publish', cert.certificateArn), true);
  assert.equal(await registry.deletePolicy('publish'), true);
  assert.deepEqual((await registry.listAttachedPolicies(cert.certificateId)).map((p) => p.policyName), ['connect']);
  assert.deepEqual(await registry.listAttachedPolicies('token/unknown'), []);
  await assert.rejects(registry.attachPolicy('nope', cert.certificateId), code('SLUICE_ERR_NOT_FOUND'));
  await assert.rejects(registry.attachPolicy('connect', 'e'.repeat(64)), code('SLUICE_ERR_NOT_FOUND'));
  await assert.rejects(registry.listPolicyTargets('nope'), code('SLUICE_ERR_NOT_FOUND'));
});

test('change events: every change that can affect a live connection is announced once, in order', async () => {
  const { registry } = await harness();
  const seen: RegistryChange[] = [];
  const unsubscribe = registry.onChange((change) => seen.push(change));
  registry.onChange(() => {
    throw new Error('a broken listener does not break the registry');
  });
  const cert = await registry.createKeysAndCertificate({ keyAlgorithm: 'EC-P256', setAsActive: true });
  const id = cert.certificateId;
  await registry.putThing('t', { a: '1' });
  await registry.putPolicy('p', ALLOW_CONNECT);
  await registry.attachThingPrincipal('t', id, { exclusive: true });
  await registry.attachThingPrincipal('t', id, { exclusive: true }); // no change, no event
  await registry.attachPolicy('p', id);
  await registry.putThing('t', { a: '2' });
  await registry.putPolicy('p', { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'iot:Connect', Resource: '*' }] });
  await registry.updateCertificateStatus(id, 'ACTIVE'); // no change, no event
  await registry.updateCertificateStatus(id, 'INACTIVE');
  await registry.detachPolicy('p', id);
  await registry.detachThingPrincipal('t', id);
  await registry.deleteCertificate(id);
  await registry.deletePolicy('p');
  await registry.deleteThing('t');
  unsubscribe();
  await registry.putThing('after');
  assert.deepEqual(seen, [
    { type: 'certificate.registered', certificateId: id, status: 'ACTIVE', caCertificateId: registry.certificateAuthority?.certificateId, autoRegistered: false },
    { type: 'thing.attached', thingName: 't', principal: id, thingPrincipalType: 'EXCLUSIVE_THING' },
    { type: 'policy.attached', policyName: 'p', principal: id },
    { type: 'thing.updated', thingName: 't' },
    { type: 'policy.defaultVersionChanged', policyName: 'p', versionId: '2' },
    { type: 'certificate.statusChanged', certificateId: id, status: 'INACTIVE', previousStatus: 'ACTIVE' },
    { type: 'policy.detached', policyName: 'p', principal: id },
    { type: 'thing.detached', thingName: 't', principal: id },
    { type: 'certificate.deleted', certificateId: id },
    { type: 'policy.deleted', policyName: 'p' },
    { type: 'thing.deleted', thingName: 't' },
  ]);
});

test('concurrent attachments of one principal are serialized: none is lost', async () => {
  const { registry } = await harness();
  const names = Array.from({ length: 20 }, (_, i) => `thing-${String(i).padStart(2, '0')}`);
  for (const name of names) await registry.putThing(name);
  await Promise.all(names.map((name) => registry.attachThingPrincipal(name, 'token/abcdef')));
  assert.deepEqual((await registry.listPrincipalThings('token/abcdef')).sort(), names);
  // And an exclusive attempt racing with non-exclusive ones: exactly one side wins.
  await registry.putThing('solo');
  const results = await Promise.allSettled([
    registry.attachThingPrincipal('solo', 'token/racer', { exclusive: true }),
    registry.attachThingPrincipal('thing-00', 'token/racer'),
  ]);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected']);
});
