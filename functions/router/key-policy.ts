/**
 * Per-key access rules the authorizer cannot apply (it does not see the body): allowed models and
 * routes. Its rates, budget and concurrency are quotas shared by every instance (deps.quota).
 */
import type { CompiledConfig } from '../core/config/compile';
import { errors, GatewayError } from '../core/openai/errors';
import { compileAllowList } from '../core/routing/allow-list';
import { resolveModelName } from '../core/routing/plan';
import type { KeyPolicy } from './deps';
import type { RequestContext } from './request-context';

/**
 * Guard for admin-only routes (`GET /v1/stats`). The authorizer already denies them to non-admin
 * keys at API Gateway (an explicit Deny in the cached policy); this is the router's own check, so
 * the route stays closed whatever sits in front of it.
 */
export function requireAdmin(ctx: Pick<RequestContext, 'key'>): void {
  if (!ctx.key) throw errors.unauthorized();
  if (!ctx.key.admin) {
    throw new GatewayError(403, 'This endpoint requires an admin API key.', 'permission_error', 'admin_required');
  }
}

export function createKeyPolicy(): KeyPolicy {
  return {
    checkModelAccess(key, requested) {
      const list = compileAllowList(key?.allowedModels);
      if (list && !list.allows(requested)) {
        throw new GatewayError(
          403,
          `This API key may not use '${requested}'. Allowed: ${list.entries.join(', ')}.`,
          'permission_error',
          'model_not_allowed',
          'model',
        );
      }
    },
  };
}

/**
 * A key's allow-list holds for what an alias resolves to as well as for the name sent: a key allowed
 * `gpt-4.1` cannot reach another model through an alias, and a key must allow an alias (the name
 * sent, exactly or by a `prefix*` entry such as the alias's own pattern) and its target to use it.
 */
export function withAliasTargets(policy: KeyPolicy, config: () => CompiledConfig): KeyPolicy {
  return {
    ...policy,
    checkModelAccess(key, requested) {
      if (!key?.allowedModels?.length) return;
      const resolved = resolveModelName(config(), requested);
      // An alias's own `prefix*` pattern, listed, matches every name the alias matches.
      policy.checkModelAccess(key, requested);
      if (resolved.alias) policy.checkModelAccess(key, resolved.name);
    },
  };
}
