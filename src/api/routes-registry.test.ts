/** The registry API in-process (fastify inject), with a real Registry and its built-in CA in a temp dir. */
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry, TokenStore } from '../registry/index.js';
import { createMemoryStateStore } from '../state/index.js';
import { installAuth } from './auth.js';
import type { ApiDeps } from './deps.js';
import { installErrorHandler } from './errors.js';
import { registryRoutes } from './routes-registry.js';

let app: FastifyInstance;
let registry: Registry;
let caDir: string;
let admin: string;
let reader: string;

const DOCUMENT = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 'iot:Connect', Resource: 'arn:aws:iot:local:000000000000:client/${iot:Connection.Thing.ThingName}' },
    { Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:local:000000000000:topic/device/${iot:ClientId}/devicePayload' },
  ],
};

before(async () => {
  caDir = await mkdtemp(join(tmpdir(), 'sluice-api-registry-'));
  const state = createMemoryStateStore();
  registry = await Registry.open(state, { caDir });
  const tokens = new TokenStore(state);
  admin = (await tokens.create({ name: 'admin', scope: 'admin' })).token;
  reader = (await tokens.create({ name: 'reader', scope: 'read-only' })).token;
  app = Fastify();
  installErrorHandler(app);
  installAuth(app, { tokens, insecure: false });
  await app.register(registryRoutes, { registry } as unknown as ApiDeps);
  await app.ready();
});

after(async () => {
  await app?.close();
  await rm(caDir, { recursive: true, force: true });
});

interface Answer<T> {
  status: number;
  body: T;
  headers: Record<string, unknown>;
}

