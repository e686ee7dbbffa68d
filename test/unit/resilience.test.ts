import { backoffDelay, nextRetry, parseRetryAfter } from '../../functions/core/resilience/backoff';
import {
  admission,
  CLOSED,
  msUntilProbe,
  failingKeyOf,
  recordsKey,
  shouldClose,
  shouldTrip,
  withFailure,
  type BreakerState,
} from '../../functions/core/resilience/breaker';

describe('Retry-After', () => {
  const now = Date.parse('2026-11-23T10:00:00Z');
  it.each([
    ['2', 2000],
    ['0', 0],
    ['1.5', 1500],
    ['Mon, 23 Nov 2026 10:00:03 GMT', 3000],
    ['Mon, 23 Nov 2026 09:59:00 GMT', 0],
    ['soon', undefined],
    [undefined, undefined],
  ])('%s -> %s ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });
});

describe('backoff with full jitter', () => {
  it('stays within [0, min(cap, base * 2^attempt))', () => {
    for (let attempt = 0; attempt < 8; attempt++) {
      expect(backoffDelay(attempt, 100, 2000, 0)).toBe(0);
      expect(backoffDelay(attempt, 100, 2000, 0.999999)).toBe(Math.min(2000, 100 * 2 ** attempt) - 1);
    }
  });

  it('honours Retry-After exactly, and refuses a wait the deadline cannot hold', () => {
    const base = { attempt: 0, maxAttempts: 3, baseMs: 100, capMs: 2000, random: 0.5 };
    expect(nextRetry({ ...base, retryAfterMs: 2000, msLeft: 10_000 })).toEqual({ retry: true, waitMs: 2000 });
    expect(nextRetry({ ...base, retryAfterMs: 2000, msLeft: 1_500 })).toEqual({ retry: false, waitMs: 0 });
    expect(nextRetry({ ...base, retryAfterMs: undefined, msLeft: 10_000 })).toEqual({ retry: true, waitMs: 50 });
    expect(nextRetry({ ...base, attempt: 2, retryAfterMs: undefined, msLeft: 10_000 }).retry).toBe(false);
  });
});

describe('breaker state machine', () => {
  const cfg = {
    failureThreshold: 3,
    windowMs: 1000,
    cooldownMs: 500,
    halfOpenProbes: 1,
    successThreshold: 2,
    minDistinctKeys: 1,
  };
  const open: BreakerState = { ...CLOSED, phase: 'open', changedAt: 1000 };
  const half: BreakerState = { ...CLOSED, phase: 'half_open', changedAt: 2000, probes: 1 };
  it.each([
    ['closed admits', CLOSED, 0, 'allow'],
    ['open rejects during cooldown', open, 1400, 'reject'],
    ['open offers half-open after cooldown', open, 1500, 'try_half_open'],
    ['half-open rejects past its probe budget', half, 2100, 'reject'],
    ['half-open re-offers probes that never reported back', half, 2500, 'try_probe'],
    ['half-open with a free probe slot', { ...half, probes: 0 }, 2100, 'try_probe'],
  ] as const)('%s', (_n, state, now, expected) => {
    expect(admission(state, now, cfg)).toBe(expected);
  });

  it('trips at the threshold and closes after enough successes', () => {
    expect(shouldTrip({ failures: 2, failingKeys: ['key_a'] }, cfg)).toBe(false);
    expect(shouldTrip({ failures: 3, failingKeys: ['key_a'] }, cfg)).toBe(true);
    expect(shouldClose(1, cfg)).toBe(false);
    expect(shouldClose(2, cfg)).toBe(true);
    expect(msUntilProbe(open, 1200, cfg)).toBe(300);
  });
});

describe('shared breaker: one key alone never opens it', () => {
  const cfg = {
    failureThreshold: 3,
    windowMs: 1000,
    cooldownMs: 500,
    halfOpenProbes: 1,
    successThreshold: 2,
    minDistinctKeys: 2,
  };
  const fail = (s: BreakerState, key: string, now: number) => withFailure(s, key, now, cfg);

  it('stays closed on any number of failures from one key, and opens once a second key fails', () => {
    let s: BreakerState = { ...CLOSED, windowStart: 100 };
    for (let i = 0; i < 50; i++) s = fail(s, 'key_a', 200 + i);
    expect(s.failures).toBe(50);
    expect(shouldTrip(s, cfg)).toBe(false);
    s = fail(s, 'key_b', 300);
    expect(s.failingKeys).toEqual(['key_a', 'key_b']);
    expect(shouldTrip(s, cfg)).toBe(true);
  });

  it('needs the threshold as well as the keys: two keys with too few failures stay closed', () => {
    const s = fail(fail({ ...CLOSED, windowStart: 100 }, 'key_a', 200), 'key_b', 210);
    expect(shouldTrip(s, cfg)).toBe(false);
    expect(shouldTrip(fail(s, 'key_a', 220), cfg)).toBe(true);
  });

  it('forgets the keys with the window: a key that failed in the last window does not count now', () => {
    let s = fail({ ...CLOSED, windowStart: 100 }, 'key_b', 150);
    for (let i = 0; i < 3; i++) s = fail(s, 'key_a', 1200 + i);
    expect(s.windowStart).toBe(1200);
    expect(s.failingKeys).toEqual(['key_a']);
    expect(shouldTrip(s, cfg)).toBe(false);
  });

  it('records only as many keys as the rule needs, so the shared item stays small', () => {
    let s: BreakerState = { ...CLOSED, windowStart: 100 };
    for (let i = 0; i < 20; i++) s = fail(s, `key_${i}`, 200);
    expect(s.failingKeys).toEqual(['key_0', 'key_1']);
    expect(recordsKey(s, 'key_7', cfg)).toBe(false);
    expect(recordsKey({ failingKeys: ['key_0'] }, 'key_0', cfg)).toBe(false);
    expect(recordsKey({ failingKeys: ['key_0'] }, 'key_1', cfg)).toBe(true);
  });

  it('counts a duplicated key once (a set in DynamoDB, but a stale view may hold repeats)', () => {
    expect(shouldTrip({ failures: 9, failingKeys: ['key_a', 'key_a'] }, cfg)).toBe(false);
  });

  it('with minDistinctKeys 1 (a single-key deployment) one key opens it, as before', () => {
    const one = { ...cfg, minDistinctKeys: 1 };
    let s: BreakerState = { ...CLOSED, windowStart: 100 };
    for (let i = 0; i < 3; i++) s = withFailure(s, 'key_a', 200, one);
    expect(shouldTrip(s, one)).toBe(true);
  });

  it('attributes calls without a key to one shared tag', () => {
    expect(failingKeyOf(undefined)).toBe(failingKeyOf(undefined));
    expect(failingKeyOf('key_abc')).toBe('key_abc');
    expect(failingKeyOf(undefined)).not.toMatch(/^key_/);
  });
});
