import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { formatFieldPath, isSluiceError } from '../../core/index.js';
import { parsePolicyDocument, policyDocumentSchema, policyDocumentWarnings, statementsOf, type PolicyDocument } from './index.js';

const ARN = 'arn:aws:iot:us-east-1:123456789012';

/** `path: message` of every issue, as an API client would see them. */
function issues(value: unknown): string[] {
  const result = policyDocumentSchema.safeParse(value);
  return result.success ? [] : result.error.issues.map((i) => `${formatFieldPath(i.path)}: ${i.message}`);
}

function firstIssue(value: unknown): string {
  const all = issues(value);
  assert.ok(all.length > 0, 'expected the document to be rejected');
  return all[0]!;
}

const ok = (statements: unknown): unknown => ({ Version: '2012-10-17', Statement: statements });

test('valid documents parse unchanged: a single statement object stays an object', () => {
  const single = { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'iot:Connect', Resource: `${ARN}:client/\${iot:ClientId}` } };
  assert.deepEqual(parsePolicyDocument(single), single);
  assert.equal(statementsOf(parsePolicyDocument(single)).length, 1);
  const full = {
    Version: '2012-10-17',
    Id: 'device-policy',
    Statement: [
      { Sid: 'Connect', Effect: 'Allow', Action: ['iot:Connect'], Resource: ['*'] },
      { Effect: 'Deny', NotAction: ['iot:Connect', 'iot:Pub*'], NotResource: `${ARN}:topic/safe/*` },
      { Effect: 'Allow', Action: 'iot:*', Resource: `${ARN}:topicfilter/some/+/topic`, Condition: { Bool: { 'iot:Connection.Thing.IsAttached': true } } },
      {
        Effect: 'Allow',
        Action: ['iot:GetThingShadow', 'iotjobsdata:DescribeJobExecution', 'greengrass:*', '*'],
        Resource: `${ARN}:thing/\${iot:Connection.Thing.ThingName}`,
        Condition: {
          'ForAnyValue:StringLike': { 'iot:Certificate.Subject.CommonName.List': ['admin-*', '${iot:ClientId}'] },
          StringEqualsIfExists: { 'iot:Connection.Thing.ThingTypeName': 'LightBulb' },
          NumericLessThan: { 'iot:Connection.Thing.Attributes[rev]': 10 },
          IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '2001:DB8::/32', '192.0.2.1'] },
          Null: { 'iot:Certificate.SerialNumber': 'false' },
          DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' },
          'ForAllValues:StringEquals': { 'iot:ConnectAttributes': [] },
          ArnLike: { 'iot:LastWillTopic': `${ARN}:topic/will/*` },
        },
      },
    ],
  };
  assert.deepEqual(issues(full), []);
  assert.deepEqual(parsePolicyDocument(full), full);
});

