import type { Command } from 'commander';
import { z } from 'zod';
import { SluiceError } from '../core/index.js';
import { apiRequest, resolveServer, type ConnectionOptions, type ServerTarget } from './client.js';
import { action, printJson, printTable } from './output.js';

interface ObjectEntry {
  key: string;
  size: number;
  lastModified: string;
}

interface ObjectPage {
  objects: ObjectEntry[];
  isTruncated: boolean;
  nextStartAfter?: string;
}

const limitFlag = z.coerce.number().int().min(1);
const apiErrorBody = z.object({ error: z.object({ code: z.string().optional(), message: z.string().optional() }).optional() });

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `sluice objects ls` and `sluice objects get`: browsing a bucket, and one object's exact bytes on stdout. */
export function registerObjectCommands(program: Command, connection: () => ConnectionOptions): void {
  const objects = program.command('objects').description('objects in a bucket (GET /api/v1/buckets/BUCKET/objects)');
  objects
    .command('ls')
    .description('list the keys of a bucket, in S3 order, with size and last-modified time')
    .argument('<bucket>', 'bucket name')
    .option('--prefix <prefix>', 'only keys that start with this')
    .option('--limit <n>', 'at most this many keys (default: all)')
    .option('--json', 'print as JSON', false)
    .action(
      action(async (bucket: string, flags: { prefix?: string; limit?: string; json: boolean }) => {
        const limit = flags.limit === undefined ? undefined : parseLimit(flags.limit);
        const target = await resolveServer(connection());
        const listed = await listAll(target, bucket, flags.prefix, limit);
        if (flags.json) return printJson(listed);
        printTable(['KEY', 'SIZE', 'LAST MODIFIED'], listed.map((o) => [o.key, String(o.size), o.lastModified]));
      }),
    );
  objects
    .command('get')
    .description('write an object\'s bytes to stdout, unchanged (`> file` gives the object exactly)')
    .argument('<bucket>', 'bucket name')
    .argument('<key>', 'object key')
    .action(
      action(async (bucket: string, key: string) => {
        const target = await resolveServer(connection());
        const body = await download(target, bucket, key);
        await new Promise<void>((resolve, reject) => process.stdout.write(body, (error) => (error ? reject(error) : resolve())));
      }),
    );
}

function parseLimit(text: string): number {
  const parsed = limitFlag.safeParse(text);
  if (!parsed.success) throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', `--limit: expected a whole number of at least 1, got '${text}'`, { place: { field: '--limit' } });
  return parsed.data;
}

/** Pages through the listing (1,000 keys a request) until it ends or `limit` keys are in. */
async function listAll(target: ServerTarget, bucket: string, prefix: string | undefined, limit: number | undefined): Promise<ObjectEntry[]> {
  const out: ObjectEntry[] = [];
  let startAfter: string | undefined;
  for (;;) {
    const want = Math.min(1000, (limit ?? Number.POSITIVE_INFINITY) - out.length);
    const query = new URLSearchParams({ limit: String(want) });
    if (prefix !== undefined) query.set('prefix', prefix);
    if (startAfter !== undefined) query.set('startAfter', startAfter);
    const page = await apiRequest<ObjectPage>(target, 'GET', `/api/v1/buckets/${encodeURIComponent(bucket)}/objects?${query.toString()}`);
    out.push(...page.objects);
    if (!page.isTruncated || page.nextStartAfter === undefined || (limit !== undefined && out.length >= limit)) return out;
    startAfter = page.nextStartAfter;
  }
}

/** The object's raw bytes (apiRequest parses JSON, so this one reads the body as bytes). */
async function download(target: ServerTarget, bucket: string, key: string): Promise<Buffer> {
  const path = `/api/v1/buckets/${encodeURIComponent(bucket)}/objects/${key.split('/').map(encodeURIComponent).join('/')}`;
  let response: Response;
  try {
    response = await fetch(`${target.http}${path}`, { headers: target.token ? { authorization: `Bearer ${target.token}` } : {} });
  } catch (error) {
    throw new SluiceError('SLUICE_ERR_SERVER_UNREACHABLE', `cannot reach ${target.http}: ${(error as Error).message}. Is "sluice up" running?`, { cause: error });
  }
  if (!response.ok) {
    // Errors are JSON like every API error's: report the server's code and message.
    const text = await response.text();
    const parsed = apiErrorBody.safeParse(safeJson(text));
    const apiError = parsed.success ? parsed.data.error : undefined;
    const code = apiError?.code?.startsWith('SLUICE_ERR_') ? (apiError.code as SluiceError['code']) : 'SLUICE_ERR_INTERNAL';
    throw new SluiceError(code, apiError?.message ?? `HTTP ${response.status} fetching ${bucket}/${key}`);
  }
  return Buffer.from(await response.arrayBuffer());
}
