import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock, StateStore } from '../core/index.js';
import { createMemoryStateStore } from '../state/index.js';
import { CertificateAuthority, generateKeyPair } from './ca/index.js';
import { Registry, type RegistryChange } from './registry.js';

/** A clock tests move by hand. */
export function manualClock(start = Date.now()): Clock & { advance(ms: number): void; set(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
    set: (ms) => {
      now = ms;
    },
  };
}

/** The built-in CA is made once per test file: key generation is the slow part. */
let sharedCa: Promise<CertificateAuthority> | undefined;
export function testCa(): Promise<CertificateAuthority> {
  sharedCa ??= CertificateAuthority.create();
  return sharedCa;
}

export interface Harness {
  registry: Registry;
  state: StateStore;
  clock: ReturnType<typeof manualClock>;
  ca: CertificateAuthority;
  changes: RegistryChange[];
}

export async function harness(): Promise<Harness> {
  const state = createMemoryStateStore();
  const clock = manualClock();
  const ca = await testCa();
  const registry = new Registry(state, { ca, clock });
  const changes: RegistryChange[] = [];
  registry.onChange((change) => changes.push(change));
  return { registry, state, clock, ca, changes };
}

/** A device certificate from some other CA (one that can be registered with the registry). */
export async function externalDeviceCertificate(
  issuer: CertificateAuthority,
  options: { commonName?: string; notBefore?: Date; notAfter?: Date } = {},
): Promise<{ certificatePem: string; certificateId: string; der: Buffer; privateKeyPem: string }> {
  const pair = await generateKeyPair('EC-P256');
  const issued = await issuer.issueDeviceCertificate({ publicKey: pair.publicKeyPem, ...options });
  return { certificatePem: issued.certificatePem, certificateId: issued.certificateId, der: issued.certificateDer, privateKeyPem: pair.privateKeyPem };
}

export function pemToDer(pem: string): Buffer {
  const body = pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, '');
  return Buffer.from(body, 'base64');
}

export async function withTempDir<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-registry-'));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const ALLOW_CONNECT = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] };
