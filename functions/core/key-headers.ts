/**
 * Which request headers carry the client key, declared once for the stack (the authorizer's
 * identity sources and cache), the authorizer function and the local API Gateway emulator.
 *
 * API Gateway's REST authorizer cache forces the choice: with caching on, every identity source
 * must be present and non-empty or API Gateway answers 401 without calling the authorizer, and the
 * cache key is made of exactly those values. So a cached authorizer can accept the key from one
 * header only; `x-api-key` as an alternative needs the cache off.
 *
 * - `authorization` (default): identity source `Authorization`, API Gateway caches each decision.
 *   Every OpenAI SDK sends `Authorization: Bearer`. The authorizer then reads nothing but that
 *   header, since anything else it looked at would not be part of the cache key.
 * - `authorization-or-x-api-key`: no identity source and API Gateway's cache off, so the authorizer
 *   runs for every request and reads Bearer first, then `x-api-key`; it keeps its own per-instance
 *   cache of key records (keyed by the key's hash) so a warm authorizer makes no DynamoDB read.
 *   Costs one authorizer invocation per request.
 */
import type { KeyHeader } from './keys';

/**
 * How long a key decision may be reused: API Gateway's authorizer cache TTL (the emulator's too) in
 * `authorization` mode, the authorizer's own record cache otherwise. It bounds how late a revoked key,
 * a changed limit or a rotated-out or expired secret takes effect. One setting for the stack and the
 * local runtime: `gateway.authorizerCacheTtlSeconds` in the routing config (API Gateway allows 0..3600).
 */
export const DEFAULT_AUTHORIZER_CACHE_TTL_SECONDS = 60;
export const MAX_AUTHORIZER_CACHE_TTL_SECONDS = 3600;

/** Reads the setting from a raw (already validated) routing config, where defaults are not yet applied. */
export function authorizerCacheTtlSeconds(rawConfig: unknown): number {
  const v = (rawConfig as { gateway?: { authorizerCacheTtlSeconds?: unknown } } | null)?.gateway
    ?.authorizerCacheTtlSeconds;
  return typeof v === 'number' ? v : DEFAULT_AUTHORIZER_CACHE_TTL_SECONDS;
}

export type KeyHeaderMode = 'authorization' | 'authorization-or-x-api-key';

/** Environment variables the stack sets on the authorizer function. */
export const KEY_HEADER_MODE_ENV = 'SWITCHYARD_KEY_HEADERS';
export const AUTHORIZER_CACHE_MS_ENV = 'SWITCHYARD_AUTHORIZER_CACHE_MS';

export interface KeyHeaderSpec {
  readonly mode: KeyHeaderMode;
  /** Headers the authorizer reads the key from, in order of preference. */
  readonly keyHeaders: readonly KeyHeader[];
  /** API Gateway identity sources (header names as clients send them); empty = none. */
  readonly identityHeaders: readonly string[];
  /** Whether API Gateway's authorizer result cache may be on in this mode. */
  readonly apiGatewayCache: boolean;
}

export const KEY_HEADER_SPECS: Readonly<Record<KeyHeaderMode, KeyHeaderSpec>> = {
  authorization: {
    mode: 'authorization',
    keyHeaders: ['authorization'],
    identityHeaders: ['Authorization'],
    apiGatewayCache: true,
  },
  'authorization-or-x-api-key': {
    mode: 'authorization-or-x-api-key',
    keyHeaders: ['authorization', 'x-api-key'],
    identityHeaders: [],
    apiGatewayCache: false,
  },
};

export function keyHeaderSpec(mode: string | undefined): KeyHeaderSpec {
  if (mode === undefined || mode === '') return KEY_HEADER_SPECS.authorization;
  const spec = KEY_HEADER_SPECS[mode as KeyHeaderMode];
  if (!spec)
    throw new Error(`${KEY_HEADER_MODE_ENV} must be one of ${Object.keys(KEY_HEADER_SPECS).join(', ')}; got "${mode}"`);
  return spec;
}
