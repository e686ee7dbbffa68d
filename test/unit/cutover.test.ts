/** The cutover's shared definitions: settings and their defaults, the traffic schedule, the alarm rules. */
import defaultConfig from '../../config/switchyard.json';
import greenConfig from '../../config/green.json';
import { compileConfig } from '../../functions/core/config/compile';
import {
  cutoverAlarms,
  evaluateExpression,
  renderExpression,
  type AlarmSpec,
} from '../../functions/core/cutover/alarms';
import { alarmState, breaches, periodValue, statistic, type MetricSample } from '../../local/cutover/evaluate';
import { describeShift, percentAt, shiftMinutes, trafficSteps } from '../../local/cutover/schedule';
import { CUTOVER_DEFAULTS, cutoverSettings, type CutoverSettings } from '../../functions/core/cutover/settings';
import { METRIC_NAMESPACE } from '../../functions/core/telemetry/metric-names';

const target = { version: '7', functionName: 'router-fn', aliasName: 'live', stack: 'Switchyard-prod' };

describe('cutover settings', () => {
  it('defaults to a 10% canary for 5 minutes with two 1-minute alarm periods', () => {
    expect(CUTOVER_DEFAULTS).toMatchObject({
      traffic: 'canary',
      percent: 10,
      intervalMinutes: 5,
      alarms: { periodSeconds: 60, evaluationPeriods: 3, datapointsToAlarm: 2 },
    });
    expect(compileConfig(defaultConfig).settings.cutover).toEqual(CUTOVER_DEFAULTS);
  });

  it('fills defaults the same way as the zod schema, for lib/ which does not load zod', () => {
    const sections: unknown[] = [
      undefined,
      {},
      { traffic: 'linear', percent: 20, intervalMinutes: 2 },
      { alarms: { errorRatePercent: 2, periodSeconds: 120 }, preTraffic: { enabled: false } },
      greenConfig.cutover,
    ];
    for (const cutover of sections) {
      const typed: CutoverSettings = compileConfig({ ...defaultConfig, cutover }).settings.cutover;
      expect(cutoverSettings(cutover)).toEqual(typed);
    }
  });

  it('rejects settings CodeDeploy or CloudWatch would refuse, naming the field', () => {
    const bad = {
      ...defaultConfig,
      cutover: {
        traffic: 'blue',
        percent: 100,
        intervalMinutes: 0,
        alarms: { periodSeconds: 90, evaluationPeriods: 0 },
      },
    };
    expect(() => compileConfig(bad)).toThrow(
      expect.objectContaining({
        problems: expect.arrayContaining([
          expect.stringMatching(/^cutover\.traffic: /),
          'cutover.percent: must be <= 99',
          'cutover.intervalMinutes: must be >= 1',
          'cutover.alarms.periodSeconds: must be a multiple of 60',
          'cutover.alarms.evaluationPeriods: must be > 0',
        ]),
      }),
    );
    expect(() =>
      compileConfig({ ...defaultConfig, cutover: { alarms: { evaluationPeriods: 2, datapointsToAlarm: 3 } } }),
    ).toThrow(
      expect.objectContaining({
        problems: [expect.stringMatching(/datapointsToAlarm must not exceed evaluationPeriods/)],
      }),
    );
  });

  it('config/green.json cuts gpt-4.1 over to gpt-4.1-turbo, which replaces it', () => {
    const green = compileConfig(greenConfig);
    expect(green.models.get('gpt-4.1-turbo')?.replaces).toBe('gpt-4.1');
    expect(green.routes.get('auto')?.intents.general?.[0]).toBe('gpt-4.1-turbo');
  });
});

describe('traffic schedule', () => {
  it('canary: the first share for the interval, then everything', () => {
    const s = { traffic: 'canary' as const, percent: 10, intervalMinutes: 5 };
    expect(trafficSteps(s)).toEqual([
      { atMinute: 0, percent: 10 },
      { atMinute: 5, percent: 100 },
    ]);
    expect(shiftMinutes(s)).toBe(5);
    expect([0, 4.9, 5, 6].map((m) => percentAt(trafficSteps(s), m))).toEqual([10, 10, 100, 100]);
    expect(describeShift(s)).toBe('canary 10% for 5 min, then 100%');
  });

  it('linear: a step every interval until all traffic moved, the last step capped at 100', () => {
    expect(trafficSteps({ traffic: 'linear', percent: 30, intervalMinutes: 2 })).toEqual([
      { atMinute: 0, percent: 30 },
      { atMinute: 2, percent: 60 },
      { atMinute: 4, percent: 90 },
      { atMinute: 6, percent: 100 },
    ]);
    expect(shiftMinutes({ traffic: 'linear', percent: 10, intervalMinutes: 1 })).toBe(9);
  });

  it('all at once: one step', () => {
    expect(trafficSteps({ traffic: 'all_at_once', percent: 10, intervalMinutes: 5 })).toEqual([
      { atMinute: 0, percent: 100 },
    ]);
  });
});

