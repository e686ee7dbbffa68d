import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { DIMENSIONS, METRICS, METRIC_NAMESPACE } from '../../functions/core/telemetry/metric-names';
import type { ObservedConfig } from '../observed-config';

export interface OperationalAlarmsProps {
  readonly config: ObservedConfig;
  /** Notified on ALARM and back to OK. @default - no notifications (state visible in the console and dashboard) */
  readonly topic?: sns.ITopic;
  /** "Breaker open longer than N minutes". @default 10 */
  readonly breakerOpenMinutes?: number;
  /** Minutes without a healthy endpoint before the model alarm fires. @default 3 */
  readonly noHealthyEndpointMinutes?: number;
  /** Fraction of a daily budget that raises the spend alarm. @default 0.8 */
  readonly budgetWarningRatio?: number;
  /** Recorded health rounds an endpoint stays down before its alarm fires. @default config.alarmAfterDownRounds, else 3 */
  readonly endpointDownRounds?: number;
}

/**
 * Operational alarms, one per thing an operator acts on:
 *
 * - no healthy endpoint for a model: the health check's HealthyEndpoints{Model} gauge has a Maximum
 *   below 1 for N minutes. Missing data stays missing (INSUFFICIENT_DATA): no health-check data is
 *   its own problem and must not look like "all fine" or page as "model down".
 * - an endpoint down for N health rounds (`health.alarmAfterDownRounds`, default 3): the health
 *   check publishes EndpointDownRounds{Model, Endpoint} (consecutive recorded rounds down, 0 while
 *   up) with every result; Maximum >= N in a minute alarms, a 0 clears it. Rounds, not minutes: with
 *   10 s rounds it fires within a minute of the endpoint going down for good. Missing data (no
 *   health check) is not breaching here; the model alarm above and the health check function's own
 *   error alarm cover that.
 * - breaker open longer than N minutes: the health check publishes BreakerOpen{Endpoint} (1 while
 *   open or half-open) every round; Minimum >= 1 in N consecutive minutes means it never closed.
 *   Missing minutes count as closed, so only an unbroken open stretch alarms. The router's own
 *   BreakerOpened count cannot express duration: open breakers receive no traffic.
 * - spend above 80% of a daily budget (global, and each model with `dailyBudgetUsd`): the router's
 *   version-less CostMicroUsd summed over a one-day period. CloudWatch sums the last 24 hours, which
 *   includes everything spent since 00:00 UTC, so the alarm is never later than the UTC-day figure
 *   (it can fire early on yesterday's late traffic). The ledger enforces the exact limit either way;
 *   per-key budgets are enforced there and shown in /v1/stats (keys are not known at synth).
 * - a settlement above its reservation (ReservationOverrunMicroUsd, any datapoint in 5 minutes): the
 *   reservation is meant to cover everything billed, so an overrun is a gap in the estimate that
 *   lets a budget be overspent; the request log line carries `overrunMicros` to find it.
 */
