/**
 * Sub-minute probing from a one-minute schedule. EventBridge rules fire at most once a minute, so one
 * invocation runs several probe rounds spaced `probeIntervalMs` apart (10 s by default: an endpoint
 * that dies is out of rotation ~30 s later, after 3 failed rounds, instead of 3 minutes).
 */

/** Environment variable through which the stack tells the function its schedule period (ms). */
export const HEALTH_SCHEDULE_ENV = 'SWITCHYARD_HEALTH_SCHEDULE_MS';

/** Rounds one invocation runs: one per probe interval inside the schedule period, at least one. */
export function roundsPerInvocation(schedulePeriodMs: number, probeIntervalMs: number): number {
  if (schedulePeriodMs <= 0) return 1;
  return Math.max(1, Math.floor(schedulePeriodMs / probeIntervalMs));
}

/**
 * Whether a round starting now can finish inside the invocation: a round takes at most the probe
 * timeout plus the state writes, and a round cut off by the Lambda timeout records nothing.
 */
export function roundFits(remainingMs: number, probeTimeoutMs: number, marginMs = 3_000): boolean {
  return remainingMs >= probeTimeoutMs + marginMs;
}

/**
 * The per-endpoint alarm's default N: an endpoint is marked down after `failuresToDown` failed
 * rounds (3 by default), and the alarm fires once it has stayed down this many recorded rounds
 * more (with 10 s rounds: about 50 s after the first failed probe).
 */
export const DEFAULT_ALARM_AFTER_DOWN_ROUNDS = 3;
