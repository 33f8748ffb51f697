/**
 * The object store port, S3's model: buckets of objects addressed by key.
 * Drivers: `fs` (default, under `<data>/buckets`), `s3` for any
 * S3-compatible endpoint, and memory for tests; `router.ts` sends each bucket
 * to its driver. Every driver passes `contract.ts`.
 */
export interface PutObjectOptions {
  /** S3's Content-Type; objects stored without one read back as `application/octet-stream`, as on S3. */
  contentType?: string;
  /**
   * User metadata, as S3's `x-amz-meta-*`. Keys are stored lowercased (S3
   * sends them as HTTP header names); values are any text, UTF-8 included.
   */
  metadata?: Record<string, string>;
}

/** What S3's HeadObject says about an object. */
export interface ObjectInfo {
  bucket: string;
  key: string;
  size: number;
  lastModified: Date;
  contentType: string;
  metadata: Record<string, string>;
}

export interface StoredObject extends ObjectInfo {
  body: Buffer;
}

export interface ObjectSummary {
  key: string;
  size: number;
  lastModified: Date;
}

export interface ListObjectsOptions {
  prefix?: string;
  /** Only keys after this one (S3's StartAfter): the way to page, passing the last key of the previous page. */
  startAfter?: string;
  /** At most this many keys; all of them when left out (drivers page through the store for you). */
  limit?: number;
}

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

export interface ObjectStore {
  /** Idempotent: creating a bucket that exists (and is this store's) is no error. */
  createBucket(bucket: string): Promise<void>;
  /** Refuses a non-empty bucket (SLUICE_ERR_BUCKET_NOT_EMPTY) unless `empty` is set, as S3 does. */
  deleteBucket(bucket: string, options?: { empty?: boolean }): Promise<void>;
  bucketExists(bucket: string): Promise<boolean>;
  listBuckets(): Promise<string[]>;
  isBucketEmpty(bucket: string): Promise<boolean>;
  /** Replaces the whole object (body, content type and metadata) or creates it. */
  putObject(bucket: string, key: string, body: Buffer, options?: PutObjectOptions): Promise<void>;
  getObject(bucket: string, key: string): Promise<StoredObject>;
  headObject(bucket: string, key: string): Promise<ObjectInfo>;
  /** Keys in lexicographic (UTF-8 byte) order, as S3's ListObjectsV2. */
  listObjects(bucket: string, options?: ListObjectsOptions): Promise<ObjectSummary[]>;
  /** Deleting a key that does not exist succeeds, as on S3. */
  deleteObject(bucket: string, key: string): Promise<void>;
}