async function call<T = Record<string, unknown>>(method: string, url: string, payload?: unknown, token = admin): Promise<Answer<T>> {
  const response = await app.inject({
    method: method as 'GET',
    url,
    headers: { authorization: `Bearer ${token}` },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  return { status: response.statusCode, body: response.json<T>(), headers: response.headers };
}

type ErrorBody = { error: { code: string; message: string; place?: { field?: string } } };

test('things: create, replace attributes, describe with principals, list, delete', async () => {
  const created = await call<{ thingName: string; thingArn: string; attributes: Record<string, string> }>('PUT', '/api/v1/things/sensor-1', {
    attributes: { room: 'greenhouse' },
  });
  assert.equal(created.status, 201);
  assert.equal(created.body.thingArn, 'arn:sluice:iot:local:000000000000:thing/sensor-1');
  assert.equal((await call('POST', '/api/v1/thing-types', { thingTypeName: 'soil' })).status, 201);
  const updated = await call('PUT', '/api/v1/things/sensor-1', { attributes: { room: 'shed' }, thingTypeName: 'soil' });
  assert.equal(updated.status, 200);
  const described = await call<{ attributes: Record<string, string>; thingTypeName: string; principals: unknown[] }>('GET', '/api/v1/things/sensor-1');
  assert.deepEqual(described.body.attributes, { room: 'shed' });
  assert.equal(described.body.thingTypeName, 'soil');
  assert.deepEqual(described.body.principals, []);
  const list = await call<{ things: Array<{ thingName: string }> }>('GET', '/api/v1/things', undefined, reader);
  assert.ok(list.body.things.some((t) => t.thingName === 'sensor-1'));

  const bad = await call<ErrorBody>('PUT', '/api/v1/things/sensor-1', { attributes: { room: 1 } });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'SLUICE_ERR_REQUEST_INVALID');
  const badName = await call<ErrorBody>('PUT', '/api/v1/things/bad%20name', {});
  assert.equal(badName.status, 400);
  assert.match(badName.body.error.message, /invalid thing name/);
  const readOnly = await call<ErrorBody>('PUT', '/api/v1/things/sensor-2', {}, reader);
  assert.equal(readOnly.status, 403);

  assert.equal((await call('DELETE', '/api/v1/things/sensor-1')).status, 200);
  assert.equal((await call<ErrorBody>('GET', '/api/v1/things/sensor-1')).status, 404);
  assert.equal((await call<ErrorBody>('DELETE', '/api/v1/things/sensor-1')).body.error.code, 'SLUICE_ERR_NOT_FOUND');
});

type ThingTypeBody = {
  thingTypeName: string;
  thingTypeId: string;
  thingTypeArn: string;
  thingTypeProperties: { thingTypeDescription?: string; searchableAttributes: string[] };
  thingTypeMetadata: { deprecated: boolean; deprecationDate?: string; creationDate: string };
};

test('thing types: create (AWS CreateThingType), describe, list with its filter, put to update', async () => {
  const created = await call<ThingTypeBody>('POST', '/api/v1/thing-types', {
    thingTypeName: 'valve',
    thingTypeProperties: { thingTypeDescription: 'irrigation valves', searchableAttributes: ['zone', 'model'] },
  });
  assert.equal(created.status, 201);
  assert.equal(created.body.thingTypeArn, 'arn:sluice:iot:local:000000000000:thingtype/valve');
  assert.match(created.body.thingTypeId, /^[0-9a-f-]{36}$/);
  assert.deepEqual(created.body.thingTypeProperties, { thingTypeDescription: 'irrigation valves', searchableAttributes: ['zone', 'model'] });
  assert.equal(created.body.thingTypeMetadata.deprecated, false);
  assert.ok(!Number.isNaN(Date.parse(created.body.thingTypeMetadata.creationDate)));

  const again = await call<ThingTypeBody>('POST', '/api/v1/thing-types', {
    thingTypeName: 'valve',
    thingTypeProperties: { thingTypeDescription: 'irrigation valves', searchableAttributes: ['zone', 'model'] },
  });
  assert.equal(again.status, 200, 'the same properties again: the type, unchanged');
  assert.equal(again.body.thingTypeId, created.body.thingTypeId);
  const conflict = await call<ErrorBody>('POST', '/api/v1/thing-types', { thingTypeName: 'valve', thingTypeProperties: { thingTypeDescription: 'other' } });
  assert.equal(conflict.status, 409);
  assert.equal(conflict.body.error.code, 'SLUICE_ERR_ALREADY_EXISTS');
  assert.match(conflict.body.error.message, /already exists with other properties/);

  const described = await call<ThingTypeBody>('GET', '/api/v1/thing-types/valve', undefined, reader);
  assert.equal(described.status, 200);
  assert.deepEqual(described.body, created.body);
  const missing = await call<ErrorBody>('GET', '/api/v1/thing-types/ghost');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'SLUICE_ERR_NOT_FOUND');
  assert.match(missing.body.error.message, /no thing type named 'ghost'/);

  const listed = await call<{ thingTypes: ThingTypeBody[] }>('GET', '/api/v1/thing-types', undefined, reader);
  assert.ok(listed.body.thingTypes.some((t) => t.thingTypeName === 'valve'));
  const filtered = await call<{ thingTypes: ThingTypeBody[] }>('GET', '/api/v1/thing-types?thingTypeName=valve');
  assert.deepEqual(filtered.body.thingTypes.map((t) => t.thingTypeName), ['valve']);
  const none = await call<{ thingTypes: ThingTypeBody[] }>('GET', '/api/v1/thing-types?thingTypeName=ghost');
  assert.deepEqual(none.body.thingTypes, []);
  const unknownQuery = await call<ErrorBody>('GET', '/api/v1/thing-types?name=valve');
  assert.equal(unknownQuery.status, 400);

  const put = await call<ThingTypeBody>('PUT', '/api/v1/thing-types/valve', { thingTypeProperties: { thingTypeDescription: 'valves, v2' } });
  assert.equal(put.status, 200);
  assert.equal(put.body.thingTypeId, created.body.thingTypeId, 'updated in place');
  assert.deepEqual(put.body.thingTypeProperties, { thingTypeDescription: 'valves, v2', searchableAttributes: [] });
  const putNew = await call<ThingTypeBody>('PUT', '/api/v1/thing-types/pump', {});
  assert.equal(putNew.status, 200);
  assert.deepEqual(putNew.body.thingTypeProperties, { searchableAttributes: [] });
  assert.equal((await call('GET', '/api/v1/thing-types/pump')).status, 200);
});

