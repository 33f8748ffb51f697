import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { SluiceError } from '../core/index.js';
import { assertBucketName, assertObjectKey } from './keys.js';
import type { ObjectStore, ObjectSummary, PutObjectOptions, StoredObject } from './object-store.js';

const TEMP_PREFIX = '.sluice-tmp-';

/**
 * Objects as files: `<root>/<bucket>/<key>`, so users can read them with any
 * tool. Writes go to a temp file in the same directory, are fsynced, then
 * renamed over the target, so a reader or a crash never sees half an object.
 * Unlike S3, a key cannot be both an object and a "folder" (`a` and `a/b`).
 */
export function createFsObjectStore(root: string): ObjectStore {
  const bucketDir = (bucket: string): string => {
    assertBucketName(bucket);
    return join(root, bucket);
  };
  const objectPath = (bucket: string, key: string): string => {
    assertObjectKey(key);
    return join(bucketDir(bucket), ...key.split('/'));
  };
  const requireBucket = async (bucket: string): Promise<string> => {
    const dir = bucketDir(bucket);
    if (!(await isDirectory(dir))) {
      throw new SluiceError('SLUICE_ERR_BUCKET_NOT_FOUND', `bucket '${bucket}' does not exist`);
    }
    return dir;
  };

  return {
    async createBucket(bucket) {
      await mkdir(bucketDir(bucket), { recursive: true });
    },
    async deleteBucket(bucket, options = {}) {
      const dir = await requireBucket(bucket);
      if (!options.empty && (await walk(dir, 1)).length > 0) {
        throw new SluiceError('SLUICE_ERR_BUCKET_NOT_EMPTY', `bucket '${bucket}' is not empty`);
      }
      await rm(dir, { recursive: true, force: true });
    },
    async bucketExists(bucket) {
      return isDirectory(bucketDir(bucket));
    },
    async listBuckets() {
      const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
      return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
    },
    async isBucketEmpty(bucket) {
      return (await walk(await requireBucket(bucket), 1)).length === 0;
    },
    async putObject(bucket, key, body, _options?: PutObjectOptions) {
      await requireBucket(bucket);
      const target = objectPath(bucket, key);
      await mkdir(dirname(target), { recursive: true }).catch((error: unknown) => {
        throw keyConflict(bucket, key, error);
      });
      const temp = join(dirname(target), `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
      const handle = await open(temp, 'w', 0o644);
      try {
        await handle.writeFile(body);
        await handle.sync();
      } finally {
        await handle.close();
      }
      try {
        await rename(temp, target);
      } catch (error) {
        await unlink(temp).catch(() => undefined);
        throw keyConflict(bucket, key, error);
      }
    },
    async getObject(bucket, key): Promise<StoredObject> {
      await requireBucket(bucket);
      const path = objectPath(bucket, key);
      try {
        const [body, info] = await Promise.all([readFile(path), stat(path)]);
        return { bucket, key, body, size: body.length, lastModified: info.mtime };
      } catch (error) {
        if (isErrno(error, 'ENOENT') || isErrno(error, 'EISDIR') || isErrno(error, 'ENOTDIR')) {
          throw new SluiceError('SLUICE_ERR_OBJECT_NOT_FOUND', `object '${key}' not found in bucket '${bucket}'`);
        }
        throw error;
      }
    },
    async listObjects(bucket, options = {}) {
      const dir = await requireBucket(bucket);
      const prefix = options.prefix ?? '';
      const all = await walk(dir, Number.POSITIVE_INFINITY);
      const keys = all.filter((o) => o.key.startsWith(prefix)).sort((a, b) => (a.key < b.key ? -1 : 1));
      return options.limit === undefined ? keys : keys.slice(0, options.limit);
    },
    async deleteObject(bucket, key) {
      const dir = await requireBucket(bucket);
      const path = objectPath(bucket, key);
      // S3 deletes of missing keys succeed; so do ours.
      await unlink(path).catch((error: unknown) => {
        if (!isErrno(error, 'ENOENT')) throw error;
      });
      await pruneEmptyParents(dirname(path), dir);
    },
  };
}

async function walk(dir: string, limit: number, base = dir, out: ObjectSummary[] = []): Promise<ObjectSummary[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    if (out.length >= limit) break;
    if (entry.name.startsWith(TEMP_PREFIX)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      await walk(path, limit, base, out);
    } else if (entry.isFile()) {
      const info = await stat(path);
      out.push({ key: relative(base, path).split(sep).join('/'), size: info.size, lastModified: info.mtime });
    }
  }
  return out;
}

async function pruneEmptyParents(dir: string, stopAt: string): Promise<void> {
  let current = dir;
  while (current !== stopAt && current.startsWith(stopAt)) {
    try {
      await rmdir(current);
    } catch {
      return;
    }
    current = dirname(current);
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}

function isErrno(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

function keyConflict(bucket: string, key: string, error: unknown): unknown {
  if (isErrno(error, 'ENOTDIR') || isErrno(error, 'EEXIST') || isErrno(error, 'EISDIR')) {
    return new SluiceError(
      'SLUICE_ERR_OBJECT_KEY_INVALID',
      `object key '${key}' in bucket '${bucket}' collides with an existing key used as a folder or file (the fs store cannot hold both 'a' and 'a/b')`,
      { cause: error },
    );
  }
  return error;
}
