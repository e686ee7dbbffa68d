/**
 * Config of the exact-match response cache (docs/operations/response-cache.md): the gateway-wide
 * `cache` section and a route's own `cache` block. Opt-in: nothing is cached unless a route, a key
 * or the request itself asks for it.
 */
import * as z from 'zod/mini';
import { MAX_CACHE_ENTRY_BYTES, MAX_CACHE_TTL_SECONDS } from '../cache/limits';

const ttl = () => z.int().check(z.gte(1), z.lte(MAX_CACHE_TTL_SECONDS));

export const CACHE_SCOPES = ['key', 'shared'] as const;

export const CacheSchema = z.object({
  /** Off: every route, key and request setting is ignored; nothing is looked up or stored. */
  enabled: z._default(z.boolean(), true),
  /** TTL when neither the request, the route nor the key sets one. */
  defaultTtlSeconds: z._default(ttl(), 3_600),
  /** Upper bound of every TTL: a longer `x-switchyard-cache-ttl`, route or key TTL is cut to it. */
  maxTtlSeconds: z._default(ttl(), 86_400),
  /**
   * Also cache sampled requests (temperature above 0, or unset: upstreams default to 1) of direct
   * model requests and routes that do not say. A hit then replays one sample instead of drawing anew.
   */
  sampled: z._default(z.boolean(), false),
  /**
   * A lookup slower than this counts as a miss (the request goes upstream without waiting longer).
   * DynamoDB answers a GetItem in a few ms in-region; the bound is for when it does not.
   */
  lookupTimeoutMs: z._default(z.int().check(z.gte(1), z.lte(5_000)), 100),
  /** Answers larger than this (stored item size) are not cached. */
  maxEntryBytes: z._default(z.int().check(z.gte(1_024), z.lte(MAX_CACHE_ENTRY_BYTES)), 350_000),
});

export const RouteCacheSchema = z.object({
  /**
   * true: the route's requests use the cache unless they say `x-switchyard-cache: skip`. false: never
   * cached, whatever a request or key asks (for routes whose answers must not be stored).
   */
  enabled: z._default(z.boolean(), true),
  /** TTL of this route's entries when the request sets none. */
  ttlSeconds: z.optional(ttl()),
  /**
   * `key` (default): an entry serves only the key that stored it. `shared`: every key allowed to
   * use this route shares its entries (one tenant's answer can be served to another).
   */
  scope: z._default(z.enum(CACHE_SCOPES), 'key'),
  /** Overrides the gateway-wide `cache.sampled` for this route. */
  sampled: z.optional(z.boolean()),
});
