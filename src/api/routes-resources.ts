import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SluiceError } from '../core/index.js';
import type { ApiDeps, RuleMetricsView } from './deps.js';
import { registryRoutes } from './routes-registry.js';
import { topicRoutes } from './routes-topics.js';

const invokeBody = z.unknown();
const INVOCATION_TYPES = ['RequestResponse', 'Event', 'DryRun'] as const;
const invokeQuery = z.object({ invocationType: z.enum(INVOCATION_TYPES).optional() }).strict();
const invokeHeader = z.enum(INVOCATION_TYPES).optional();
const ruleParams = z.object({ name: z.string().min(1).max(128) });
const invocationsQuery = z.object({ limit: z.coerce.number().int().min(1).max(1_000).optional() }).strict();

const NO_METRICS: RuleMetricsView = { matches: 0, actionSuccesses: 0, actionFailures: 0, lastFailure: null };

/** The deployed rules, each with its counts since start. */
async function rulesWithMetrics(deps: Pick<ApiDeps, 'rules' | 'ruleMetrics'>): Promise<Array<{ name: string; metrics: RuleMetricsView }>> {
  const metrics = await deps.ruleMetrics();
  return deps.rules.list().map((rule) => ({ ...rule, metrics: metrics.get(rule.name) ?? NO_METRICS }));
}

/** Read access to what stacks deployed, synchronous function invokes, the device registry, and notification topics and subscriptions (buckets: routes-buckets.ts). */
export async function resourceRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.get('/api/v1/rules', async () => ({ rules: await rulesWithMetrics(deps) }));
  // The console's switch: stored, so it outlives a restart and a redeploy; a disabled rule matches nothing.
  for (const [verb, enabled] of [['enable', true], ['disable', false]] as const) {
    app.post(`/api/v1/rules/:name/${verb}`, async (request) => {
      const { name } = ruleParams.parse(request.params);
      if (!deps.rules.list().some((rule) => rule.name === name)) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no rule named '${name}' is deployed`);
      await deps.setRuleEnabled(name, enabled);
      const rule = (await rulesWithMetrics(deps)).find((r) => r.name === name);
      if (!rule) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `rule '${name}' was removed meanwhile`);
      return rule;
    });
  }
  await registryRoutes(app, deps);
  await topicRoutes(app, deps);

  app.get('/api/v1/functions', async () => ({ functions: deps.functions.list() }));
  app.get('/api/v1/functions/:name', async (request) => {
    const { name } = z.object({ name: z.string() }).parse(request.params);
    const configuration = deps.functions.describe(name);
    if (!configuration) throw new SluiceError('SLUICE_ERR_FUNCTION_NOT_FOUND', `no function named '${name}' is deployed`);
    return configuration;
  });
  // The newest first; in memory since start (the logs, on disk, go further back).
  app.get('/api/v1/functions/:name/invocations', async (request) => {
    const { name } = z.object({ name: z.string().min(1) }).parse(request.params);
    const { limit } = invocationsQuery.parse(request.query);
    const invocations = deps.functions.invocations(name, limit ?? 50);
    if (invocations.length === 0 && !deps.functions.has(name)) throw new SluiceError('SLUICE_ERR_FUNCTION_NOT_FOUND', `no function named '${name}' is deployed`);
    return { invocations };
  });
  // Lambda's Invoke: the invocation type from its X-Amz-Invocation-Type header, or ?invocationType=.
  app.post('/api/v1/functions/:name/invoke', async (request, reply) => {
    const { name } = z.object({ name: z.string() }).parse(request.params);
    const query = invokeQuery.parse(request.query);
    const header = request.headers['x-amz-invocation-type'];
    const parsedHeader = invokeHeader.safeParse(header);
    if (!parsedHeader.success) {
      throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', `X-Amz-Invocation-Type: '${String(header)}' is not one of ${INVOCATION_TYPES.join(', ')}`, {
        place: { field: 'X-Amz-Invocation-Type' },
      });
    }
    const invocationType = query.invocationType ?? parsedHeader.data ?? 'RequestResponse';
    const event = invokeBody.parse(request.body ?? null);
    if (invocationType === 'DryRun') {
      if (!deps.functions.has(name)) throw new SluiceError('SLUICE_ERR_FUNCTION_NOT_FOUND', `no function named '${name}' is deployed`);
      return reply.code(204).send();
    }
    if (invocationType === 'Event') {
      const { requestId } = await deps.invokeEvent(name, event);
      return reply.code(202).header('x-amz-request-id', requestId).send({ requestId, status: 'queued' });
    }
    return deps.functions.invoke(name, event, { invocationType: 'RequestResponse', trigger: 'api' });
  });
}
