import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { encodeMetadataValue } from '../storage/index.js';
import type { ApiDeps } from './deps.js';

/** S3's ListObjectsV2 returns at most 1,000 keys a page; so does this, unless asked for more (up to 10,000). */
const DEFAULT_PAGE = 1000;
const MAX_PAGE = 10_000;

const bucketParams = z.object({ bucket: z.string().min(1) });
const listQuery = z
  .object({
    prefix: z.string().optional(),
    startAfter: z.string().optional(),
    limit: z.coerce.number({ error: 'limit must be a number' }).int('limit must be a whole number').min(1, 'limit must be at least 1').max(MAX_PAGE, `limit must be at most ${MAX_PAGE}`).optional(),
  })
  .strict();
const objectParams = z.object({ bucket: z.string().min(1), '*': z.string() });

/**
 * Browsing the object store, read-only (so read-only tokens may use it):
 * buckets, keys page by page, and an object's bytes as S3's GetObject
 * answers them (its content type, `x-amz-meta-*`, Last-Modified).
 */
export async function bucketRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.get('/api/v1/buckets', async () => {
    const names = await deps.objects.listBuckets();
    return { buckets: names.map((name) => ({ name, driver: deps.bucketDriver?.(name) ?? 'fs' })) };
  });

  // A page of keys; pass `nextStartAfter` back as `startAfter` for the next one, as long as `isTruncated` is true.
  app.get('/api/v1/buckets/:bucket/objects', async (request) => {
    const { bucket } = bucketParams.parse(request.params);
    const query = listQuery.parse(request.query);
    const limit = query.limit ?? DEFAULT_PAGE;
    // One more than the page, to know whether there is a next page without a second listing.
    const found = await deps.objects.listObjects(bucket, {
      ...(query.prefix !== undefined ? { prefix: query.prefix } : {}),
      ...(query.startAfter !== undefined ? { startAfter: query.startAfter } : {}),
      limit: limit + 1,
    });
    const objects = found.slice(0, limit).map((o) => ({ key: o.key, size: o.size, lastModified: o.lastModified.toISOString() }));
    const isTruncated = found.length > limit;
    return {
      bucket,
      prefix: query.prefix ?? '',
      objects,
      isTruncated,
      ...(isTruncated ? { nextStartAfter: objects.at(-1)?.key } : {}),
    };
  });

  // GET (and the HEAD Fastify derives from it): the raw bytes, so `curl -o file` gives the object exactly.
  app.get('/api/v1/buckets/:bucket/objects/*', async (request, reply) => {
    const params = objectParams.parse(request.params);
    const object = await deps.objects.getObject(params.bucket, params['*']);
    reply.header('content-type', object.contentType);
    reply.header('last-modified', object.lastModified.toUTCString());
    for (const [name, value] of Object.entries(object.metadata)) reply.header(`x-amz-meta-${name}`, encodeMetadataValue(value));
    return reply.send(object.body);
  });
}