export class OperationalAlarms extends Construct {
  readonly noHealthyEndpoint: ReadonlyMap<string, cloudwatch.Alarm>;
  readonly breakerOpen: ReadonlyMap<string, cloudwatch.Alarm>;
  /** Keyed by endpoint id. */
  readonly endpointDown: ReadonlyMap<string, cloudwatch.Alarm>;
  /** Keyed `global` or the model id. */
  readonly spend: ReadonlyMap<string, cloudwatch.Alarm>;
  readonly reservationOverrun: cloudwatch.Alarm;
  readonly all: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: OperationalAlarmsProps) {
    super(scope, id);
    const prefix = Stack.of(this).stackName;
    const breakerMinutes = props.breakerOpenMinutes ?? 10;
    const downMinutes = props.noHealthyEndpointMinutes ?? 3;
    const ratio = props.budgetWarningRatio ?? 0.8;
    const downRounds = props.endpointDownRounds ?? props.config.alarmAfterDownRounds ?? 3;
    if (!Number.isInteger(downRounds) || downRounds < 1)
      throw new Error(`endpointDownRounds must be a positive integer, got ${downRounds}`);
    if (!(ratio > 0 && ratio <= 1)) throw new Error(`budgetWarningRatio must be in (0, 1], got ${ratio}`);
    for (const [name, n] of [
      ['breakerOpenMinutes', breakerMinutes],
      ['noHealthyEndpointMinutes', downMinutes],
    ] as const) {
      // One-minute periods: CloudWatch evaluates at most a day of them.
      if (!Number.isInteger(n) || n < 1 || n > 1440)
        throw new Error(`${name} must be an integer from 1 to 1440, got ${n}`);
    }
    // Every metric of this stack carries its Stack dimension: another stack's metrics never reach these alarms.
    const metric = (metricName: string, dimensionsMap: Record<string, string>, statistic: string, period: Duration) =>
      new cloudwatch.Metric({
        namespace: METRIC_NAMESPACE,
        metricName,
        dimensionsMap: { [DIMENSIONS.stack]: prefix, ...dimensionsMap },
        statistic,
        period,
      });

    const noHealthy = new Map<string, cloudwatch.Alarm>();
    const breakers = new Map<string, cloudwatch.Alarm>();
    const endpointDown = new Map<string, cloudwatch.Alarm>();
    const spend = new Map<string, cloudwatch.Alarm>();

    // Construct ids from model and endpoint ids (not positions), so reordering the config keeps every alarm.
    const cid = (s: string) => s.replace(/\//g, '_');
    for (const model of props.config.models) {
      noHealthy.set(
        model.id,
        metric(
          METRICS.healthyEndpoints,
          { [DIMENSIONS.model]: model.id },
          cloudwatch.Stats.MAXIMUM,
          Duration.minutes(1),
        ).createAlarm(this, `NoHealthyEndpoint-${cid(model.id)}`, {
          alarmName: `${prefix}-no-healthy-endpoint-${model.id}`,
          alarmDescription: `Switchyard: no endpoint of model ${model.id} has passed health checks for ${downMinutes} minutes; requests for it fall back or fail.`,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          threshold: 1,
          evaluationPeriods: downMinutes,
          datapointsToAlarm: downMinutes,
          treatMissingData: cloudwatch.TreatMissingData.MISSING,
        }),
      );
      for (const endpoint of model.endpoints) {
        endpointDown.set(
          endpoint,
          metric(
            METRICS.endpointDownRounds,
            { [DIMENSIONS.model]: model.id, [DIMENSIONS.endpoint]: endpoint },
            cloudwatch.Stats.MAXIMUM,
            Duration.minutes(1),
          ).createAlarm(this, `EndpointDown-${cid(endpoint)}`, {
            alarmName: `${prefix}-endpoint-down-${endpoint}`,
            alarmDescription: `Switchyard: endpoint ${endpoint} (model ${model.id}) has been marked down for ${downRounds} consecutive health-check rounds; its model is served by its other endpoints or fallbacks.`,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            threshold: downRounds,
            evaluationPeriods: 1,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          }),
        );
        breakers.set(
          endpoint,
          metric(
            METRICS.breakerOpen,
            { [DIMENSIONS.endpoint]: endpoint },
            cloudwatch.Stats.MINIMUM,
            Duration.minutes(1),
          ).createAlarm(this, `BreakerOpen-${cid(endpoint)}`, {
            alarmName: `${prefix}-breaker-open-${endpoint}`,
            alarmDescription: `Switchyard: the circuit breaker of endpoint ${endpoint} (model ${model.id}) has been open for ${breakerMinutes} minutes.`,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            threshold: 1,
            evaluationPeriods: breakerMinutes,
            datapointsToAlarm: breakerMinutes,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          }),
        );
      }
    }

    const spendAlarm = (key: string, cid: string, dims: Record<string, string>, limitUsd: number, what: string) =>
      spend.set(
        key,
        metric(METRICS.costMicros, dims, cloudwatch.Stats.SUM, Duration.days(1)).createAlarm(this, cid, {
          alarmName: `${prefix}-spend-${key}-over-${Math.round(ratio * 100)}pct`,
          alarmDescription: `Switchyard: ${what} spend over the last 24 hours passed ${Math.round(ratio * 100)}% of its $${limitUsd}/day budget.`,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          threshold: Math.round(limitUsd * 1e6 * ratio),
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    if (props.config.globalDailyUsd > 0) spendAlarm('global', 'SpendGlobal', {}, props.config.globalDailyUsd, 'global');
    for (const m of props.config.models) {
      if (m.dailyBudgetUsd && m.dailyBudgetUsd > 0)
        spendAlarm(m.id, `Spend-${cid(m.id)}`, { [DIMENSIONS.model]: m.id }, m.dailyBudgetUsd, `model ${m.id}`);
    }

    this.reservationOverrun = metric(
      METRICS.reservationOverrun,
      {},
      cloudwatch.Stats.SUM,
      Duration.minutes(5),
    ).createAlarm(this, 'ReservationOverrun', {
      alarmName: `${prefix}-reservation-overrun`,
      alarmDescription:
        'Switchyard: a request settled above its worst-case reservation (log field overrunMicros); budgets may be overspent.',
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.noHealthyEndpoint = noHealthy;
    this.breakerOpen = breakers;
    this.endpointDown = endpointDown;
    this.spend = spend;
    this.all = [
      ...noHealthy.values(),
      ...endpointDown.values(),
      ...breakers.values(),
      ...spend.values(),
      this.reservationOverrun,
    ];

    if (props.topic) {
      const action = new actions.SnsAction(props.topic);
      for (const alarm of this.all) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }
  }
}