test('thing types: invalid names and properties are 400 naming the field', async () => {
  const tooMany = await call<ErrorBody>('POST', '/api/v1/thing-types', {
    thingTypeName: 'crowded',
    thingTypeProperties: { searchableAttributes: ['a', 'b', 'c', 'd'] },
  });
  assert.equal(tooMany.status, 400);
  assert.equal(tooMany.body.error.place?.field, 'thingTypeProperties.searchableAttributes');
  assert.match(tooMany.body.error.message, /at most 3 searchable attributes/);
  const unknownProperty = await call<ErrorBody>('PUT', '/api/v1/thing-types/crowded', { thingTypeProperties: { description: 'x' } });
  assert.equal(unknownProperty.status, 400);
  const badName = await call<ErrorBody>('POST', '/api/v1/thing-types', { thingTypeName: 'bad name' });
  assert.equal(badName.status, 400);
  assert.equal(badName.body.error.place?.field, 'thingTypeName');
  const badPutName = await call<ErrorBody>('PUT', '/api/v1/thing-types/bad%20name', {});
  assert.equal(badPutName.status, 400);
  assert.match(badPutName.body.error.message, /invalid thing type name 'bad name'/);
  const noName = await call<ErrorBody>('POST', '/api/v1/thing-types', {});
  assert.equal(noName.status, 400);
  assert.equal(noName.body.error.place?.field, 'thingTypeName');
  const badUndo = await call<ErrorBody>('POST', '/api/v1/thing-types/valve/deprecate', { undoDeprecate: 'yes' });
  assert.equal(badUndo.status, 400);
  assert.equal(badUndo.body.error.place?.field, 'undoDeprecate');
  assert.equal((await call<ErrorBody>('GET', '/api/v1/thing-types/crowded')).status, 404, 'nothing was created');
});

test('a thing of an unknown or deprecated type is refused with 400 naming thingTypeName', async () => {
  const unknown = await call<ErrorBody>('PUT', '/api/v1/things/typed-1', { thingTypeName: 'no-such-type' });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.body.error.code, 'SLUICE_ERR_REQUEST_INVALID');
  assert.equal(unknown.body.error.place?.field, 'thingTypeName');
  assert.match(unknown.body.error.message, /thingTypeName: no thing type named 'no-such-type'; create it first/);
  assert.equal((await call('GET', '/api/v1/things/typed-1')).status, 404, 'the thing was not created');

  await call('POST', '/api/v1/thing-types', { thingTypeName: 'old-gauge' });
  assert.equal((await call('PUT', '/api/v1/things/typed-1', { thingTypeName: 'old-gauge', attributes: { zone: 'a' } })).status, 201);
  const deprecated = await call<ThingTypeBody>('POST', '/api/v1/thing-types/old-gauge/deprecate', {});
  assert.equal(deprecated.status, 200);
  assert.equal(deprecated.body.thingTypeMetadata.deprecated, true);
  assert.ok(deprecated.body.thingTypeMetadata.deprecationDate);

  const refused = await call<ErrorBody>('PUT', '/api/v1/things/typed-2', { thingTypeName: 'old-gauge' });
  assert.equal(refused.status, 400);
  assert.equal(refused.body.error.place?.field, 'thingTypeName');
  assert.match(refused.body.error.message, /thing type 'old-gauge' is deprecated/);
  const keeps = await call<{ thingTypeName: string; attributes: Record<string, string> }>('PUT', '/api/v1/things/typed-1', {
    thingTypeName: 'old-gauge',
    attributes: { zone: 'b' },
  });
  assert.equal(keeps.status, 200, 'a thing that has the deprecated type keeps it');
  assert.equal(keeps.body.thingTypeName, 'old-gauge');

  const undone = await call<ThingTypeBody>('POST', '/api/v1/thing-types/old-gauge/deprecate', { undoDeprecate: true });
  assert.equal(undone.body.thingTypeMetadata.deprecated, false);
  assert.equal(undone.body.thingTypeMetadata.deprecationDate, undefined);
  assert.equal((await call('PUT', '/api/v1/things/typed-2', { thingTypeName: 'old-gauge' })).status, 201);
  assert.equal((await call<ErrorBody>('POST', '/api/v1/thing-types/ghost/deprecate', {})).status, 404);
});

