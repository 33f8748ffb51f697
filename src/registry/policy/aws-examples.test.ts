/**
 * Policy evaluation cases taken from AWS's own pages: each case names the
 * page it comes from, the policy (as printed there, with the region and
 * account AWS uses: us-east-1, 123456789012), the connection, the request and
 * the decision AWS documents (or, where AWS only implies it, IAM's rule; those
 * cases say so).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAuthorizer, parsePolicyDocument, type CertificateFields, type ConnectionContext, type IotAction, type PolicyDocument } from './index.js';

const IOT = 'https://docs.aws.amazon.com/iot/latest/developerguide';
const IAM = 'https://docs.aws.amazon.com/IAM/latest/UserGuide';
const PAGE = {
  connect: `${IOT}/connect-policy.html (Connect policy examples)`,
  pubsub: `${IOT}/pub-sub-policy.html (Publish/Subscribe policy examples)`,
  connectPub: `${IOT}/connect-and-pub.html (Connect and publish policy examples)`,
  retained: `${IOT}/retained-message-policy-examples.html (Retained message policy examples)`,
  cert: `${IOT}/certificate-policy-examples.html (Certificate policy examples)`,
  thing: `${IOT}/thing-policy-examples.html (Thing policy examples)`,
  basicVars: `${IOT}/basic-policy-variables.html (Basic AWS IoT Core policy variables)`,
  thingVars: `${IOT}/thing-policy-variables.html (Thing policy variables)`,
  certVars: `${IOT}/cert-policy-variables.html (X.509 Certificate AWS IoT Core policy variables)`,
  useCertVars: `${IOT}/use-policy-variables.html (Using X.509 certificate policy variables)`,
  iotVars: `${IOT}/iot-policy-variables.html (AWS IoT Core policy variables)`,
  resources: `${IOT}/iot-action-resources.html (AWS IoT Core action resources)`,
  actions: `${IOT}/iot-policy-actions.html (AWS IoT Core policy actions)`,
  iamVars: `${IAM}/reference_policies_variables.html (IAM policy elements: Variables and tags)`,
  iamOps: `${IAM}/reference_policies_elements_condition_operators.html (IAM JSON policy elements: Condition operators)`,
  iamMulti: `${IAM}/reference_policies_multi-value-conditions.html (Creating a condition with multiple keys or values)`,
  iamNotResource: `${IAM}/reference_policies_elements_notresource.html (IAM JSON policy elements: NotResource)`,
  iamNotAction: `${IAM}/reference_policies_elements_notaction.html (IAM JSON policy elements: NotAction)`,
  iamEval: `${IAM}/reference_policies_evaluation-logic.html (Policy evaluation logic)`,
  iamResource: `${IAM}/reference_policies_elements_resource.html (IAM JSON policy elements: Resource)`,
};

const ARN = 'arn:aws:iot:us-east-1:123456789012';
const SCOPE = { region: 'us-east-1', account: '123456789012' };

interface Case {
  /** The page the policy and the expected decision come from. */
  source: string;
  name: string;
  documents: PolicyDocument[];
  context: ConnectionContext;
  action: IotAction;
  resource: string;
  allowed: boolean;
}

type Statement = Record<string, unknown>;
const doc = (...statements: Statement[]): PolicyDocument => parsePolicyDocument({ Version: '2012-10-17', Statement: statements });
const allow = (action: string | string[], resource: string | string[], extra: Statement = {}): Statement => ({ Effect: 'Allow', Action: action, Resource: resource, ...extra });
const deny = (action: string | string[], resource: string | string[], extra: Statement = {}): Statement => ({ Effect: 'Deny', Action: action, Resource: resource, ...extra });

/** A device registered as a thing whose name is its client id, with its certificate attached. */
const registered = (thingName: string, extra: Partial<ConnectionContext> = {}): ConnectionContext => ({
  clientId: thingName,
  principal: 'cert-1',
  thingName,
  isAttached: true,
  ...extra,
});
/** A device that is not registered as a thing. */
const unregistered = (clientId: string, extra: Partial<ConnectionContext> = {}): ConnectionContext => ({ clientId, principal: 'cert-1', isAttached: false, ...extra });
const certificate = (fields: Partial<CertificateFields> = {}): CertificateFields => ({ certificateId: 'a1b2c3d4e5f6', subject: {}, issuer: {}, ...fields });

const cases: Case[] = [];
function add(source: string, documents: PolicyDocument | PolicyDocument[], rows: Array<[name: string, context: ConnectionContext, action: IotAction, resource: string, allowed: boolean]>): void {
  for (const [name, context, action, resource, allowed] of rows) {
    cases.push({ source, name, documents: Array.isArray(documents) ? documents : [documents], context, action, resource, allowed });
  }
}

