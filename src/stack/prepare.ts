/**
 * The CLI side of a deploy: read the stack file, fail early on anything the
 * file itself gets wrong, and bundle each function, so the server receives
 * one self-contained JSON request and never needs the source tree.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { SluiceError } from '../core/index.js';
import { bundleFunction } from '../functions/index.js';
import { markLocalRequest } from './local-request.js';
import { parseStackLocated, type LocatedStack } from './parse.js';
import type { StackDeployRequest } from './request.js';

/**
 * Reads and parses a stack file on the CLI side. References to resources of
 * other stacks can only be checked by the server, so they are deferred.
 */
export async function loadStackFile(filePath: string, params: Record<string, string>): Promise<LocatedStack & { source: string }> {
  let source: string;
  try {
    source = await readFile(filePath, 'utf8');
  } catch (error) {
    throw new SluiceError('SLUICE_ERR_STACK_INVALID', `cannot read the stack file: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      place: { file: filePath },
      cause: error,
    });
  }
  return { ...parseStackLocated({ fileName: filePath, source }, params, { externalResources: 'defer' }), source };
}

export async function prepareStackDeployment(filePath: string, params: Record<string, string>): Promise<StackDeployRequest> {
  const fileName = filePath;
  const { definition, locator, source } = await loadStackFile(filePath, params);
  const baseDir = path.dirname(path.resolve(filePath));
  const functions: Record<string, { code: string }> = {};
  for (const [name, spec] of Object.entries(definition.functions)) {
    const entry = path.resolve(baseDir, spec.handler);
    const place = locator.place(['functions', name, 'handler']);
    if (!(await isFile(entry))) {
      throw new SluiceError('SLUICE_ERR_STACK_REFERENCE', `handler file ${spec.handler} not found (looked for ${entry}; paths are relative to the stack file)`, {
        place,
      });
    }
    try {
      functions[name] = await bundleFunction(entry, spec.exportName);
    } catch (error) {
      // Keep the bundler's code and message; add where in the stack file the function is.
      if (error instanceof SluiceError && !error.place?.line) {
        throw new SluiceError(error.code, error.message, { place, cause: error, ...(error.details ? { details: error.details } : {}) });
      }
      throw error;
    }
  }
  // Marked as local: deployed in this process (`up --stack`), issued certificates are written beside the file.
  return markLocalRequest({ fileName, source, params: { ...params }, functions }, baseDir);
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}