test('thing types: delete needs a deprecated type that no thing has', async () => {
  await call('POST', '/api/v1/thing-types', { thingTypeName: 'meter' });
  await call('PUT', '/api/v1/things/meter-1', { thingTypeName: 'meter' });

  const notDeprecated = await call<ErrorBody>('DELETE', '/api/v1/thing-types/meter');
  assert.equal(notDeprecated.status, 409);
  assert.equal(notDeprecated.body.error.code, 'SLUICE_ERR_IN_USE');
  assert.match(notDeprecated.body.error.message, /deprecate it first/);

  await call('POST', '/api/v1/thing-types/meter/deprecate', {});
  const inUse = await call<ErrorBody>('DELETE', '/api/v1/thing-types/meter');
  assert.equal(inUse.status, 409);
  assert.equal(inUse.body.error.code, 'SLUICE_ERR_IN_USE');
  assert.match(inUse.body.error.message, /1 thing\(s\) still have it \(meter-1\)/);

  // Taking the type off the thing (a PUT without thingTypeName) frees the type.
  await call('PUT', '/api/v1/things/meter-1', {});
  const deleted = await app.inject({ method: 'DELETE', url: '/api/v1/thing-types/meter', headers: { authorization: `Bearer ${admin}` } });
  assert.equal(deleted.statusCode, 204);
  assert.equal(deleted.body, '');
  assert.equal((await call('GET', '/api/v1/thing-types/meter')).status, 404);
  const again = await call<ErrorBody>('DELETE', '/api/v1/thing-types/meter');
  assert.equal(again.status, 404);
  assert.match(again.body.error.message, /no thing type named 'meter'/);
});

test('thing types: a read-only token may list and describe, not create, update, deprecate or delete', async () => {
  await call('POST', '/api/v1/thing-types', { thingTypeName: 'locked' });
  const attempts: Array<[string, string, unknown]> = [
    ['POST', '/api/v1/thing-types', { thingTypeName: 'by-reader' }],
    ['PUT', '/api/v1/thing-types/locked', { thingTypeProperties: { thingTypeDescription: 'changed' } }],
    ['POST', '/api/v1/thing-types/locked/deprecate', {}],
    ['DELETE', '/api/v1/thing-types/locked', undefined],
  ];
  for (const [method, url, payload] of attempts) {
    const answer = await call<ErrorBody>(method, url, payload, reader);
    assert.equal(answer.status, 403, `${method} ${url}`);
    assert.equal(answer.body.error.code, 'SLUICE_ERR_FORBIDDEN');
  }
  const locked = await call<ThingTypeBody>('GET', '/api/v1/thing-types/locked', undefined, reader);
  assert.equal(locked.status, 200);
  assert.deepEqual(locked.body.thingTypeProperties, { searchableAttributes: [] });
  assert.equal(locked.body.thingTypeMetadata.deprecated, false);
  assert.equal((await call('GET', '/api/v1/thing-types/by-reader')).status, 404);
});

test('GET /things filters by type and attribute (AWS ListThings); bad combinations are 400 naming the field', async () => {
  await call('POST', '/api/v1/thing-types', { thingTypeName: 'probe' });
  await call('PUT', '/api/v1/things/probe-1', { thingTypeName: 'probe', attributes: { site: 'north-field', row: '1' } });
  await call('PUT', '/api/v1/things/probe-2', { thingTypeName: 'probe', attributes: { site: 'north-barn' } });
  await call('PUT', '/api/v1/things/probe-3', { attributes: { site: 'south-field', row: '2' } });
  const names = async (query: string) => {
    const answer = await call<{ things: Array<{ thingName: string }> }>('GET', `/api/v1/things?${query}`, undefined, reader);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body.things.map((t) => t.thingName).filter((n) => n.startsWith('probe-')).sort();
  };
  assert.deepEqual(await names('thingTypeName=probe'), ['probe-1', 'probe-2']);
  assert.deepEqual(await names('attributeName=row'), ['probe-1', 'probe-3']);
  assert.deepEqual(await names('attributeName=site&attributeValue=north-field'), ['probe-1']);
  assert.deepEqual(await names('attributeName=site&attributeValue=north&usePrefixAttributeValue=true'), ['probe-1', 'probe-2']);
  assert.deepEqual(await names('attributeName=site&attributeValue=north&usePrefixAttributeValue=false'), []);
  assert.deepEqual(await names('thingTypeName=probe&attributeName=row'), ['probe-1']);
  assert.deepEqual(await names('thingTypeName=ghost'), []);

  const bad = async (query: string, field: string, message: RegExp) => {
    const answer = await call<ErrorBody>('GET', `/api/v1/things?${query}`);
    assert.equal(answer.status, 400, query);
    assert.equal(answer.body.error.code, 'SLUICE_ERR_REQUEST_INVALID');
    assert.equal(answer.body.error.place?.field, field, query);
    assert.match(answer.body.error.message, message);
  };
  await bad('attributeValue=x', 'attributeValue', /^attributeValue: needs attributeName/);
  await bad('attributeName=site&usePrefixAttributeValue=true', 'usePrefixAttributeValue', /^usePrefixAttributeValue: needs attributeValue/);
  await bad('attributeName=site&attributeValue=n&usePrefixAttributeValue=yes', 'usePrefixAttributeValue', /'true' or 'false'/);
  await bad('attributeName=', 'attributeName', /attributeName/);
  await bad('type=probe', '', /type/);
});