// --- Connect policy examples ---------------------------------------------------------------
add(PAGE.connect, doc(allow(['iot:Connect'], [`${ARN}:client/client1`])), [
  ['connect with client ID client1', unregistered('client1'), 'iot:Connect', 'client1', true],
  ['another client ID is implicitly denied', unregistered('client2'), 'iot:Connect', 'client2', false],
  ['client IDs are case-sensitive', unregistered('Client1'), 'iot:Connect', 'Client1', false],
]);
add(
  PAGE.connect,
  doc(deny(['iot:Connect'], [`${ARN}:client/client1`, `${ARN}:client/client2`]), allow(['iot:Connect'], [`${ARN}:client/\${iot:Connection.Thing.ThingName}`])),
  [
    ['a registered thing connects with its thing name', registered('thingA'), 'iot:Connect', 'thingA', true],
    ['explicit deny wins over the thing-name allow (thing named client1)', registered('client1'), 'iot:Connect', 'client1', false],
    ['no attached thing: ThingName has no value, the allow matches nothing', unregistered('thingA'), 'iot:Connect', 'thingA', false],
  ],
);
add(PAGE.connect, doc(allow(['iot:Connect'], '*', { Condition: { 'ForAllValues:StringEquals': { 'iot:ConnectAttributes': ['PersistentConnect'] } } })), [
  ['PersistentConnect allowed', unregistered('c', { connectAttributes: ['PersistentConnect'] }), 'iot:Connect', 'c', true],
  ['PersistentConnect with LastWill is not', unregistered('c', { connectAttributes: ['PersistentConnect', 'LastWill'] }), 'iot:Connect', 'c', false],
  ['a clean connect without will has no attributes: ForAllValues holds', unregistered('c', { connectAttributes: [] }), 'iot:Connect', 'c', true],
]);
add(
  PAGE.connect,
  doc(allow(['iot:Connect'], '*'), deny(['iot:Connect'], '*', { Condition: { 'ForAnyValue:StringEquals': { 'iot:ConnectAttributes': ['PersistentConnect'] } } })),
  [
    ['"disallows PersistentConnect": denied with it', unregistered('c', { connectAttributes: ['PersistentConnect'] }), 'iot:Connect', 'c', false],
    ['"other features are allowed": LastWill alone connects', unregistered('c', { connectAttributes: ['LastWill'] }), 'iot:Connect', 'c', true],
  ],
);
add(PAGE.connect, doc(allow(['iot:Connect'], '*', { Condition: { 'ForAllValues:StringEquals': { 'iot:ConnectAttributes': [] } } })), [
  ['"only default features": a clean connect', unregistered('c', { connectAttributes: [] }), 'iot:Connect', 'c', true],
  ['"only default features": a will is refused', unregistered('c', { connectAttributes: ['LastWill'] }), 'iot:Connect', 'c', false],
]);
// The page writes the ARN with placeholders (*region*, *account-id*); here they are filled in.
add(PAGE.connect, doc(allow(['iot:Connect'], '*', { Condition: { ArnEquals: { 'iot:LastWillTopic': `${ARN}:topic/my/lastwill/topicName` } } })), [
  ['a will on the allowed LastWillTopic', unregistered('c', { connectAttributes: ['LastWill'], lastWillTopic: 'my/lastwill/topicName' }), 'iot:Connect', 'c', true],
  ['a will on another topic', unregistered('c', { connectAttributes: ['LastWill'], lastWillTopic: 'my/other' }), 'iot:Connect', 'c', false],
  ['no will: the key is absent, ArnEquals is false', unregistered('c'), 'iot:Connect', 'c', false],
]);
add(PAGE.connect, doc(allow(['iot:Connect'], [`${ARN}:client/\${iot:Connection.Thing.ThingName}`]), allow(['iot:Subscribe'], [`${ARN}:topicfilter/my/topic/filter`])), [
  ['Registered devices (3): subscribe to my/topic/filter', registered('thing1'), 'iot:Subscribe', 'my/topic/filter', true],
  ['Registered devices (3): another filter is not allowed', registered('thing1'), 'iot:Subscribe', 'my/topic/#', false],
]);
add(PAGE.connect, doc(allow(['iot:Connect'], [`${ARN}:client/client1`]), allow(['iot:Subscribe'], [`${ARN}:topicfilter/my/topic`])), [
  ['Unregistered devices (3): subscribe to my/topic', unregistered('client1'), 'iot:Subscribe', 'my/topic', true],
  ['Unregistered devices (3): my/topic/sub is another filter', unregistered('client1'), 'iot:Subscribe', 'my/topic/sub', false],
]);

