import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { SluiceError } from '../core/index.js';
import { assertBucketName, assertObjectKey, normalizeMetadata } from './keys.js';
import { DEFAULT_CONTENT_TYPE, type ObjectInfo, type ObjectStore, type ObjectSummary } from './object-store.js';
import { decodeMetadataValue, encodeMetadataValue } from './s3-metadata.js';

/** How to reach an S3-compatible store. Holds a secret: never log or print it whole. */
export interface S3Settings {
  /** e.g. `http://127.0.0.1:9000` (MinIO), `http://garage:3900`; unset for AWS S3 itself. */
  endpoint?: string;
  /** Unset: the SDK's chain (AWS_REGION, ~/.aws/config), else `us-east-1`. Garage wants its own (`garage`). */
  region?: string;
  /** `http://endpoint/bucket/key` instead of `http://bucket.endpoint/key`: MinIO, Garage and most self-hosted stores need it. */
  forcePathStyle?: boolean;
  /** Explicit credentials; unset, the SDK's default chain (AWS_ACCESS_KEY_ID..., profiles, instance roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Sluice bucket name → the bucket's name at the provider (AWS bucket names are global, so yours may differ). */
  names?: Readonly<Record<string, string>>;
}

/**
 * The AWS SDK v3 warns on Node 20 that later releases will need Node 22
 * (NodeVersionSupportWarning). Sluice supports Node 20, so the warning would
 * only alarm operators at every start. The SDK's documented switch
 * (aws/aws-sdk-js-v3#7983) is this variable, read when a client is made;
 * an operator who set it either way keeps their choice.
 */
function silenceNodeVersionWarning(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

/**
 * The `s3` driver: any S3-compatible endpoint through the AWS SDK v3.
 * Provider errors become the port's named errors (NoSuchBucket →
 * SLUICE_ERR_BUCKET_NOT_FOUND, NoSuchKey → SLUICE_ERR_OBJECT_NOT_FOUND, ...);
 * network failures, 5xx answers and refusals are SLUICE_ERR_STORAGE_UNAVAILABLE,
 * which the action executor retries.
 */
export function createS3ObjectStore(settings: S3Settings): ObjectStore & { close(): void } {
  silenceNodeVersionWarning();
  const config: S3ClientConfig = {
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    region: settings.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    forcePathStyle: settings.forcePathStyle ?? false,
    // A copy: the SDK marks the object it is given ($source), and ours may be frozen.
    ...(settings.credentials ? { credentials: { ...settings.credentials } } : {}),
    // AWS S3 answers a request in the wrong region with a redirect; follow it rather than fail.
    followRegionRedirects: true,
    // Newer SDKs add CRC checksums to every upload by default; many S3-compatible stores reject or ignore
    // them. Only where the operation needs one, as before, so MinIO, Garage and s3rver work unchanged.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
  const client = new S3Client(config);
  const names = settings.names ?? {};
  const reverse = new Map(Object.entries(names).map(([ours, theirs]) => [theirs, ours]));
  const at = (bucket: string): string => {
    assertBucketName(bucket);
    return names[bucket] ?? bucket;
  };
  const send = async <T>(what: { bucket: string; key?: string }, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw mapError(error, what.bucket, what.key);
    }
  };

  const listPage = async (bucket: string, options: { prefix?: string; startAfter?: string; limit?: number }): Promise<ObjectSummary[]> => {
    const out: ObjectSummary[] = [];
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    let token: string | undefined;
    do {
      // ListObjectsV2 returns at most 1,000 keys per call; continue with its token until the page is full or the listing ends.
      const page = await send({ bucket }, () =>
        client.send(
          new ListObjectsV2Command({
            Bucket: at(bucket),
            ...(options.prefix ? { Prefix: options.prefix } : {}),
            ...(token ? { ContinuationToken: token } : options.startAfter !== undefined ? { StartAfter: options.startAfter } : {}),
            MaxKeys: Math.min(1000, limit - out.length),
          }),
        ),
      );
      for (const item of page.Contents ?? []) {
        if (item.Key === undefined) continue;
        out.push({ key: item.Key, size: item.Size ?? 0, lastModified: item.LastModified ?? new Date(0) });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token && out.length < limit);
    return out;
  };

  const head = async (bucket: string, key: string): Promise<ObjectInfo> => {
    assertObjectKey(key);
    const answer = await send({ bucket, key }, () => client.send(new HeadObjectCommand({ Bucket: at(bucket), Key: key })));
    return {
      bucket, key, size: answer.ContentLength ?? 0, lastModified: answer.LastModified ?? new Date(0),
      contentType: answer.ContentType ?? DEFAULT_CONTENT_TYPE, metadata: decodeMetadata(answer.Metadata),
    };
  };

  const store: ObjectStore & { close(): void } = {
    async createBucket(bucket) {
      // HeadBucket first: on AWS, creating a bucket you own already is an error outside us-east-1.
      if (await store.bucketExists(bucket)) return;
      await send({ bucket }, () => client.send(new CreateBucketCommand({ Bucket: at(bucket) })));
    },
    async deleteBucket(bucket, options = {}) {
      if (options.empty) {
        // One DeleteObject per key, not DeleteObjects: that one needs a checksum header some stores do not accept.
        for (;;) {
          const batch = await listPage(bucket, { limit: 1000 });
          if (batch.length === 0) break;
          await runLimited(batch, 16, (o) => store.deleteObject(bucket, o.key));
        }
      }
      await send({ bucket }, () => client.send(new DeleteBucketCommand({ Bucket: at(bucket) })));
    },
    async bucketExists(bucket) {
      try {
        await client.send(new HeadBucketCommand({ Bucket: at(bucket) }));
        return true;
      } catch (error) {
        const mapped = mapError(error, bucket);
        if (mapped instanceof SluiceError && mapped.code === 'SLUICE_ERR_BUCKET_NOT_FOUND') return false;
        throw mapped;
      }
    },
    async listBuckets() {
      const answer = await send({ bucket: '' }, () => client.send(new ListBucketsCommand({})));
      return (answer.Buckets ?? []).flatMap((b) => (b.Name ? [reverse.get(b.Name) ?? b.Name] : [])).sort();
    },
    async isBucketEmpty(bucket) {
      return (await listPage(bucket, { limit: 1 })).length === 0;
    },
    async putObject(bucket, key, body, options = {}) {
      assertObjectKey(key);
      const metadata = normalizeMetadata(options.metadata);
      await send({ bucket, key }, () =>
        client.send(
          new PutObjectCommand({
            Bucket: at(bucket),
            Key: key,
            Body: body,
            ContentLength: body.length,
            ContentType: options.contentType ?? DEFAULT_CONTENT_TYPE,
            Metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, encodeMetadataValue(v)])),
          }),
        ),
      );
    },
    async getObject(bucket, key) {
      assertObjectKey(key);
      return send({ bucket, key }, async () => {
        const answer = await client.send(new GetObjectCommand({ Bucket: at(bucket), Key: key }));
        const body = Buffer.from((await answer.Body?.transformToByteArray()) ?? new Uint8Array());
        return {
          bucket, key, body, size: body.length, lastModified: answer.LastModified ?? new Date(0),
          contentType: answer.ContentType ?? DEFAULT_CONTENT_TYPE, metadata: decodeMetadata(answer.Metadata),
        };
      });
    },
    headObject: head,
    async listObjects(bucket, options = {}) {
      return listPage(bucket, options);
    },
    async deleteObject(bucket, key) {
      assertObjectKey(key);
      await send({ bucket, key }, () => client.send(new DeleteObjectCommand({ Bucket: at(bucket), Key: key })));
    },
    close() {
      client.destroy();
    },
  };
  return store;
}

