import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SluiceError, type ErrorPlace } from '../core/index.js';

export interface ConnectionOptions {
  data?: string;
  server?: string;
  token?: string;
}

export interface ServerTarget {
  http: string;
  /** Plaintext MQTT, when the server runs with --insecure. */
  mqtt: string | undefined;
  ws: string;
  token: string | undefined;
}

/**
 * Client commands find the server through `--server`/`--token` (or
 * SLUICE_SERVER/SLUICE_TOKEN), else through the data dir's endpoints.json and
 * admin-token, which `sluice up` writes.
 */
export async function resolveServer(options: ConnectionOptions): Promise<ServerTarget> {
  const dataDir = resolve(options.data ?? process.env.SLUICE_DATA ?? './data');
  const server = options.server ?? process.env.SLUICE_SERVER;
  const token = options.token ?? process.env.SLUICE_TOKEN ?? (await readOptional(join(dataDir, 'admin-token')))?.trim();
  if (server) {
    const http = server.replace(/\/+$/, '');
    return { http, mqtt: undefined, ws: `${http.replace(/^http/, 'ws')}/mqtt`, token };
  }
  const endpointsFile = join(dataDir, 'endpoints.json');
  const text = await readOptional(endpointsFile);
  if (text === undefined) {
    throw new SluiceError(
      'SLUICE_ERR_SERVER_UNREACHABLE',
      `no running server found: ${endpointsFile} does not exist. Start one with "npx sluice up", or pass --data DIR or --server URL`,
    );
  }
  const endpoints = JSON.parse(text) as { http?: string; mqtt?: string; ws?: string };
  if (!endpoints.http || !endpoints.ws) {
    throw new SluiceError('SLUICE_ERR_SERVER_UNREACHABLE', `${endpointsFile} lacks the http or ws endpoint`);
  }
  return { http: endpoints.http, mqtt: endpoints.mqtt, ws: endpoints.ws, token };
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

interface ApiErrorBody {
  error?: { code?: string; message?: string; place?: ErrorPlace };
}

/** Calls the HTTP API; an error answer becomes a SluiceError with the server's code, message and place. */
export async function apiRequest<T>(target: ServerTarget, method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${target.http}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (error) {
    throw new SluiceError('SLUICE_ERR_SERVER_UNREACHABLE', `cannot reach ${target.http}: ${(error as Error).message}. Is "sluice up" running?`, {
      cause: error,
    });
  }
  const text = await response.text();
  const parsed: unknown = text ? JSON.parse(text) : undefined;
  if (!response.ok) {
    const apiError = (parsed as ApiErrorBody | undefined)?.error;
    const code = apiError?.code && apiError.code.startsWith('SLUICE_ERR_') ? apiError.code : 'SLUICE_ERR_INTERNAL';
    throw new SluiceError(code as SluiceError['code'], apiError?.message ?? `HTTP ${response.status}`, {
      ...(apiError?.place ? { place: apiError.place } : {}),
    });
  }
  return parsed as T;
}

/** MQTT URL and credentials for the terminal clients: plaintext when offered, else WebSocket with the admin token. */
export function mqttConnection(target: ServerTarget): { url: string; username?: string; password?: string } {
  if (target.mqtt) return { url: target.mqtt };
  return { url: target.ws, username: 'admin', ...(target.token ? { password: target.token } : {}) };
}
