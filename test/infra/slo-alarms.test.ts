/**
 * CDK assertions for the latency SLO alarms (one per model and objective) and the per-endpoint
 * "down for N health rounds" alarms: metric, statistic, threshold, windows, missing data, the
 * optional SNS topic, and that each watches a metric and dimension set something publishes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRIC_DIMENSION_SETS, METRICS } from '../../functions/core/telemetry/metric-names';
import { resolveSlos } from '../../functions/core/slo/objectives';
import { stackBuilder, type Resources } from '../helpers/synth';

const { build, outRoot } = stackBuilder('switchyard-slo-alarms-');
const BASE_CONFIG = JSON.parse(readFileSync(join(__dirname, '..', '..', 'config', 'switchyard.json'), 'utf8'));

type Alarm = Record<string, any> & { id: string };
const alarmsOf = (resources: Resources, prefix: string): Alarm[] =>
  Object.entries(resources)
    .filter(([id, r]) => r.Type === 'AWS::CloudWatch::Alarm' && id.startsWith(prefix))
    .map(([id, r]) => ({ id, ...r.Properties }));
const dims = (a: Alarm) =>
  Object.fromEntries((a.Dimensions as Array<{ Name: string; Value: string }>).map((d) => [d.Name, d.Value]));
const declared = (a: Alarm) =>
  (METRIC_DIMENSION_SETS[a.MetricName] ?? [])
    .map((s) => [...s].sort().join(','))
    .includes(Object.keys(dims(a)).sort().join(','));

function configFile(name: string, edit: (cfg: any) => void): string {
  const cfg = structuredClone(BASE_CONFIG);
  edit(cfg);
  const path = join(outRoot, name);
  writeFileSync(path, JSON.stringify(cfg));
  return path;
}

describe('latency SLO alarms, default config', () => {
  let slo: Alarm[];
  let down: Alarm[];
  beforeAll(() => {
    const { resources } = build({ alarmEmail: 'ops@example.com' });
    slo = alarmsOf(resources, 'ObservabilitySlo');
    down = alarmsOf(resources, 'ObservabilityAlarms').filter((a) => a.MetricName === METRICS.endpointDownRounds);
  });

  it('has one time-to-first-token alarm per model at its tier target and percentile, never breaching on no data', () => {
    const expected = resolveSlos(BASE_CONFIG);
    expect(slo.map((a) => dims(a).Model).sort()).toEqual(expected.map((s) => s.model).sort());
    for (const s of expected) {
      const a = slo.find((x) => dims(x).Model === s.model)!;
      expect(a).toMatchObject({
        AlarmName: `Switchyard-slo-${s.model}-ttft`,
        Namespace: 'Switchyard',
        MetricName: 'FirstTokenLatency',
        ExtendedStatistic: s.percentile,
        Period: 300,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: s.ttftMs,
        TreatMissingData: 'notBreaching',
        EvaluateLowSampleCountPercentile: 'ignore',
      });
      // Version-less: the alarm keeps watching the model through cutovers and rollbacks.
      expect(dims(a)).toEqual({ Stack: 'Switchyard', Model: s.model });
      expect(declared(a)).toBe(true);
      expect(a.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^ObservabilityAlarmTopic/) }]);
      expect(a.OKActions).toEqual(a.AlarmActions);
    }
    // The shipped tiers: premium 3 s for gpt-4.1, standard 1 s for deepseek, fast 200 ms for embeddings.
    const threshold = (m: string) => slo.find((x) => dims(x).Model === m)!.Threshold;
    expect([threshold('gpt-4.1'), threshold('deepseek-v3.2'), threshold('text-embedding-3-small')]).toEqual([
      3000, 1000, 200,
    ]);
  });

  it('has one "down for N rounds" alarm per endpoint on the health check metric, N = 3 by default', () => {
    const endpoints = BASE_CONFIG.models.flatMap((m: any) => m.endpoints.map((e: any) => [m.id, e.id]));
    expect(down.map((a) => [dims(a).Model, dims(a).Endpoint]).sort()).toEqual(endpoints.sort());
    for (const a of down) {
      expect(a).toMatchObject({
        AlarmName: `Switchyard-endpoint-down-${dims(a).Endpoint}`,
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 3,
        TreatMissingData: 'notBreaching',
      });
      expect(declared(a)).toBe(true);
      expect(a.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^ObservabilityAlarmTopic/) }]);
    }
  });
});

describe('latency SLO alarms follow the config', () => {
  let slo: Alarm[];
  let down: Alarm[];
  let resources: Resources;
  beforeAll(() => {
    const configPath = configFile('slo.json', (cfg) => {
      cfg.slo = {
        tiers: { standard: { ttftMs: 700, percentile: 'p99' } },
        alarm: { periodSeconds: 60, evaluationPeriods: 5, datapointsToAlarm: 2 },
      };
      cfg.health.alarmAfterDownRounds = 6;
      const model = (id: string) => cfg.models.find((m: any) => m.id === id);
      model('gpt-4.1').slo = { ttftMs: 500, totalMs: 20000 };
      model('nova-pro').slo = null;
    });
    ({ resources } = build({ configPath }));
    slo = alarmsOf(resources, 'ObservabilitySlo');
    down = alarmsOf(resources, 'ObservabilityAlarms').filter((a) => a.MetricName === METRICS.endpointDownRounds);
  });

  it("uses a model's own numbers (both measures), a changed tier, and no alarm for slo: null", () => {
    const of = (model: string) => slo.filter((a) => dims(a).Model === model);
    expect(
      of('gpt-4.1')
        .map((a) => [a.MetricName, a.Threshold, a.ExtendedStatistic, a.AlarmName])
        .sort(),
    ).toEqual([
      ['FirstTokenLatency', 500, 'p95', 'Switchyard-slo-gpt-4.1-ttft'],
      ['Latency', 20000, 'p95', 'Switchyard-slo-gpt-4.1-total'],
    ]);
    // deepseek names the standard tier, which this config changed.
    expect(of('deepseek-v3.2').map((a) => [a.Threshold, a.ExtendedStatistic])).toEqual([[700, 'p99']]);
    expect(of('nova-pro')).toEqual([]);
    for (const a of slo) {
      expect(a).toMatchObject({ Period: 60, EvaluationPeriods: 5, DatapointsToAlarm: 2 });
      expect(declared(a)).toBe(true);
      // No topic configured: the alarms change state and show on the dashboard, nobody is paged.
      expect(a.AlarmActions).toBeUndefined();
    }
  });

  it('takes N from health.alarmAfterDownRounds', () => {
    expect(new Set(down.map((a) => a.Threshold))).toEqual(new Set([6]));
  });

  it('lists the SLO alarms on the dashboard', () => {
    const [dash] = Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dash.Properties.DashboardBody);
    expect(body).toContain('Latency SLOs per model');
    for (const a of slo) expect(body).toContain(a.id);
  });
});
