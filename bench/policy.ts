/**
 * The policy engine's cost per MQTT packet: every PUBLISH, SUBSCRIBE and
 * delivery asks the connection's authorizer. Measured in-process for the
 * reference device's least-privilege policy.
 */
import { createAuthorizer, type ConnectionContext, type PolicyDocument, type PolicyScope } from '../src/registry/policy/index.js';
import { measure, type Measurement } from './report.js';

const SCOPE: PolicyScope = { region: 'local', account: '000000000000' };
const ARN = `arn:aws:iot:${SCOPE.region}:${SCOPE.account}`;

/** Connect as its own thing; publish, subscribe and receive only under device/<thing>/. */
const POLICY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 'iot:Connect', Resource: `${ARN}:client/\${iot:Connection.Thing.ThingName}` },
    { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: `${ARN}:topic/device/\${iot:Connection.Thing.ThingName}/*` },
    { Effect: 'Allow', Action: 'iot:Subscribe', Resource: `${ARN}:topicfilter/device/\${iot:Connection.Thing.ThingName}/*` },
    { Effect: 'Deny', Action: 'iot:Publish', Resource: `${ARN}:topic/device/*/admin` },
  ],
};

const CONTEXT: ConnectionContext = { clientId: 'soilSensor2', thingName: 'soilSensor2', isAttached: true, principal: 'cert' };

export function benchPolicy(options: { messages: number; budgetMs: number }): Measurement[] {
  const authorizer = createAuthorizer([POLICY], CONTEXT, SCOPE);
  const topics = ['device/soilSensor2/devicePayload', 'device/soilSensor2/status', 'device/soilSensor1/devicePayload', 'device/soilSensor2/admin'];
  let allowed = 0;
  const cached = measure('policy check, cached (publish to a known topic)', 'checks/s', options, (i) => {
    if (authorizer.allows('iot:Publish', topics[i & 3] as string)) allowed++;
  });
  // Distinct topics beyond the per-action cache (1,000 entries): every check is a first decision.
  const fresh = measure('policy check, first decision for a topic', 'checks/s', options, (i) => {
    if (authorizer.allows('iot:Receive', `device/soilSensor2/t${i % 50_000}`)) allowed++;
  });
  const connect = measure('policy compile at CONNECT (variables substituted)', 'connects/s', { messages: Math.ceil(options.messages / 10), budgetMs: options.budgetMs }, () => {
    if (createAuthorizer([POLICY], CONTEXT, SCOPE).allows('iot:Connect', 'soilSensor2')) allowed++;
  });
  if (allowed === 0) throw new Error('the policy allowed nothing: the benchmark measures the wrong thing');
  return [cached, fresh, connect];
}