// --- Publish/Subscribe policy examples -----------------------------------------------------
add(PAGE.pubsub, doc(allow(['iot:Connect'], [`${ARN}:client/\${iot:Connection.Thing.ThingName}`]), allow(['iot:Publish'], [`${ARN}:topic/\${iot:Connection.Thing.ThingName}/*`])), [
  ['Registered devices (5): publish under the thing name', registered('thing1'), 'iot:Publish', 'thing1/a/b', true],
  ['Registered devices (5): not under another thing name', registered('thing1'), 'iot:Publish', 'thing2/a', false],
  ['Registered devices (5): the prefix needs its slash', registered('thing1'), 'iot:Publish', 'thing1', false],
]);
add(
  PAGE.pubsub,
  doc(allow(['iot:Connect'], [`${ARN}:client/client1`, `${ARN}:client/client2`, `${ARN}:client/client3`]), allow(['iot:Publish'], [`${ARN}:topic/\${iot:ClientId}/*`])),
  [
    ['Unregistered devices (5): client2 may connect', unregistered('client2'), 'iot:Connect', 'client2', true],
    ['Unregistered devices (5): client2 publishes under its client ID', unregistered('client2'), 'iot:Publish', 'client2/x', true],
    ["Unregistered devices (5): not under another client's ID", unregistered('client2'), 'iot:Publish', 'client1/x', false],
  ],
);
add(
  PAGE.pubsub,
  doc(
    allow(['iot:Connect'], [`${ARN}:client/\${iot:Connection.Thing.ThingName}`]),
    allow(['iot:Subscribe'], [`${ARN}:topicfilter/\${iot:Connection.Thing.ThingName}/room*`]),
    allow(['iot:Receive'], [`${ARN}:topic/\${iot:Connection.Thing.ThingName}/room*`]),
  ),
  [
    ['Registered devices (6): subscribe to thing1/room1', registered('thing1'), 'iot:Subscribe', 'thing1/room1', true],
    ['Registered devices (6): * is not confined to one level (thing1/room/#)', registered('thing1'), 'iot:Subscribe', 'thing1/room/#', true],
    ['Registered devices (6): receive on thing1/room42', registered('thing1'), 'iot:Receive', 'thing1/room42', true],
    ['Registered devices (6): not on thing1/kitchen', registered('thing1'), 'iot:Receive', 'thing1/kitchen', false],
  ],
);
add(
  PAGE.pubsub,
  doc(
    allow('iot:Subscribe', `${ARN}:topicfilter/a/*`),
    deny('iot:Subscribe', `${ARN}:topicfilter/a/restricted/*`),
    { Effect: 'Allow', Action: 'iot:Receive', NotResource: `${ARN}:topic/a/restricted/*` },
  ),
  [
    ['"will not work": a/# is literal, the deny does not match it', unregistered('c'), 'iot:Subscribe', 'a/#', true],
    ['the deny matches a/restricted/x', unregistered('c'), 'iot:Subscribe', 'a/restricted/x', false],
    ['NotResource: no Receive under a/restricted/', unregistered('c'), 'iot:Receive', 'a/restricted/secret', false],
    ['NotResource: Receive elsewhere under a/', unregistered('c'), 'iot:Receive', 'a/open', true],
  ],
);
add(PAGE.pubsub, doc(allow('iot:Subscribe', `${ARN}:topicfilter/device/update`), deny('iot:Receive', `${ARN}:topic/device/update`)), [
  ['subscribe to device/update is allowed', unregistered('c'), 'iot:Subscribe', 'device/update', true],
  ['receive on device/update is denied', unregistered('c'), 'iot:Receive', 'device/update', false],
]);
add(PAGE.pubsub, doc(allow(['iot:Connect'], [`${ARN}:client/\${iot:Connection.Thing.ThingName}`]), allow(['iot:Subscribe'], [`${ARN}:topicfilter/some/+/topic`])), [
  ['Registered devices (4): + is literal: exactly some/+/topic', registered('thing1'), 'iot:Subscribe', 'some/+/topic', true],
  ['Registered devices (4): + does not match a level', registered('thing1'), 'iot:Subscribe', 'some/level/topic', false],
]);
add(PAGE.pubsub, doc(allow(['iot:Connect'], [`${ARN}:client/client1`]), allow(['iot:Subscribe'], [`${ARN}:topicfilter/some/*/topic`])), [
  ['Unregistered devices (4): * matches some/string1/topic', unregistered('client1'), 'iot:Subscribe', 'some/string1/topic', true],
  ['Unregistered devices (4): * matches the literal filter some/+/topic', unregistered('client1'), 'iot:Subscribe', 'some/+/topic', true],
  ['Unregistered devices (4): some/topic lacks the middle level', unregistered('client1'), 'iot:Subscribe', 'some/topic', false],
]);
add(
  PAGE.pubsub,
  doc(allow(['iot:Connect'], [`${ARN}:client/\${iot:Connection.Thing.ThingName}`]), allow(['iot:Subscribe'], [`${ARN}:topicfilter/my/topic`, `${ARN}:topicfilter/my/othertopic`])),
  [['Registered devices (7): the second of two filters', registered('thing1'), 'iot:Subscribe', 'my/othertopic', true]],
);
add(PAGE.pubsub, doc(allow(['iot:Connect'], [`${ARN}:client/\${iot:Connection.Thing.ThingName}`]), allow(['iot:Publish'], [`${ARN}:topic/my/topic/\${iot:Thing.ThingName}`])), [
  ['Registered devices (8): ${iot:Thing.ThingName} as printed by AWS', registered('thing1'), 'iot:Publish', 'my/topic/thing1', true],
]);
add(
  PAGE.pubsub,
  doc(
    allow(['iot:Connect'], [`${ARN}:client/\${iot:Connection.Thing.ThingName}`]),
    allow(['iot:Publish'], [`${ARN}:topic/\${iot:Thing.ThingName}/*`]),
    deny(['iot:Publish'], [`${ARN}:topic/\${iot:Thing.ThingName}/bar`]),
  ),
  [
    ['Registered devices (9): the topic ending with bar is denied', registered('thing1'), 'iot:Publish', 'thing1/bar', false],
    ['Registered devices (9): other topics under the thing name', registered('thing1'), 'iot:Publish', 'thing1/baz', true],
  ],
);
add(
  PAGE.pubsub,
  doc(allow(['iot:Connect'], [`${ARN}:client/client1`, `${ARN}:client/client2`]), allow(['iot:Publish'], [`${ARN}:topic/\${iot:ClientId}/*`]), deny(['iot:Publish'], [`${ARN}:topic/\${iot:ClientId}/bar`])),
  [
    ['Unregistered devices (9): client1/bar is denied', unregistered('client1'), 'iot:Publish', 'client1/bar', false],
    ['Unregistered devices (9): client1/x is allowed', unregistered('client1'), 'iot:Publish', 'client1/x', true],
  ],
);
add(
  PAGE.pubsub,
  doc(
    allow(['iot:Connect'], [`${ARN}:client/\${iot:Connection.Thing.ThingName}`]),
    allow(['iot:Subscribe'], [`${ARN}:topicfilter/my/topic`]),
    deny(['iot:Publish'], [`${ARN}:topic/\${iot:Thing.ThingName}/bar`]),
  ),
  [
    ['Registered devices (10): subscribe to my/topic', registered('thing1'), 'iot:Subscribe', 'my/topic', true],
    ['Registered devices (10): no statement allows publishing', registered('thing1'), 'iot:Publish', 'thing1/foo', false],
  ],
);
add(
  PAGE.pubsub,
  doc(
    allow(['iot:Connect'], [`${ARN}:client/client1`]),
    allow(['iot:Publish', 'iot:Receive'], [`${ARN}:topic/iotmonitor/provisioning/987654321098`]),
    allow(['iot:Subscribe'], [`${ARN}:topicfilter/iotmonitor/provisioning/987654321098`]),
  ),
  [
    ['provisioning topic: receive', unregistered('client1'), 'iot:Receive', 'iotmonitor/provisioning/987654321098', true],
    ['provisioning topic: subscribe', unregistered('client1'), 'iot:Subscribe', 'iotmonitor/provisioning/987654321098', true],
    ['provisioning topic: another account id', unregistered('client1'), 'iot:Publish', 'iotmonitor/provisioning/111111111111', false],
  ],
);
add(
  PAGE.pubsub,
  doc(allow(['iot:Connect'], [`${ARN}:client/\${iot:Connection.Thing.ThingName}`]), allow(['iot:Subscribe'], [`${ARN}:topicfilter/my/topic`]), allow(['iot:Receive'], [`${ARN}:topic/my/topic`])),
  [
    ['Registered devices (11): receive on my/topic', registered('thing1'), 'iot:Receive', 'my/topic', true],
    ['Registered devices (11): not on my/other', registered('thing1'), 'iot:Receive', 'my/other', false],
  ],
);
// The wildcard table on the same page: `topic/some/?????/topic`, `topicfilter/some/sensor???/topic`.
add(PAGE.pubsub, doc(allow('iot:Publish', `${ARN}:topic/some/?????/topic`), allow('iot:Subscribe', `${ARN}:topicfilter/some/sensor???/topic`)), [
  ['? matches one character: five of them', unregistered('c'), 'iot:Publish', 'some/abcde/topic', true],
  ['? matches one character: four are too few', unregistered('c'), 'iot:Publish', 'some/abcd/topic', false],
  ['? is not confined to a level either (ab/de)', unregistered('c'), 'iot:Publish', 'some/ab/de/topic', true],
  ['sensor??? matches sensor123', unregistered('c'), 'iot:Subscribe', 'some/sensor123/topic', true],
  ['sensor??? does not match sensor12', unregistered('c'), 'iot:Subscribe', 'some/sensor12/topic', false],
]);

