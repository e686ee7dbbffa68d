/**
 * Endpoint rows and model health, pure: a request's calls as per-endpoint usage, the recent-window
 * counters each instance keeps, their sum over instances, and the live view /health/deep and
 * /v1/stats show.
 */
import { recentCallDeltas, sumRecentCalls } from '../../functions/adapters/dynamo/quota/recent-calls';
import { latencyBucket } from '../../functions/core/latency-histogram';
import { CLOSED, type BreakerState } from '../../functions/core/resilience/breaker';
import { liveEndpoints, recentSince, windowStart } from '../../functions/core/stats/endpoint-health';
import { modelHealth } from '../../functions/core/stats/model-health';
import { endpointUsage, isEndpointFault } from '../../functions/router/chat/endpoint-usage';

const WINDOW = 60_000;
const T0 = Date.parse('2026-12-07T10:00:00Z'); // a window boundary
const settings = {
  failureThreshold: 5,
  windowMs: WINDOW,
  cooldownMs: 30_000,
  halfOpenProbes: 2,
  successThreshold: 2,
  minDistinctKeys: 2,
};

describe('a request as endpoint calls', () => {
  it('counts every attempt that reached an endpoint; the answering one with its whole time', () => {
    const { records, calls } = endpointUsage(
      [
        { model: 'gpt-4.1', endpoint: 'gpt-us', outcome: 503, ms: 40 },
        { model: 'gpt-4.1', endpoint: '-', outcome: 'skipped_open', ms: 0 },
        { model: 'gpt-4.1', endpoint: 'gpt-eu', outcome: 'timeout', ms: 900 },
        { model: 'deepseek', endpoint: 'ds', outcome: 400, ms: 12 },
        { model: 'gemini', endpoint: 'gem', outcome: 200, ms: 80 },
      ],
      { endpoint: 'gem', ms: 1500, ok: true, fault: false },
    );
    // Day rows count calls and successes only; tokens, cost and latency are on the model rows.
    expect(records.map((r) => [r.dims, r.ok, r.countsOnly])).toEqual([
      [['endpoint#gpt-us'], false, true],
      [['endpoint#gpt-eu'], false, true],
      [['endpoint#ds'], false, true],
      [['endpoint#gem'], true, true],
    ]);
    // A 400 is the request's fault, not the endpoint's: it counts as a call, not as a breaker failure.
    expect(calls).toEqual([
      { endpoint: 'gpt-us', fault: true, ms: 40 },
      { endpoint: 'gpt-eu', fault: true, ms: 900 },
      { endpoint: 'ds', fault: false, ms: 12 },
      { endpoint: 'gem', fault: false, ms: 1500 },
    ]);
  });

  it('classifies faults as the breaker does', () => {
    const outcomes = (xs: Array<number | string>) => xs.map((x) => isEndpointFault(x as never));
    expect(outcomes([429, 500, 503, 408, 'connection', 'stream_error', 'rate_limited'])).toEqual(Array(7).fill(true));
    expect(outcomes([200, 400, 401, 404, 'client_error', 'auth', 'not_found', 'aborted'])).toEqual(
      Array(8).fill(false),
    );
  });

  it('a stream that failed after its answer started counts as a failed call of that endpoint', () => {
    const { records, calls } = endpointUsage([{ model: 'm', endpoint: 'e', outcome: 200, ms: 30 }], {
      endpoint: 'e',
      ms: 700,
      ok: false,
      fault: true,
    });
    expect(records[0]).toMatchObject({ ok: false, latencyMs: 700 });
    expect(calls).toEqual([{ endpoint: 'e', fault: true, ms: 700 }]);
  });
});

describe('recent-window counters', () => {
  it('turns calls into usage-item counters per endpoint and aligned window', () => {
    expect(
      recentCallDeltas(
        [
          { endpoint: 'a', fault: true, ms: 100 },
          { endpoint: 'a', fault: false, ms: 300.4 },
          { endpoint: 'b', fault: false, ms: 7 },
        ],
        T0 + 59_999,
        WINDOW,
      ),
    ).toEqual({
      [`w_${T0}|a|c`]: 2,
      [`w_${T0}|a|f`]: 1,
      [`w_${T0}|a|ms`]: 400,
      [`w_${T0}|b|c`]: 1,
      [`w_${T0}|b|ms`]: 7,
    });
    // The next millisecond is the next window.
    expect(Object.keys(recentCallDeltas([{ endpoint: 'a', fault: false, ms: 1 }], T0 + WINDOW, WINDOW))).toEqual([
      `w_${T0 + WINDOW}|a|c`,
      `w_${T0 + WINDOW}|a|ms`,
    ]);
  });

  it('sums the current and previous windows of every record, and ignores older, future and damaged ones', () => {
    const now = T0 + WINDOW + 5_000;
    const since = recentSince(now, WINDOW);
    expect(since).toBe(T0);
    expect(windowStart(now, WINDOW)).toBe(T0 + WINDOW);
    const sums = sumRecentCalls(
      [
        {
          [`${T0}|a|c`]: 4,
          [`${T0}|a|f`]: 1,
          [`${T0}|a|ms`]: 400,
          [`${T0 + WINDOW}|a|c`]: 6,
          [`${T0 + WINDOW}|a|f`]: 3,
          [`${T0 - WINDOW}|b|c`]: 9,
          [`${T0 + 2 * WINDOW}|b|c`]: 5,
        },
        { [`${T0}|a|c`]: 10, [`${T0}|a|ms`]: 1600, 'nonsense|b|c': 3, [`${T0}|b`]: 1, [`${T0 + WINDOW}|b|c`]: 2 },
      ],
      since,
      now,
    );
    expect(sums.sort((x, y) => x.endpoint.localeCompare(y.endpoint))).toEqual([
      { endpoint: 'a', calls: 20, faults: 4, busyMs: 2000 },
      { endpoint: 'b', calls: 2, faults: 0, busyMs: 0 },
    ]);
  });
});

