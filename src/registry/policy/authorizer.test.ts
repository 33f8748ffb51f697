import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ARN_ACCOUNT, ARN_PARTITION, ARN_REGION } from '../../core/index.js';
import { compileArnPattern } from './conditions.js';
import { serialNumberToDecimal } from './context.js';
import { compileGlob } from './glob.js';
import { createAuthorizer, parsePolicyDocument, type ConnectionContext, type IotAction, type PolicyDocument } from './index.js';
import { parseTemplate } from './template.js';

const SCOPE = { region: 'us-east-1', account: '123456789012' };
const ARN = 'arn:aws:iot:us-east-1:123456789012';
const ACTIONS: IotAction[] = ['iot:Connect', 'iot:Publish', 'iot:Subscribe', 'iot:Receive', 'iot:RetainPublish'];
const TYPE: Record<IotAction, string> = {
  'iot:Connect': 'client',
  'iot:Publish': 'topic',
  'iot:Subscribe': 'topicfilter',
  'iot:Receive': 'topic',
  'iot:RetainPublish': 'topic',
};
const device: ConnectionContext = { clientId: 'dev1', isAttached: false };
const doc = (...Statement: unknown[]): PolicyDocument => parsePolicyDocument({ Version: '2012-10-17', Statement });

// --- a reference model: IAM's rules written the obvious way, with RegExps ------------------

function globRegExp(pattern: string, flags = ''): RegExp {
  let source = '';
  for (const ch of pattern) source += ch === '*' ? '[\\s\\S]*' : ch === '?' ? '[\\s\\S]' : ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`^${source}$`, `u${flags}`);
}

interface ModelStatement {
  effect: 'Allow' | 'Deny';
  not: boolean;
  actions: string[];
  notResource: boolean;
  resources: string[];
}

function modelAllows(statements: ModelStatement[], action: IotAction, resource: string): boolean {
  const arn = `${ARN}:${TYPE[action]}/${resource}`;
  const applies = (s: ModelStatement) =>
    s.actions.some((a) => globRegExp(a, 'i').test(action)) !== s.not &&
    s.resources.some((r) => (r === '*' ? true : globRegExp(r).test(arn))) !== s.notResource;
  if (statements.some((s) => s.effect === 'Deny' && applies(s))) return false;
  return statements.some((s) => s.effect === 'Allow' && applies(s));
}

const piece = fc.constantFrom('a', 'b', '/', '+', '#', '$', 'é', '😀');
const patternPiece = fc.oneof(piece, fc.constantFrom('*', '?'));
const topic = fc.array(piece, { maxLength: 6 }).map((p) => p.join(''));
const pattern = fc.array(patternPiece, { maxLength: 6 }).map((p) => p.join(''));
const actionPattern = fc.constantFrom('iot:*', '*', 'iot:Connect', 'iot:Publish', 'iot:Subscribe', 'iot:Receive', 'iot:RetainPublish', 'iot:P*', 'iot:*e', 'IOT:publish', 'iot:?ublish');
const resourcePattern = fc.oneof(
  { weight: 1, arbitrary: fc.constant('*') },
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom('client', 'topic', 'topicfilter', 'topic*', '*'), pattern).map(([type, p]) => `${ARN}:${type}/${p}`) },
);
const statement: fc.Arbitrary<ModelStatement> = fc.record({
  effect: fc.constantFrom('Allow' as const, 'Deny' as const),
  not: fc.boolean(),
  actions: fc.array(actionPattern, { minLength: 1, maxLength: 3 }),
  notResource: fc.boolean(),
  resources: fc.array(resourcePattern, { minLength: 1, maxLength: 3 }),
});
const request = fc.tuple(fc.constantFrom(...ACTIONS), topic);

function toDocument(statements: ModelStatement[]): PolicyDocument {
  return doc(
    ...statements.map((s) => ({
      Effect: s.effect,
      [s.not ? 'NotAction' : 'Action']: s.actions,
      [s.notResource ? 'NotResource' : 'Resource']: s.resources,
    })),
  );
}

test('property: decisions equal the reference model, and cached, uncached and explained decisions agree', () => {
  fc.assert(
    fc.property(fc.array(statement, { minLength: 1, maxLength: 5 }), fc.array(request, { minLength: 1, maxLength: 30 }), (statements, requests) => {
      const documents = [toDocument(statements)];
      const cached = createAuthorizer(documents, device, SCOPE, { cacheSize: 4 });
      const uncached = createAuthorizer(documents, device, SCOPE, { cacheSize: 0 });
      // Each request twice, interleaved, so that later queries hit (or were evicted from) the cache.
      for (const [action, resource] of [...requests, ...requests.slice().reverse()]) {
        const expected = modelAllows(statements, action, resource);
        assert.equal(cached.allows(action, resource), expected, `${action} ${resource}`);
        assert.equal(uncached.allows(action, resource), expected);
        assert.equal(cached.explain(action, resource).allowed, expected);
      }
    }),
    { numRuns: 400 },
  );
});

