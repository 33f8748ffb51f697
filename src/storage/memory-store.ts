import { SluiceError } from '../core/index.js';
import { assertBucketName, assertObjectKey } from './keys.js';
import type { ObjectStore, StoredObject } from './object-store.js';

/** For tests that need an object store without a disk. */
export function createMemoryObjectStore(): ObjectStore {
  const buckets = new Map<string, Map<string, { body: Buffer; lastModified: Date }>>();
  const requireBucket = (bucket: string) => {
    assertBucketName(bucket);
    const objects = buckets.get(bucket);
    if (!objects) throw new SluiceError('SLUICE_ERR_BUCKET_NOT_FOUND', `bucket '${bucket}' does not exist`);
    return objects;
  };
  return {
    async createBucket(bucket) {
      assertBucketName(bucket);
      if (!buckets.has(bucket)) buckets.set(bucket, new Map());
    },
    async deleteBucket(bucket, options = {}) {
      const objects = requireBucket(bucket);
      if (!options.empty && objects.size > 0) {
        throw new SluiceError('SLUICE_ERR_BUCKET_NOT_EMPTY', `bucket '${bucket}' is not empty`);
      }
      buckets.delete(bucket);
    },
    async bucketExists(bucket) {
      return buckets.has(bucket);
    },
    async listBuckets() {
      return [...buckets.keys()].sort();
    },
    async isBucketEmpty(bucket) {
      return requireBucket(bucket).size === 0;
    },
    async putObject(bucket, key, body) {
      const objects = requireBucket(bucket);
      assertObjectKey(key);
      objects.set(key, { body: Buffer.from(body), lastModified: new Date() });
    },
    async getObject(bucket, key): Promise<StoredObject> {
      const found = requireBucket(bucket).get(key);
      if (!found) throw new SluiceError('SLUICE_ERR_OBJECT_NOT_FOUND', `object '${key}' not found in bucket '${bucket}'`);
      return { bucket, key, body: Buffer.from(found.body), size: found.body.length, lastModified: found.lastModified };
    },
    async listObjects(bucket, options = {}) {
      const prefix = options.prefix ?? '';
      const keys = [...requireBucket(bucket).entries()]
        .filter(([key]) => key.startsWith(prefix))
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([key, o]) => ({ key, size: o.body.length, lastModified: o.lastModified }));
      return options.limit === undefined ? keys : keys.slice(0, options.limit);
    },
    async deleteObject(bucket, key) {
      requireBucket(bucket).delete(key);
    },
  };
}
