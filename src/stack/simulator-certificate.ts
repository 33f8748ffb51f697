import path from 'node:path';
import type { DeployedStack } from './service.js';

/** The certificate a stack issued for its simulator's thing, and where its files were written. */
export interface SimulatorCertificate {
  name: string;
  certificateId: string;
  /** `out`, resolved against the directory of the stack file as it was deployed (relative paths: from the deployer's working directory). */
  dir: string;
}

/**
 * `up --simulate` connects the simulated devices with the certificate the
 * stack issued for `simulator.thing` (the first one declared, if several).
 */
export function simulatorCertificate(stack: Pick<DeployedStack, 'fileName' | 'resources' | 'simulator'>): SimulatorCertificate | undefined {
  const thing = stack.simulator?.thing;
  if (thing === undefined) return undefined;
  for (const resource of stack.resources) {
    if (resource.kind !== 'certificate' || resource.spec.thing !== thing || resource.certificateId === undefined) continue;
    return { name: resource.name, certificateId: resource.certificateId, dir: path.resolve(path.dirname(stack.fileName), resource.spec.out) };
  }
  return undefined;
}
