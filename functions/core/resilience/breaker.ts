/**
 * Circuit breaker per endpoint, as a pure state machine. The DynamoDB store applies each transition
 * with a conditional write so instances never overwrite each other's view; this module only says
 * what the next state is.
 *
 *   CLOSED --(threshold failures within window)--> OPEN --(cooldown)--> HALF_OPEN
 *   HALF_OPEN --(successThreshold successes)--> CLOSED;  HALF_OPEN --(any failure)--> OPEN
 */
export type BreakerPhase = 'closed' | 'open' | 'half_open';

export interface BreakerState {
  phase: BreakerPhase;
  /** Failures counted in the current window (closed). */
  failures: number;
  windowStart: number;
  /** When the breaker last opened (open) or half-opened (half_open). */
  changedAt: number;
  /** Probes in flight since half-opening (a finished probe gives its slot back). */
  probes: number;
  /** Probe successes since half-opening. */
  successes: number;
}

export interface BreakerSettings {
  failureThreshold: number;
  windowMs: number;
  cooldownMs: number;
  halfOpenProbes: number;
  successThreshold: number;
}

export const CLOSED: BreakerState = {
  phase: 'closed',
  failures: 0,
  windowStart: 0,
  changedAt: 0,
  probes: 0,
  successes: 0,
};

export type Admission = 'allow' | 'reject' | 'try_half_open' | 'try_probe';

/**
 * What a request may do. `try_*` answers need a conditional write to claim the slot: only the
 * instance whose write succeeds may send the probe.
 */
export function admission(s: BreakerState, now: number, cfg: BreakerSettings): Admission {
  switch (s.phase) {
    case 'closed':
      return 'allow';
    case 'open':
      return now - s.changedAt >= cfg.cooldownMs ? 'try_half_open' : 'reject';
    case 'half_open':
      // Probes whose instance died never report back; after a cooldown the slots are offered again.
      if (s.probes < cfg.halfOpenProbes || now - s.changedAt >= cfg.cooldownMs) return 'try_probe';
      return 'reject';
  }
}

/** Milliseconds until an open breaker may be probed (for Retry-After). */
export function msUntilProbe(s: BreakerState, now: number, cfg: BreakerSettings): number {
  return s.phase === 'closed' ? 0 : Math.max(0, s.changedAt + cfg.cooldownMs - now);
}

export function isWindowExpired(s: BreakerState, now: number, cfg: BreakerSettings): boolean {
  return now - s.windowStart >= cfg.windowMs;
}

export function shouldTrip(failuresInWindow: number, cfg: BreakerSettings): boolean {
  return failuresInWindow >= cfg.failureThreshold;
}

export function shouldClose(successes: number, cfg: BreakerSettings): boolean {
  return successes >= cfg.successThreshold;
}
