/**
 * Cheapest checks first, in memory: a candidate whose endpoints are all down, or whose breakers
 * are all open, is passed over before any quota is taken for it. Breakers due for a probe pass
 * here; the probe slot is claimed when an endpoint is picked (call-with-retries.ts).
 */
import type { CompiledModel } from '../../../core/config/compile';
import { admission, msUntilProbe } from '../../../core/resilience/breaker';
import type { RouterDeps } from '../../deps';
import type { Walk } from './types';

export function skipUnusable(deps: RouterDeps, model: CompiledModel, walk: Walk): boolean {
  if (deps.endpoints.modelStatus(model) === 'down') {
    walk.attempts.push({ model: model.id, endpoint: '-', outcome: 'skipped_down', ms: 0 });
    walk.skips.down.push(model.id);
    return true;
  }
  const now = deps.now();
  const settings = deps.config.settings.breaker;
  const waits = model.endpoints.map((e) => {
    const breaker = deps.breakers.view(e.id);
    return admission(breaker, now, settings) === 'reject' ? msUntilProbe(breaker, now, settings) : 0;
  });
  if (waits.every((w) => w > 0)) {
    walk.attempts.push({ model: model.id, endpoint: '-', outcome: 'skipped_open', ms: 0 });
    walk.skips.open.push(Math.max(1_000, Math.min(...waits)));
    return true;
  }
  return false;
}
