import { SluiceError } from '../core/index.js';

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** S3's bucket naming rules, so a stack that works here works on S3. */
export function bucketNameProblem(name: string): string | undefined {
  if (!BUCKET_NAME.test(name)) {
    return 'bucket names are 3 to 63 characters of lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit';
  }
  if (name.includes('..')) return 'bucket names must not contain two adjacent dots';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'bucket names must not look like an IP address';
  return undefined;
}

export function assertBucketName(name: string): void {
  const problem = bucketNameProblem(name);
  if (problem) throw new SluiceError('SLUICE_ERR_OBJECT_KEY_INVALID', `invalid bucket name '${name}': ${problem}`);
}

/**
 * The fs driver maps keys to paths, so keys that would escape the bucket or
 * that a file system cannot hold are refused rather than silently rewritten.
 */
export function assertObjectKey(key: string): void {
  const problem = objectKeyProblem(key);
  if (problem) throw new SluiceError('SLUICE_ERR_OBJECT_KEY_INVALID', `invalid object key '${key}': ${problem}`);
}

function objectKeyProblem(key: string): string | undefined {
  if (key.length === 0) return 'keys must not be empty';
  if (Buffer.byteLength(key) > 1024) return 'keys are at most 1024 bytes (S3)';
  if (key.includes('\0')) return 'keys must not contain NUL';
  if (key.startsWith('/')) return 'keys must not start with /';
  if (key.endsWith('/')) return 'keys must not end with /';
  const segments = key.split('/');
  if (segments.some((s) => s === '')) return 'keys must not contain empty path segments (//)';
  if (segments.some((s) => s === '.' || s === '..')) return 'keys must not contain . or .. segments';
  if (segments.some((s) => s.startsWith('.sluice-'))) return 'segments starting with .sluice- are reserved';
  return undefined;
}

/** S3 lists keys in UTF-8 byte order, which differs from JS string order for characters beyond U+FFFF. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** S3 sends metadata keys as HTTP header names, which are case-insensitive; it returns them lowercased. */
export function normalizeMetadata(metadata: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata ?? {})) {
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(key)) {
      throw new SluiceError('SLUICE_ERR_OBJECT_KEY_INVALID', `invalid metadata key '${key}': metadata keys are HTTP field names (letters, digits and !#$%&'*+.^_\`|~-)`);
    }
    out[key.toLowerCase()] = value;
  }
  return out;
}

/** The page a listing returns: after `startAfter`, under `prefix`, at most `limit` (all when unset). */
export function pageOf<T extends { key: string }>(sorted: readonly T[], options: { prefix?: string; startAfter?: string; limit?: number }): T[] {
  const prefix = options.prefix ?? '';
  const after = options.startAfter;
  const page = sorted.filter((o) => o.key.startsWith(prefix) && (after === undefined || compareKeys(o.key, after) > 0));
  return options.limit === undefined ? page : page.slice(0, options.limit);
}