// --- Connect and publish policy examples ---------------------------------------------------
add(PAGE.connectPub, doc(allow(['iot:Publish'], [`${ARN}:topic/\${iot:Connection.Thing.ThingName}`]), allow(['iot:Connect'], [`${ARN}:client/\${iot:Connection.Thing.ThingName}`])), [
  ['registered: publish on the thing-name topic', registered('thing1'), 'iot:Publish', 'thing1', true],
  ['registered: not on a subtopic (no wildcard)', registered('thing1'), 'iot:Publish', 'thing1/sub', false],
  ['registered: connect with a client ID that is not the thing name', registered('thing1', { clientId: 'other' }), 'iot:Connect', 'other', false],
]);
add(PAGE.connectPub, doc(allow(['iot:Publish'], [`${ARN}:topic/\${iot:ClientId}`]), allow(['iot:Connect'], [`${ARN}:client/client1`])), [
  ['unregistered: publish on the client-ID topic', unregistered('client1'), 'iot:Publish', 'client1', true],
]);

// --- Retained message policy examples -----------------------------------------------------
// (The page's JSON has a misplaced brace; this is the policy it describes.)
add(PAGE.retained, doc(allow(['iot:Connect'], [`${ARN}:client/device1`]), allow(['iot:Publish', 'iot:RetainPublish'], [`${ARN}:topic/device/sample/configuration`])), [
  ['retained publish on device/sample/configuration', unregistered('device1'), 'iot:RetainPublish', 'device/sample/configuration', true],
  ['and the plain publish it also needs', unregistered('device1'), 'iot:Publish', 'device/sample/configuration', true],
  ['no retained publish elsewhere', unregistered('device1'), 'iot:RetainPublish', 'device/sample/other', false],
]);
add(
  PAGE.retained,
  doc(
    allow(['iot:Connect'], [`${ARN}:client/*`], { Condition: { 'ForAllValues:StringEquals': { 'iot:ConnectAttributes': ['LastWill'] } } }),
    allow(['iot:Publish', 'iot:RetainPublish'], [`${ARN}:topic/will`]),
  ),
  [
    ['retained will: connect with a will', unregistered('any', { connectAttributes: ['LastWill'] }), 'iot:Connect', 'any', true],
    ['retained will: a persistent session is not allowed', unregistered('any', { connectAttributes: ['PersistentConnect'] }), 'iot:Connect', 'any', false],
    ['retained will: RetainPublish on will', unregistered('any'), 'iot:RetainPublish', 'will', true],
  ],
);
add(PAGE.retained, doc(allow(['iot:ListRetainedMessages'], ['*']), allow(['iot:GetRetainedMessage'], [`${ARN}:topic/foo`])), [
  ['list/get retained messages grant no MQTT action', unregistered('c'), 'iot:Publish', 'foo', false],
]);

