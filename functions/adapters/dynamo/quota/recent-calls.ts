/**
 * Per-endpoint call counters per breaker window, so /health/deep and /v1/stats can give a failure
 * rate over the breaker window summed over every router instance without a write of their own.
 * They are usage counters like the others: added up in memory and written with the instance's
 * usage item (at most every `sharedState.usageFlushMs`, each write sent once however often it is
 * retried), one attribute per endpoint, window and counter: calls (`c`), failures the breaker
 * counts (`f`), call time (`ms`). Readers sum the windows recent enough
 * (core/stats/endpoint-health.ts); older ones stay in the usage item until it is replaced.
 */
import { windowStart, type RecentCalls } from '../../../core/stats/endpoint-health';
import type { EndpointCall } from '../../../ports/shared-quota';
import { ATTR } from './keys';

/** The usage-item deltas of some calls (attribute name -> amount). */
export function recentCallDeltas(
  calls: readonly EndpointCall[],
  now: number,
  windowMs: number,
): Record<string, number> {
  const start = windowStart(now, windowMs);
  const out: Record<string, number> = {};
  const add = (attr: string, n: number) => {
    if (n) out[attr] = (out[attr] ?? 0) + n;
  };
  for (const c of calls) {
    add(ATTR.recent(start, c.endpoint, 'c'), 1);
    if (c.fault) add(ATTR.recent(start, c.endpoint, 'f'), 1);
    add(ATTR.recent(start, c.endpoint, 'ms'), Math.max(0, Math.round(c.ms)));
  }
  return out;
}

/**
 * Sums the counters of many holder records and usage items (`<window start>|<endpoint>|<counter>`)
 * whose window started at or after `since` (and not in the future).
 */
export function sumRecentCalls(
  records: ReadonlyArray<Record<string, number>>,
  since: number,
  now: number,
): RecentCalls[] {
  const sums = new Map<string, RecentCalls>();
  for (const rec of records) {
    for (const [name, n] of Object.entries(rec)) {
      const first = name.indexOf('|');
      const last = name.lastIndexOf('|');
      if (first <= 0 || last <= first) continue;
      const start = Number(name.slice(0, first));
      const endpoint = name.slice(first + 1, last);
      const counter = name.slice(last + 1);
      if (!Number.isFinite(start) || start < since || start > now || !Number.isFinite(n)) continue;
      const s = sums.get(endpoint) ?? { endpoint, calls: 0, faults: 0, busyMs: 0 };
      if (counter === 'c') s.calls += n;
      else if (counter === 'f') s.faults += n;
      else if (counter === 'ms') s.busyMs += n;
      else continue;
      sums.set(endpoint, s);
    }
  }
  return [...sums.values()];
}
