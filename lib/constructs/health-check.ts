import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { COST_TABLE, STATE_TABLE } from '../../functions/contracts/table-specs';
import { HEALTH_SCHEDULE_ENV } from '../../functions/core/health/rounds';
import { METRIC_NAMESPACE } from '../../functions/core/telemetry/metric-names';
import { grantConfiguredBedrock } from './bedrock-access';
import { SwitchyardFunction } from './node-function';
import { BUNDLED_CONFIG_DEFINE } from './router-function';

/** See the comment where it is used. */
export const HEALTH_CHECK_RESERVED_CONCURRENCY = 2;

export interface HealthCheckFunctionProps {
  /** The table built from `STATE_TABLE`. */
  readonly stateTable: dynamodb.ITable;
  /** The table built from `COST_TABLE`: the function sweeps expired budget reservations. */
  readonly costTable: dynamodb.ITable;
  /** The config JSON the router bundles (`RouterFunction.bundledConfigJson`): both see the same endpoints. */
  readonly bundledConfigJson: string;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /**
   * How often EventBridge invokes the function. Each invocation runs one probe round per
   * `health.probeIntervalMs` of this period (6 rounds a minute by default). @default Duration.minutes(1)
   */
  readonly schedule?: Duration;
}

/**
 * The scheduled health check: probes every upstream endpoint once per round (not once per router
 * instance), writes each endpoint's health to the state table and publishes CloudWatch metrics.
 *
 * Least privilege: GetItem, BatchGetItem and PutItem on the state table, only on `endpoint#...`
 * partition keys (health items, and breaker items it reports on); PutMetricData only into the
 * Switchyard namespace. Provider keys: `ProviderSecrets.attachTo(this.function)` in the stack.
 */
export class HealthCheckFunction extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: HealthCheckFunctionProps) {
    super(scope, id);
    const period = props.schedule ?? Duration.minutes(1);

    const fn = new SwitchyardFunction(this, 'HealthCheck', {
      entry: 'functions/health-check/handler.ts',
      description: 'Switchyard health check: probes every upstream endpoint, records health in DynamoDB and CloudWatch',
      memorySize: 256,
      // The rounds fill the period; the last one may still be finishing its probes when it ends.
      timeout: Duration.seconds(period.toSeconds() + 30),
      // One invocation per period, overlapping its successor by at most the 30 s above: two
      // environments, kept even while the router's streams use up the account's concurrency.
      reservedConcurrency: HEALTH_CHECK_RESERVED_CONCURRENCY,
      environment: {
        [STATE_TABLE.envVar]: props.stateTable.tableName,
        [COST_TABLE.envVar]: props.costTable.tableName,
        [HEALTH_SCHEDULE_ENV]: String(period.toMilliseconds()),
        POWERTOOLS_SERVICE_NAME: 'switchyard-health-check',
      },
      define: { [BUNDLED_CONFIG_DEFINE]: JSON.stringify(props.bundledConfigJson) },
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.function = fn.function;
    // EventBridge invokes asynchronously; Lambda would retry a failed invocation twice, probing
    // every endpoint again on top of the next scheduled round. A failed round is simply skipped.
    this.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.seconds(60) });
    this.role = fn.role;
    this.logGroup = fn.logGroup;

    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'EndpointStateItems',
        actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem'],
        resources: [props.stateTable.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['endpoint#*'] } },
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'QuotaSweep',
        actions: ['dynamodb:Query', 'dynamodb:UpdateItem'],
        resources: [props.costTable.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['holder#*', 'q#*', 'slot#*'] } },
      }),
    );
    // Bedrock endpoints are probed with a 1-token Converse call (embedding models: one InvokeModel).
    grantConfiguredBedrock(this, this.role, props.bundledConfigJson);
    const metrics = new iam.PolicyStatement({
      sid: 'HealthMetrics',
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringEquals: { 'cloudwatch:namespace': METRIC_NAMESPACE } },
    });
    this.role.addToPrincipalPolicy(metrics);
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'cloudwatch:PutMetricData supports no resource-level permissions; the statement is limited to the ' +
        `"${METRIC_NAMESPACE}" namespace by the cloudwatch:namespace condition.`,
    });

    this.rule = new events.Rule(this, 'Schedule', {
      description: 'Switchyard: runs the endpoint health check (several probe rounds per invocation)',
      schedule: events.Schedule.rate(period),
      // A missed invocation is not retried: the next one comes a period later and probes afresh.
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 0, maxEventAge: Duration.seconds(60) })],
    });
  }
}
