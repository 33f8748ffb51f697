/**
 * Applying plan steps to the target, one resource at a time, in plan order.
 * Each step is an idempotent put or a delete, so a deploy interrupted half way
 * can simply be run again.
 */
import { assertNever } from '../core/index.js';
import type { StackResource } from './plan.js';
import type { IssuedCertificate, StackTarget } from './target.js';

/**
 * A resource as kept in the deployed record, function code included: on a
 * restart the record is all the server has to bring functions back. A
 * certificate's record carries the id it was issued with.
 */
export type DeployedResource = StackResource;

export function toDeployed(resource: StackResource): DeployedResource {
  return resource;
}

/** What a put did: the resource as deployed, and a certificate's key material when the put issued one. */
export interface PutOutcome {
  deployed: DeployedResource;
  issued?: IssuedCertificate;
}

/** `previous` is the resource as deployed before (for a certificate: the one already issued). */
export async function putResource(target: StackTarget, resource: StackResource, previous?: DeployedResource): Promise<PutOutcome> {
  const done = (promise: Promise<void>) => promise.then(() => ({ deployed: resource }));
  switch (resource.kind) {
    case 'bucket':
      return done(target.putBucket(resource.name, resource.spec));
    case 'series':
      return done(target.putSeries(resource.name, resource.spec));
    case 'topic':
      return done(target.putTopic(resource.name, resource.spec));
    case 'subscription': {
      const { topic, ...subscription } = resource.spec;
      return done(target.putSubscription(topic, subscription));
    }
    case 'function':
      return done(target.putFunction(resource.name, resource.spec));
    case 'policy':
      return done(target.putPolicy(resource.name, resource.spec));
    case 'thingType':
      return done(target.putThingType(resource.name, resource.spec));
    case 'thing':
      return done(target.putThing(resource.name, resource.spec));
    case 'rule':
      return done(target.putRule(resource.name, resource.spec));
    case 'certificate': {
      const current =
        previous?.kind === 'certificate' && previous.certificateId !== undefined ? { certificateId: previous.certificateId, spec: previous.spec } : undefined;
      const { certificateId, issued } = await target.putCertificate(resource.name, resource.spec, current);
      const deployed: DeployedResource = { ...resource, certificateId };
      return issued ? { deployed, issued } : { deployed };
    }
    default:
      return assertNever(resource, 'resource');
  }
}

export async function deleteResource(target: StackTarget, resource: DeployedResource, options: { emptyBuckets: boolean }): Promise<void> {
  switch (resource.kind) {
    case 'bucket':
      return target.deleteBucket(resource.name, { empty: options.emptyBuckets });
    case 'series':
      return target.deleteSeries(resource.name);
    case 'topic':
      return target.deleteTopic(resource.name);
    case 'subscription': {
      const { topic, ...subscription } = resource.spec;
      return target.deleteSubscription(topic, subscription);
    }
    case 'function':
      return target.deleteFunction(resource.name);
    case 'policy':
      return target.deletePolicy(resource.name);
    case 'thingType':
      return target.deleteThingType(resource.name);
    case 'thing':
      return target.deleteThing(resource.name);
    case 'rule':
      return target.deleteRule(resource.name);
    case 'certificate':
      return target.deleteCertificate(resource.name, resource.certificateId);
    default:
      return assertNever(resource, 'resource');
  }
}
