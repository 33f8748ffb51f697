/** Test doubles for the stack tests: a StackTarget that records every call and keeps buckets in memory. */
import type { StackTarget } from './target.js';
import type { ResourceKind } from './types.js';

export interface RecordingTarget extends StackTarget {
  calls: string[];
  /** Objects per bucket, to make a bucket non-empty. */
  objects: Map<string, number>;
  /** Resources "deployed elsewhere", for resourceExists. */
  existing: Set<string>;
  /** Makes the named call (e.g. `putRule SoilRule`) fail once. */
  failOn: Set<string>;
  /** Certificates "in the registry": id → status. */
  certificates: Map<string, string>;
}

export function recordingTarget(): RecordingTarget {
  const calls: string[] = [];
  const objects = new Map<string, number>();
  const existing = new Set<string>();
  const failOn = new Set<string>();
  const certificates = new Map<string, string>();
  let serial = 0;
  const record = async (call: string) => {
    if (failOn.delete(call)) throw new Error(`injected failure: ${call}`);
    calls.push(call);
  };
  return {
    calls,
    objects,
    existing,
    failOn,
    certificates,
    putBucket: (name) => record(`putBucket ${name}`),
    deleteBucket: async (name, { empty }) => {
      if (!empty && (objects.get(name) ?? 0) > 0) throw new Error(`bucket ${name} not empty`);
      await record(`deleteBucket ${name}${empty ? ' empty' : ''}`);
    },
    isBucketEmpty: async (name) => (objects.get(name) ?? 0) === 0,
    putSeries: (name, spec) => record(`putSeries ${name}${spec.retentionMs !== undefined ? ` retention=${spec.retentionMs}` : ''}`),
    deleteSeries: (name) => record(`deleteSeries ${name}`),
    putTopic: (name) => record(`putTopic ${name}`),
    deleteTopic: (name) => record(`deleteTopic ${name}`),
    putSubscription: (topic, s) => record(`putSubscription ${topic} ${s.protocol}:${s.endpoint}`),
    deleteSubscription: (topic, s) => record(`deleteSubscription ${topic} ${s.protocol}:${s.endpoint}`),
    putFunction: (name, spec) => record(`putFunction ${name} ${spec.code}`),
    deleteFunction: (name) => record(`deleteFunction ${name}`),
    putRule: (name) => record(`putRule ${name}`),
    deleteRule: (name) => record(`deleteRule ${name}`),
    putThingType: (name, spec) => record(`putThingType ${name}${spec.description !== undefined ? ` "${spec.description}"` : ''}${spec.searchableAttributes.length > 0 ? ` [${spec.searchableAttributes.join(',')}]` : ''}`),
    deleteThingType: (name) => record(`deleteThingType ${name}`),
    putThing: (name, spec) => record(`putThing ${name}${spec.thingTypeName !== undefined ? ` type=${spec.thingTypeName}` : ''}`),
    deleteThing: (name) => record(`deleteThing ${name}`),
    putPolicy: (name) => record(`putPolicy ${name}`),
    deletePolicy: (name) => record(`deletePolicy ${name}`),
    putCertificate: async (name, spec, current) => {
      if (current && certificates.has(current.certificateId)) {
        await record(`putCertificate ${name} keep ${current.certificateId.slice(0, 4)}`);
        return { certificateId: current.certificateId };
      }
      await record(`putCertificate ${name} issue`);
      const certificateId = (++serial).toString(16).padStart(64, '0');
      certificates.set(certificateId, 'ACTIVE');
      return {
        certificateId,
        issued: {
          certificateId,
          certificateArn: `arn:sluice:iot:local:000000000000:cert/${certificateId}`,
          certificatePem: `CERT ${serial} for ${spec.thing ?? '-'}`,
          privateKeyPem: `KEY ${serial}`,
          rootCaPem: 'ROOT',
        },
      };
    },
    deleteCertificate: async (name, certificateId) => {
      await record(`deleteCertificate ${name}`);
      if (certificateId !== undefined) certificates.delete(certificateId);
    },
    setSimulator: (stack, spec) => record(`setSimulator ${stack} ${spec ? spec.devices : 'off'}`),
    resourceExists: async (kind: ResourceKind, name: string) => existing.has(`${kind}:${name}`),
  };
}
