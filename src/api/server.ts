import type { Server } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../core/index.js';
import { installAuth } from './auth.js';
import type { ApiDeps } from './deps.js';
import { installErrorHandler } from './errors.js';
import { actionRoutes } from './routes-actions.js';
import { bucketRoutes } from './routes-buckets.js';
import { consoleRoutes } from './routes-console.js';
import { functionLogRoutes } from './routes-function-logs.js';
import { notifyRoutes } from './routes-notify.js';
import { overviewRoutes } from './routes-overview.js';
import { resourceRoutes } from './routes-resources.js';
import { ruleTestRoutes } from './routes-rules-test.js';
import { seriesRoutes } from './routes-series.js';
import { stackRoutes } from './routes-stacks.js';
import { systemRoutes } from './routes-system.js';
import { tokenRoutes } from './routes-tokens.js';
import { traceRoutes } from './routes-traces.js';
import { unsubscribeRoutes } from './routes-unsubscribe.js';
import { whoamiRoutes } from './routes-whoami.js';

/**
 * The HTTP API on an already-listening Node server, so the port (and with it
 * the public URL in emails) is known before the services that need it exist.
 */
export async function createApi(server: Server, deps: ApiDeps, logger: Logger): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    // Certificate ids (64 hex) and ARNs appear in paths; fastify's default of 100 is too short for an ARN.
    routerOptions: { maxParamLength: 512 },
    // pino's Logger is a FastifyBaseLogger; the annotation keeps the instance type the plugins expect.
    // Request lines are info-level; at warn the log keeps errors without one line per request.
    loggerInstance: logger.child({ component: 'api' }, { level: 'warn' }) as FastifyBaseLogger,
    serverFactory: (handler) => {
      server.on('request', handler);
      return server;
    },
  });
  installErrorHandler(app);
  installAuth(app, { tokens: deps.tokens, insecure: deps.insecure });
  await app.register(systemRoutes, deps);
  await app.register(stackRoutes, deps);
  await app.register(notifyRoutes, deps);
  await app.register(unsubscribeRoutes, deps);
  await app.register(resourceRoutes, deps);
  await app.register(bucketRoutes, deps);
  await app.register(functionLogRoutes, deps);
  await app.register(actionRoutes, deps);
  await app.register(ruleTestRoutes);
  await app.register(seriesRoutes, deps);
  await app.register(tokenRoutes, deps);
  await app.register(whoamiRoutes);
  await app.register(overviewRoutes, deps);
  // Its catch-all GET serves the console for every path no other route claims (specific routes win whatever the order).
  await app.register(consoleRoutes, deps);
  await app.register(traceRoutes, deps);
  await app.ready();
  return app;
}
