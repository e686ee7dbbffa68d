/**
 * CDK assertions for the dashboard, the operational alarms and their optional SNS topic.
 *
 * Cheap synth: bundling is skipped (`aws:cdk:bundling-stacks: []`, the function code is not what
 * these tests look at) and CloudFormation's built-in validation is off, so a stack builds in ~1 s.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { compileConfig } from '../../functions/core/config/compile';
import { METRIC_DIMENSION_SETS, METRICS } from '../../functions/core/telemetry/metric-names';
import { DEFAULT_GLOBAL_DAILY_USD } from '../../lib/observed-config';
import { stackBuilder } from '../helpers/synth';

const { build, outRoot } = stackBuilder('switchyard-observability-', { bundle: false });
const BASE_CONFIG = JSON.parse(readFileSync(join(__dirname, '..', '..', 'config', 'switchyard.json'), 'utf8'));

type Resource = { Type: string; Properties: Record<string, any> };
const ofType = (t: Template, type: string) =>
  Object.entries(t.toJSON().Resources as Record<string, Resource>).filter(([, r]) => r.Type === type);
/** The operational alarms (other constructs, e.g. the cutover, add alarms of their own). */
const alarms = (t: Template): Array<Record<string, any>> =>
  ofType(t, 'AWS::CloudWatch::Alarm')
    .filter(([id]) => id.startsWith('ObservabilityAlarms'))
    .map(([id, r]) => ({ id, ...r.Properties }));
const dims = (a: { Dimensions?: Array<{ Name: string; Value: string }> }) =>
  Object.fromEntries((a.Dimensions ?? []).map((d) => [d.Name, d.Value]));

/** The dashboard body with CloudFormation tokens filled in, parsed. */
function dashboardBody(t: Template): { widgets: Array<{ type: string; properties: Record<string, any> }> } {
  const [[, dash]] = ofType(t, 'AWS::CloudWatch::Dashboard');
  const parts: unknown[] = dash.Properties.DashboardBody['Fn::Join'][1];
  const text = parts
    .map((p) => (typeof p === 'string' ? p : (p as { Ref?: string }).Ref === 'AWS::Region' ? 'us-east-1' : 'TOKEN'))
    .join('');
  return JSON.parse(text);
}

/** Every SEARCH of the dashboard as { metric, dims (sorted), stat, stack (the Stack="..." filter) }. */
function searches(body: ReturnType<typeof dashboardBody>) {
  const out: Array<{ title: string; metric: string; dims: string[]; stat: string; stack?: string }> = [];
  for (const w of body.widgets) {
    for (const line of (w.properties.metrics ?? []) as unknown[][]) {
      for (const item of line) {
        const expr = (item as { expression?: string })?.expression;
        const m = expr?.match(
          /SEARCH\('\{Switchyard((?:,[A-Za-z]+)*)\}(?: Stack="([A-Za-z0-9-]+)")? MetricName="([A-Za-z]+)"', '([A-Za-z0-9]+)', \d+\)/,
        );
        if (m)
          out.push({
            title: w.properties.title,
            metric: m[3],
            dims: m[1].split(',').filter(Boolean).sort(),
            stat: m[4],
            stack: m[2],
          });
      }
    }
  }
  return out;
}

