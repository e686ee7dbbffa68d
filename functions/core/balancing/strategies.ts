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
  /**
   * Mean upstream call time over the last breaker window, over every router instance (the health
   * check computes it from the instances' recent-call counters): what `least_inflight` balances by
   * when this instance's own counts say nothing.
   */
  fleetCallMs?: number;
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

/**
 * Fewest calls in flight; ties split by weight so equal load does not always land on the first.
 *
 * When every count is 0 (a Lambda instance serves one request at a time, so its own counts always
 * are) and the fleet's mean call times are known, the draw is weighted by `weight / fleetCallMs`
 * instead. By Little's law an endpoint's calls in flight are its request rate times its call time,
 * so sending each endpoint a rate in proportion to weight / call time is what equal in-flight per
 * unit of weight means across the fleet. Not the argmin of a shared count: that count is a minute
 * old on every instance at once, and all of them would pile onto the same endpoint.
 */
export function leastInflight<E extends PoolEndpoint>(
  endpoints: readonly E[],
  inflight: (id: string) => number,
  draw: number,
  health?: (id: string) => EndpointView,
): E | undefined {
  if (endpoints.length === 0) return undefined;
  const fewest = Math.min(...endpoints.map((e) => inflight(e.id)));
  const tied = endpoints.filter((e) => inflight(e.id) === fewest);
  const byCallTime = health && fewest === 0 && tied.length === endpoints.length ? callTimeWeights(tied, health) : null;
  if (!byCallTime) return weighted(tied, draw);
  // The reweighted copies carry their index, so the caller gets its own endpoint object back.
  return tied[(weighted(byCallTime, draw) as { index: number }).index];
}

/** Weights divided by the fleet's mean call time; endpoints not measured get the pool's median. */
function callTimeWeights<E extends PoolEndpoint>(endpoints: readonly E[], health: (id: string) => EndpointView) {
  const known = endpoints
    .map((e) => health(e.id).fleetCallMs)
    .filter((ms): ms is number => ms !== undefined && Number.isFinite(ms) && ms > 0)
    .sort((a, b) => a - b);
  if (known.length === 0) return null;
  const median = known[Math.floor(known.length / 2)];
  return endpoints.map((e, index) => {
    const ms = health(e.id).fleetCallMs;
    return { id: e.id, index, weight: e.weight / (ms !== undefined && Number.isFinite(ms) && ms > 0 ? ms : median) };
  });
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
      return leastInflight(pool, input.inflight, input.draw, input.health);
    case 'latency':
      return lowestLatency(pool, input.health, input.callerRegion, input.draw);
    case 'weighted':
      return weighted(pool, input.draw);
  }
}