// --- Certificate policy examples ----------------------------------------------------------
const certId = 'a1b2c3d4e5f6';
add(PAGE.cert, doc(allow(['iot:Publish'], [`${ARN}:topic/\${iot:CertificateId}`]), allow(['iot:Connect'], [`${ARN}:client/\${iot:Connection.Thing.ThingName}`])), [
  ['publish on the certificate id topic', registered('thing1', { certificate: certificate() }), 'iot:Publish', certId, true],
  ['a token principal has no certificate id', registered('thing1'), 'iot:Publish', certId, false],
]);
add(PAGE.cert, doc(allow(['iot:Publish'], [`${ARN}:topic/\${iot:Certificate.Subject.CommonName}`]), allow(['iot:Connect'], [`${ARN}:client/client1`])), [
  ['publish on the subject common name', unregistered('client1', { certificate: certificate({ subject: { CommonName: ['sensor-7'] } }) }), 'iot:Publish', 'sensor-7', true],
  [
    'a common name with a wildcard character is not substituted (use-policy-variables: Wildcards)',
    unregistered('client1', { certificate: certificate({ subject: { CommonName: ['dev+1'] } }) }),
    'iot:Publish',
    'dev+1',
    false,
  ],
]);
add(
  PAGE.cert,
  doc(allow(['iot:Connect'], [`${ARN}:client/\${iot:Connection.Thing.ThingName}`]), allow(['iot:Publish'], [`${ARN}:topic/admin/*`], { Condition: { StringEquals: { 'iot:Certificate.Subject.CommonName.2': 'Administrator' } } })),
  [
    ['Subject.CommonName.2 is Administrator', registered('thing1', { certificate: certificate({ subject: { CommonName: ['a', 'b', 'Administrator'] } }) }), 'iot:Publish', 'admin/x', true],
    ['only one common name: CommonName.2 has no value', registered('thing1', { certificate: certificate({ subject: { CommonName: ['Administrator'] } }) }), 'iot:Publish', 'admin/x', false],
  ],
);
add(
  PAGE.cert,
  doc(
    allow(['iot:Connect'], [`${ARN}:client/\${iot:Connection.Thing.ThingName}`]),
    allow(['iot:Publish'], [`${ARN}:topic/admin/\${iot:Connection.Thing.ThingName}`], { Condition: { 'ForAnyValue:StringEquals': { 'iot:Certificate.Subject.CommonName.List': 'Administrator' } } }),
  ),
  [
    ['any common name is Administrator', registered('thing1', { certificate: certificate({ subject: { CommonName: ['Device', 'Administrator'] } }) }), 'iot:Publish', 'admin/thing1', true],
    ['no common name is Administrator', registered('thing1', { certificate: certificate({ subject: { CommonName: ['Device'] } }) }), 'iot:Publish', 'admin/thing1', false],
  ],
);