test('policies: create, new default version, describe with versions and targets, warnings, delete', async () => {
  const created = await call<{ policyName: string; defaultVersionId: string; warnings: unknown[] }>('PUT', '/api/v1/policies/sensor-policy', { document: DOCUMENT });
  assert.equal(created.status, 201);
  assert.equal(created.body.defaultVersionId, '1');
  assert.deepEqual(created.body.warnings, []);
  const second = { ...DOCUMENT, Statement: [...DOCUMENT.Statement, { Effect: 'Allow', Action: 'iot:GetThingShadow', Resource: '*' }] };
  const updated = await call<{ defaultVersionId: string; warnings: Array<{ message: string }> }>('PUT', '/api/v1/policies/sensor-policy', { document: second });
  assert.equal(updated.status, 200);
  assert.equal(updated.body.defaultVersionId, '2');
  assert.match(updated.body.warnings[0]?.message ?? '', /not enforced/);
  const described = await call<{ versions: Array<{ versionId: string; isDefaultVersion: boolean }>; targets: string[] }>('GET', '/api/v1/policies/sensor-policy');
  assert.deepEqual(described.body.versions.map((v) => [v.versionId, v.isDefaultVersion]), [['2', true], ['1', false]]);
  assert.deepEqual(described.body.targets, []);

  const invalid = await call<ErrorBody>('PUT', '/api/v1/policies/bad', { document: { Version: '2012-10-17', Statement: [{ Effect: 'allow', Action: 'iot:Connect', Resource: '*' }] } });
  assert.equal(invalid.status, 400);
  assert.equal(invalid.body.error.place?.field, 'document.Statement[0].Effect');
  assert.equal((await call<ErrorBody>('GET', '/api/v1/policies/nope')).status, 404);
  const created2 = await call('PUT', '/api/v1/policies/throwaway', { document: DOCUMENT });
  assert.equal(created2.status, 201);
  assert.equal((await call('DELETE', '/api/v1/policies/throwaway')).status, 200);
  assert.equal((await call('DELETE', '/api/v1/policies/throwaway')).status, 404);
});

