/**
 * Applying plan steps to the target, one resource at a time, in plan order.
 * Each step is an idempotent put or a delete, so a deploy interrupted half way
 * can simply be run again.
 */
import { assertNever } from '../core/index.js';
import type { StackResource } from './plan.js';
import type { StackTarget } from './target.js';

/**
 * A resource as kept in the deployed record, function code included: on a
 * restart the record is all the server has to bring functions back.
 */
export type DeployedResource = StackResource;

export function toDeployed(resource: StackResource): DeployedResource {
  return resource;
}

export async function putResource(target: StackTarget, resource: StackResource): Promise<void> {
  switch (resource.kind) {
    case 'bucket':
      return target.putBucket(resource.name, resource.spec);
    case 'topic':
      return target.putTopic(resource.name, resource.spec);
    case 'subscription': {
      const { topic, ...subscription } = resource.spec;
      return target.putSubscription(topic, subscription);
    }
    case 'function':
      return target.putFunction(resource.name, resource.spec);
    case 'policy':
      return target.putPolicy(resource.name, resource.spec);
    case 'thing':
      return target.putThing(resource.name, resource.spec);
    case 'rule':
      return target.putRule(resource.name, resource.spec);
    default:
      return assertNever(resource, 'resource');
  }
}

export async function deleteResource(target: StackTarget, resource: DeployedResource, options: { emptyBuckets: boolean }): Promise<void> {
  switch (resource.kind) {
    case 'bucket':
      return target.deleteBucket(resource.name, { empty: options.emptyBuckets });
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
    case 'thing':
      return target.deleteThing(resource.name);
    case 'rule':
      return target.deleteRule(resource.name);
    default:
      return assertNever(resource, 'resource');
  }
}
