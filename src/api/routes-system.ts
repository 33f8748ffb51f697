import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from './deps.js';

export async function systemRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok', ...(await deps.status()) }));
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
  app.get('/', async (_request, reply) => {
    const { endpoints } = await deps.status();
    const rows = Object.entries(endpoints)
      .map(([name, url]) => `<tr><th>${name}</th><td><code>${url}</code></td></tr>`)
      .join('');
    reply.type('text/html; charset=utf-8');
    return `<!doctype html><html><head><meta charset="utf-8"><title>Sluice</title></head><body style="font-family:system-ui;max-width:40rem;margin:3rem auto">
<h1>Sluice is running</h1><table>${rows}</table>
<p>API under <code>/api/v1</code> (bearer token from <code>&lt;data&gt;/admin-token</code>), metrics at <a href="/metrics">/metrics</a>, health at <a href="/healthz">/healthz</a>. The web console arrives here later.</p></body></html>`;
  });
}