describe('observability in the stack (alarm email set)', () => {
  let built: ReturnType<typeof build>;
  beforeAll(() => {
    built = build({}, { context: { 'switchyard:alarmEmail': 'ops@example.com' } });
  });

  it('has a dashboard answering which model fails, what today cost, and whether green is worse than blue', () => {
    const body = dashboardBody(built.template);
    const titles = body.widgets.map((w) => w.properties.title).filter(Boolean);
    expect(titles).toEqual(
      expect.arrayContaining([
        'Requests per model',
        'Server errors (5xx to clients) per model',
        'Latency p50 per model (ms)',
        'Latency p99 per model (ms)',
        'Fallback rate (% of requests served after a fallback)',
        'Breaker opens per endpoint',
        'Healthy endpoints per model (health check)',
        'Traffic per version (requests)',
        'Server error rate per version (%)',
        'Latency p99 per version (ms)',
        'Operational alarms',
      ]),
    );
    const s = searches(body);
    // Every SEARCH names the Stack dimension and pins it to this stack.
    expect(s.length).toBeGreaterThan(10);
    for (const q of s) expect(q).toMatchObject({ stack: 'Switchyard', dims: expect.arrayContaining(['Stack']) });
    const has = (metric: string, d: string[], stat: string) =>
      expect(s).toContainEqual(expect.objectContaining({ metric, dims: ['Stack', ...d].sort(), stat }));
    has('Requests', ['Model', 'FunctionVersion'], 'Sum');
    has('ServerErrors', ['Model', 'FunctionVersion'], 'Sum');
    has('UpstreamErrors', ['Model', 'ErrorClass', 'FunctionVersion'], 'Sum');
    has('Latency', ['Model', 'FunctionVersion'], 'p50');
    has('Latency', ['Model', 'FunctionVersion'], 'p99');
    has('Fallbacks', ['FunctionVersion'], 'Average');
    has('BreakerOpened', ['Endpoint', 'FunctionVersion'], 'Sum');
    has('HealthyEndpoints', ['Model'], 'Minimum');
    has('Requests', ['FunctionVersion'], 'Sum');
    has('ServerErrors', ['FunctionVersion'], 'Average');
    has('Latency', ['FunctionVersion'], 'p99');
    has('CostMicroUsd', ['Model'], 'Sum');

    // Cost per UTC day, in USD, against the configured global budget and the 80% line.
    const cost = body.widgets.find((w) => String(w.properties.title).startsWith('Cost per day'))!.properties;
    expect(cost.period).toBe(86400);
    expect(cost.metrics).toContainEqual([
      'Switchyard',
      'CostMicroUsd',
      'Stack',
      'Switchyard',
      { stat: 'Sum', period: 86400, id: 'm1', visible: false },
    ]);
    expect(cost.metrics[0][0].expression).toBe('m1 * 0.000001');
    expect(cost.annotations.horizontal.map((a: { value: number }) => a.value)).toEqual([
      BASE_CONFIG.budgets.globalDailyUsd,
      BASE_CONFIG.budgets.globalDailyUsd * 0.8,
    ]);
    const status = body.widgets.find((w) => w.properties.title === 'Operational alarms')!;
    expect(status.properties.alarms).toHaveLength(alarms(built.template).length);
    // The cutover's rollback alarms sit next to them.
    const cutover = body.widgets.find((w) => String(w.properties.title).startsWith('Cutover alarms'))!;
    // The router's, and the authorizer's own.
    expect(cutover.properties.alarms.length).toBe(Object.keys(built.stack.cutover.alarms).length + 1);
  });

  it('every dashboard SEARCH and alarm uses a metric and dimension set that something publishes', () => {
    for (const q of searches(dashboardBody(built.template))) {
      const declared = (METRIC_DIMENSION_SETS[q.metric] ?? []).map((set) => [...set].sort().join(','));
      expect({ metric: q.metric, dims: q.dims.join(','), declared: declared.includes(q.dims.join(',')) }).toEqual({
        metric: q.metric,
        dims: q.dims.join(','),
        declared: true,
      });
    }
    for (const a of alarms(built.template)) {
      const declared = (METRIC_DIMENSION_SETS[a.MetricName] ?? []).map((set) => [...set].sort().join(','));
      expect(declared).toContain(Object.keys(dims(a)).sort().join(','));
      expect(a.Namespace).toBe('Switchyard');
      expect(dims(a).Stack).toBe('Switchyard');
    }
  });

  it('alarms when a model has no healthy endpoint, a breaker stays open, or spend passes 80% of the daily budget', () => {
    const all = alarms(built.template);
    const models: Array<{ id: string; endpoints: Array<{ id: string }> }> = BASE_CONFIG.models;

    const noHealthy = all.filter((a) => a.MetricName === METRICS.healthyEndpoints);
    expect(noHealthy.map((a) => dims(a).Model).sort()).toEqual(models.map((m) => m.id).sort());
    for (const a of noHealthy) {
      expect(a).toMatchObject({
        Statistic: 'Maximum',
        Period: 60,
        ComparisonOperator: 'LessThanThreshold',
        Threshold: 1,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
        TreatMissingData: 'missing',
      });
      expect(a.AlarmName).toBe(`Switchyard-no-healthy-endpoint-${dims(a).Model}`);
    }

    const breakers = all.filter((a) => a.MetricName === METRICS.breakerOpen);
    expect(breakers.map((a) => dims(a).Endpoint).sort()).toEqual(
      models.flatMap((m) => m.endpoints.map((e) => e.id)).sort(),
    );
    for (const a of breakers) {
      expect(a).toMatchObject({
        Statistic: 'Minimum',
        Period: 60,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
        EvaluationPeriods: 10,
        DatapointsToAlarm: 10,
        TreatMissingData: 'notBreaching',
      });
    }

    const spend = all.filter((a) => a.MetricName === METRICS.costMicros);
    expect(spend).toHaveLength(1); // the default config has no per-model budgets
    expect(spend[0]).toMatchObject({
      Statistic: 'Sum',
      Period: 86400,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: BASE_CONFIG.budgets.globalDailyUsd * 1e6 * 0.8,
    });
    expect(spend[0].Dimensions).toEqual([{ Name: 'Stack', Value: 'Switchyard' }]);
    const overrun = all.filter((a) => a.MetricName === METRICS.reservationOverrun);
    expect(overrun).toHaveLength(1);
    expect(overrun[0]).toMatchObject({
      Statistic: 'Sum',
      Period: 300,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(overrun[0].Dimensions).toEqual([{ Name: 'Stack', Value: 'Switchyard' }]);
    // One "down for N rounds" alarm per endpoint (test/infra/slo-alarms.test.ts looks at them closely).
    const endpointDown = all.filter((a) => a.MetricName === METRICS.endpointDownRounds);
    expect(endpointDown.map((a) => dims(a).Endpoint).sort()).toEqual(breakers.map((a) => dims(a).Endpoint).sort());
    expect(all).toHaveLength(noHealthy.length + breakers.length + endpointDown.length + spend.length + overrun.length);
  });

  it('notifies an SNS topic (TLS only) with the email subscribed, on ALARM and on OK', () => {
    const topics = ofType(built.template, 'AWS::SNS::Topic');
    expect(topics).toHaveLength(1);
    const [topicId] = topics[0];
    built.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: topicId },
    });
    const policy = ofType(built.template, 'AWS::SNS::TopicPolicy')[0][1].Properties.PolicyDocument.Statement;
    expect(policy).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    for (const a of alarms(built.template)) {
      expect(a.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(a.OKActions).toEqual([{ Ref: topicId }]);
    }
  });

  it('has no unacknowledged cdk-nag findings', () => {
    expect(
      new AwsSolutionsChecks()
        .validateScope(built.app)
        .violations.map((v) => `${v.ruleName} @ ${v.violatingResources.map((r) => r.constructPath).join(', ')}`),
    ).toEqual([]);
  });
});

