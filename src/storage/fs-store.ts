import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SluiceError } from '../core/index.js';
import { assertBucketName, assertObjectKey, compareKeys, normalizeMetadata } from './keys.js';
import {
  DEFAULT_CONTENT_TYPE, type ListObjectsOptions, type ObjectInfo, type ObjectStore, type ObjectSummary, type StoredObject,
} from './object-store.js';

/** Names starting with `.sluice-` are reserved (keys.ts refuses such segments), so none is ever an object. */
const RESERVED_PREFIX = '.sluice-';
const TEMP_PREFIX = '.sluice-tmp-';
/**
 * Per bucket, a tree beside the objects' that mirrors their keys:
 * `<bucket>/.sluice-meta/<key>.meta.json` holds an object's content type and
 * metadata. The suffix keeps sidecars out of globs over the bucket's files
 * (DuckDB reading every `.parquet` file under it), which would otherwise take
 * them for objects.
 */
const META_DIR = '.sluice-meta';
const SIDECAR_SUFFIX = '.meta.json';

/** What a sidecar holds. `md5` and `size` tie it to one body: a sidecar that does not match its object is ignored. */
interface Sidecar {
  contentType?: string;
  metadata?: Record<string, string>;
  size: number;
  md5: string;
}

/**
 * Objects as files: `<root>/<bucket>/<key>`, so users can read them with any
 * tool. Writes go to a temp file in the same directory, are fsynced, then
 * renamed over the target, so a reader or a crash never sees half an object.
 * Content type and metadata live in a sidecar (`<bucket>/.sluice-meta/<key>.meta.json`),
 * written the same way just before the object; it records the body's MD5, so
 * a crash between the two renames leaves an object whose stale sidecar is
 * ignored rather than one that shows another object's metadata.
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
  const sidecarPath = (bucket: string, key: string): string => `${join(bucketDir(bucket), META_DIR, ...key.split('/'))}${SIDECAR_SUFFIX}`;
  const requireBucket = async (bucket: string): Promise<string> => {
    const dir = bucketDir(bucket);
    if (!(await isDirectory(dir))) {
      throw new SluiceError('SLUICE_ERR_BUCKET_NOT_FOUND', `bucket '${bucket}' does not exist`);
    }
    return dir;
  };
  const notFound = (bucket: string, key: string) => new SluiceError('SLUICE_ERR_OBJECT_NOT_FOUND', `object '${key}' not found in bucket '${bucket}'`);

  const read = async (bucket: string, key: string): Promise<StoredObject> => {
    await requireBucket(bucket);
    const path = objectPath(bucket, key);
    let body: Buffer;
    let mtime: Date;
    try {
      [body, mtime] = await Promise.all([readFile(path), stat(path).then((s) => s.mtime)]);
    } catch (error) {
      if (isErrno(error, 'ENOENT') || isErrno(error, 'EISDIR') || isErrno(error, 'ENOTDIR')) throw notFound(bucket, key);
      throw error;
    }
    const sidecar = await readSidecar(sidecarPath(bucket, key), body);
    return {
      bucket, key, body, size: body.length, lastModified: mtime,
      contentType: sidecar?.contentType ?? DEFAULT_CONTENT_TYPE,
      metadata: sidecar?.metadata ?? {},
    };
  };

  return {
    async createBucket(bucket) {
      await mkdir(bucketDir(bucket), { recursive: true });
    },
    async deleteBucket(bucket, options = {}) {
      const dir = await requireBucket(bucket);
      if (!options.empty && (await walk(dir, '', { limit: 1 })).length > 0) {
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
      return (await walk(await requireBucket(bucket), '', { limit: 1 })).length === 0;
    },
    async putObject(bucket, key, body, options = {}) {
      const dir = await requireBucket(bucket);
      const target = objectPath(bucket, key);
      const metadata = normalizeMetadata(options.metadata);
      const hasSidecar = options.contentType !== undefined || Object.keys(metadata).length > 0;
      await mkdir(dirname(target), { recursive: true }).catch((error: unknown) => {
        throw keyConflict(bucket, key, error);
      });
      const sidecarTarget = sidecarPath(bucket, key);
      const writeSidecar = async (): Promise<string | undefined> => {
        if (!hasSidecar) return undefined;
        const sidecar: Sidecar = {
          ...(options.contentType !== undefined ? { contentType: options.contentType } : {}),
          ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
          size: body.length,
          md5: md5(body),
        };
        await mkdir(dirname(sidecarTarget), { recursive: true }).catch((error: unknown) => {
          throw keyConflict(bucket, key, error);
        });
        return writeSynced(dirname(sidecarTarget), Buffer.from(JSON.stringify(sidecar)));
      };
      // Both temp files at once (two fsyncs in parallel, not in a row); the renames below set the order.
      const [sidecarWrite, objectWrite] = await Promise.allSettled([writeSidecar(), writeSynced(dirname(target), body)]);
      if (sidecarWrite.status === 'rejected' || objectWrite.status === 'rejected') {
        if (sidecarWrite.status === 'fulfilled' && sidecarWrite.value) await unlink(sidecarWrite.value).catch(() => undefined);
        if (objectWrite.status === 'fulfilled') await unlink(objectWrite.value).catch(() => undefined);
        throw sidecarWrite.status === 'rejected' ? sidecarWrite.reason : (objectWrite as PromiseRejectedResult).reason;
      }
      const sidecarTemp = sidecarWrite.value;
      const temp = objectWrite.value;
      try {
        // The sidecar first: it names the new body's MD5, so until the object's rename it is ignored, never misapplied.
        if (sidecarTemp) await rename(sidecarTemp, sidecarTarget);
        await rename(temp, target);
      } catch (error) {
        await unlink(temp).catch(() => undefined);
        if (sidecarTemp) await unlink(sidecarTemp).catch(() => undefined);
        throw keyConflict(bucket, key, error);
      }
      if (!hasSidecar) {
        // An overwrite without content type or metadata clears the old ones, as an S3 PUT does.
        await unlink(sidecarTarget).catch(() => undefined);
        await pruneEmptyParents(dirname(sidecarTarget), dir);
      }
    },
    getObject: read,
    async headObject(bucket, key): Promise<ObjectInfo> {
      const { body: _body, ...info } = await read(bucket, key);
      return info;
    },
    async listObjects(bucket, options = {}) {
      return walk(await requireBucket(bucket), '', options);
    },
    async deleteObject(bucket, key) {
      const dir = await requireBucket(bucket);
      const path = objectPath(bucket, key);
      // S3 deletes of missing keys succeed; so do ours.
      await unlink(path).catch((error: unknown) => {
        if (!isErrno(error, 'ENOENT') && !isErrno(error, 'ENOTDIR') && !isErrno(error, 'EISDIR') && !isErrno(error, 'EPERM')) throw error;
      });
      const sidecar = sidecarPath(bucket, key);
      await unlink(sidecar).catch(() => undefined);
      await pruneEmptyParents(dirname(path), dir);
      await pruneEmptyParents(dirname(sidecar), dir);
    },
  };
}

/** Writes a temp file in `dir` and fsyncs it; returns its path, for the caller to rename into place. */
async function writeSynced(dir: string, content: Buffer): Promise<string> {
  const temp = join(dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
  const handle = await open(temp, 'w', 0o644);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return temp;
}

async function readSidecar(path: string, body: Buffer): Promise<Sidecar | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const sidecar = JSON.parse(text) as Sidecar;
    return sidecar.size === body.length && sidecar.md5 === md5(body) ? sidecar : undefined;
  } catch {
    return undefined;
  }
}