// --- X.509 certificate policy variables -------------------------------------------------
add(
  PAGE.certVars,
  doc(
    allow(['iot:Connect'], [`${ARN}:client/\${iot:Connection.Thing.ThingName}`]),
    allow(['iot:Publish'], [`${ARN}:topic/my/topic/\${iot:Connection.Thing.ThingName}`], { Condition: { 'ForAllValues:StringEquals': { 'iot:Certificate.Subject.Organization.List': ['Example Corp', 'AnyCompany'] } } }),
  ),
  [
    ['Registered devices (2): organization Example Corp', registered('thing1', { certificate: certificate({ subject: { Organization: ['Example Corp'] } }) }), 'iot:Publish', 'my/topic/thing1', true],
    ['Registered devices (2): one organization is not listed', registered('thing1', { certificate: certificate({ subject: { Organization: ['Example Corp', 'Other'] } }) }), 'iot:Publish', 'my/topic/thing1', false],
  ],
);
add(
  PAGE.iamMulti,
  doc(allow(['iot:Publish'], [`${ARN}:topic/my/topic/\${iot:ClientId}`], { Condition: { 'ForAllValues:StringEquals': { 'iot:Certificate.Subject.Organization.List': ['Example Corp', 'AnyCompany'] } } })),
  [
    // IAM: ForAllValues "also returns true if there are no keys in the request" (and warns against it in Allow statements).
    ['Unregistered devices (2) policy, no organization at all: ForAllValues holds', unregistered('client1', { certificate: certificate() }), 'iot:Publish', 'my/topic/client1', true],
  ],
);
add(
  PAGE.useCertVars,
  doc(allow(['iot:Connect'], [`${ARN}:client/\${iot:Certificate.SerialNumber}`]), allow(['iot:Publish'], [`${ARN}:topic/\${iot:Certificate.Subject.Organization}/device-stats/\${iot:ClientId}/*`])),
  [
    [
      'the client ID is the serial number in decimal',
      unregistered('10525622389124227206', { certificate: certificate({ serialNumber: '92:12:85:cb:b7:a5:e0:86' }) }),
      'iot:Connect',
      '10525622389124227206',
      true,
    ],
    ['the serial number in hex is not the variable value', unregistered('921285cbb7a5e086', { certificate: certificate({ serialNumber: '921285CBB7A5E086' }) }), 'iot:Connect', '921285cbb7a5e086', false],
    [
      'publish under the organization',
      unregistered('dev1', { certificate: certificate({ subject: { Organization: ['IoT Devices'] } }) }),
      'iot:Publish',
      'IoT Devices/device-stats/dev1/cpu',
      true,
    ],
    ['a certificate without an organization: the variable is not populated', unregistered('dev1', { certificate: certificate() }), 'iot:Publish', '/device-stats/dev1/cpu', false],
  ],
);
add(PAGE.useCertVars, doc(allow(['iot:Connect'], [`${ARN}:client/*`], { Condition: { Null: { 'iot:Certificate.SerialNumber': 'false', 'iot:Certificate.Subject.CommonName': 'false' } } })), [
  ['Null: serial number and common name present', unregistered('c', { certificate: certificate({ serialNumber: '0a', subject: { CommonName: ['LightBulb Device Cert'] } }) }), 'iot:Connect', 'c', true],
  ['Null: no common name', unregistered('c', { certificate: certificate({ serialNumber: '0a' }) }), 'iot:Connect', 'c', false],
]);
// The example certificate's attributes from the page's tables.
const exampleCert = certificate({
  serialNumber: '92:12:85:cb:b7:a5:e0:86',
  issuer: { Country: ['US'], Organization: ['IoT Devices'], OrganizationalUnit: ['SmartHome'], State: ['WA'], CommonName: ['IoT Devices Primary CA'], GivenName: ['Primary CA1'], Initials: ['XY'], DistinguishedNameQualifier: ['Example corp'], Surname: ['SmartHome'], Title: ['CA1'], Pseudonym: ['Primary_CA'], GenerationQualifier: ['2'], SerialNumber: ['987'] },
  subject: { Country: ['US'], Organization: ['IoT Devices'], OrganizationalUnit: ['LightBulb'], State: ['NY'], CommonName: ['LightBulb Device Cert'], GivenName: ['Bulb'], Initials: ['ZZ'], DistinguishedNameQualifier: ['Bulb001'], Surname: ['Multi Color'], Title: ['RGB'], Pseudonym: ['RGB Device'], GenerationQualifier: ['4'], SerialNumber: ['123'] },
  subjectAlternativeName: { dnsName: ['example.com'], ipAddress: ['1.2.3.4'], uniformResourceIdentifier: ['ResourceIdentifier001'], rfc822Name: ['device1@example.com'], directoryName: ['cn=LightBulbCert,ou=SmartHome,o=IoT,c=US'] },
  issuerAlternativeName: { dnsName: ['issuer.com'], ipAddress: ['5.6.7.8'], uniformResourceIdentifier: ['PrimarySignerCA'], rfc822Name: ['primary@issuer.com'], directoryName: ['cn=Primary Issuer CA,ou=IoT Devices,o=Issuer,c=US'] },
});
add(
  PAGE.useCertVars,
  doc(
    allow('iot:Publish', `${ARN}:topic/san/*`, {
      Condition: {
        StringEquals: {
          'iot:Certificate.Subject.AlternativeName.DNSName': 'example.com',
          'iot:Certificate.Subject.AlternativeName.IPAddress': '1.2.3.4',
          'iot:Certificate.Issuer.AlternativeName.RFC822Name': 'primary@issuer.com',
          'iot:Certificate.Issuer.CommonName': 'IoT Devices Primary CA',
          'iot:Certificate.Subject.initials': 'ZZ',
        },
      },
    }),
    allow('iot:Publish', `${ARN}:topic/dir/\${iot:Certificate.Subject.AlternativeName.DirectoryName}`),
    allow('iot:Subscribe', `${ARN}:topicfilter/\${iot:Certificate.Issuer.AlternativeName.UniformResourceIdentifier}/\${iot:Certificate.Subject.Pseudonym}`),
  ),
  [
    ['subject/issuer alternative names and attributes from the example certificate', unregistered('c', { certificate: exampleCert }), 'iot:Publish', 'san/x', true],
    ['the DirectoryName as AWS formats it', unregistered('c', { certificate: exampleCert }), 'iot:Publish', 'dir/cn=LightBulbCert,ou=SmartHome,o=IoT,c=US', true],
    ['issuer URI and subject pseudonym', unregistered('c', { certificate: exampleCert }), 'iot:Subscribe', 'PrimarySignerCA/RGB Device', true],
    ['without a certificate the conditions fail', unregistered('c'), 'iot:Publish', 'san/x', false],
  ],
);
add(PAGE.useCertVars, doc(allow('iot:Publish', `${ARN}:topic/org/*`, { Condition: { StringEquals: { 'iot:Certificate.Subject.Organization': 'Amazon.com\\, Inc.' } } })), [
  ['Special characters: the value is backslash-escaped', unregistered('c', { certificate: certificate({ subject: { Organization: ['Amazon.com, Inc.'] } }) }), 'iot:Publish', 'org/x', true],
]);
add(PAGE.useCertVars, doc(allow('iot:Publish', `${ARN}:topic/org/*`, { Condition: { StringEquals: { 'iot:Certificate.Subject.Organization': 'Amazon.com, Inc.' } } })), [
  ['Special characters: the unescaped value does not match', unregistered('c', { certificate: certificate({ subject: { Organization: ['Amazon.com, Inc.'] } }) }), 'iot:Publish', 'org/x', false],
]);
add(PAGE.certVars, doc(allow('iot:Publish', `${ARN}:topic/\${iot:Certificate.Subject.Country.1}/*`)), [
  ['Country.1 is the second country', unregistered('c', { certificate: certificate({ subject: { Country: ['US', 'CA'] } }) }), 'iot:Publish', 'CA/x', true],
  ['an index that does not exist: "no substitution is made and authorization fails"', unregistered('c', { certificate: certificate({ subject: { Country: ['US'] } }) }), 'iot:Publish', 'US/x', false],
]);

// --- Thing policy examples ----------------------------------------------------------------
add(PAGE.thing, doc(allow(['iot:Connect'], ['*'], { Condition: { Bool: { 'iot:Connection.Thing.IsAttached': ['true'] } } })), [
  ['IsAttached true connects', registered('thing1'), 'iot:Connect', 'thing1', true],
  ['a certificate not attached to the thing does not', unregistered('thing1'), 'iot:Connect', 'thing1', false],
]);
add(
  PAGE.thing,
  doc(
    allow(['iot:Publish'], `${ARN}:topic/device/stats`, {
      Condition: {
        StringEquals: { 'iot:Connection.Thing.Attributes[attributeName]': 'attributeValue', 'iot:Connection.Thing.ThingTypeName': 'Thing_Type_Name' },
        Bool: { 'iot:Connection.Thing.IsAttached': 'true' },
      },
    }),
  ),
  [
    ['thing type and attribute match', registered('thing1', { thingTypeName: 'Thing_Type_Name', thingAttributes: { attributeName: 'attributeValue' } }), 'iot:Publish', 'device/stats', true],
    ['another thing type', registered('thing1', { thingTypeName: 'Other', thingAttributes: { attributeName: 'attributeValue' } }), 'iot:Publish', 'device/stats', false],
    ['the attribute is missing', registered('thing1', { thingTypeName: 'Thing_Type_Name' }), 'iot:Publish', 'device/stats', false],
    ['attribute names are case-sensitive', registered('thing1', { thingTypeName: 'Thing_Type_Name', thingAttributes: { AttributeName: 'attributeValue' } }), 'iot:Publish', 'device/stats', false],
  ],
);
add(PAGE.thing, doc(allow(['iot:Publish'], `${ARN}:topic/\${iot:Connection.Thing.Attributes[attributeName]}/*`)), [
  ['publish under the attribute value', registered('thing1', { thingAttributes: { attributeName: 'floor1' } }), 'iot:Publish', 'floor1/temp', true],
  ['"If the device certificate is not associated with the thing, this variable won\'t be resolved"', unregistered('thing1', { thingAttributes: { attributeName: 'floor1' } }), 'iot:Publish', 'floor1/temp', false],
]);