describe('cutover alarms', () => {
  const specs = cutoverAlarms(CUTOVER_DEFAULTS.alarms, target);
  const spec = (id: AlarmSpec['id']) => specs.find((s) => s.id === id)!;
  const stack = { Stack: 'Switchyard-prod' };
  const green = { Stack: 'Switchyard-prod', FunctionVersion: '7' };

  it('compares the new version with the stack total (every version) of this stack only', () => {
    expect(specs.map((s) => s.id)).toEqual(['ErrorRate', 'FallbackRate', 'TimeToFirstToken', 'FunctionErrors']);
    expect(spec('ErrorRate').metrics.map((q) => [q.id, q.metricName, q.dimensions])).toEqual([
      ['gReq', 'Requests', green],
      ['gSrv', 'ServerErrors', green],
      ['gUp', 'UpstreamErrors', green],
      ['tReq', 'Requests', stack],
      ['tSrv', 'ServerErrors', stack],
      ['tUp', 'UpstreamErrors', stack],
    ]);
    for (const s of specs.filter((x) => x.id !== 'FunctionErrors'))
      for (const q of s.metrics) expect(q).toMatchObject({ namespace: METRIC_NAMESPACE, dimensions: { ...stack } });
    const alias = { FunctionName: 'router-fn', Resource: 'router-fn:live' };
    expect(spec('FunctionErrors').metrics.map((q) => [q.id, q.namespace, q.metricName, q.dimensions])).toEqual([
      ['gInv', 'AWS/Lambda', 'Invocations', { ...alias, ExecutedVersion: '7' }],
      ['gErr', 'AWS/Lambda', 'Errors', { ...alias, ExecutedVersion: '7' }],
      ['tInv', 'AWS/Lambda', 'Invocations', alias],
      ['tErr', 'AWS/Lambda', 'Errors', alias],
    ]);
    expect(spec('TimeToFirstToken').metrics).toEqual([
      expect.objectContaining({ id: 'gTtft', metricName: 'TimeToFirstToken', statistic: 'p99', dimensions: green }),
      expect.objectContaining({ id: 'gStreams', metricName: 'TimeToFirstToken', statistic: 'SampleCount' }),
    ]);
    for (const s of specs)
      expect(s).toMatchObject({
        periodSeconds: 60,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        treatMissingData: 'notBreaching',
      });
  });

  it('renders the expressions as CloudWatch metric math', () => {
    expect(renderExpression(spec('FallbackRate').expression!)).toBe(
      'IF(gReq >= 5, (((100 * FILL(gFb, 0)) / gReq) - IF((FILL(tReq, 0) - FILL(gReq, 0)) >= 5, ' +
        '((100 * (FILL(tFb, 0) - FILL(gFb, 0))) / IF((FILL(tReq, 0) - FILL(gReq, 0)) >= 1, (FILL(tReq, 0) - FILL(gReq, 0)), 1)), 0)), 0)',
    );
    expect(renderExpression(spec('TimeToFirstToken').expression!)).toBe('IF(gStreams >= 5, gTtft, 0)');
    for (const s of specs) expect(renderExpression(s.expression!).length).toBeLessThan(1024);
  });

  it('judges green against blue: equal rates are 0 whatever the level, a worse green is the difference', () => {
    const e = spec('ErrorRate').expression!;
    // A provider outage: 9 blue requests and 1 green, every one with two failed attempts.
    expect(evaluateExpression(e, { gReq: 10, gSrv: 0, gUp: 20, tReq: 100, tSrv: 0, tUp: 200 })).toBeCloseTo(0);
    // Green alone fails: 30% against blue's 0%.
    expect(evaluateExpression(e, { gReq: 10, gSrv: 1, gUp: 2, tReq: 100, tSrv: 1, tUp: 2 })).toBeCloseTo(30);
    // Green better than blue: negative, never breaching.
    expect(evaluateExpression(e, { gReq: 10, gSrv: 0, gUp: 0, tReq: 100, tSrv: 45, tUp: 0 })).toBeCloseTo(-50);
    // Missing operands count as 0 where FILLed.
    expect(
      evaluateExpression(e, { gReq: 10, gSrv: undefined, gUp: 1, tReq: 100, tSrv: undefined, tUp: 1 }),
    ).toBeCloseTo(10);
  });

  it('needs a minimum sample: too few green requests is 0, too few blue ones makes the rule absolute', () => {
    const e = spec('ErrorRate').expression!;
    expect(evaluateExpression(e, { gReq: 4, gSrv: 4, gUp: 4, tReq: 100, tSrv: 4, tUp: 4 })).toBe(0);
    // All traffic on green (blue 0 requests): green's own rate, and no division by zero.
    expect(evaluateExpression(e, { gReq: 10, gSrv: 2, gUp: 0, tReq: 10, tSrv: 2, tUp: 0 })).toBeCloseTo(20);
    expect(evaluateExpression(e, { gReq: 10, gSrv: 2, gUp: 0, tReq: 13, tSrv: 2, tUp: 0 })).toBeCloseTo(20);
    // No green traffic: missing (not breaching).
    expect(evaluateExpression(e, { gReq: undefined, tReq: 100, tSrv: 50, tUp: 50 })).toBeUndefined();
    const ttft = spec('TimeToFirstToken').expression!;
    expect(evaluateExpression(ttft, { gTtft: 90_000, gStreams: 4 })).toBe(0);
    expect(evaluateExpression(ttft, { gTtft: 90_000, gStreams: 5 })).toBe(90_000);
  });

  it('takes thresholds and periods from the settings', () => {
    const custom = cutoverAlarms(
      {
        ...CUTOVER_DEFAULTS.alarms,
        errorRatePercent: 2,
        ttftP99Ms: 9000,
        periodSeconds: 120,
        evaluationPeriods: 4,
        datapointsToAlarm: 3,
        minRequests: 1,
      },
      target,
    );
    expect(custom.map((s) => [s.id, s.threshold, s.periodSeconds, s.evaluationPeriods, s.datapointsToAlarm])).toEqual([
      ['ErrorRate', 2, 120, 4, 3],
      ['FallbackRate', 25, 120, 4, 3],
      ['TimeToFirstToken', 9000, 120, 4, 3],
      ['FunctionErrors', 1, 120, 4, 3],
    ]);
    expect(renderExpression(custom[0].expression!)).toContain('IF(gReq >= 1,');
  });
});

