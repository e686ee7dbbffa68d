/**
 * Endpoint choice inside a model's pool. This version balances by weight and tracks local
 * in-flight counts; health-aware strategies replace it (see the health-check issue).
 */
import type { CompiledEndpoint, CompiledModel } from '../core/config/compile';
import type { EndpointPicker } from './deps';

export function createWeightedEndpointPicker(random: () => number = Math.random): EndpointPicker {
  const inflight = new Map<string, number>();
  return {
    pick(model, { exclude }) {
      const usable = model.endpoints.filter((e) => !exclude.has(e.id));
      return weightedChoice(usable, random());
    },
    modelStatus: () => 'unknown',
    started: (id) => inflight.set(id, (inflight.get(id) ?? 0) + 1),
    finished: (id) => inflight.set(id, Math.max(0, (inflight.get(id) ?? 1) - 1)),
    summary: () => ({ healthy: 0, degraded: 0, down: 0, unknown: 0, endpoints: [] }),
  };
}

export function weightedChoice(endpoints: CompiledEndpoint[], draw: number): CompiledEndpoint | undefined {
  if (endpoints.length <= 1) return endpoints[0];
  const total = endpoints.reduce((s, e) => s + e.weight, 0);
  let x = draw * total;
  for (const e of endpoints) {
    x -= e.weight;
    if (x < 0) return e;
  }
  return endpoints[endpoints.length - 1];
}

export type { CompiledModel };
