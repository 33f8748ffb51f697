import type { LifecycleRule } from './lifecycle.js';
import type { ObjectStore } from './object-store.js';
import { createS3ObjectStore, type S3Settings } from './s3-store.js';

/** One bucket's settings, from the stack file (`buckets: { name: {...} }`). */
export interface BucketConfig {
  /** Unset: the server's default (`s3` when `sluice up` has S3 settings, else `fs`). */
  driver?: 'fs' | 's3';
  /** s3 only; each field unset falls back to the server's `--s3-*` settings. */
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** s3 only: the bucket's name at the provider, when it differs from the Sluice name. */
  bucket?: string;
  lifecycle?: readonly LifecycleRule[];
}

type ClosableStore = ObjectStore & { close?(): void };

/** ms a reconfigured bucket's old S3 client stays open for requests already sent. */
const RETIRED_STORE_GRACE_MS = 60_000;

export interface BucketRouterOptions {
  fs: ObjectStore;
  /** The server's S3 settings (`--s3-*`): when given, buckets default to `s3`. */
  s3?: S3Settings;
  /** Makes an s3 store; tests and the server use the real one. */
  createS3?: (settings: S3Settings) => ClosableStore;
}

/**
 * The object store the server uses: every call goes to the bucket's driver.
 * Buckets a stack configures get their own driver (and lifecycle rules);
 * any other bucket (one made through the API, a function's destination)
 * goes to the default one.
 */
export class BucketRouter implements ObjectStore {
  readonly #fs: ObjectStore;
  readonly #defaultS3: S3Settings | undefined;
  readonly #createS3: (settings: S3Settings) => ClosableStore;
  readonly #default: ClosableStore;
  readonly #configs = new Map<string, BucketConfig>();
  readonly #stores = new Map<string, ClosableStore>();

  constructor(options: BucketRouterOptions) {
    this.#fs = options.fs;
    this.#defaultS3 = options.s3;
    this.#createS3 = options.createS3 ?? createS3ObjectStore;
    this.#default = options.s3 ? this.#createS3(options.s3) : options.fs;
  }

  /**
   * Sets (or, with undefined, forgets) a bucket's driver and lifecycle rules;
   * returns the settings it had. Calls already running finish on the old driver.
   */
  configure(bucket: string, config: BucketConfig | undefined): BucketConfig | undefined {
    const previous = this.#configs.get(bucket);
    const previousStore = this.#stores.get(bucket);
    this.#stores.delete(bucket);
    this.#configs.delete(bucket);
    if (previousStore && previousStore !== this.#fs && previousStore !== this.#default) {
      // Closed a little later, so that requests already under way on it finish rather than fail.
      setTimeout(() => previousStore.close?.(), RETIRED_STORE_GRACE_MS).unref();
    }
    if (config) {
      this.#configs.set(bucket, config);
      this.#stores.set(bucket, this.#storeFor(bucket, config));
    }
    return previous;
  }

  /** Buckets with lifecycle rules, for the sweeper. */
  lifecycleRules(): Map<string, readonly LifecycleRule[]> {
    const rules = new Map<string, readonly LifecycleRule[]>();
    for (const [bucket, config] of this.#configs) if (config.lifecycle && config.lifecycle.length > 0) rules.set(bucket, config.lifecycle);
    return rules;
  }

  /** Which driver a bucket is on, for the API and `sluice buckets list`. */
  driverOf(bucket: string): 'fs' | 's3' {
    return this.#route(bucket) === this.#fs ? 'fs' : 's3';
  }

  close(): void {
    for (const store of new Set([...this.#stores.values(), this.#default])) if (store !== this.#fs) store.close?.();
    this.#stores.clear();
    this.#configs.clear();
  }

  #storeFor(bucket: string, config: BucketConfig): ClosableStore {
    const ownS3 = config.endpoint !== undefined || config.region !== undefined || config.forcePathStyle !== undefined ||
      config.credentials !== undefined || config.bucket !== undefined;
    const driver = config.driver ?? (ownS3 ? 's3' : this.#defaultS3 ? 's3' : 'fs');
    if (driver === 'fs') return this.#fs;
    if (!ownS3) {
      if (this.#defaultS3) return this.#default;
      // `driver: s3` with nothing else and no server settings: AWS S3 through the SDK's default chain.
      return this.#createS3({});
    }
    const base = this.#defaultS3 ?? {};
    const endpoint = config.endpoint ?? base.endpoint;
    const region = config.region ?? base.region;
    const forcePathStyle = config.forcePathStyle ?? base.forcePathStyle;
    const credentials = config.credentials ?? base.credentials;
    return this.#createS3({
      ...(endpoint !== undefined ? { endpoint } : {}),
      ...(region !== undefined ? { region } : {}),
      ...(forcePathStyle !== undefined ? { forcePathStyle } : {}),
      ...(credentials !== undefined ? { credentials } : {}),
      ...(config.bucket !== undefined ? { names: { [bucket]: config.bucket } } : {}),
    });
  }

  #route(bucket: string): ObjectStore {
    return this.#stores.get(bucket) ?? this.#default;
  }

  createBucket(bucket: string) {
    return this.#route(bucket).createBucket(bucket);
  }
  deleteBucket(bucket: string, options?: { empty?: boolean }) {
    return this.#route(bucket).deleteBucket(bucket, options);
  }
  bucketExists(bucket: string) {
    return this.#route(bucket).bucketExists(bucket);
  }
  /** The default driver's buckets that route to it, and every configured bucket elsewhere that exists. */
  async listBuckets(): Promise<string[]> {
    const names = new Set((await this.#default.listBuckets()).filter((name) => this.#route(name) === this.#default));
    for (const [bucket, store] of this.#stores) {
      if (store !== this.#default && (await store.bucketExists(bucket))) names.add(bucket);
    }
    return [...names].sort();
  }
  isBucketEmpty(bucket: string) {
    return this.#route(bucket).isBucketEmpty(bucket);
  }
  putObject(...args: Parameters<ObjectStore['putObject']>) {
    return this.#route(args[0]).putObject(...args);
  }
  getObject(bucket: string, key: string) {
    return this.#route(bucket).getObject(bucket, key);
  }
  headObject(bucket: string, key: string) {
    return this.#route(bucket).headObject(bucket, key);
  }
  listObjects(...args: Parameters<ObjectStore['listObjects']>) {
    return this.#route(args[0]).listObjects(...args);
  }
  deleteObject(bucket: string, key: string) {
    return this.#route(bucket).deleteObject(bucket, key);
  }
}