function decodeMetadata(metadata: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k.toLowerCase(), decodeMetadataValue(v)]));
}

/** The provider's answer as the port's named errors; anything else (network, 5xx, throttling) is left for a retry. */
function mapError(error: unknown, bucket: string, key?: string): unknown {
  // Ours already (a bucket name refused before any request): as it is.
  if (error instanceof SluiceError || !(error instanceof Error)) return error;
  const name = error.name;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (name === 'NoSuchBucket' || (key === undefined && (name === 'NotFound' || status === 404))) {
    return new SluiceError('SLUICE_ERR_BUCKET_NOT_FOUND', `bucket '${bucket}' does not exist`, { cause: error });
  }
  if (name === 'NoSuchKey' || (key !== undefined && (name === 'NotFound' || status === 404))) {
    return new SluiceError('SLUICE_ERR_OBJECT_NOT_FOUND', `object '${key ?? ''}' not found in bucket '${bucket}'`, { cause: error });
  }
  if (name === 'BucketNotEmpty') {
    return new SluiceError('SLUICE_ERR_BUCKET_NOT_EMPTY', `bucket '${bucket}' is not empty`, { cause: error });
  }
  if (name === 'InvalidBucketName' || name === 'KeyTooLongError') {
    return new SluiceError('SLUICE_ERR_OBJECT_KEY_INVALID', `${key === undefined ? `bucket name '${bucket}'` : `object key '${key}'`} refused by the store: ${error.message}`, { cause: error });
  }
  // Anything else (unreachable, 5xx, throttled, access denied, a bucket owned by someone else): one named error with the
  // provider's words; not in the executor's permanent list, so an action retries it (credentials and outages get fixed).
  const where = bucket === '' ? 'the bucket list' : `bucket '${bucket}'${key !== undefined ? ` key '${key}'` : ''}`;
  const why = status !== undefined ? `${name} (HTTP ${status}): ${error.message}` : `${(error as { code?: string }).code ?? name}: ${error.message}`;
  return new SluiceError('SLUICE_ERR_STORAGE_UNAVAILABLE', `the S3 store failed on ${where}: ${why}`, { cause: error });
}

async function runLimited<T>(items: readonly T[], concurrency: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await run(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
