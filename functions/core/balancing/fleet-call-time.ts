/**
 * Each endpoint's mean upstream call time over the recent breaker windows, summed over every router
 * instance's recent-call counters: what `least_inflight` balances by on Lambda (strategies.ts). The
 * health check computes it once a round and stores it with the endpoint's health, so routers get it
 * with the state snapshot they already read and pay nothing per request.
 */
import type { RecentCalls } from '../stats/endpoint-health';

/** Fewer calls than this say too little about an endpoint's call time: it keeps no figure. */
export const MIN_CALLS_FOR_CALL_TIME = 5;

export function fleetCallTimes(
  recent: readonly RecentCalls[],
  minCalls = MIN_CALLS_FOR_CALL_TIME,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of recent) {
    if (r.calls >= minCalls && r.busyMs >= 0) out.set(r.endpoint, Math.max(1, Math.round(r.busyMs / r.calls)));
  }
  return out;
}
