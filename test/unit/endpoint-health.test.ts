import {
  ewma,
  isStale,
  nextHealth,
  shouldRecord,
  staleAfterMs,
  type EndpointHealth,
  type HealthSettings,
  type ProbeResult,
} from '../../functions/core/health/endpoint-health';
import { roundFits, roundsPerInvocation } from '../../functions/core/health/rounds';

const S: HealthSettings = { degradedLatencyMs: 1000, failuresToDown: 3, successesToUp: 2, ewmaAlpha: 0.5 };
const ok = (latencyMs = 100): ProbeResult => ({ ok: true, latencyMs });
const fail = (error = 'HTTP 503'): ProbeResult => ({ ok: false, latencyMs: 5, error });

/** Feeds probes in order (one per 10 s) and returns the state after each. */
function run(probes: ProbeResult[], start?: EndpointHealth): EndpointHealth[] {
  const out: EndpointHealth[] = [];
  let state = start;
  probes.forEach((p, i) => {
    state = nextHealth(state, p, (i + 1) * 10_000, S);
    out.push(state);
  });
  return out;
}
const statuses = (probes: ProbeResult[], start?: EndpointHealth) => run(probes, start).map((h) => h.status);

describe('endpoint health state machine', () => {
  it.each<[string, ProbeResult[], string[]]>([
    ['a new endpoint that answers is healthy at once', [ok()], ['healthy']],
    ['a new endpoint that answers slowly is degraded', [ok(1500)], ['degraded']],
    ['goes down only on the 3rd consecutive failure', [fail(), fail(), fail()], ['healthy', 'healthy', 'down']],
    [
      'a success in between resets the failure count',
      [fail(), fail(), ok(), fail(), fail()],
      ['healthy', 'healthy', 'healthy', 'healthy', 'healthy'],
    ],
    [
      'comes back only on the 2nd consecutive success',
      [fail(), fail(), fail(), ok(), ok()],
      ['healthy', 'healthy', 'down', 'down', 'healthy'],
    ],
    [
      'a failure while recovering starts the count again',
      [fail(), fail(), fail(), ok(), fail(), ok(), ok()],
      ['healthy', 'healthy', 'down', 'down', 'down', 'down', 'healthy'],
    ],
    [
      'a slow endpoint recovers as degraded',
      [fail(), fail(), fail(), ok(2000), ok(2000)],
      ['healthy', 'healthy', 'down', 'down', 'degraded'],
    ],
    [
      'degraded goes down after 3 failures too',
      [ok(3000), fail(), fail(), fail()],
      ['degraded', 'degraded', 'degraded', 'down'],
    ],
    [
      'degraded turns healthy once the average drops below the limit',
      [ok(1800), ok(100), ok(100)],
      ['degraded', 'healthy', 'healthy'],
    ],
  ])('%s', (_, probes, expected) => {
    expect(statuses(probes)).toEqual(expected);
  });

  it('keeps an EWMA of successful probe latencies; failures leave it alone', () => {
    const states = run([ok(100), ok(300), fail(), ok(200)]);
    expect(states.map((s) => s.latencyEwmaMs)).toEqual([100, 200, 200, 200]);
    expect(states.map((s) => s.lastLatencyMs)).toEqual([100, 300, 300, 200]);
    expect(ewma(undefined, 42, 0.3)).toBe(42);
    expect(ewma(100, 200, 0.3)).toBeCloseTo(130);
  });

  it('starts the average over after an outage', () => {
    const states = run([ok(900), ok(900), fail(), fail(), fail(), ok(100), ok(100)]);
    expect(states[5].latencyEwmaMs).toBe(100);
    expect(states[6]).toMatchObject({ status: 'healthy', latencyEwmaMs: 100 });
  });

  it('records the last error, the counters and when the status changed', () => {
    const states = run([
      ok(),
      fail('timeout after 5000 ms'),
      fail(),
      fail('connection failed (ECONNREFUSED)'),
      ok(),
      ok(),
    ]);
    expect(states[3]).toMatchObject({
      status: 'down',
      consecutiveFailures: 3,
      consecutiveSuccesses: 0,
      lastError: 'connection failed (ECONNREFUSED)',
      probedAt: 40_000,
      changedAt: 40_000,
    });
    expect(states[4]).toMatchObject({
      status: 'down',
      consecutiveSuccesses: 1,
      consecutiveFailures: 0,
      changedAt: 40_000,
    });
    expect(states[5]).toMatchObject({ status: 'healthy', consecutiveSuccesses: 2, changedAt: 60_000 });
    expect(states[0].changedAt).toBe(10_000);
  });

  it.each<[string, number | undefined, number, number, boolean]>([
    ['nothing stored yet', undefined, 1_000, 5_000, true],
    ['a round later', 10_000, 20_000, 5_000, true],
    ['an overlapping invocation within the same round', 10_000, 12_000, 5_000, false],
    ['an older probe than the stored one', 10_000, 9_000, 0, false],
    ['the same probe twice', 10_000, 10_000, 0, false],
    ['back to back without spacing (local runtime)', 10_000, 10_001, 0, true],
  ])('shouldRecord: %s', (_, stored, probedAt, spacing, expected) => {
    expect(shouldRecord(stored === undefined ? undefined : { probedAt: stored }, probedAt, spacing)).toBe(expected);
  });

  it('ignores results older than 3 probe intervals, at least 90 s, unless configured', () => {
    expect(staleAfterMs({ probeIntervalMs: 10_000 })).toBe(90_000);
    expect(staleAfterMs({ probeIntervalMs: 60_000 })).toBe(180_000);
    expect(staleAfterMs({ probeIntervalMs: 10_000, staleAfterMs: 5_000 })).toBe(5_000);
    expect(isStale({ probedAt: 0 }, 90_000, 90_000)).toBe(false);
    expect(isStale({ probedAt: 0 }, 90_001, 90_000)).toBe(true);
  });
});

describe('rounds down (the per-endpoint alarm)', () => {
  it('counts consecutive recorded rounds down, through a recovery attempt, and resets once up', () => {
    const rounds = run([fail(), fail(), fail(), fail(), ok(), fail(), ok(), ok(), fail()]).map((h) => [
      h.status,
      h.downRounds,
    ]);
    expect(rounds).toEqual([
      ['healthy', 0],
      ['healthy', 0],
      ['down', 1],
      ['down', 2],
      // Still marked down while it proves itself (successesToUp): still a round down.
      ['down', 3],
      ['down', 4],
      ['down', 5],
      ['healthy', 0],
      ['healthy', 0],
    ]);
  });

  it('takes a stored down state without a count as one round down already', () => {
    const stored: EndpointHealth = {
      status: 'down',
      consecutiveFailures: 3,
      consecutiveSuccesses: 0,
      probedAt: 0,
      changedAt: 0,
    };
    expect(run([fail(), fail()], stored).map((h) => h.downRounds)).toEqual([2, 3]);
  });
});

describe('probe rounds inside a one-minute schedule', () => {
  it.each([
    [60_000, 10_000, 6],
    [60_000, 15_000, 4],
    [60_000, 60_000, 1],
    [60_000, 120_000, 1],
    [0, 10_000, 1],
  ])('period %i ms, interval %i ms: %i rounds', (period, interval, rounds) => {
    expect(roundsPerInvocation(period, interval)).toBe(rounds);
  });

  it('starts a round only when it can finish before the invocation ends', () => {
    expect(roundFits(10_000, 5_000)).toBe(true);
    expect(roundFits(7_000, 5_000)).toBe(false);
  });
});
