import { SluiceError } from '../core/index.js';
import { assertBucketName, assertObjectKey, compareKeys, normalizeMetadata, pageOf } from './keys.js';
import { DEFAULT_CONTENT_TYPE, type ObjectInfo, type ObjectStore, type StoredObject } from './object-store.js';

interface MemoryObject {
  body: Buffer;
  lastModified: Date;
  contentType: string;
  metadata: Record<string, string>;
}

/** For tests that need an object store without a disk. `now` (ms) stamps last-modified, so lifecycle tests can age objects. */
export function createMemoryObjectStore(options: { now?: () => number } = {}): ObjectStore {
  const now = options.now ?? Date.now;
  const buckets = new Map<string, Map<string, MemoryObject>>();
  const requireBucket = (bucket: string) => {
    assertBucketName(bucket);
    const objects = buckets.get(bucket);
    if (!objects) throw new SluiceError('SLUICE_ERR_BUCKET_NOT_FOUND', `bucket '${bucket}' does not exist`);
    return objects;
  };
  const find = (bucket: string, key: string): MemoryObject => {
    const found = requireBucket(bucket).get(key);
    if (!found) throw new SluiceError('SLUICE_ERR_OBJECT_NOT_FOUND', `object '${key}' not found in bucket '${bucket}'`);
    return found;
  };
  const info = (bucket: string, key: string, o: MemoryObject): ObjectInfo => ({
    bucket, key, size: o.body.length, lastModified: o.lastModified, contentType: o.contentType, metadata: { ...o.metadata },
  });
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
    async putObject(bucket, key, body, options = {}) {
      const objects = requireBucket(bucket);
      assertObjectKey(key);
      const metadata = normalizeMetadata(options.metadata);
      // Copied: the Buffer may be a view of a message's memory.
      objects.set(key, { body: Buffer.from(body), lastModified: new Date(now()), contentType: options.contentType ?? DEFAULT_CONTENT_TYPE, metadata });
    },
    async getObject(bucket, key): Promise<StoredObject> {
      const found = find(bucket, key);
      return { ...info(bucket, key, found), body: Buffer.from(found.body) };
    },
    async headObject(bucket, key) {
      return info(bucket, key, find(bucket, key));
    },
    async listObjects(bucket, options = {}) {
      const all = [...requireBucket(bucket).entries()]
        .map(([key, o]) => ({ key, size: o.body.length, lastModified: o.lastModified }))
        .sort((a, b) => compareKeys(a.key, b.key));
      return pageOf(all, options);
    },
    async deleteObject(bucket, key) {
      requireBucket(bucket).delete(key);
    },
  };
}
