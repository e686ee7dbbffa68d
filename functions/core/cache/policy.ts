/**
 * Whether a request uses the response cache, how (`use`: look up, store a miss; `refresh`: store
 * without looking up), for how long and in which scope. Pure: the route reads headers, config and
 * the key record, this decides.
 *
 * Precedence: the gateway switch, then a route or key that forbids caching, then the request's
 * `x-switchyard-cache` header, then the route's or the key's opt-in. A request the gateway cannot
 * cache faithfully (sampled without the config's consent, logprobs) is skipped with a reason.
 */
import type { CacheConfig, RouteCacheConfig } from '../config/schema';
import { errors } from '../openai/errors';

export const CACHE_HEADER = 'x-switchyard-cache';
export const CACHE_TTL_HEADER = 'x-switchyard-cache-ttl';

export const CACHE_DIRECTIVES = ['use', 'skip', 'refresh'] as const;
export type CacheDirective = (typeof CACHE_DIRECTIVES)[number];

/** Why a request that asked for (or was opted into) the cache does not use it. */
export type CacheSkipReason =
  /** The request said `x-switchyard-cache: skip`. */
  | 'client'
  /** `cache.enabled` is false. */
  | 'disabled'
  /** The route's `cache.enabled` is false. */
  | 'route'
  /** The key's `cacheTtlSeconds` is 0. */
  | 'key'
  /** Sampled request (temperature > 0 or unset) and the config does not cache those. */
  | 'sampled'
  /** Token logprobs cannot be replayed faithfully as a stream. */
  | 'logprobs'
  /** Key scope, but the call carries no key (never through API Gateway). */
  | 'no_key';

export type CacheDecision =
  /** The cache is not involved: no header, no lookup, no store. */
  | { kind: 'off' }
  | { kind: 'skip'; reason: CacheSkipReason }
  | { kind: 'use' | 'refresh'; ttlSeconds: number; scope: 'key' | 'shared' };

export interface CachePolicyInput {
  config: CacheConfig;
  /** The resolved route's `cache` block; undefined for a direct model request or a route without one. */
  route?: RouteCacheConfig;
  /** The key record's `cacheTtlSeconds`: undefined = no opinion, 0 = never cache, > 0 = opt in with this TTL. */
  keyTtlSeconds?: number;
  /** Lower-cased request headers. */
  headers: Record<string, string | undefined>;
  /** The request's sampling and logprobs fields. */
  request: { temperature?: number | null; logprobs?: unknown };
  hasKey: boolean;
}

/** The request's `x-switchyard-cache` value; a value other than use, skip or refresh is the client's error. */
export function parseCacheDirective(raw: string | undefined): CacheDirective | undefined {
  if (raw === undefined) return undefined;
  const v = raw.trim().toLowerCase();
  if ((CACHE_DIRECTIVES as readonly string[]).includes(v)) return v as CacheDirective;
  throw errors.invalidField(CACHE_HEADER, `must be one of ${CACHE_DIRECTIVES.join(', ')}`);
}

/** The request's `x-switchyard-cache-ttl`: whole seconds >= 1 (the config's maximum applies later). */
export function parseCacheTtl(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const v = raw.trim();
  if (!/^\d{1,10}$/.test(v) || Number(v) < 1) throw errors.invalidField(CACHE_TTL_HEADER, 'must be whole seconds >= 1');
  return Number(v);
}

/**
 * Sampled: an upstream draws the answer at random. Temperature 0 is (nearly) greedy; an unset
 * temperature is the upstream's default, which is 1 for OpenAI, Anthropic, Gemini and DeepSeek.
 */
export function isSampled(req: { temperature?: number | null }): boolean {
  return req.temperature === undefined || req.temperature === null || req.temperature > 0;
}

export function decideCache(input: CachePolicyInput): CacheDecision {
  const { config, route, keyTtlSeconds } = input;
  // Headers are checked whatever happens next: a malformed one is an error even where caching is off.
  const directive = parseCacheDirective(input.headers[CACHE_HEADER]);
  const ttlHeader = parseCacheTtl(input.headers[CACHE_TTL_HEADER]);
  const refuse = (reason: CacheSkipReason): CacheDecision =>
    directive === undefined ? { kind: 'off' } : { kind: 'skip', reason };

  if (!config.enabled) return refuse('disabled');
  if (route?.enabled === false) return refuse('route');
  if (keyTtlSeconds === 0) return refuse('key');
  const wanted =
    directive ?? (route?.enabled || (keyTtlSeconds !== undefined && keyTtlSeconds > 0) ? 'use' : undefined);
  if (wanted === undefined) return { kind: 'off' };
  if (wanted === 'skip') return { kind: 'skip', reason: 'client' };
  if (isSampled(input.request) && !(route?.sampled ?? config.sampled)) return { kind: 'skip', reason: 'sampled' };
  const logprobs = input.request.logprobs;
  if (logprobs !== undefined && logprobs !== null && logprobs !== false) return { kind: 'skip', reason: 'logprobs' };
  const scope = route?.scope ?? 'key';
  if (scope === 'key' && !input.hasKey) return { kind: 'skip', reason: 'no_key' };
  const ttl = ttlHeader ?? route?.ttlSeconds ?? keyTtlSeconds ?? config.defaultTtlSeconds;
  return { kind: wanted, ttlSeconds: Math.min(ttl, config.maxTtlSeconds), scope };
}
