/**
 * A deploy request made in this process from a stack file on this machine's
 * disk (`sluice up --stack FILE`) carries the file's directory, under a symbol
 * JSON never serializes. The stack service writes a newly issued
 * certificate's files beside such a file itself, as `sluice deploy` does on
 * the client. A request that came over HTTP never carries it, so the API
 * never writes files on the server.
 */
import type { StackDeployRequest } from './request.js';

const LOCAL_STACK_DIR = Symbol('sluice.localStackDir');

export function markLocalRequest<T extends StackDeployRequest>(request: T, stackDir: string): T {
  Object.defineProperty(request, LOCAL_STACK_DIR, { value: stackDir, enumerable: false });
  return request;
}

/** The stack file's directory (absolute), for a request made in this process from a local file. */
export function localStackDir(request: StackDeployRequest): string | undefined {
  const value = (request as unknown as Record<symbol, unknown>)[LOCAL_STACK_DIR];
  return typeof value === 'string' ? value : undefined;
}
