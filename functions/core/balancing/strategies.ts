/**
 * Load-balancing strategies inside one model's endpoint pool. Pure: every input (health, in-flight
 * counts, the random draw, the round-robin cursor, the caller's region) is an argument, so the same
 * inputs always give the same endpoint and tables of cases test them without mocks.
 */
import type { Balancing } from '../config/schema';

export interface PoolEndpoint {
  id: string;
  weight: number;
  region?: string;
}

export type EndpointCondition = 'healthy' | 'degraded' | 'down' | 'unknown';

export interface EndpointView {
  status: EndpointCondition;
  latencyEwmaMs?: number;
}

export interface BalancingInput<E extends PoolEndpoint> {
  /** The pool, minus endpoints the caller already tried. */
  endpoints: readonly E[];
  /** Health as the router currently knows it; `unknown` when there is no fresh data. */
  health: (id: string) => EndpointView;
  inflight: (id: string) => number;
  /** A uniform draw in [0, 1). */
  draw: number;
  /** Round-robin position of this pool; the caller advances it after each pick. */
  cursor: number;
  /** Region of the caller (edge header) or of this deployment; latency routing prefers it. */
  callerRegion?: string;
}

/**
 * Down endpoints never serve; degraded ones only when nothing healthy is left. Unknown counts as
 * healthy: no health data (a new endpoint, a stopped health check) must not take traffic away.
 */
export function usableTier<E extends PoolEndpoint>(endpoints: readonly E[], health: (id: string) => EndpointView): E[] {
  const up = endpoints.filter((e) => {
    const s = health(e.id).status;
    return s === 'healthy' || s === 'unknown';
  });
  return up.length > 0 ? up : endpoints.filter((e) => health(e.id).status === 'degraded');
}

export function roundRobin<E extends PoolEndpoint>(endpoints: readonly E[], cursor: number): E | undefined {
  if (endpoints.length === 0) return undefined;
  const n = endpoints.length;
  return endpoints[((cursor % n) + n) % n];
}

export function weighted<E extends PoolEndpoint>(endpoints: readonly E[], draw: number): E | undefined {
  if (endpoints.length <= 1) return endpoints[0];
  const total = endpoints.reduce((sum, e) => sum + e.weight, 0);
  let x = draw * total;
  for (const e of endpoints) {
    x -= e.weight;
    if (x < 0) return e;
  }
  return endpoints[endpoints.length - 1];
}

/** Fewest calls in flight; ties split by weight so equal load does not always land on the first. */
export function leastInflight<E extends PoolEndpoint>(
  endpoints: readonly E[],
  inflight: (id: string) => number,
  draw: number,
): E | undefined {
  if (endpoints.length === 0) return undefined;
  const fewest = Math.min(...endpoints.map((e) => inflight(e.id)));
  return weighted(
    endpoints.filter((e) => inflight(e.id) === fewest),
    draw,
  );
}

/**
 * Lowest measured latency, in the caller's region first when any usable endpoint is tagged with it
 * (latency is measured from the deployment region, so proximity to the caller wins over it).
 * Endpoints without a measurement yet lose to measured ones; with none measured, weights decide.
 */
export function lowestLatency<E extends PoolEndpoint>(
  endpoints: readonly E[],
  health: (id: string) => EndpointView,
  callerRegion: string | undefined,
  draw: number,
): E | undefined {
  const region = callerRegion?.toLowerCase();
  const local = region ? endpoints.filter((e) => e.region?.toLowerCase() === region) : [];
  const pool = local.length > 0 ? local : endpoints;
  const measured = pool.filter((e) => health(e.id).latencyEwmaMs !== undefined);
  if (measured.length === 0) return weighted(pool, draw);
  const best = Math.min(...measured.map((e) => health(e.id).latencyEwmaMs!));
  return weighted(
    measured.filter((e) => health(e.id).latencyEwmaMs === best),
    draw,
  );
}

/** The endpoint to call, or undefined when every endpoint is down or excluded. */
export function chooseEndpoint<E extends PoolEndpoint>(strategy: Balancing, input: BalancingInput<E>): E | undefined {
  const pool = usableTier(input.endpoints, input.health);
  switch (strategy) {
    case 'round_robin':
      return roundRobin(pool, input.cursor);
    case 'least_inflight':
      return leastInflight(pool, input.inflight, input.draw);
    case 'latency':
      return lowestLatency(pool, input.health, input.callerRegion, input.draw);
    case 'weighted':
      return weighted(pool, input.draw);
  }
}
