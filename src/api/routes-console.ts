import { stat } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from './deps.js';

/** `dist/console` at the repository root, from this file's place (src/api/), not from the working directory. */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../dist/console/', import.meta.url));

/** Paths that keep their own meaning: never the console's, so an unknown one is a 404, not index.html. */
const RESERVED = ['/api', '/notify', '/mqtt', '/healthz', '/metrics'];
/** Vite puts hashed (content-addressed) files here: they never change, so they may be cached for a year. */
const HASHED_ASSETS = '/assets/';
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The web console: the built files of `dist/console` at `/`, index.html for
 * any other GET that names no file (the console routes in the browser), with
 * long cache headers for hashed assets and `no-cache` for the rest. Without a
 * build, a small page says so and lists the endpoints.
 */
export async function consoleRoutes(app: FastifyInstance, deps: Pick<ApiDeps, 'status' | 'consoleDir'>): Promise<void> {
  const root = deps.consoleDir ?? DEFAULT_CONSOLE_DIR;
  // Only reply.sendFile (ETag, Last-Modified, ranges, content types); which file to send is decided below.
  await app.register(fastifyStatic, { root, serve: false, suppressWarning: true });

  const serve = async (request: FastifyRequest, reply: FastifyReply) => {
    const path = decodedPath(request.url);
    if (path === undefined || RESERVED.some((prefix) => path === prefix || path.startsWith(`${prefix}/`))) return reply.callNotFound();
    const file = path === '/' ? undefined : await existingFile(root, path);
    if (file !== undefined) {
      const hashed = path.startsWith(HASHED_ASSETS);
      reply.header('cache-control', hashed ? IMMUTABLE : 'no-cache');
      return reply.sendFile(file, { cacheControl: false });
    }
    // A missing script or style must fail as such, not arrive as HTML the browser refuses with a MIME error.
    if (path.startsWith(HASHED_ASSETS)) return reply.callNotFound();
    if (await existingFile(root, '/index.html')) {
      reply.header('cache-control', 'no-cache');
      return reply.sendFile('index.html', { cacheControl: false });
    }
    const { endpoints } = await deps.status();
    reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8');
    return notBuiltPage(endpoints);
  };
  app.get('/', serve);
  app.get('/*', serve);
}

/** The URL's path, percent-decoded; undefined when it cannot be decoded. */
function decodedPath(url: string): string | undefined {
  const path = url.split('?', 1)[0] ?? '/';
  try {
    return decodeURIComponent(path);
  } catch {
    return undefined;
  }
}

/** The path relative to root when it names a regular file inside root; nothing outside root, no dot files. */
async function existingFile(root: string, path: string): Promise<string | undefined> {
  if (path.includes('\0')) return undefined;
  const relative = normalize(path).replace(/^[/\\]+/, '');
  if (relative === '' || relative.split(/[/\\]/).some((part) => part === '..' || part.startsWith('.'))) return undefined;
  const absolute = join(root, relative);
  if (!absolute.startsWith(root.endsWith(sep) ? root : `${root}${sep}`)) return undefined;
  const found = await stat(absolute).catch(() => undefined);
  return found?.isFile() ? relative : undefined;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function notBuiltPage(endpoints: Record<string, string>): string {
  const rows = Object.entries(endpoints)
    .map(([name, url]) => `<tr><th>${escapeHtml(name)}</th><td><code>${escapeHtml(url)}</code></td></tr>`)
    .join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>Sluice</title></head><body style="font-family:system-ui;max-width:40rem;margin:3rem auto">
<h1>Sluice is running</h1>
<p>The web console is not built: run <code>npm run build:console</code> (or <code>npm ci</code>, which builds it), then reload this page.</p>
<table>${rows}</table>
<p>API under <code>/api/v1</code> (bearer token from <code>&lt;data&gt;/admin-token</code>), metrics at <a href="/metrics">/metrics</a>, health at <a href="/healthz">/healthz</a>.</p></body></html>`;
}