test('errors name the field path', () => {
  assert.match(firstIssue(ok([{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }, { Effect: 'Allow', Action: 'iot:Publish', Resource: 'topic/x' }])), /^Statement\[1\]\.Resource: 'topic\/x' is not an ARN/);
  assert.match(firstIssue(ok([{ Effect: 'Allow', Action: 'iot:Publish', Resource: ['*', 'arn:aws:iot:us-east-1'] }])), /^Statement\[0\]\.Resource\[1\]: .*six colon-separated parts/);
  assert.match(firstIssue(ok({ Effect: 'Maybe', Action: 'iot:Connect', Resource: '*' })), /^Statement\.Effect: Effect must be 'Allow' or 'Deny'/);
  assert.match(firstIssue(ok([{ Effect: 'Allow', Action: ['iot:Connect', 'iot:Publsh'], Resource: '*' }])), /^Statement\[0\]\.Action\[1\]: unknown AWS IoT policy action 'iot:Publsh' \(did you mean iot:Publish\?\)/);
  assert.match(firstIssue(ok([{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }])), /^Statement\[0\]\.Action: unknown service prefix 's3'/);
  assert.match(firstIssue(ok([{ Effect: 'Allow', Action: 'Publish', Resource: '*' }])), /^Statement\[0\]\.Action: 'Publish' is not an action/);
  assert.match(firstIssue(ok([{ Effect: 'Allow', Action: 'iot:CreateThing', Resource: '*' }])), /control-plane actions belong in IAM policies/);
  assert.match(firstIssue(ok([{ Effect: 'Allow', Action: 'iot:Connect', NotAction: 'iot:Publish', Resource: '*' }])), /^Statement\[0\]\.NotAction: a statement has Action or NotAction, not both/);
  assert.match(firstIssue(ok([{ Effect: 'Allow', Resource: '*' }])), /^Statement\[0\]\.Action: Action \(or NotAction\) is required/);
  assert.match(firstIssue(ok([{ Effect: 'Allow', Action: 'iot:Connect' }])), /^Statement\[0\]\.Resource: Resource \(or NotResource\) is required/);
  assert.match(firstIssue(ok([{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*', NotResource: '*' }])), /^Statement\[0\]\.NotResource: /);
  assert.match(firstIssue(ok([{ Effect: 'Allow', Action: [], Resource: '*' }])), /^Statement\[0\]\.Action: Action must not be an empty list/);
  assert.match(firstIssue(ok([{ Effect: 'Allow', Action: ['iot:Connect', 3], Resource: '*' }])), /^Statement\[0\]\.Action\[1\]: Action entries must be strings/);
  assert.match(firstIssue(ok([{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Principal: '*' }])), /^Statement\[0\]\.Principal: an AWS IoT policy has no Principal/);
  assert.match(firstIssue(ok([{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Condtion: {} }])), /^Statement\[0\]\.Condtion: unknown field/);
  assert.match(firstIssue(ok([{ Effect: 'Allow', Action: 'iot:Connect', Resource: `arn:aws:iot:\${iot:ClientId}:1:client/x` }])), /^Statement\[0\]\.Resource: policy variables may appear only in the resource part/);
  assert.match(firstIssue(ok([{ Effect: 'Allow', Action: 'iot:Publish', Resource: `${ARN}:topic/\${iot:ClientId` }])), /^Statement\[0\]\.Resource: unterminated policy variable/);
  assert.match(firstIssue(ok([{ Effect: 'Allow', Action: 'iot:Publish', Resource: `${ARN}:topic/\${}` }])), /is not a policy variable/);
});

test('condition errors name the operator, the key and the value', () => {
  const cond = (Condition: unknown) => firstIssue(ok([{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Condition }]));
  assert.match(cond({ StringEqualz: { 'iot:ClientId': 'a' } }), /^Statement\[0\]\.Condition\.StringEqualz: unknown condition operator/);
  assert.match(cond({ NullIfExists: { 'iot:ClientId': 'true' } }), /unknown condition operator 'NullIfExists'/);
  assert.match(cond({ Bool: { 'iot:Connection.Thing.IsAttached': ['yes'] } }), /^Statement\[0\]\.Condition\.Bool\.iot:Connection\.Thing\.IsAttached\[0\]: expected "true" or "false"/);
  assert.match(cond({ IpAddress: { 'aws:SourceIp': '203.0.113.0/33' } }), /^Statement\[0\]\.Condition\.IpAddress\.aws:SourceIp: expected an IP address or CIDR range/);
  assert.match(cond({ NumericEquals: { 'iot:Connection.Thing.Attributes[rev]': 'ten' } }), /expected a number/);
  assert.match(cond({ DateLessThan: { 'aws:CurrentTime': 'tomorrow' } }), /expected an ISO 8601 date/);
  assert.match(cond({ StringEquals: { ClientId: 'a' } }), /^Statement\[0\]\.Condition\.StringEquals\.ClientId: 'ClientId' is not a condition key/);
  assert.match(cond({ StringEquals: { 'iot:ClientId': { a: 1 } } }), /a condition value is a string, number or boolean/);
  assert.match(cond({ StringEquals: 'iot:ClientId' }), /StringEquals takes an object of condition keys/);
  assert.match(cond('StringEquals'), /^Statement\[0\]\.Condition: Condition is an object/);
});

test('document-level errors', () => {
  assert.match(firstIssue({ Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] }), /^Version: Version is required/);
  assert.match(firstIssue({ Version: '2008-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] }), /^Version: Version must be '2012-10-17'/);
  assert.match(firstIssue({ Version: '2012-10-17', Statement: [] }), /^Statement: a policy needs at least one statement/);
  assert.match(firstIssue({ Version: '2012-10-17' }), /^Statement: Statement is required/);
  assert.match(firstIssue({ Version: '2012-10-17', Statement: 'allow all' }), /^Statement: Statement must be a statement object or a list/);
  assert.match(firstIssue({ Version: '2012-10-17', Statement: ['x'] }), /^Statement\[0\]: a statement is an object/);
  assert.match(firstIssue({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: '*', Resource: '*' }, Extra: 1 }), /^Extra: unknown field 'Extra'/);
  assert.match(firstIssue('{"Version":"2012-10-17"}'), /a policy document is a JSON object/);
  // Every problem is reported, not only the first.
  assert.equal(issues({ Version: '1', Statement: [{ Effect: 'x', Action: 'iot:Nope', Resource: 'nope' }] }).length, 4);
});

test('parsePolicyDocument throws a SluiceError whose message and place name the field', () => {
  try {
    parsePolicyDocument(ok([{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }, { Effect: 'Allow', Action: 'iot:Publish', Resource: 'topic/x' }]), "policy 'p'");
    assert.fail('expected a SluiceError');
  } catch (error) {
    assert.ok(isSluiceError(error));
    assert.equal(error.code, 'SLUICE_ERR_REQUEST_INVALID');
    assert.match(error.message, /^policy 'p': Statement\[1\]\.Resource: /);
    assert.equal(error.place?.field, 'Statement[1].Resource');
  }
});

test('embedded in another schema, paths are prefixed', () => {
  const stack = z.object({ policies: z.record(z.string(), z.object({ document: policyDocumentSchema })) });
  const result = stack.safeParse({ policies: { p: { document: ok([{ Effect: 'Allow', Action: 'iot:Connect', Resource: 'x' }]) } } });
  assert.equal(result.success, false);
  assert.equal(formatFieldPath(result.error!.issues[0]!.path), 'policies.p.document.Statement[0].Resource');
});

test('warnings: actions Sluice does not enforce, keys and variables it never provides', () => {
  const document = parsePolicyDocument(
    ok([
      { Effect: 'Allow', Action: ['iot:Connect', 'iot:GetThingShadow'], Resource: `${ARN}:client/\${cognito-identity.amazonaws.com:sub}` },
      { Effect: 'Deny', Action: 'iot:Publish', Resource: '*', Condition: { StringEquals: { 'aws:CurrentTime': '${aws:username}' } } },
      { Effect: 'Allow', Action: 'iot:Publish', Resource: `${ARN}:topic/\${iot:Connection.Thing.Attributes[room]}`, Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } } },
    ]),
  ) as PolicyDocument;
  const warnings = policyDocumentWarnings(document).map((w) => `${w.path}: ${w.message}`);
  assert.equal(warnings.length, 4, warnings.join('\n'));
  assert.match(warnings[0]!, /^Statement\[0\]\.Action: iot:GetThingShadow is accepted but not enforced/);
  assert.match(warnings[1]!, /^Statement\[0\]\.Resource: \$\{cognito-identity\.amazonaws\.com:sub\} is never set in Sluice/);
  assert.match(warnings[2]!, /^Statement\[1\]\.Condition\.StringEquals\.aws:CurrentTime: condition key aws:CurrentTime is not available/);
  assert.match(warnings[3]!, /\$\{aws:username\} is never set/);
});
