import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { DIMENSIONS, METRICS, METRIC_NAMESPACE } from '../../functions/core/telemetry/metric-names';

export interface CapacityAlarmsProps {
  /** Functions whose throttles page (router, authorizer, health check), keyed by a short name. */
  readonly functions: Record<string, lambda.IFunction>;
  readonly tables: Record<string, dynamodb.ITable>;
  /**
   * The account's Lambda concurrency quota in this region (Service Quotas, "Concurrent
   * executions"; 1,000 by default). @default 1000
   */
  readonly accountConcurrencyQuota?: number;
  /** Fraction of the quota that raises the concurrency alarm. @default 0.8 */
  readonly concurrencyWarningRatio?: number;
  /** Server errors per 100 requests (router's ServerErrors) that raise the 5xx alarm. @default 5 */
  readonly serverErrorRatePercent?: number;
  /** Requests a minute needs before its 5xx rate counts. @default 20 */
  readonly minRequests?: number;
}

/**
 * Alarms on capacity, one per thing that silently starves the gateway:
 *
 * - Lambda throttles of the router, the authorizer or the health check (any in 2 of 3 minutes):
 *   a throttled authorizer answers clients 5xx, a throttled router 429/5xx;
 * - the account's concurrent executions near its quota (Maximum over 80% for 3 minutes): streams
 *   hold an environment for their whole life, so this comes before throttles do;
 * - DynamoDB read or write throttle events on any table (2 of 3 minutes);
 * - the router's 5xx rate (ServerErrors per 100 requests of this stack, every version) above 5%
 *   in 3 of 5 minutes, once a minute has at least `minRequests` requests.
 *
 * docs/operations/concurrency.md explains the numbers and the quota request.
 */
export class CapacityAlarms extends Construct {
  readonly throttles: ReadonlyMap<string, cloudwatch.Alarm>;
  readonly dynamoThrottles: ReadonlyMap<string, cloudwatch.Alarm>;
  readonly accountConcurrency: cloudwatch.Alarm;
  readonly serverErrorRate: cloudwatch.Alarm;
  readonly all: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: CapacityAlarmsProps) {
    super(scope, id);
    const stack = Stack.of(this).stackName;
    const minute = Duration.minutes(1);
    const quota = props.accountConcurrencyQuota ?? 1000;
    const ratio = props.concurrencyWarningRatio ?? 0.8;
    if (!(ratio > 0 && ratio <= 1)) throw new Error(`concurrencyWarningRatio must be in (0, 1], got ${ratio}`);
    if (!Number.isInteger(quota) || quota < 1) throw new Error(`accountConcurrencyQuota must be a positive integer`);

    const throttles = new Map<string, cloudwatch.Alarm>();
    for (const [name, fn] of Object.entries(props.functions)) {
      throttles.set(
        name,
        fn.metricThrottles({ period: minute, statistic: cloudwatch.Stats.SUM }).createAlarm(this, `Throttles-${name}`, {
          alarmName: `${stack}-lambda-throttles-${name}`,
          alarmDescription: `Switchyard: Lambda throttled the ${name} function (no free concurrency).`,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          threshold: 1,
          evaluationPeriods: 3,
          datapointsToAlarm: 2,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    this.accountConcurrency = new cloudwatch.Metric({
      namespace: 'AWS/Lambda',
      metricName: 'ConcurrentExecutions',
      statistic: cloudwatch.Stats.MAXIMUM,
      period: minute,
    }).createAlarm(this, 'AccountConcurrency', {
      alarmName: `${stack}-lambda-concurrency-near-quota`,
      alarmDescription: `Switchyard: the account's concurrent Lambda executions passed ${Math.round(ratio * 100)}% of its ${quota} quota in this region.`,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      threshold: Math.floor(quota * ratio),
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const dynamo = new Map<string, cloudwatch.Alarm>();
    for (const [name, table] of Object.entries(props.tables)) {
      const events = (metricName: string) =>
        new cloudwatch.Metric({
          namespace: 'AWS/DynamoDB',
          metricName,
          dimensionsMap: { TableName: table.tableName },
          statistic: cloudwatch.Stats.SUM,
          period: minute,
        });
      dynamo.set(
        name,
        new cloudwatch.MathExpression({
          expression: 'FILL(r, 0) + FILL(w, 0)',
          usingMetrics: { r: events('ReadThrottleEvents'), w: events('WriteThrottleEvents') },
          period: minute,
          label: `${name} throttle events`,
        }).createAlarm(this, `DynamoThrottles-${name}`, {
          alarmName: `${stack}-dynamodb-throttles-${name}`,
          alarmDescription: `Switchyard: DynamoDB throttled requests on the ${name} table.`,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          threshold: 1,
          evaluationPeriods: 3,
          datapointsToAlarm: 2,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    const percent = props.serverErrorRatePercent ?? 5;
    const min = props.minRequests ?? 20;
    const router = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: METRIC_NAMESPACE,
        metricName,
        dimensionsMap: { [DIMENSIONS.stack]: stack },
        statistic: cloudwatch.Stats.SUM,
        period: minute,
      });
    this.serverErrorRate = new cloudwatch.MathExpression({
      expression: `IF(req >= ${min}, 100 * FILL(err, 0) / req, 0)`,
      usingMetrics: { req: router(METRICS.requests), err: router(METRICS.serverErrors) },
      period: minute,
      label: '5xx per 100 requests',
    }).createAlarm(this, 'ServerErrorRate', {
      alarmName: `${stack}-router-5xx-rate`,
      alarmDescription: `Switchyard: more than ${percent} of 100 requests answered 5xx (or a broken stream), all versions.`,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: percent,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.throttles = throttles;
    this.dynamoThrottles = dynamo;
    this.all = [...throttles.values(), this.accountConcurrency, ...dynamo.values(), this.serverErrorRate];
  }
}
