import { Aws, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { DIMENSIONS, METRICS, METRIC_NAMESPACE } from '../../functions/core/telemetry/metric-names';
import type { ObservedConfig } from '../observed-config';

export interface SwitchyardDashboardProps {
  readonly config: ObservedConfig;
  /** Shown in an alarm status widget. */
  readonly alarms?: readonly cloudwatch.IAlarm[];
  /** The cutover's alarms on the newest version (the ones that roll a deployment back). */
  readonly cutoverAlarms?: readonly cloudwatch.IAlarm[];
  /** @default `<stack name>-<region>` (dashboards are global per account; one stack per region) */
  readonly dashboardName?: string;
}

const { model: MODEL, route: ROUTE, version: VERSION, errorClass: ERROR_CLASS, endpoint: ENDPOINT } = DIMENSIONS;
const FIVE_MINUTES = Duration.minutes(5);
const ONE_DAY = Duration.days(1);

/**
 * One line per value of the dimensions, whatever models, routes and versions exist: a SEARCH over
 * the exact dimension set the router emits (metric-names.ts). The dashboard therefore needs no
 * redeploy when a model is added or a new version starts taking traffic.
 */
export function search(
  metric: string,
  dims: readonly string[],
  stat: string,
  period: Duration,
  opts: { label?: string; scale?: number; stack?: string } = {},
): cloudwatch.MathExpression {
  // Every metric carries the Stack dimension: the schema names it and the search pins its value, so
  // another stack's metrics in the same account and region never show here.
  const schema = [METRIC_NAMESPACE, ...(opts.stack ? [DIMENSIONS.stack] : []), ...dims].join(',');
  const filter = opts.stack ? ` ${DIMENSIONS.stack}="${opts.stack}"` : '';
  const base = `SEARCH('{${schema}}${filter} MetricName="${metric}"', '${stat}', ${period.toSeconds()})`;
  return new cloudwatch.MathExpression({
    expression: opts.scale === undefined ? base : `${base} * ${opts.scale}`,
    usingMetrics: {},
    period,
    label: opts.label ?? '',
  });
}

/**
 * The operator's view: which model is failing, what today cost against the budget, and whether the
 * green version is worse than blue. Metrics come from the router (EMF, per FunctionVersion) and the
 * health-check function (per model and endpoint).
 */
export class SwitchyardDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: SwitchyardDashboardProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const stackSearch = (...[metric, dims, stat, period, opts]: Parameters<typeof search>) =>
      search(metric, dims, stat, period, { ...opts, stack: stack.stackName });
    const budgetUsd = props.config.globalDailyUsd;
    const graph = (title: string, left: cloudwatch.IMetric[], extra: Partial<cloudwatch.GraphWidgetProps> = {}) =>
      new cloudwatch.GraphWidget({ title, left, width: 8, height: 6, period: FIVE_MINUTES, ...extra });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? `${stack.stackName}-${Aws.REGION}`,
      defaultInterval: Duration.hours(6),
    });

    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        width: 24,
        height: 2,
        markdown: [
          `# Switchyard ${stack.stackName} (${METRIC_NAMESPACE} metrics, ${DIMENSIONS.stack}=${stack.stackName})`,
          'Router metrics carry the Lambda version (FunctionVersion): during a cutover every "per version" graph shows blue and green side by side. ' +
            'Per-request detail (attempts, errors, keys) is in the router log group; `GET /v1/stats` and `npm run report` show the DynamoDB counters.',
        ].join('\n'),
      }),
    );

    // Which model is failing?
    this.dashboard.addWidgets(
      graph('Requests per model', [stackSearch(METRICS.requests, [MODEL, VERSION], 'Sum', FIVE_MINUTES)]),
      graph('Server errors (5xx to clients) per model', [
        stackSearch(METRICS.serverErrors, [MODEL, VERSION], 'Sum', FIVE_MINUTES),
      ]),
      graph(
        'Upstream errors by model and class (429, 5xx, timeout, connection, ...)',
        [stackSearch(METRICS.upstreamErrors, [MODEL, ERROR_CLASS, VERSION], 'Sum', FIVE_MINUTES)],
        { stacked: true },
      ),
    );
    this.dashboard.addWidgets(
      graph('Latency p50 per model (ms)', [stackSearch(METRICS.latency, [MODEL, VERSION], 'p50', FIVE_MINUTES)]),
      graph('Latency p99 per model (ms)', [stackSearch(METRICS.latency, [MODEL, VERSION], 'p99', FIVE_MINUTES)]),
      graph('Time to first token p50 per model (ms, streams)', [
        stackSearch(METRICS.timeToFirstToken, [MODEL, VERSION], 'p50', FIVE_MINUTES),
      ]),
    );

    // What did today cost?
    const usd = 1 / 1_000_000;
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: `Cost per day (USD, UTC days) vs the $${budgetUsd} global budget`,
        width: 12,
        height: 6,
        period: ONE_DAY,
        start: '-P14D',
        left: [
          new cloudwatch.MathExpression({
            expression: `m1 * ${usd}`,
            usingMetrics: {
              m1: new cloudwatch.Metric({
                namespace: METRIC_NAMESPACE,
                metricName: METRICS.costMicros,
                dimensionsMap: { [DIMENSIONS.stack]: stack.stackName },
                statistic: 'Sum',
                period: ONE_DAY,
              }),
            },
            period: ONE_DAY,
            label: 'all models',
          }),
        ],
        leftAnnotations: [
          { value: budgetUsd, label: 'daily budget', color: cloudwatch.Color.RED },
          { value: budgetUsd * 0.8, label: '80% (alarm)', color: cloudwatch.Color.ORANGE },
        ],
        leftYAxis: { min: 0, label: 'USD' },
      }),
      new cloudwatch.GraphWidget({
        title: 'Cost per model per day (USD)',
        width: 12,
        height: 6,
        period: ONE_DAY,
        start: '-P14D',
        stacked: true,
        left: [stackSearch(METRICS.costMicros, [MODEL], 'Sum', ONE_DAY, { scale: usd })],
        leftYAxis: { min: 0, label: 'USD' },
      }),
    );
    this.dashboard.addWidgets(
      graph('Input tokens per model', [stackSearch(METRICS.inputTokens, [MODEL, VERSION], 'Sum', FIVE_MINUTES)]),
      graph('Output tokens per model', [stackSearch(METRICS.outputTokens, [MODEL, VERSION], 'Sum', FIVE_MINUTES)]),
      graph('Requests per route', [stackSearch(METRICS.requests, [ROUTE, VERSION], 'Sum', FIVE_MINUTES)]),
    );

    // Resilience: fallbacks, breakers, endpoint health.
    this.dashboard.addWidgets(
      graph(
        'Fallback rate (% of requests served after a fallback)',
        [stackSearch(METRICS.fallbacks, [VERSION], 'Average', FIVE_MINUTES, { scale: 100 })],
        { leftYAxis: { min: 0, max: 100 } },
      ),
      graph('Breaker opens per endpoint', [
        stackSearch(METRICS.breakerOpened, [ENDPOINT, VERSION], 'Sum', FIVE_MINUTES),
      ]),
      graph(
        'Breakers open (1 = open or half-open, health check)',
        [stackSearch(METRICS.breakerOpen, [ENDPOINT], 'Maximum', Duration.minutes(1))],
        { period: Duration.minutes(1) },
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Healthy endpoints per model (health check)',
        [stackSearch(METRICS.healthyEndpoints, [MODEL], 'Minimum', Duration.minutes(1))],
        { period: Duration.minutes(1), leftYAxis: { min: 0 } },
      ),
      graph(
        'Endpoint up (1) / down (0)',
        [stackSearch(METRICS.endpointUp, [MODEL, ENDPOINT], 'Minimum', Duration.minutes(1))],
        { period: Duration.minutes(1), leftYAxis: { min: 0, max: 1 } },
      ),
      graph('Probe latency p50 per endpoint (ms)', [
        stackSearch(METRICS.endpointLatency, [MODEL, ENDPOINT], 'p50', FIVE_MINUTES),
      ]),
    );

    // Is green worse than blue? Every router metric carries FunctionVersion.
    this.dashboard.addWidgets(
      graph('Traffic per version (requests)', [stackSearch(METRICS.requests, [VERSION], 'Sum', Duration.minutes(1))], {
        period: Duration.minutes(1),
        stacked: true,
      }),
      graph(
        'Server error rate per version (%)',
        [stackSearch(METRICS.serverErrors, [VERSION], 'Average', Duration.minutes(1), { scale: 100 })],
        { period: Duration.minutes(1), leftYAxis: { min: 0 } },
      ),
      graph('Latency p99 per version (ms)', [stackSearch(METRICS.latency, [VERSION], 'p99', Duration.minutes(1))], {
        period: Duration.minutes(1),
      }),
    );
    this.dashboard.addWidgets(
      graph(
        'Upstream errors per version',
        [stackSearch(METRICS.upstreamErrors, [VERSION], 'Sum', Duration.minutes(1))],
        {
          period: Duration.minutes(1),
        },
      ),
      graph('Gateway overhead p50 / p99 per version (ms)', [
        stackSearch(METRICS.overhead, [VERSION], 'p50', FIVE_MINUTES),
        stackSearch(METRICS.overhead, [VERSION], 'p99', FIVE_MINUTES),
      ]),
      graph('Client errors (4xx) per version', [stackSearch(METRICS.clientErrors, [VERSION], 'Sum', FIVE_MINUTES)]),
    );

    if (props.alarms?.length) this.addAlarmStatus('Operational alarms', props.alarms);
    if (props.cutoverAlarms?.length)
      this.addAlarmStatus('Cutover alarms (newest version; ALARM rolls the deployment back)', props.cutoverAlarms);
  }

  addAlarmStatus(title: string, alarms: readonly cloudwatch.IAlarm[]): void {
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title,
        alarms: [...alarms],
        width: 24,
        height: Math.min(12, 2 + Math.ceil(alarms.length / 4) * 2),
        sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
      }),
    );
  }
}
