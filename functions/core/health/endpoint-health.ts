/**
 * Endpoint health as a pure state machine: one probe result in, the next state out. The health-check
 * function stores the state (conditional writes) and the router reads it; neither decides anything
 * this module does not.
 *
 *   healthy/degraded --(failuresToDown consecutive failures)--> down
 *   down --(successesToUp consecutive successes)--> healthy, or degraded when slow
 *   healthy <--> degraded: by the latency EWMA against degradedLatencyMs
 */
export type HealthStatus = 'healthy' | 'degraded' | 'down';

export interface EndpointHealth {
  status: HealthStatus;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  /** Exponentially weighted moving average of successful probe latencies. */
  latencyEwmaMs?: number;
  /** Latency of the last successful probe. */
  lastLatencyMs?: number;
  /** Short, secret-free reason of the last failure (e.g. `HTTP 503`, `timeout after 5000 ms`). */
  lastError?: string;
  /** When the probe that produced this state started (epoch ms): orders results. */
  probedAt: number;
  /** When `status` last changed. */
  changedAt: number;
  /**
   * Consecutive recorded rounds with status `down` (0 while up): the per-endpoint alarm's measure.
   * Absent in items written before it was kept.
   */
  downRounds?: number;
  /**
   * Mean upstream call time over the last breaker windows across the fleet (core/balancing/
   * fleet-call-time.ts); absent while too few calls were seen. Written by the health check.
   */
  fleetCallMs?: number;
}

export type ProbeResult = { ok: true; latencyMs: number } | { ok: false; latencyMs: number; error: string };

export interface HealthSettings {
  degradedLatencyMs: number;
  failuresToDown: number;
  successesToUp: number;
  ewmaAlpha: number;
}

export function ewma(previous: number | undefined, sample: number, alpha: number): number {
  return previous === undefined ? sample : alpha * sample + (1 - alpha) * previous;
}

/**
 * The state after `probe`. With no previous state the endpoint is presumed healthy (the router also
 * treats unknown as usable): one failed probe of a new endpoint must not take it out, three must.
 */
export function nextHealth(
  prev: EndpointHealth | undefined,
  probe: ProbeResult,
  probedAt: number,
  s: HealthSettings,
): EndpointHealth {
  const next = nextStatus(prev, probe, probedAt, s);
  return { ...next, downRounds: countDownRounds(prev, next.status) };
}

/** One more round down, or 0 once up. A stored `down` without a count was down at least one round already. */
export function countDownRounds(prev: EndpointHealth | undefined, status: HealthStatus): number {
  if (status !== 'down') return 0;
  return prev?.status === 'down' ? (prev.downRounds ?? 1) + 1 : 1;
}

function nextStatus(
  prev: EndpointHealth | undefined,
  probe: ProbeResult,
  probedAt: number,
  s: HealthSettings,
): EndpointHealth {
  const was: HealthStatus = prev?.status ?? 'healthy';
  const changedAt = prev?.changedAt ?? probedAt;
  if (!probe.ok) {
    const failures = (prev?.consecutiveFailures ?? 0) + 1;
    const status: HealthStatus = failures >= s.failuresToDown ? 'down' : was;
    return {
      status,
      consecutiveFailures: failures,
      consecutiveSuccesses: 0,
      // A failed probe's latency (often a fast 503) says nothing about serving speed.
      latencyEwmaMs: prev?.latencyEwmaMs,
      lastLatencyMs: prev?.lastLatencyMs,
      lastError: probe.error,
      probedAt,
      changedAt: status === was ? changedAt : probedAt,
    };
  }
  const successes = (prev?.consecutiveSuccesses ?? 0) + 1;
  // After an outage the old average describes the endpoint before it failed: start over.
  const latencyEwmaMs = was === 'down' ? probe.latencyMs : ewma(prev?.latencyEwmaMs, probe.latencyMs, s.ewmaAlpha);
  const upStatus: HealthStatus = latencyEwmaMs > s.degradedLatencyMs ? 'degraded' : 'healthy';
  const status: HealthStatus = was === 'down' && successes < s.successesToUp ? 'down' : upStatus;
  return {
    status,
    consecutiveFailures: 0,
    consecutiveSuccesses: successes,
    latencyEwmaMs,
    lastLatencyMs: probe.latencyMs,
    lastError: prev?.lastError,
    probedAt,
    changedAt: status === was ? changedAt : probedAt,
  };
}

/**
 * Whether a probe result may be recorded over the stored one. Older results never overwrite newer
 * ones, and two overlapping health-check invocations (EventBridge delivers at least once; a slow
 * invocation can overlap the next) record one result per round, not one each: a result whose probe
 * started within `minSpacingMs` of the recorded one is dropped.
 */
export function shouldRecord(
  stored: Pick<EndpointHealth, 'probedAt'> | undefined,
  probedAt: number,
  minSpacingMs: number,
): boolean {
  if (!stored) return true;
  return probedAt > stored.probedAt && probedAt - stored.probedAt >= minSpacingMs;
}

/** How old a stored result may be before the router ignores it (see `health.staleAfterMs`). */
export function staleAfterMs(health: { probeIntervalMs: number; staleAfterMs?: number }): number {
  return health.staleAfterMs ?? Math.max(3 * health.probeIntervalMs, 90_000);
}

export function isStale(h: Pick<EndpointHealth, 'probedAt'>, now: number, maxAgeMs: number): boolean {
  return now - h.probedAt > maxAgeMs;
}