test('POST /certificates issues keys from the built-in CA, attaches thing and policies, and shows the private key once', async () => {
  await call('PUT', '/api/v1/things/sensor-3', {});
  await call('PUT', '/api/v1/policies/sensor-policy', { document: DOCUMENT });
  const created = await call<{
    certificateId: string;
    certificateArn: string;
    certificatePem: string;
    keyPair: { PublicKey: string; PrivateKey: string };
    rootCaPem: string;
    thingName: string;
    policyNames: string[];
  }>('POST', '/api/v1/certificates', { setAsActive: true, keyAlgorithm: 'EC-P256', thingName: 'sensor-3', policyNames: ['sensor-policy'] });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.headers['cache-control'], 'no-store');
  const { certificateId, certificatePem, keyPair, rootCaPem } = created.body;
  assert.match(certificateId, /^[0-9a-f]{64}$/);
  const certificate = new X509Certificate(certificatePem);
  const root = new X509Certificate(rootCaPem);
  assert.ok(certificate.verify(root.publicKey), 'signed by the root in rootCaPem');
  assert.equal(rootCaPem, (await call<{ certificatePem: string }>('GET', '/api/v1/ca')).body.certificatePem);
  assert.ok(certificate.checkPrivateKey(createPrivateKey(keyPair.PrivateKey)));
  assert.equal(createPublicKey(keyPair.PublicKey).asymmetricKeyType, 'ec');

  const described = await call<Record<string, unknown>>('GET', `/api/v1/certificates/${certificateId}`);
  assert.equal(described.body.status, 'ACTIVE');
  assert.deepEqual(described.body.things, ['sensor-3']);
  assert.deepEqual(described.body.policyNames, ['sensor-policy']);
  assert.ok(!JSON.stringify(described.body).includes('PRIVATE KEY'), 'the private key is never shown again');

  const thing = await call<{ principals: Array<{ principal: string }> }>('GET', '/api/v1/things/sensor-3');
  assert.deepEqual(thing.body.principals.map((p) => p.principal), [certificateId]);
  const listed = await call<{ certificates: Array<Record<string, unknown>> }>('GET', '/api/v1/certificates?thingName=sensor-3', undefined, reader);
  assert.equal(listed.body.certificates.length, 1);
  assert.equal(listed.body.certificates[0]?.certificatePem, undefined, 'lists carry no PEM');
  assert.deepEqual(listed.body.certificates[0]?.things, ['sensor-3']);
  const targets = await call<{ targets: string[] }>('GET', '/api/v1/policies/sensor-policy/targets');
  assert.deepEqual(targets.body.targets, [certificateId]);

  // A policy in use cannot go; a thing with principals cannot go.
  assert.equal((await call<ErrorBody>('DELETE', '/api/v1/policies/sensor-policy')).body.error.code, 'SLUICE_ERR_IN_USE');
  assert.equal((await call<ErrorBody>('DELETE', '/api/v1/things/sensor-3')).body.error.code, 'SLUICE_ERR_IN_USE');
});

test('a certificate request for a missing thing or policy creates nothing', async () => {
  const before = (await registry.listCertificates()).length;
  const noThing = await call<ErrorBody>('POST', '/api/v1/certificates', { thingName: 'ghost' });
  assert.equal(noThing.status, 404);
  assert.equal(noThing.body.error.place?.field, 'thingName');
  const noPolicy = await call<ErrorBody>('POST', '/api/v1/certificates', { policyNames: ['ghost-policy'] });
  assert.equal(noPolicy.status, 404);
  assert.equal(noPolicy.body.error.place?.field, 'policyNames[0]');
  const unknownField = await call<ErrorBody>('POST', '/api/v1/certificates', { thing: 'x' });
  assert.equal(unknownField.status, 400);
  assert.equal((await registry.listCertificates()).length, before);
});

test('certificate status: deactivate, activate, revoke (final); delete needs INACTIVE and no attachments', async () => {
  await call('PUT', '/api/v1/things/sensor-4', {});
  const created = await call<{ certificateId: string }>('POST', '/api/v1/certificates', { setAsActive: true, thingName: 'sensor-4', policyNames: ['sensor-policy'] });
  const id = created.body.certificateId;
  const status = (s: string) => call<{ status: string } & ErrorBody>('PUT', `/api/v1/certificates/${id}/status`, { status: s });
  assert.equal((await status('INACTIVE')).body.status, 'INACTIVE');
  assert.equal((await status('ACTIVE')).body.status, 'ACTIVE');
  const invalid = await status('ON');
  assert.equal(invalid.status, 400);
  const active = await call<ErrorBody>('DELETE', `/api/v1/certificates/${id}`);
  assert.equal(active.body.error.code, 'SLUICE_ERR_CERTIFICATE_STATE');
  assert.equal((await status('REVOKED')).body.status, 'REVOKED');
  assert.equal((await status('ACTIVE')).body.error.code, 'SLUICE_ERR_CERTIFICATE_STATE');
  const attached = await call<ErrorBody>('DELETE', `/api/v1/certificates/${id}`);
  assert.equal(attached.body.error.code, 'SLUICE_ERR_IN_USE');

  // Detach through the thing and policy routes, then delete.
  const detachThing = await call('DELETE', `/api/v1/things/sensor-4/principals/${id}`);
  assert.equal(detachThing.status, 200);
  assert.equal((await call('DELETE', `/api/v1/things/sensor-4/principals/${id}`)).status, 404);
  const detachPolicy = await call('POST', '/api/v1/policies/sensor-policy/detach', { principal: id });
  assert.equal(detachPolicy.status, 200);
  assert.equal((await call('DELETE', `/api/v1/certificates/${id}`)).status, 200);
  assert.equal((await call('GET', `/api/v1/certificates/${id}`)).status, 404);
});

