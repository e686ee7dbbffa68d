/**
 * The endpoints as they are now (core/stats/endpoint-health.ts) from this instance's state
 * snapshot, its in-flight counts and the recent-window counters every instance writes. A counter
 * read that fails leaves the window out (null) instead of failing the admin call.
 */
import { liveEndpoints, type LiveEndpoint, type RecentCalls } from '../core/stats/endpoint-health';
import type { UsageRow } from '../core/stats/stats-report';
import type { RouterDeps } from './deps';

export async function readLiveEndpoints(
  deps: RouterDeps,
  now: number,
  usageRead?: Promise<UsageRow[] | undefined>,
): Promise<LiveEndpoint[]> {
  const settings = deps.config.settings.breaker;
  const [recent, usage] = await Promise.all([
    deps.report.recent(now, settings.windowMs).catch((err): RecentCalls[] | null => {
      deps.log('warn', 'recent endpoint counters unreadable', { error: String(err) });
      return null;
    }),
    usageRead,
  ]);
  const health = new Map(deps.endpoints.summary().endpoints.map((e) => [e.id, e]));
  return liveEndpoints({
    endpoints: [...deps.config.endpoints.values()],
    health: (id) => health.get(id) ?? { status: 'unknown' },
    breaker: (id) => deps.breakers.view(id),
    breakerSettings: settings,
    recent,
    inFlight: (id) => deps.endpoints.inFlight?.(id) ?? 0,
    now,
    usage: usage?.filter((u) => u.scope.startsWith('endpoint#')),
  });
}