// --- Basic policy variables ---------------------------------------------------------------
add(PAGE.basicVars, doc(allow(['iot:Connect'], [`arn:aws:iot:us-east-1:123451234510:client/\${iot:ClientId}`]), allow(['iot:Publish'], [`arn:aws:iot:us-east-1:123451234510:topic/my/topic/\${iot:ClientId}`])), [
  ['the page uses account 123451234510: no match in account 123456789012', unregistered('x'), 'iot:Connect', 'x', false],
]);
add(PAGE.basicVars, doc(allow(['iot:Connect'], [`${ARN}:client/\${iot:ClientId}`]), allow(['iot:Publish'], [`${ARN}:topic/my/topic/\${iot:ClientId}`])), [
  ['${iot:ClientId}: any client connects as itself', unregistered('x'), 'iot:Connect', 'x', true],
  ['${iot:ClientId}: publish on its own topic', unregistered('x'), 'iot:Publish', 'my/topic/x', true],
  ["${iot:ClientId}: not on another's", unregistered('x'), 'iot:Publish', 'my/topic/y', false],
]);
add(PAGE.basicVars, doc(allow(['iot:Subscribe'], [`${ARN}:topicfilter/my/\${iot:ClientId}/topic`])), [
  ['client ID "+" may subscribe to my/+/topic (the gap the page warns about)', unregistered('+'), 'iot:Subscribe', 'my/+/topic', true],
  ['a substituted value is literal: client ID "*" is no wildcard', unregistered('*'), 'iot:Subscribe', 'my/anything/topic', false],
]);
add(PAGE.thingVars, doc(allow('iot:Publish', `${ARN}:topic/types/\${iot:Connection.Thing.ThingTypeName}`)), [
  ['ThingTypeName resolves to the thing type', registered('thing1', { thingTypeName: 'LightBulb' }), 'iot:Publish', 'types/LightBulb', true],
  ['a thing without a type: no value', registered('thing1'), 'iot:Publish', 'types/', false],
]);

