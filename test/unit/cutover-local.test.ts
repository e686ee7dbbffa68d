/** Pieces of the local cutover that need no gateway: the weighted alias, the metric store, config diffs, the timeline. */
import defaultConfig from '../../config/switchyard.json';
import greenConfig from '../../config/green.json';
import { cutoverAlarms } from '../../functions/core/cutover/alarms';
import { periodValue } from '../../local/cutover/evaluate';
import { CUTOVER_DEFAULTS } from '../../functions/core/cutover/settings';
import type { RequestSummary } from '../../functions/core/telemetry/request-summary';
import { newUpstreamModels, routesUnderCutover, sharedRoutes } from '../../local/cutover/config-diff';
import { formatEvent } from '../../local/cutover/format';
import { timeScaled } from '../../local/cutover/run-cutover';
import { LOCAL_FUNCTION_NAME, VersionMetrics } from '../../local/cutover/version-metrics';
import { WeightedAlias } from '../../local/cutover/weighted-alias';
import type { StreamingHandler } from '../../local/lambda-streaming';

const handler = (async () => undefined) as unknown as StreamingHandler;

describe('WeightedAlias', () => {
  it('sends exactly the weight to the additional version, then promotes or rolls back', () => {
    const alias = new WeightedAlias({ version: '1', handler });
    alias.route({ version: '2', handler }, 0.1);
    const picks = Array.from({ length: 100 }, () => alias.select().version);
    expect(picks.filter((v) => v === '2')).toHaveLength(10);
    expect(alias.weights()).toEqual({ '1': 90, '2': 10 });
    expect(alias.invocations('2')).toBe(10);

    alias.rollback();
    expect(alias.weights()).toEqual({ '1': 100 });
    expect(new Set(Array.from({ length: 20 }, () => alias.select().version))).toEqual(new Set(['1']));

    alias.route({ version: '2', handler }, 1);
    alias.promote();
    expect(alias.weights()).toEqual({ '2': 100 });
    expect(alias.select().version).toBe('2');
  });
});

describe('VersionMetrics', () => {
  const summary = (over: Partial<RequestSummary>): RequestSummary => ({
    requestId: 'r',
    functionVersion: '2',
    route: 'auto',
    intent: 'general',
    variant: null,
    model: 'gemini-2.5-flash',
    endpoint: 'google-gemini-2.5-flash',
    stream: false,
    status: 200,
    attempts: [],
    fallbacks: 0,
    totalMs: 120,
    upstreamMs: 100,
    overheadMs: 20,
    promptTokens: 10,
    completionTokens: 5,
    costMicros: 15,
    breakersOpened: [],
    ...over,
  });

  it('stores what the router emits under each dimension set, so the alarm rules read it like CloudWatch', () => {
    let now = 1_000;
    const metrics = new VersionMetrics(() => now);
    const t = metrics.telemetry();
    t.requestDone(summary({}));
    t.requestDone(
      summary({
        fallbacks: 1,
        attempts: [
          { model: 'gpt-4.1-turbo', endpoint: 'openai-gpt-4.1-turbo', outcome: 500, ms: 5 },
          { model: 'gpt-4.1-turbo', endpoint: 'openai-gpt-4.1-turbo', outcome: 500, ms: 5 },
          { model: 'gemini-2.5-flash', endpoint: 'google-gemini-2.5-flash', outcome: 200, ms: 90 },
        ],
      }),
    );
    t.requestDone(summary({ functionVersion: '1' }));
    t.requestDone(summary({ stream: true, ttftMs: 80 }));
    now = 2_000;
    metrics.invocation('1');
    metrics.invocation('2');
    metrics.functionError('2');

    const [errorRate, fallbackRate, ttft, fnErrors] = cutoverAlarms(
      { ...CUTOVER_DEFAULTS.alarms, minRequests: 1 },
      { version: '2', functionName: LOCAL_FUNCTION_NAME, aliasName: 'live', stack: 'local' },
    );
    const samples = metrics.samples();
    // Green: 2 failed attempts in 3 requests, one fallback; blue (v1): one clean request.
    expect(periodValue(errorRate, samples, 0, 1_500)).toBeCloseTo(200 / 3);
    expect(periodValue(fallbackRate, samples, 0, 1_500)).toBeCloseTo(100 / 3);
    expect(periodValue(ttft, samples, 0, 1_500)).toBe(80);
    // Green's one invocation threw, blue's one did not: 100 points.
    expect(periodValue(fnErrors, samples, 0, 1_500)).toBeUndefined();
    expect(periodValue(fnErrors, samples, 1_500, 2_500)).toBeCloseTo(100);
  });
});

describe('time scaling', () => {
  it('scales only the sample-size guard with the schedule, never below one request', () => {
    const s = timeScaled({ ...CUTOVER_DEFAULTS, alarms: { ...CUTOVER_DEFAULTS.alarms, minRequests: 30 } }, 1_000);
    expect(s.alarms).toEqual({ ...CUTOVER_DEFAULTS.alarms, minRequests: 1 });
    expect(timeScaled(CUTOVER_DEFAULTS, 60_000).alarms.minRequests).toBe(5);
    expect(
      timeScaled({ ...CUTOVER_DEFAULTS, alarms: { ...CUTOVER_DEFAULTS.alarms, minRequests: 120 } }, 30_000).alarms
        .minRequests,
    ).toBe(60);
  });
});

describe('config diff', () => {
  it('finds the upstream models green adds and the routes that reach them', () => {
    expect(newUpstreamModels(defaultConfig, greenConfig)).toEqual(['gpt-4.1-turbo']);
    expect(newUpstreamModels(defaultConfig, defaultConfig)).toEqual([]);
    expect(sharedRoutes(defaultConfig, greenConfig)).toEqual(['auto', 'chat-default']);
    expect(routesUnderCutover(defaultConfig, greenConfig)).toEqual(['auto', 'chat-default']);
    expect(routesUnderCutover(defaultConfig, defaultConfig)).toEqual(['auto', 'chat-default']);
  });
});

describe('timeline', () => {
  it('prints shifts and decisions with the schedule clock and the alias weights', () => {
    expect(formatEvent({ type: 'shift', atMinute: 0, weights: { '1': 90, '2': 10 } })).toEqual([
      't+0:00  shift     live -> v1 90% / v2 10%',
    ]);
    expect(formatEvent({ type: 'rollback', atMinute: 2, alarms: ['ErrorRate'], weights: { '1': 100 } })).toEqual([
      't+2:00  ROLLBACK  ErrorRate in ALARM -> live -> v1 100%',
    ]);
    expect(formatEvent({ type: 'complete', atMinute: 5, weights: { '2': 100 } })).toEqual([
      't+5:00  complete  live -> v2 100%',
    ]);
  });
});
