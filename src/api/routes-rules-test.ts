import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SluiceError } from '../core/index.js';
import { compileRule, decodeMessage, topicMatchesFilter, validateTopicName, SQL_VERSIONS } from '../rules/index.js';

const testBody = z
  .object({
    sql: z.string().min(1),
    topic: z.string(),
    /** the payload as text (JSON or not; its UTF-8 bytes are the message) */
    payload: z.string().optional(),
    /** the payload as base64, for binary payloads */
    payloadBase64: z.string().base64().optional(),
    clientId: z.string().optional(),
    timestamp: z.number().int().nonnegative().optional(),
    sqlVersion: z.enum(SQL_VERSIONS).optional(),
  })
  .strict();

/**
 * `POST /api/v1/rules/test`: evaluates a rule against one message with the
 * server's engine, without deploying anything. Stateless, so it needs no deps.
 */
export async function ruleTestRoutes(app: FastifyInstance): Promise<void> {
  app.post('/api/v1/rules/test', async (request) => {
    const body = testBody.parse(request.body ?? {});
    if ((body.payload === undefined) === (body.payloadBase64 === undefined)) {
      throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', 'give exactly one of "payload" (text) or "payloadBase64"', { place: { field: 'payload' } });
    }
    const topicProblem = validateTopicName(body.topic);
    if (topicProblem !== undefined) throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', `topic: ${topicProblem}`, { place: { field: 'topic' } });

    // Invalid SQL throws a positioned catalog error; the error handler answers 400 with it.
    const rule = compileRule(body.sql, { sqlVersion: body.sqlVersion });
    // The broker would never route this message to the rule.
    if (rule.topicFilter !== undefined && !topicMatchesFilter(rule.topicFilter, body.topic)) return { matched: false };

    const payload = body.payload !== undefined ? Buffer.from(body.payload, 'utf8') : Buffer.from(body.payloadBase64 ?? '', 'base64');
    const result = rule.evaluate(
      decodeMessage({ topic: body.topic, payload, clientId: body.clientId ?? 'sluice-api', timestamp: body.timestamp ?? Date.now() }),
    );
    if (!result.matched) return { matched: false };
    // `output` is absent for a binary passthrough (SELECT * of a non-JSON payload); the bytes are always there.
    return { matched: true, output: result.output.value, outputBase64: result.output.bytes.toString('base64') };
  });
}
