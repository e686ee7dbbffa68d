/**
 * Each endpoint as it is now, for GET /health/deep and GET /v1/stats: health-check status, breaker
 * state, the failure rate and mean call time over the breaker window, calls in flight, and (when
 * the day's usage row is given) today's calls and success rate. Pure: the routes gather the inputs.
 *
 * The failure rate covers the breaker window as the router instances recorded it: calls and the
 * failures the breaker counts (429, 5xx, timeouts, connection and stream failures; not 4xx), summed
 * over every instance's holder record for the current window (aligned to multiples of
 * `breaker.windowMs`) and the one before it, so it spans between one and two windows (`since`).
 */
import { type BreakerSettings, type BreakerState, isWindowExpired, msUntilProbe } from '../resilience/breaker';

/** Calls to one endpoint over a stretch of time, summed over router instances. */
export interface RecentCalls {
  endpoint: string;
  calls: number;
  /** Failures the breaker counts. */
  faults: number;
  /** Sum of the calls' durations (for the average number in flight). */
  busyMs: number;
}

/** Start of the aligned window holding `now`. */
export function windowStart(now: number, windowMs: number): number {
  return Math.floor(now / windowMs) * windowMs;
}

/** The stretch the failure rate covers: the previous aligned window and the current one. */
export function recentSince(now: number, windowMs: number): number {
  return windowStart(now, windowMs) - windowMs;
}

export interface LiveEndpoint {
  id: string;
  model: string;
  region: string | null;
  /** Health-check status (`unknown` without a fresh result), the probe latency average, the last error. */
  status: string;
  latencyEwmaMs: number | null;
  lastError: string | null;
  breaker: {
    state: BreakerState['phase'];
    /** Failures in the breaker's own window (every instance's, from the state table); 0 once it expired. */
    failuresInWindow: number;
    failureThreshold: number;
    /** Distinct keys among those failures (counted up to what the rule needs) and how many it needs to open. */
    failingKeys: number;
    minDistinctKeys: number;
    windowMs: number;
    /** Since the breaker last opened or half-opened; null while it never did. */
    sinceMs: number | null;
    /** Until an open breaker lets a probe through; null unless open. */
    retryInMs: number | null;
  };
  /** null when the counters could not be read (DynamoDB unreachable). */
  window: {
    since: string;
    calls: number;
    failures: number;
    /** failures / calls, 0..1 with four decimals; null without calls. */
    failureRate: number | null;
    /** Mean time of those calls (to the end of the answer for the one that answered); null without calls. */
    avgMs: number | null;
    /** Average calls in flight over the stretch, every instance (call time / elapsed time). */
    avgInFlight: number | null;
  } | null;
  /** Calls this router instance has in flight now (the whole gateway in the local runtime; one Lambda instance on AWS). */
  inFlight: number;
  /** Today's calls to the endpoint, when the day's usage row was given. */
  today?: {
    requests: number;
    successes: number;
    errors: number;
    successRate: number | null;
  };
}

export interface EndpointInputs {
  endpoints: ReadonlyArray<{ id: string; model: string; region?: string }>;
  health: (id: string) => { status: string; latencyEwmaMs?: number; lastError?: string };
  breaker: (id: string) => BreakerState;
  breakerSettings: BreakerSettings;
  /** null: the counters could not be read. */
  recent: readonly RecentCalls[] | null;
  inFlight: (id: string) => number;
  now: number;
  /** Today's `endpoint#<id>` usage rows (optional). */
  usage?: ReadonlyArray<{ scope: string; requests: number; successes: number; errors: number }>;
}

const rate = (a: number, b: number) => Math.round((a / b) * 10_000) / 10_000;

export function liveEndpoints(i: EndpointInputs): LiveEndpoint[] {
  const since = recentSince(i.now, i.breakerSettings.windowMs);
  const recent = new Map((i.recent ?? []).map((r) => [r.endpoint, r]));
  const usage = new Map((i.usage ?? []).map((u) => [u.scope, u]));
  return i.endpoints.map((e) => {
    const h = i.health(e.id);
    const b = i.breaker(e.id);
    const r = recent.get(e.id) ?? { calls: 0, faults: 0, busyMs: 0 };
    const elapsed = Math.max(1, i.now - since);
    const u = usage.get(`endpoint#${e.id}`);
    return {
      id: e.id,
      model: e.model,
      region: e.region ?? null,
      status: h.status,
      latencyEwmaMs: h.latencyEwmaMs !== undefined ? Math.round(h.latencyEwmaMs) : null,
      lastError: h.lastError && h.status !== 'healthy' ? h.lastError : null,
      breaker: {
        state: b.phase,
        failuresInWindow: b.phase === 'closed' && isWindowExpired(b, i.now, i.breakerSettings) ? 0 : b.failures,
        failureThreshold: i.breakerSettings.failureThreshold,
        failingKeys: b.phase === 'closed' && isWindowExpired(b, i.now, i.breakerSettings) ? 0 : b.failingKeys.length,
        minDistinctKeys: i.breakerSettings.minDistinctKeys,
        windowMs: i.breakerSettings.windowMs,
        sinceMs: b.phase !== 'closed' && b.changedAt ? Math.max(0, i.now - b.changedAt) : null,
        retryInMs: b.phase === 'open' ? msUntilProbe(b, i.now, i.breakerSettings) : null,
      },
      window: i.recent
        ? {
            since: new Date(since).toISOString(),
            calls: r.calls,
            failures: r.faults,
            failureRate: r.calls > 0 ? rate(r.faults, r.calls) : null,
            avgMs: r.calls > 0 ? Math.round(r.busyMs / r.calls) : null,
            avgInFlight: r.calls > 0 ? Math.round((r.busyMs / elapsed) * 10_000) / 10_000 : null,
          }
        : null,
      inFlight: i.inFlight(e.id),
      ...(i.usage
        ? {
            today: {
              requests: u?.requests ?? 0,
              successes: u?.successes ?? 0,
              errors: u?.errors ?? 0,
              successRate: u && u.requests > 0 ? rate(u.successes, u.requests) : null,
            },
          }
        : {}),
    };
  });
}