test('property: the glob matcher agrees with a RegExp on any text, surrogate pairs included', () => {
  fc.assert(
    fc.property(pattern, topic, fc.boolean(), (p, s, ignoreCase) => {
      assert.equal(compileGlob([{ text: p, wild: true }], ignoreCase)(s), globRegExp(p, ignoreCase ? 'i' : '').test(s), `${p} ~ ${s}`);
    }),
    { numRuns: 2000 },
  );
});

test('the cache is bounded and evicts: decisions stay right past its size', () => {
  const authorizer = createAuthorizer([doc({ Effect: 'Allow', Action: 'iot:Publish', Resource: `${ARN}:topic/even/*` })], device, SCOPE, { cacheSize: 3 });
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 50; i++) {
      assert.equal(authorizer.allows('iot:Publish', `even/${i}`), true);
      assert.equal(authorizer.allows('iot:Publish', `odd/${i}`), false);
    }
  }
});

// How fast is measured by `npm run bench` (policy section), never here: no timing thresholds in unit tests.
test('the cached path decides the same way every time', () => {
  const authorizer = createAuthorizer(
    [doc({ Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: [`${ARN}:topic/device/\${iot:ClientId}/*`] }, { Effect: 'Deny', Action: 'iot:Publish', Resource: `${ARN}:topic/device/*/admin` })],
    device,
    SCOPE,
  );
  const topics = ['device/dev1/devicePayload', 'device/dev1/status', 'device/dev1/admin', 'device/dev2/devicePayload'];
  let allowed = 0;
  for (let i = 0; i < 20_000; i++) if (authorizer.allows('iot:Publish', topics[i & 3]!)) allowed++;
  assert.equal(allowed, 10_000);
});

test('explain names the deciding statement, with policy names and Sids', () => {
  const documents = [
    doc({ Sid: 'AllowOwn', Effect: 'Allow', Action: 'iot:Publish', Resource: `${ARN}:topic/\${iot:ClientId}/*` }),
    parsePolicyDocument({ Version: '2012-10-17', Statement: { Effect: 'Deny', Action: 'iot:Publish', Resource: `${ARN}:topic/*/secret` } }),
  ];
  const authorizer = createAuthorizer(documents, device, SCOPE, { policyNames: ['device-policy', 'guard'] });
  assert.deepEqual(authorizer.explain('iot:Publish', 'dev1/data'), { allowed: true, reason: "allowed by policy 'device-policy' Statement[0] (Sid AllowOwn)" });
  assert.deepEqual(authorizer.explain('iot:Publish', 'dev1/secret'), { allowed: false, reason: "explicit deny by policy 'guard' Statement" });
  const implicit = authorizer.explain('iot:Subscribe', 'dev1/data');
  assert.equal(implicit.allowed, false);
  assert.match(implicit.reason, /^implicit deny: no statement allows iot:Subscribe on arn:aws:iot:us-east-1:123456789012:topicfilter\/dev1\/data$/);
  const unnamed = createAuthorizer(documents, device, SCOPE);
  assert.match(unnamed.explain('iot:Publish', 'dev1/secret').reason, /^explicit deny by policy\[1\] Statement$/);
});

test('explain hints at unresolved variables and conditions that do not hold', () => {
  const authorizer = createAuthorizer(
    [
      doc(
        { Effect: 'Allow', Action: 'iot:Connect', Resource: `${ARN}:client/\${iot:Connection.Thing.ThingName}` },
        { Sid: 'Attached', Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } } },
        { Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/team': 'a' } } },
      ),
    ],
    device,
    SCOPE,
  );
  const { allowed, reason } = authorizer.explain('iot:Connect', 'dev1');
  assert.equal(allowed, false);
  assert.match(reason, /policy\[0\] Statement\[0\]: \$\{iot:Connection\.Thing\.ThingName\} has no value for this connection/);
  assert.match(reason, /policy\[0\] Statement\[1\] \(Sid Attached\) would allow it, but its Condition does not hold \(Bool on iot:Connection\.Thing\.IsAttached is false\)/);
  assert.match(reason, /condition key aws:PrincipalTag\/team is not available in Sluice/);
});