describe('alarm evaluation', () => {
  const specs = cutoverAlarms({ ...CUTOVER_DEFAULTS.alarms, minRequests: 2 }, target);
  const errorRate = specs[0];
  const ttft = specs[2];
  const sample = (at: number, metricName: string, value: number, dimensions: Record<string, string>): MetricSample => ({
    at,
    namespace: METRIC_NAMESPACE,
    metricName,
    dimensions,
    value,
  });
  /** One request as the router emits it: under [Stack, FunctionVersion] and under [Stack]. */
  const request = (at: number, upstreamErrors: number, version = '7', stack = 'Switchyard-prod') =>
    [{ Stack: stack, FunctionVersion: version } as Record<string, string>, { Stack: stack }].flatMap((d) => [
      sample(at, 'Requests', 1, d),
      sample(at, 'ServerErrors', 0, d),
      sample(at, 'UpstreamErrors', upstreamErrors, d),
    ]);

  it('computes sums, sample counts and nearest-rank p99', () => {
    expect(statistic('Sum', [1, 2, 3])).toBe(6);
    expect(statistic('SampleCount', [10, 20, 30])).toBe(3);
    expect(
      statistic(
        'p99',
        Array.from({ length: 100 }, (_, i) => i + 1),
      ),
    ).toBe(99);
    expect(statistic('p99', [5])).toBe(5);
    expect(statistic('Sum', [])).toBeUndefined();
  });

  it('reads only the period, this stack and the exact dimension sets', () => {
    const samples = [
      ...request(0, 2),
      ...request(10, 0),
      ...request(10, 0, '6'), // the old version: blue's 0% against green's 100%
      ...request(10, 9, '7', 'Switchyard-dev'), // another stack, same version number
      sample(10, 'UpstreamErrors', 9, { Stack: 'Switchyard-prod', FunctionVersion: '7', Model: 'gpt-4.1' }),
      ...request(100, 9), // next period
    ];
    expect(periodValue(errorRate, samples, 0, 60)).toBeCloseTo(100);
    expect(periodValue(errorRate, samples, 60, 120)).toBe(0); // one green request: under minRequests
    expect(periodValue(errorRate, samples, 200, 260)).toBeUndefined();
    const stream = (at: number, ms: number) =>
      sample(at, 'TimeToFirstToken', ms, { Stack: 'Switchyard-prod', FunctionVersion: '7' });
    expect(periodValue(ttft, [stream(1, 40), stream(2, 900)], 0, 60)).toBe(900);
    expect(periodValue(ttft, [stream(1, 40_000)], 0, 60)).toBe(0); // one stream: no evidence
  });

  it('alarms when M of the last N periods breach; missing data does not breach', () => {
    // Default: 2 of 3.
    expect(breaches(errorRate, 6)).toBe(true);
    expect(breaches(errorRate, 5)).toBe(false);
    expect(alarmState(errorRate, [])).toBe('INSUFFICIENT_DATA');
    expect(alarmState(errorRate, [50])).toBe('OK');
    expect(alarmState(errorRate, [50, 60])).toBe('ALARM');
    expect(alarmState(errorRate, [50, undefined, 50])).toBe('ALARM');
    expect(alarmState(errorRate, [50, 0, 0, 50])).toBe('OK');
    expect(alarmState(errorRate, [50, undefined])).toBe('OK');
    expect(alarmState(errorRate, [0, 50, 0, 50])).toBe('ALARM');
    expect(alarmState(errorRate, [undefined, undefined])).toBe('INSUFFICIENT_DATA');
  });
});
