/**
 * Per-key access rules the authorizer cannot apply (it does not see the body): allowed models and
 * routes, and request/token rate limits through a pluggable limiter.
 */
import { GatewayError } from '../core/openai/errors';
import type { KeyPolicy, RateAdmission } from './deps';
import type { CallerKey } from './request-context';

export interface RateLimiter {
  admit(key: CallerKey, estimatedTokens: number): Promise<RateAdmission>;
  recordTokens(key: CallerKey, tokens: number): Promise<void>;
}

export function createKeyPolicy(limiter?: RateLimiter): KeyPolicy {
  return {
    checkModelAccess(key, requested) {
      if (!key?.allowedModels?.length) return;
      if (!key.allowedModels.includes(requested)) {
        throw new GatewayError(403, `This API key may not use '${requested}'. Allowed: ${key.allowedModels.join(', ')}.`, 'permission_error', 'model_not_allowed', 'model');
      }
    },
    async admit(key, estimatedTokens) {
      if (!key || !limiter || (key.rpm === undefined && key.tpm === undefined)) return { headers: {} };
      return limiter.admit(key, estimatedTokens);
    },
    async recordTokens(key, tokens) {
      if (!key || !limiter || key.tpm === undefined) return;
      await limiter.recordTokens(key, tokens);
    },
  };
}