function md5(body: Buffer): string {
  return createHash('md5').update(body).digest('hex');
}

/**
 * Keys in S3's order, walking directories in an order that yields keys
 * sorted (a directory `a` sorts as `a/`), so a page stops early and skips
 * whole folders outside the prefix or before `startAfter`.
 */
async function walk(dir: string, keyPrefix: string, options: ListObjectsOptions, out: ObjectSummary[] = []): Promise<ObjectSummary[]> {
  const prefix = options.prefix ?? '';
  const after = options.startAfter;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return out;
    throw error;
  }
  const named = entries
    .filter((e) => !e.name.startsWith(RESERVED_PREFIX) && (e.isDirectory() || e.isFile()))
    .map((e) => ({ entry: e, key: keyPrefix + e.name + (e.isDirectory() ? '/' : '') }))
    .sort((a, b) => compareKeys(a.key, b.key));
  for (const { entry, key } of named) {
    if (out.length >= limit) break;
    if (!key.startsWith(prefix) && !prefix.startsWith(key)) continue;
    if (entry.isDirectory()) {
      // Every key under `key` is before `after` when `key` is, and `after` is not inside it.
      if (after !== undefined && compareKeys(key, after) < 0 && !after.startsWith(key)) continue;
      await walk(join(dir, entry.name), key, options, out);
    } else {
      if (!key.startsWith(prefix)) continue;
      if (after !== undefined && compareKeys(key, after) <= 0) continue;
      const info = await stat(join(dir, entry.name)).catch(() => undefined);
      // Deleted between readdir and stat: no longer an object.
      if (info) out.push({ key, size: info.size, lastModified: info.mtime });
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
