/** The error a client gets when no candidate answered: the most telling reason, in OpenAI's shape. */
import { budgetRefused, quotaUnavailable } from '../../../core/budget/quota-errors';
import { GatewayError } from '../../../core/openai/errors';
import type { Plan } from '../../../core/routing/plan';
import type { RouterDeps } from '../../deps';
import { finalError } from '../errors';
import type { Walk } from './types';

export function noAnswer(deps: RouterDeps, plan: Plan, walk: Walk): GatewayError {
  const { skips } = walk;
  if (walk.failures.length > 0) return finalError(walk.failures);
  if (skips.budget) return budgetRefused(skips.budget, deps.now());
  if (skips.unavailable) return quotaUnavailable(skips.unavailable);
  if (skips.full > 0) {
    return new GatewayError(
      429,
      `Every candidate model is at its concurrency limit (${plan.candidates.join(', ')}); retry shortly.`,
      'rate_limit_error',
      'concurrency_limit',
      null,
      { 'retry-after': '1' },
    );
  }
  if (skips.open.length > 0) {
    const wait = Math.ceil(Math.min(...skips.open) / 1000);
    return new GatewayError(
      503,
      `Every candidate model is failing and its circuit breaker is open (${plan.candidates.join(', ')}); retry in ${wait}s.`,
      'service_unavailable',
      'circuit_open',
      null,
      { 'retry-after': String(wait) },
    );
  }
  if (skips.down.length > 0) {
    const wait = Math.ceil(deps.config.settings.health.probeIntervalMs / 1000);
    return new GatewayError(
      503,
      `No healthy backend available for model ${skips.down.join(', ')}.`,
      'service_unavailable',
      'no_healthy_backend',
      null,
      { 'retry-after': String(wait) },
    );
  }
  return new GatewayError(
    504,
    'The request deadline passed before any model could answer.',
    'timeout_error',
    'deadline_exceeded',
  );
}
