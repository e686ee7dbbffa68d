/**
 * Circuit breaker per endpoint, as a pure state machine. The DynamoDB store applies each transition
 * with a conditional write so instances never overwrite each other's view; this module only says
 * what the next state is.
 *
 *   CLOSED --(threshold failures within window, from minDistinctKeys keys)--> OPEN --(cooldown)--> HALF_OPEN
 *   HALF_OPEN --(successThreshold successes)--> CLOSED;  HALF_OPEN --(any failure)--> OPEN
 *
 * The breaker is shared by every tenant, so one key must not be able to open it for the others: a
 * key can make an endpoint fail on purpose (huge or slow requests, payloads the upstream chokes on,
 * a flood that earns upstream 429s). Failures are counted per window together with the keys that
 * caused them, and the breaker opens only when at least `minDistinctKeys` different keys failed.
 * The rule and its trade-offs are written down in docs/architecture/breakers.md.
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
  /**
   * Distinct keys that failed in the current window (closed). Only as many as the rule needs are
   * recorded (see `recordsKey`), so this never grows with the number of tenants.
   */
  failingKeys: readonly string[];
}

export interface BreakerSettings {
  failureThreshold: number;
  windowMs: number;
  cooldownMs: number;
  halfOpenProbes: number;
  successThreshold: number;
  /** Distinct keys whose failures must be in the window before it opens (1 = any key alone). */
  minDistinctKeys: number;
}

export const CLOSED: BreakerState = {
  phase: 'closed',
  failures: 0,
  windowStart: 0,
  changedAt: 0,
  probes: 0,
  successes: 0,
  failingKeys: [],
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

/** The window's evidence is enough to open: enough failures, and from enough different keys. */
export function shouldTrip(window: Pick<BreakerState, 'failures' | 'failingKeys'>, cfg: BreakerSettings): boolean {
  return window.failures >= cfg.failureThreshold && distinctKeys(window.failingKeys) >= cfg.minDistinctKeys;
}

export function distinctKeys(keys: readonly string[]): number {
  return new Set(keys).size;
}

/**
 * Whether a failure by `keyId` must add the key to the window: only while the window still lacks
 * keys and this one is new to it. Once `minDistinctKeys` are known, later failures add nothing, which
 * keeps the shared item small however many tenants fail at once.
 */
export function recordsKey(window: Pick<BreakerState, 'failingKeys'>, keyId: string, cfg: BreakerSettings): boolean {
  return distinctKeys(window.failingKeys) < cfg.minDistinctKeys && !window.failingKeys.includes(keyId);
}

/** The window after one more failure by `keyId` (the in-memory twin of the store's update). */
export function withFailure(s: BreakerState, keyId: string, now: number, cfg: BreakerSettings): BreakerState {
  if (isWindowExpired(s, now, cfg)) return { ...s, failures: 1, windowStart: now, failingKeys: [keyId] };
  const failingKeys = recordsKey(s, keyId, cfg) ? [...s.failingKeys, keyId] : s.failingKeys;
  return { ...s, failures: s.failures + 1, failingKeys };
}

export function shouldClose(successes: number, cfg: BreakerSettings): boolean {
  return successes >= cfg.successThreshold;
}

/**
 * The key a failure is attributed to. Calls without a key (the pre-traffic check's direct
 * invocations) all share one tag: together they count as one more key, never as many.
 */
export function failingKeyOf(keyId: string | undefined): string {
  return keyId ?? 'unkeyed';
}
