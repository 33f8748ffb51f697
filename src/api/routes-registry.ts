import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from './deps.js';
import { certificateRoutes } from './routes-registry-certificates.js';
import { policyRoutes } from './routes-registry-policies.js';
import { thingTypeRoutes } from './routes-registry-thing-types.js';
import { thingRoutes } from './routes-registry-things.js';

/** The device registry with AWS IoT's names and shapes: things and thing types, certificates and CAs, policies, and what is attached to what. */
export async function registryRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  await thingRoutes(app, deps);
  await thingTypeRoutes(app, deps);
  await certificateRoutes(app, deps);
  await policyRoutes(app, deps);
}
