/**
 * The object store port, S3's model: buckets of objects addressed by key.
 * Drivers: `fs` (default, under `<data>/buckets`) and, later, `s3` for any
 * S3-compatible endpoint. Every driver passes `contract.ts`.
 */
export interface PutObjectOptions {
  contentType?: string;
  /** User metadata, as S3's `x-amz-meta-*`. */
  metadata?: Record<string, string>;
}

export interface StoredObject {
  bucket: string;
  key: string;
  body: Buffer;
  size: number;
  lastModified: Date;
}

export interface ObjectSummary {
  key: string;
  size: number;
  lastModified: Date;
}

export interface ObjectStore {
  createBucket(bucket: string): Promise<void>;
  /** Refuses a non-empty bucket (SLUICE_ERR_BUCKET_NOT_EMPTY) unless `empty` is set, as S3 does. */
  deleteBucket(bucket: string, options?: { empty?: boolean }): Promise<void>;
  bucketExists(bucket: string): Promise<boolean>;
  listBuckets(): Promise<string[]>;
  isBucketEmpty(bucket: string): Promise<boolean>;
  putObject(bucket: string, key: string, body: Buffer, options?: PutObjectOptions): Promise<void>;
  getObject(bucket: string, key: string): Promise<StoredObject>;
  /** Keys in lexicographic order, as S3's ListObjectsV2. */
  listObjects(bucket: string, options?: { prefix?: string; limit?: number }): Promise<ObjectSummary[]>;
  deleteObject(bucket: string, key: string): Promise<void>;
}