// --- Policy actions, resources and IAM semantics ---------------------------------------
add(PAGE.iotVars, doc(allow('iot:*', `${ARN}:topicfilter/sensors/#`)), [
  ['iot:* covers Subscribe; # is literal in a policy', unregistered('c'), 'iot:Subscribe', 'sensors/#', true],
  ['iot:* with a literal # does not cover sensors/+', unregistered('c'), 'iot:Subscribe', 'sensors/+', false],
]);
add(PAGE.actions, doc(allow('iot:Pub*', `${ARN}:topic/*`)), [
  ['iot:Pub* covers Publish', unregistered('c'), 'iot:Publish', 'a', true],
  ['iot:Pub* does not cover RetainPublish', unregistered('c'), 'iot:RetainPublish', 'a', false],
]);
add(PAGE.actions, doc(allow('IOT:publish', `${ARN}:topic/*`)), [['action names are case-insensitive', unregistered('c'), 'iot:Publish', 'a', true]]);
add(PAGE.iamNotAction, doc(allow('iot:*', '*'), { Effect: 'Deny', NotAction: 'iot:Connect', Resource: '*' }), [
  ['Deny NotAction iot:Connect: connect is still allowed', unregistered('c'), 'iot:Connect', 'c', true],
  ['Deny NotAction iot:Connect: everything else is denied', unregistered('c'), 'iot:Publish', 'a', false],
]);
add(PAGE.iamNotResource, doc(allow('iot:*', '*'), { Effect: 'Deny', Action: 'iot:Publish', NotResource: [`${ARN}:topic/safe`, `${ARN}:topic/safe/*`] }), [
  ['Deny with NotResource: the listed topics stay allowed', unregistered('c'), 'iot:Publish', 'safe/x', true],
  ['Deny with NotResource: every other topic is denied', unregistered('c'), 'iot:Publish', 'unsafe', false],
]);
add(PAGE.iamEval, [doc(allow('iot:Publish', `${ARN}:topic/*`)), doc(deny('iot:Publish', `${ARN}:topic/secret/*`))], [
  ['an explicit deny in one policy overrides an allow in another', unregistered('c'), 'iot:Publish', 'secret/x', false],
  ['without a deny the other policy allows', unregistered('c'), 'iot:Publish', 'public/x', true],
  ['no statement names the action: implicit deny', unregistered('c'), 'iot:Subscribe', 'public/x', false],
]);
add(PAGE.iamVars, doc(allow('iot:Publish', `${ARN}:topic/literal\${*}star/\${?}/\${$}`)), [
  ['${*} ${?} ${$} are a literal *, ? and $', unregistered('c'), 'iot:Publish', 'literal*star/?/$', true],
  ['${*} is not a wildcard', unregistered('c'), 'iot:Publish', 'literalXstar/?/$', false],
]);
add(PAGE.iamVars, doc(allow('iot:Publish', `${ARN}:topic/teams/\${iot:Connection.Thing.Attributes[team], 'company-wide'}`)), [
  ['default value when the attribute is missing', registered('thing1'), 'iot:Publish', 'teams/company-wide', true],
  ['the attribute when present', registered('thing1', { thingAttributes: { team: 'yellow' } }), 'iot:Publish', 'teams/yellow', true],
]);
add(PAGE.iamOps, doc(allow('iot:Connect', '*', { Condition: { IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '2001:DB8:1234:5678::/64'] } } })), [
  ['IpAddress: inside the IPv4 range', unregistered('c', { sourceIp: '203.0.113.7' }), 'iot:Connect', 'c', true],
  ['IpAddress: an IPv4-mapped IPv6 address is its IPv4 address', unregistered('c', { sourceIp: '::ffff:203.0.113.9' }), 'iot:Connect', 'c', true],
  ['IpAddress: inside the IPv6 range', unregistered('c', { sourceIp: '2001:db8:1234:5678::1' }), 'iot:Connect', 'c', true],
  ['IpAddress: outside', unregistered('c', { sourceIp: '198.51.100.1' }), 'iot:Connect', 'c', false],
]);
add(PAGE.iamOps, doc(allow('iot:Connect', '*'), deny('iot:Connect', '*', { Condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } })), [
  ['NotIpAddress deny: from outside 10/8', unregistered('c', { sourceIp: '192.0.2.1' }), 'iot:Connect', 'c', false],
  ['NotIpAddress deny: from inside', unregistered('c', { sourceIp: '10.1.2.3' }), 'iot:Connect', 'c', true],
  ['NotIpAddress with no source IP: a negated operator on a missing key is true', unregistered('c'), 'iot:Connect', 'c', false],
]);
add(PAGE.iamOps, doc(allow('iot:Connect', '*', { Condition: { StringLike: { 'iot:ClientId': 'sensor-*' } } })), [
  ['StringLike on the client id', unregistered('sensor-42'), 'iot:Connect', 'sensor-42', true],
  ['StringLike does not match', unregistered('pump-1'), 'iot:Connect', 'pump-1', false],
]);
add(PAGE.iamOps, doc(allow('iot:Connect', '*', { Condition: { StringEqualsIgnoreCase: { 'iot:Connection.Thing.ThingTypeName': 'lightbulb' } } })), [
  ['StringEqualsIgnoreCase', registered('t', { thingTypeName: 'LightBulb' }), 'iot:Connect', 't', true],
]);
add(PAGE.iamOps, doc(allow('iot:Connect', '*', { Condition: { StringEqualsIfExists: { 'iot:Connection.Thing.ThingTypeName': 'LightBulb' } } })), [
  ['...IfExists: true when the key is absent', unregistered('c'), 'iot:Connect', 'c', true],
  ['...IfExists: compared when present', registered('t', { thingTypeName: 'Pump' }), 'iot:Connect', 't', false],
]);
add(PAGE.iamOps, doc(allow('iot:Connect', '*', { Condition: { StringNotEquals: { 'iot:Connection.Thing.Attributes[status]': ['retired', 'stolen'] } } })), [
  ['StringNotEquals with several values: matches none of them', registered('t', { thingAttributes: { status: 'active' } }), 'iot:Connect', 't', true],
  ['StringNotEquals: equals one of them', registered('t', { thingAttributes: { status: 'stolen' } }), 'iot:Connect', 't', false],
]);
add(PAGE.iamOps, doc(allow('iot:Connect', '*', { Condition: { NumericGreaterThanEquals: { 'iot:Connection.Thing.Attributes[firmware]': '3' } } })), [
  ['NumericGreaterThanEquals on an attribute', registered('t', { thingAttributes: { firmware: '3.5' } }), 'iot:Connect', 't', true],
  ['NumericGreaterThanEquals: lower', registered('t', { thingAttributes: { firmware: '2' } }), 'iot:Connect', 't', false],
  ['Numeric operators on a non-number are false', registered('t', { thingAttributes: { firmware: 'beta' } }), 'iot:Connect', 't', false],
]);
add(PAGE.iamOps, doc(allow('iot:Connect', '*'), deny('iot:Connect', '*', { Condition: { StringEquals: { 'aws:CurrentTime': '2020-01-01' } } })), [
  ['a condition key Sluice does not provide makes the statement not apply (Sluice rule)', unregistered('c'), 'iot:Connect', 'c', true],
]);
add(PAGE.iamResource, doc(allow('iot:Publish', 'arn:aws:iot:*:*:topic/*'), allow('iot:Subscribe', 'arn:aws:iot:eu-west-1:123456789012:topicfilter/*')), [
  ['* in the region and account segments', unregistered('c'), 'iot:Publish', 'a/b', true],
  ['another region does not match', unregistered('c'), 'iot:Subscribe', 'a/b', false],
]);
add(PAGE.resources, doc(allow('iot:Publish', `${ARN}:topicfilter/a/*`), allow('iot:Subscribe', `${ARN}:topic/b/*`)), [
  ['Publish is checked against topic/, not topicfilter/', unregistered('c'), 'iot:Publish', 'a/x', false],
  ['Subscribe is checked against topicfilter/, not topic/', unregistered('c'), 'iot:Subscribe', 'b/x', false],
]);

test(`the table holds at least 60 AWS example cases (${cases.length})`, () => {
  assert.ok(cases.length >= 60, `${cases.length} cases`);
});

for (const c of cases) {
  test(`${c.name} — ${c.source.replace(/^https:\/\/docs\.aws\.amazon\.com\//, '')}`, () => {
    const authorizer = createAuthorizer(c.documents, c.context, SCOPE);
    const explained = authorizer.explain(c.action, c.resource);
    assert.equal(authorizer.allows(c.action, c.resource), c.allowed, explained.reason);
    assert.equal(authorizer.allows(c.action, c.resource), c.allowed, 'cached decision');
    assert.equal(explained.allowed, c.allowed);
  });
}
