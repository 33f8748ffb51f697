import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const SLUICE_BIN = join(REPO_ROOT, 'bin', 'sluice.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one `sluice` command to completion, as a user would from a shell. */
export async function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [SLUICE_BIN, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

export interface Endpoints {
  mqtt?: string;
  mqtts: string;
  ws: string;
  wss: string;
  http: string;
}

/**
 * The reference stack writes its simulator's certificate next to the repo's
 * default data dir; a test keeps it in its own temporary data dir instead.
 */
export function referenceStackCertDir(args: readonly string[], dataDir: string): string[] {
  const usesReferenceStack = args.some((arg) => arg.endsWith('stacks/soil-moisture.yaml'));
  const given = args.some((arg) => arg.startsWith('simulatorCertDir='));
  return usesReferenceStack && !given ? ['--param', `simulatorCertDir=${join(dataDir, 'certs', 'simulator')}`] : [];
}

/** `sluice up` as a child process, started and ready (endpoints written). */
export class SluiceServer {
  readonly process: ChildProcess;
  stdout = '';
  stderr = '';
  endpoints: Endpoints = { mqtts: '', ws: '', wss: '', http: '' };

  private constructor(child: ChildProcess) {
    this.process = child;
    child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  /** Ports are 0 (free) unless `portFlags` is false, for tests that set them through SLUICE_* variables. */
  static async start(dataDir: string, args: string[], options: { env?: NodeJS.ProcessEnv; portFlags?: boolean } = {}): Promise<SluiceServer> {
    const ports = options.portFlags === false ? [] : ['--http-port', '0', '--mqtt-port', '0', '--mqtts-port', '0', '--wss-port', '0'];
    const child = spawn(process.execPath, [SLUICE_BIN, 'up', '--data', dataDir, ...ports, '--log-level', 'warn', ...args, ...referenceStackCertDir(args, dataDir)], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = new SluiceServer(child);
    await server.#waitForOutput('Sluice is up.', 60_000);
    server.endpoints = JSON.parse(await readFile(join(dataDir, 'endpoints.json'), 'utf8')) as Endpoints;
    return server;
  }

  async #waitForOutput(text: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.stdout.includes(text)) {
      if (this.process.exitCode !== null) {
        throw new Error(`sluice up exited with ${this.process.exitCode}\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      }
      if (Date.now() > deadline) throw new Error(`sluice up not ready after ${timeoutMs} ms\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async api<T>(path: string, init: RequestInit = {}): Promise<T> {
    const response = await fetch(`${this.endpoints.http}${path}`, init);
    const body = await response.text();
    if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: HTTP ${response.status}: ${body}`);
    return JSON.parse(body) as T;
  }

  /** Waits until no action is queued or running. */
  async settle(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const health = await this.api<{ actionsPending: number }>('/healthz');
      if (health.actionsPending === 0) return;
      if (Date.now() > deadline) throw new Error(`actions still pending after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Sends a signal and resolves with the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    // A process ended by a signal has no exit code, only a signal code.
    if (this.process.exitCode !== null || this.process.signalCode !== null) return this.process.exitCode;
    const exited = once(this.process, 'exit') as Promise<[number | null]>;
    this.process.kill(signal);
    const [code] = await exited;
    return code;
  }
}
