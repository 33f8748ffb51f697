import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { SluiceError, silentLogger } from '../core/index.js';
import { createMemoryObjectStore } from '../storage/index.js';
import { bundleFunction } from './bundle.js';
import { FunctionRuntime } from './function-runtime.js';
import type { FunctionDefinition, FunctionRuntimeOptions, NotificationRequest, RuntimeServices } from './types.js';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

export interface Recorded {
  notifications: NotificationRequest[];
  /** Which invocation made each notification call, and its number within it. */
  origins: Array<{ requestId: string; sequence: number } | undefined>;
  mqtt: Array<{ topic: string; payload: Buffer; qos: 0 | 1 }>;
}

/** A runtime on a temp data dir with recording services; closed and deleted after the test. */
export async function setup(t: TestContext, options: Partial<Omit<FunctionRuntimeOptions, 'dataDir' | 'logger' | 'services'>> = {}) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sluice-functions-'));
  const recorded: Recorded = { notifications: [], origins: [], mqtt: [] };
  // A real (memory) object store for bucket destinations; tests create the buckets they use.
  const objects = createMemoryObjectStore();
  const services: RuntimeServices = {
    async publishNotification(req, origin) {
      if (req.topicArn.endsWith(':missing')) throw new SluiceError('SLUICE_ERR_TOPIC_NOT_FOUND', `topic not found: ${req.topicArn}`);
      recorded.notifications.push(req);
      recorded.origins.push(origin);
      return { messageId: `msg-${recorded.notifications.length}` };
    },
    async publishMqtt(req) {
      recorded.mqtt.push(req);
    },
    putObject: (bucket, key, body, contentType) => objects.putObject(bucket, key, body, { contentType }),
  };
  const runtime = new FunctionRuntime({ dataDir, logger: silentLogger(), services, ...options });
  t.after(async () => {
    await runtime.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  return { runtime, recorded, dataDir, objects };
}

/** Bundles a fixture and returns a definition with test defaults. */
export async function fixture(file: string, overrides: Partial<FunctionDefinition> = {}): Promise<FunctionDefinition> {
  const { code } = await bundleFunction(path.join(FIXTURES, file));
  return { name: path.basename(file, path.extname(file)), code, exportName: 'handler', timeoutMs: 10_000, memorySizeMb: 128, environment: {}, ...overrides };
}
