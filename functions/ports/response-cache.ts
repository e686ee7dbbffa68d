/**
 * The exact-match response cache, in domain terms: answers stored under a key the router derives
 * (core/cache/cache-key.ts). A cache is an optimisation, never a dependency: an adapter answers a
 * lookup within its timeout or not at all, and neither method ever throws.
 */
import type { CachedAnswer } from '../core/cache/entry';

export type { CachedAnswer };

export type CacheLookup =
  | { status: 'hit'; answer: CachedAnswer }
  /** Nothing servable: no entry, an expired one, or one of another scope. */
  | { status: 'miss' }
  /** The store failed, throttled or did not answer in time: served as a miss. */
  | { status: 'unavailable' };

export type CacheStoreResult = 'stored' | 'too_large' | 'unavailable';

export interface ResponseCache {
  /** The answer stored under `key` for `scope`, if it is still fresh at `now` (epoch ms). */
  lookup(key: string, scope: string, now: number): Promise<CacheLookup>;
  /** Stores `answer` under `key` (replacing any entry); an answer over the item limit is not stored. */
  store(key: string, answer: CachedAnswer): Promise<CacheStoreResult>;
}
