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
import { alarmState, breaches, periodValue, statistic, type MetricSample } from '../../functions/core/cutover/evaluate';
import { describeShift, percentAt, shiftMinutes, trafficSteps } from '../../functions/core/cutover/schedule';
import { CUTOVER_DEFAULTS, cutoverSettings, type CutoverSettings } from '../../functions/core/cutover/settings';
import { METRIC_NAMESPACE } from '../../functions/core/telemetry/metric-names';

const target = { version: '7', functionName: 'router-fn', aliasName: 'live' };

describe('cutover settings', () => {
  it('defaults to a 10% canary for 5 minutes with two 1-minute alarm periods', () => {
    expect(CUTOVER_DEFAULTS).toMatchObject({
      traffic: 'canary',
      percent: 10,
      intervalMinutes: 5,
      alarms: { periodSeconds: 60, evaluationPeriods: 2 },
    });
    expect(compileConfig(defaultConfig).raw.cutover).toEqual(CUTOVER_DEFAULTS);
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
      const typed: CutoverSettings = compileConfig({ ...defaultConfig, cutover }).raw.cutover;
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

  it('watches the new version only, by version number', () => {
    expect(specs.map((s) => s.id)).toEqual(['ErrorRate', 'FallbackRate', 'LatencyP99', 'FunctionErrors']);
    for (const s of specs.filter((x) => x.id !== 'FunctionErrors')) {
      for (const q of s.metrics)
        expect(q).toMatchObject({ namespace: METRIC_NAMESPACE, dimensions: { FunctionVersion: '7' } });
    }
    expect(spec('FunctionErrors').metrics).toEqual([
      {
        id: 'errors',
        namespace: 'AWS/Lambda',
        metricName: 'Errors',
        statistic: 'Sum',
        dimensions: { FunctionName: 'router-fn', Resource: 'router-fn:live', ExecutedVersion: '7' },
      },
    ]);
    expect(spec('LatencyP99').metrics[0]).toMatchObject({ metricName: 'Latency', statistic: 'p99' });
    for (const s of specs)
      expect(s).toMatchObject({
        periodSeconds: 60,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: 'notBreaching',
      });
  });

  it('renders the expressions as CloudWatch metric math', () => {
    expect(renderExpression(spec('ErrorRate').expression!)).toBe(
      'IF(requests >= 5, ((100 * (FILL(serverErrors, 0) + FILL(upstreamErrors, 0))) / requests), 0)',
    );
    expect(renderExpression(spec('FallbackRate').expression!)).toBe(
      'IF(requests >= 5, ((100 * FILL(fallbacks, 0)) / requests), 0)',
    );
  });

  it('evaluates the expressions like CloudWatch: FILL for missing operands, nothing without requests', () => {
    const e = spec('ErrorRate').expression!;
    expect(evaluateExpression(e, { requests: 10, serverErrors: 1, upstreamErrors: 2 })).toBeCloseTo(30);
    expect(evaluateExpression(e, { requests: 10, serverErrors: undefined, upstreamErrors: 1 })).toBeCloseTo(10);
    expect(evaluateExpression(e, { requests: 4, serverErrors: 4, upstreamErrors: 4 })).toBe(0);
    expect(evaluateExpression(e, { requests: undefined, serverErrors: 1, upstreamErrors: 1 })).toBeUndefined();
  });

  it('takes thresholds and periods from the settings', () => {
    const custom = cutoverAlarms(
      {
        ...CUTOVER_DEFAULTS.alarms,
        errorRatePercent: 2,
        p99LatencyMs: 9000,
        periodSeconds: 120,
        evaluationPeriods: 3,
        minRequests: 1,
      },
      target,
    );
    expect(custom.map((s) => [s.id, s.threshold, s.periodSeconds, s.evaluationPeriods])).toEqual([
      ['ErrorRate', 2, 120, 3],
      ['FallbackRate', 25, 120, 3],
      ['LatencyP99', 9000, 120, 3],
      ['FunctionErrors', 0, 120, 3],
    ]);
    expect(renderExpression(custom[0].expression!)).toContain('requests >= 1');
  });
});

describe('alarm evaluation', () => {
  const specs = cutoverAlarms({ ...CUTOVER_DEFAULTS.alarms, minRequests: 2 }, target);
  const errorRate = specs[0];
  const latency = specs[2];
  const sample = (at: number, metricName: string, value: number, version = '7'): MetricSample => ({
    at,
    namespace: METRIC_NAMESPACE,
    metricName,
    dimensions: { FunctionVersion: version },
    value,
  });
  const request = (at: number, upstreamErrors: number, version = '7') => [
    sample(at, 'Requests', 1, version),
    sample(at, 'ServerErrors', 0, version),
    sample(at, 'UpstreamErrors', upstreamErrors, version),
  ];

  it('computes sums and nearest-rank p99', () => {
    expect(statistic('Sum', [1, 2, 3])).toBe(6);
    expect(
      statistic(
        'p99',
        Array.from({ length: 100 }, (_, i) => i + 1),
      ),
    ).toBe(99);
    expect(statistic('p99', [5])).toBe(5);
    expect(statistic('Sum', [])).toBeUndefined();
  });

  it('reads only the period, the version and the exact dimension set', () => {
    const samples = [
      ...request(0, 2),
      ...request(10, 0),
      ...request(10, 5, '6'), // the old version
      { ...sample(10, 'UpstreamErrors', 9), dimensions: { FunctionVersion: '7', Model: 'gpt-4.1' } }, // another set
      ...request(100, 9), // next period
    ];
    expect(periodValue(errorRate, samples, 0, 60)).toBeCloseTo(100);
    expect(periodValue(errorRate, samples, 60, 120)).toBe(0); // one request: under minRequests
    expect(periodValue(errorRate, samples, 200, 260)).toBeUndefined();
    expect(periodValue(latency, [sample(1, 'Latency', 40), sample(2, 'Latency', 900)], 0, 60)).toBe(900);
  });

  it('alarms after N breaching periods in a row; missing data does not breach', () => {
    expect(breaches(errorRate, 6)).toBe(true);
    expect(breaches(errorRate, 5)).toBe(false);
    expect(alarmState(errorRate, [])).toBe('INSUFFICIENT_DATA');
    expect(alarmState(errorRate, [50])).toBe('OK');
    expect(alarmState(errorRate, [50, 60])).toBe('ALARM');
    expect(alarmState(errorRate, [50, undefined])).toBe('OK');
    expect(alarmState(errorRate, [50, undefined, 50])).toBe('OK');
    expect(alarmState(errorRate, [0, 50, 50])).toBe('ALARM');
    expect(alarmState(errorRate, [undefined, undefined])).toBe('INSUFFICIENT_DATA');
  });
});