test('resources in Sluice partition and scope match; other accounts, regions and services do not', () => {
  const scope = { region: ARN_REGION, account: ARN_ACCOUNT };
  const documents = [
    doc(
      { Effect: 'Allow', Action: 'iot:Publish', Resource: `arn:${ARN_PARTITION}:iot:${ARN_REGION}:${ARN_ACCOUNT}:topic/sluice/*` },
      { Effect: 'Allow', Action: 'iot:Publish', Resource: `arn:aws:iot:${ARN_REGION}:${ARN_ACCOUNT}:topic/aws/*` },
      { Effect: 'Allow', Action: 'iot:Publish', Resource: `arn:aws-cn:iot:${ARN_REGION}:${ARN_ACCOUNT}:topic/cn/*` },
      { Effect: 'Allow', Action: 'iot:Publish', Resource: `arn:aws:iot:${ARN_REGION}:111111111111:topic/other/*` },
      { Effect: 'Allow', Action: 'iot:Publish', Resource: `arn:aws:greengrass:${ARN_REGION}:${ARN_ACCOUNT}:topic/gg/*` },
    ),
  ];
  const authorizer = createAuthorizer(documents, device, scope);
  assert.equal(authorizer.allows('iot:Publish', 'sluice/a'), true);
  assert.equal(authorizer.allows('iot:Publish', 'aws/a'), true);
  assert.equal(authorizer.allows('iot:Publish', 'cn/a'), false);
  assert.equal(authorizer.allows('iot:Publish', 'other/a'), false);
  assert.equal(authorizer.allows('iot:Publish', 'gg/a'), false);
});

test('topics with colons, and an unknown action at run time', () => {
  const authorizer = createAuthorizer([doc({ Effect: 'Allow', Action: 'iot:*', Resource: `${ARN}:topic/a:b/*` })], device, SCOPE);
  assert.equal(authorizer.allows('iot:Publish', 'a:b/c:d'), true);
  assert.equal(authorizer.allows('iot:Publish', 'a/b'), false);
  assert.equal(authorizer.allows('iot:GetThingShadow' as IotAction, 'x'), false);
  assert.equal(authorizer.explain('iot:GetThingShadow' as IotAction, 'x').allowed, false);
});

test('certificate variables: AWS limits (five values, 1,024 characters) and AvailableKeys', () => {
  const cert = {
    certificateId: 'c1',
    serialNumber: '0F',
    subject: { CommonName: ['a', 'b', 'c', 'd', 'e', 'f'], Organization: ['x'.repeat(1025)], commonname: ['ignored: CommonName is used'] },
    issuer: { CommonName: ['CA'] },
    subjectAlternativeName: { dnsName: ['*.example.com', 'device.example.com'], otherName: ['1.2.3.4;UTF8:x'] },
  };
  const context: ConnectionContext = { clientId: 'c', isAttached: false, certificate: cert };
  const authorizer = createAuthorizer(
    [
      doc(
        { Effect: 'Allow', Action: 'iot:Publish', Resource: [`${ARN}:topic/cn/\${iot:Certificate.Subject.CommonName.4}`, `${ARN}:topic/cn/\${iot:Certificate.Subject.CommonName.5}`] },
        { Effect: 'Allow', Action: 'iot:Publish', Resource: `${ARN}:topic/o/\${iot:Certificate.Subject.Organization, 'too-long'}` },
        { Effect: 'Allow', Action: 'iot:Publish', Resource: `${ARN}:topic/dns/\${iot:Certificate.Subject.AlternativeName.DNSName.1}` },
        { Effect: 'Allow', Action: 'iot:Publish', Resource: `${ARN}:topic/dns0/\${iot:Certificate.Subject.AlternativeName.DNSName}` },
        { Effect: 'Allow', Action: 'iot:Publish', Resource: `${ARN}:topic/serial/\${iot:Certificate.SerialNumber}` },
        {
          Effect: 'Allow',
          Action: 'iot:Subscribe',
          Resource: '*',
          Condition: {
            'ForAnyValue:StringEquals': { 'iot:Certificate.AvailableKeys': 'iot:Certificate.Issuer.CommonName' },
            'ForAllValues:StringLike': { 'iot:Certificate.AvailableKeys': ['iot:Certificate.Subject.*', 'iot:Certificate.Issuer.*', 'iot:Certificate.SerialNumber'] },
          },
        },
      ),
    ],
    context,
    SCOPE,
  );
  assert.equal(authorizer.allows('iot:Publish', 'cn/e'), true);
  assert.equal(authorizer.allows('iot:Publish', 'cn/f'), false, 'the sixth value is ignored');
  assert.equal(authorizer.allows('iot:Publish', 'o/too-long'), true, 'longer than 1,024 characters: not substituted');
  assert.equal(authorizer.allows('iot:Publish', 'dns/device.example.com'), true);
  assert.equal(authorizer.allows('iot:Publish', 'dns0/*.example.com'), false, 'a wildcard certificate name is not substituted');
  assert.equal(authorizer.allows('iot:Publish', 'serial/15'), true);
  assert.equal(authorizer.allows('iot:Subscribe', 'x'), true);
});