test('attach and detach by principal: certificate ARNs and device tokens', async () => {
  await call('PUT', '/api/v1/things/sensor-5', {});
  const { body } = await call<{ certificateId: string; certificateArn: string }>('POST', '/api/v1/certificates', {});
  const attached = await call<{ principal: string; thingPrincipalType: string }>('POST', '/api/v1/things/sensor-5/principals', { principal: body.certificateArn, exclusive: true });
  assert.equal(attached.status, 200);
  assert.equal(attached.body.principal, body.certificateId);
  assert.equal(attached.body.thingPrincipalType, 'EXCLUSIVE_THING');
  const policy = await call<{ principal: string }>('POST', '/api/v1/policies/sensor-policy/attach', { principal: body.certificateArn });
  assert.equal(policy.body.principal, body.certificateId);
  const token = await call('POST', '/api/v1/policies/sensor-policy/attach', { principal: 'token/tok_123' });
  assert.equal(token.status, 200);
  const detachToken = await call('DELETE', `/api/v1/things/sensor-5/principals/${encodeURIComponent('token/tok_123')}`);
  assert.equal(detachToken.status, 404, 'the token was never attached to the thing');
  const bad = await call<ErrorBody>('POST', '/api/v1/policies/sensor-policy/attach', { principal: 'nope' });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.place?.field, 'principal');
  const missing = await call<ErrorBody>('POST', '/api/v1/things/sensor-5/principals', { principal: 'a'.repeat(64) });
  assert.equal(missing.status, 404);
});

test('register a certificate of an external CA, and the CA itself', async () => {
  // An external CA, made by a second built-in CA in another directory.
  const otherDir = await mkdtemp(join(tmpdir(), 'sluice-api-other-ca-'));
  try {
    const other = await Registry.open(createMemoryStateStore(), { caDir: otherDir });
    const device = await other.createKeysAndCertificate({ setAsActive: true });
    const caPem = other.caCertificatePem ?? '';

    const withoutCa = await call<ErrorBody>('POST', '/api/v1/certificates/register', { certificatePem: device.certificatePem, caCertificatePem: caPem });
    assert.equal(withoutCa.status, 404, 'the CA must be registered first');
    const ca = await call<{ certificateId: string; status: string; autoRegistrationStatus: string }>('POST', '/api/v1/ca-certificates', {
      caCertificatePem: caPem,
      setAsActive: true,
      autoRegistration: true,
    });
    assert.equal(ca.status, 201);
    assert.equal(ca.body.status, 'ACTIVE');
    assert.equal(ca.body.autoRegistrationStatus, 'ENABLE');
    const cas = await call<{ caCertificates: Array<{ certificateId: string; certificatePem?: string }> }>('GET', '/api/v1/ca-certificates');
    assert.deepEqual(cas.body.caCertificates.map((c) => c.certificateId), [ca.body.certificateId]);
    const registered = await call<{ certificateId: string; status: string; origin: string }>('POST', '/api/v1/certificates/register', {
      certificatePem: device.certificatePem,
      caCertificatePem: caPem,
      status: 'ACTIVE',
    });
    assert.equal(registered.status, 201);
    assert.equal(registered.body.certificateId, device.certificateId);
    assert.equal(registered.body.status, 'ACTIVE');
    assert.equal(registered.body.origin, 'REGISTERED_CA');
    const listed = await call<{ certificates: Array<{ certificateId: string }> }>('GET', `/api/v1/certificates?caCertificateId=${ca.body.certificateId}`);
    assert.deepEqual(listed.body.certificates.map((c) => c.certificateId), [device.certificateId]);
    const deactivated = await call<{ status: string }>('PUT', `/api/v1/ca-certificates/${ca.body.certificateId}/status`, { status: 'INACTIVE' });
    assert.equal(deactivated.body.status, 'INACTIVE');
  } finally {
    await rm(otherDir, { recursive: true, force: true });
  }
});
