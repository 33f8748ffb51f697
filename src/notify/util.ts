import { SluiceError } from '../core/index.js';
import type { Subscription } from './types.js';

export function normalizePublicUrl(url: string): string {
  if (!/^https?:\/\/[^/]/.test(url)) {
    throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `invalid public URL ${JSON.stringify(url)}: expected http(s)://host[:port][/path]`, { place: { field: 'publicUrl' } });
  }
  return url.replace(/\/+$/, '');
}

/** The id of a subscription ARN (`<topicArn>:<id>`), or the argument itself. */
export function subscriptionIdOf(idOrArn: string): string {
  return idOrArn.startsWith('arn:') ? (idOrArn.split(':')[6] ?? idOrArn) : idOrArn;
}

export function byCreation(a: Subscription, b: Subscription): number {
  return a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);
}

/** Like Promise.all over `items.map(fn)`, with at most `limit` calls in flight; keeps the order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