describe('the live endpoint view', () => {
  const endpoints = [
    { id: 'gpt-us', model: 'gpt-4.1', region: 'us-east-1' },
    { id: 'gpt-eu', model: 'gpt-4.1' },
    { id: 'ds', model: 'deepseek' },
  ];
  const now = T0 + WINDOW + 30_000;
  const breakers: Record<string, BreakerState> = {
    'gpt-us': {
      ...CLOSED,
      phase: 'open',
      failures: 5,
      windowStart: T0 + WINDOW,
      changedAt: now - 10_000,
      failingKeys: ['k1', 'k2'],
    },
    'gpt-eu': { ...CLOSED, failures: 2, windowStart: now - 70_000, failingKeys: ['k1'] }, // window expired
    ds: { ...CLOSED, failures: 1, windowStart: now - 1_000, failingKeys: ['k1'] },
  };
  const hist = (ms: number[]) => Object.fromEntries(ms.map((m) => [latencyBucket(m), 1]));
  const inputs = {
    endpoints,
    health: (id: string) =>
      id === 'gpt-us'
        ? { status: 'down', latencyEwmaMs: 812.4, lastError: 'HTTP 503' }
        : { status: 'healthy', lastError: 'old' },
    breaker: (id: string) => breakers[id],
    breakerSettings: settings,
    recent: [
      { endpoint: 'gpt-us', calls: 8, faults: 6, busyMs: 45_000 },
      { endpoint: 'ds', calls: 3, faults: 0, busyMs: 0 },
    ],
    inFlight: (id: string) => (id === 'ds' ? 2 : 0),
    now,
  };

  it('shows breaker state, the failure rate over the breaker window and calls in flight', () => {
    const [us, eu, ds] = liveEndpoints(inputs);
    expect(us).toEqual({
      id: 'gpt-us',
      model: 'gpt-4.1',
      region: 'us-east-1',
      status: 'down',
      latencyEwmaMs: 812,
      lastError: 'HTTP 503',
      breaker: {
        state: 'open',
        failuresInWindow: 5,
        failureThreshold: 5,
        failingKeys: 2,
        minDistinctKeys: 2,
        windowMs: WINDOW,
        sinceMs: 10_000,
        retryInMs: 20_000,
      },
      window: {
        since: new Date(T0).toISOString(),
        calls: 8,
        failures: 6,
        failureRate: 0.75,
        avgMs: 5625,
        // 45 s of calls over the 90 s since the previous window started.
        avgInFlight: 0.5,
      },
      inFlight: 0,
    });
    // An expired breaker window counts nothing; a healthy endpoint shows no stale error.
    expect(eu.breaker).toMatchObject({
      state: 'closed',
      failuresInWindow: 0,
      failingKeys: 0,
      sinceMs: null,
      retryInMs: null,
    });
    expect(eu.lastError).toBeNull();
    expect(eu.window).toMatchObject({ calls: 0, failures: 0, failureRate: null, avgMs: null, avgInFlight: null });
    expect(ds.breaker).toMatchObject({ failuresInWindow: 1, failingKeys: 1 });
    expect(ds.window?.failureRate).toBe(0);
    expect(ds.inFlight).toBe(2);
  });

  it('leaves the window out when the counters could not be read, and adds today from the usage rows', () => {
    const rows = liveEndpoints({
      ...inputs,
      recent: null,
      usage: [
        {
          scope: 'endpoint#ds',
          requests: 4,
          successes: 3,
          errors: 1,
        },
      ],
    });
    expect(rows.map((r) => r.window)).toEqual([null, null, null]);
    expect(rows[2].today).toEqual({ requests: 4, successes: 3, errors: 1, successRate: 0.75 });
    expect(rows[0].today).toEqual({ requests: 0, successes: 0, errors: 0, successRate: null });
  });

  it('sums a model over its endpoints: breaker states, window failure rate, and today with its SLO verdict', () => {
    const live = liveEndpoints(inputs);
    const [gpt, ds] = modelHealth(
      [
        { id: 'gpt-4.1', status: 'degraded', slo: { model: 'gpt-4.1', ttftMs: 100, percentile: 'p95' } },
        { id: 'deepseek', status: 'healthy' },
      ],
      live,
      [
        {
          scope: 'model#gpt-4.1',
          requests: 2,
          successes: 1,
          errors: 1,
          promptTokens: 0,
          completionTokens: 0,
          costMicros: 0,
          latency: hist([500, 700]),
          firstToken: hist([500, 700]),
        },
      ],
    );
    expect(gpt).toMatchObject({
      id: 'gpt-4.1',
      status: 'degraded',
      breakers: { closed: 1, open: 1, halfOpen: 0 },
      window: { calls: 8, failures: 6, failureRate: 0.75 },
      today: { requests: 2, successRate: 0.5, slo: { met: false } },
    });
    expect(ds.today).toMatchObject({ requests: 0, successRate: null, avgMs: null, slo: null });
    // Without usage rows (DynamoDB unreachable) the day is unknown, not zero.
    expect(modelHealth([{ id: 'deepseek', status: 'healthy' }], live, undefined)[0].today).toBeNull();
  });
});