describe('two stacks in one account and region', () => {
  it('a second stack gets its own Stack dimension on every alarm, cutover alarm and dashboard search', () => {
    const { template } = build({}, { context: { 'switchyard:stackName': 'Switchyard-dev' } });
    for (const a of alarms(template)) expect(dims(a).Stack).toBe('Switchyard-dev');
    for (const [, alarm] of ofType(template, 'AWS::CloudWatch::Alarm').filter(([id]) => id.startsWith('Cutover'))) {
      const custom = (alarm.Properties.Metrics as any[])
        .filter((m) => m.MetricStat?.Metric.Namespace === 'Switchyard')
        .map((m) => m.MetricStat.Metric.Dimensions);
      for (const d of custom) expect(d).toContainEqual({ Name: 'Stack', Value: 'Switchyard-dev' });
    }
    for (const q of searches(dashboardBody(template))) expect(q.stack).toBe('Switchyard-dev');
    const [[, fn]] = ofType(template, 'AWS::Lambda::Function').filter(([, r]) =>
      String(r.Properties.Description).startsWith('Switchyard router'),
    );
    expect(fn.Properties.Environment.Variables.SWITCHYARD_STACK_NAME).toBe('Switchyard-dev');
  });
});

describe('observability options', () => {
  it('per-model budgets get their own spend alarm; an existing topic and the breaker minutes come from context', () => {
    const dir = mkdtempSync(join(outRoot, 'cfg-'));
    const configPath = join(dir, 'budgets.json');
    const cfg = structuredClone(BASE_CONFIG);
    cfg.models.find((m: { id: string }) => m.id === 'gpt-4.1').dailyBudgetUsd = 25;
    cfg.budgets.globalDailyUsd = 40;
    writeFileSync(configPath, JSON.stringify(cfg));
    const topicArn = 'arn:aws:sns:us-east-1:123456789012:pager';
    const { template } = build(
      { configPath },
      { context: { 'switchyard:alarmTopicArn': topicArn, 'switchyard:breakerOpenAlarmMinutes': '5' } },
    );

    const spend = alarms(template).filter((a) => a.MetricName === METRICS.costMicros);
    expect(spend.map((a) => [dims(a).Model ?? 'global', a.Threshold]).sort()).toEqual([
      ['global', 32_000_000],
      ['gpt-4.1', 20_000_000],
    ]);
    for (const a of alarms(template)) expect(a.AlarmActions).toEqual([topicArn]);
    for (const a of alarms(template).filter((x) => x.MetricName === METRICS.breakerOpen))
      expect(a.EvaluationPeriods).toBe(5);
    template.resourceCountIs('AWS::SNS::Topic', 0);
    expect(
      dashboardBody(template).widgets.find((w) => String(w.properties.title).startsWith('Cost per day'))!.properties
        .title,
    ).toContain('$40');
  });

  it('without email or topic: the same alarms, no actions, no topic', () => {
    const { template } = build();
    template.resourceCountIs('AWS::SNS::Topic', 0);
    expect(alarms(template).length).toBeGreaterThan(0);
    for (const a of alarms(template)) expect(a.AlarmActions).toBeUndefined();
  });

  it('refuses nonsense alarm minutes', () => {
    expect(() => build({}, { context: { 'switchyard:breakerOpenAlarmMinutes': '0' } })).toThrow(/breakerOpenMinutes/);
  });

  it("lib's copy of the default global budget equals the schema's", () => {
    const cfg = structuredClone(BASE_CONFIG);
    delete cfg.budgets;
    expect(compileConfig(cfg).settings.budgets.globalDailyUsd).toBe(DEFAULT_GLOBAL_DAILY_USD);
  });
});