test('a token principal: certificate keys have no value, Null sees that', () => {
  const authorizer = createAuthorizer(
    [doc({ Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Condition: { Null: { 'iot:Certificate.Subject.CommonName': 'true', 'iot:CertificateId': 'true' } } })],
    { clientId: 'c', principal: 'token/abc', isAttached: false },
    SCOPE,
  );
  assert.equal(authorizer.allows('iot:Connect', 'c'), true);
});

test('conditions: ArnLike matches segment by segment, StringLike across colons (IAM condition operators page)', () => {
  const value = 'arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt';
  assert.equal(compileArnPattern([{ text: 'arn:aws:someservice:*:111122223333:finance/*', wild: true }])(value), false);
  assert.equal(compileArnPattern([{ text: 'arn:aws:someservice:*:*:store/abc:111122223333:finance/*', wild: true }])(value), true);
  assert.equal(compileGlob([{ text: 'arn:aws:someservice:*:111122223333:finance/*', wild: true }])(value), true);
});

test('variables in condition values; an unresolved one matches nothing (negated operators: nothing is excluded)', () => {
  const context: ConnectionContext = { clientId: 'lamp-7', thingName: 'lamp-7', isAttached: true, thingAttributes: { owner: 'lamp-7' } };
  const policy = (Condition: unknown) => createAuthorizer([doc({ Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Condition })], context, SCOPE);
  assert.equal(policy({ StringEquals: { 'iot:ClientId': '${iot:Connection.Thing.ThingName}' } }).allows('iot:Connect', 'lamp-7'), true);
  assert.equal(policy({ StringLike: { 'iot:Connection.Thing.Attributes[owner]': '${iot:ClientId}*' } }).allows('iot:Connect', 'lamp-7'), true);
  assert.equal(policy({ StringEquals: { 'iot:ClientId': '${iot:Connection.Thing.ThingTypeName}' } }).allows('iot:Connect', 'lamp-7'), false);
  assert.equal(policy({ StringNotEquals: { 'iot:ClientId': '${iot:Connection.Thing.ThingTypeName}' } }).allows('iot:Connect', 'lamp-7'), true);
  assert.equal(policy({ StringEquals: { 'iot:ClientId': ['x', '${iot:ClientId}'] } }).allows('iot:Connect', 'lamp-7'), true);
});

test('unknown condition keys: the statement never applies, whatever its effect', () => {
  const key = { 'ForAllValues:StringEquals': { 'aws:RequestTag/x': ['a'] } }; // IAM would say true for a missing key
  const allowOnly = createAuthorizer([doc({ Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Condition: key })], device, SCOPE);
  assert.equal(allowOnly.allows('iot:Connect', 'dev1'), false);
  const ifExists = createAuthorizer([doc({ Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Condition: { StringEqualsIfExists: { 'aws:RequestTag/x': 'a' } } })], device, SCOPE);
  assert.equal(ifExists.allows('iot:Connect', 'dev1'), false);
});

test('serial numbers: hex as AWS shows it, in decimal as policies see it', () => {
  assert.equal(serialNumberToDecimal('92:12:85:cb:b7:a5:e0:86'), '10525622389124227206');
  assert.equal(serialNumberToDecimal('921285CBB7A5E086'), '10525622389124227206');
  assert.equal(serialNumberToDecimal('00'), '0');
  assert.equal(serialNumberToDecimal('zz'), undefined);
});

test('templates: escapes, defaults and errors', () => {
  assert.deepEqual(parseTemplate("a${*}b${?}${$}${iot:ClientId}${iot:Connection.Thing.Attributes[x], 'dflt'}"), {
    ok: true,
    parts: [
      { kind: 'text', text: 'a' },
      { kind: 'char', text: '*' },
      { kind: 'text', text: 'b' },
      { kind: 'char', text: '?' },
      { kind: 'char', text: '$' },
      { kind: 'var', name: 'iot:ClientId', fallback: undefined },
      { kind: 'var', name: 'iot:Connection.Thing.Attributes[x]', fallback: 'dflt' },
    ],
  });
  assert.equal(parseTemplate('a${b').ok, false);
  assert.equal(parseTemplate('a$b{c}').ok, true);
});

// A backtracking matcher would take exponential time here and the test would hang
// (the runner's timeout catches it); the linear one answers at once.
test('the glob matcher answers adversarial patterns', () => {
  const match = compileGlob([{ text: `${'*a'.repeat(30)}*b`, wild: true }]);
  const input = 'a'.repeat(20_000);
  assert.equal(match(input), false);
  const withOne = compileGlob([{ text: `${'*a?'.repeat(30)}*b`, wild: true }]);
  assert.equal(withOne(input), false);
});
