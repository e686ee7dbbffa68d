import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  cutoverAlarms,
  renderExpression,
  type AlarmSpec,
  type CutoverAlarmId,
} from '../../functions/core/cutover/alarms';
import { cutoverSettings, PRE_TRAFFIC_TARGET_ENV, type CutoverSettings } from '../../functions/core/cutover/settings';
import { PRE_TRAFFIC_SERVING_ALIAS_ENV } from '../../functions/contracts/pre-traffic';
import { PROVIDER_SECRETS_ENV } from '../../functions/contracts/secret-specs';
import { SwitchyardFunction } from './node-function';
import type { ProviderSecrets } from './provider-secrets';
import { BUNDLED_CONFIG_DEFINE, type RouterFunction } from './router-function';

export interface RouterCutoverProps {
  readonly router: RouterFunction;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** @default the `cutover` section of the config bundled into the router */
  readonly settings?: CutoverSettings;
}

/** Synthetic requests the hook runs in parallel (check-version.ts's default concurrency). */
const HOOK_CONCURRENCY = 4;

/**
 * Blue-green cutovers of the router. A config (or code) change publishes a new version; instead of
 * CloudFormation pointing `live` at it at once, CodeDeploy:
 *
 * 1. runs the pre-traffic hook, which calls the new version directly once per model and route of
 *    its config and refuses it when any fails (a renamed or missing upstream model);
 * 2. shifts traffic on the configured schedule (default: canary 10% for 5 minutes, then all);
 * 3. rolls `live` back to the previous version when an alarm fires during the shift, or when the
 *    deployment fails or is stopped.
 *
 * The alarms watch the new version only: their dimensions carry its version number, and their
 * names too, so each version gets fresh alarms (state INSUFFICIENT_DATA, not the ALARM a broken
 * predecessor left behind, which would block the fix).
 */
export class RouterCutover extends Construct {
  readonly settings: CutoverSettings;
  readonly specs: AlarmSpec[];
  readonly alarms: Record<CutoverAlarmId, cloudwatch.Alarm>;
  readonly deploymentConfig: codedeploy.ILambdaDeploymentConfig;
  readonly deploymentGroup: codedeploy.LambdaDeploymentGroup;
  /** CodeDeploy's service role: shifts this alias, reads these alarms, invokes this hook; nothing else. */
  readonly serviceRole: iam.Role;
  readonly preTrafficHook?: lambda.Function;
  private readonly hookRole?: iam.Role;

  constructor(scope: Construct, id: string, props: RouterCutoverProps) {
    super(scope, id);
    const { router } = props;
    const config = JSON.parse(router.bundledConfigJson) as {
      cutover?: unknown;
      models?: unknown[];
      routes?: Record<string, unknown>;
    };
    this.settings = props.settings ?? cutoverSettings(config.cutover);
    const stackName = Stack.of(this).stackName;
    const version = router.function.currentVersion;

    this.specs = cutoverAlarms(this.settings.alarms, {
      version: version.version,
      functionName: router.function.functionName,
      aliasName: router.alias.aliasName,
      stack: stackName,
    });
    this.alarms = Object.fromEntries(
      this.specs.map((spec) => [
        spec.id,
        new cloudwatch.Alarm(this, `${spec.id}Alarm`, {
          alarmName: `${stackName}-router-v${version.version}-${spec.slug}`,
          alarmDescription: `Cutover of router version ${version.version}: ${spec.description}. While in ALARM, CodeDeploy shifts the live alias back.`,
          metric: cdkMetric(spec),
          threshold: spec.threshold,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          // M of N: one noisy period does not roll back, a sustained difference does.
          evaluationPeriods: spec.evaluationPeriods,
          datapointsToAlarm: spec.datapointsToAlarm,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      ]),
    ) as Record<CutoverAlarmId, cloudwatch.Alarm>;

    let hookConstruct: SwitchyardFunction | undefined;
    if (this.settings.preTraffic.enabled) {
      const checks = (config.models?.length ?? 0) + Object.keys(config.routes ?? {}).length;
      // Two tries per check, a few checks at a time, plus cold starts; Lambda's cap is 15 minutes.
      const seconds =
        Math.ceil(checks / HOOK_CONCURRENCY) * 2 * Math.ceil(this.settings.preTraffic.requestTimeoutMs / 1000 + 1) + 30;
      const hook = new SwitchyardFunction(this, 'PreTrafficHook', {
        entry: 'functions/pre-traffic/handler.ts',
        description:
          'Switchyard pre-traffic check: calls the new router version once per model and route before CodeDeploy shifts traffic',
        memorySize: 256,
        timeout: Duration.seconds(Math.min(900, seconds)),
        environment: {
          [PRE_TRAFFIC_TARGET_ENV]: version.functionArn,
          POWERTOOLS_SERVICE_NAME: 'switchyard-pre-traffic',
        },
        // The same config text as the router: the hook checks exactly the models and routes the version serves.
        define: { [BUNDLED_CONFIG_DEFINE]: JSON.stringify(router.bundledConfigJson) },
        logRetention: props.logRetention,
        removalPolicy: props.removalPolicy,
      });
      // The new version only (qualified ARN): not $LATEST, not older versions.
      hook.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'InvokeVersionUnderTest',
          actions: ['lambda:InvokeFunction'],
          resources: [version.functionArn],
        }),
      );
      // The alias live, still all on the old version while the hook runs, for its GET /v1/models:
      // which models the new version introduces. Spelled out: the alias depends on this hook.
      const servingAlias = `${router.function.functionArn}:${router.alias.aliasName}`;
      hook.function.addEnvironment(PRE_TRAFFIC_SERVING_ALIAS_ENV, servingAlias);
      hook.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ReadServingVersionModels',
          actions: ['lambda:InvokeFunction'],
          resources: [servingAlias],
        }),
      );
      this.preTrafficHook = hook.function;
      this.hookRole = hook.role;
      hookConstruct = hook;
    }

    this.serviceRole = new iam.Role(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('codedeploy.amazonaws.com'),
      description: 'CodeDeploy: shifts the router alias live between versions, watching the cutover alarms',
    });
    // Inline statements instead of AWSCodeDeployRoleForLambdaLimited, which allows UpdateAlias and
    // DescribeAlarms on every resource of the account.
    this.serviceRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ShiftLiveAlias',
        actions: ['lambda:GetAlias', 'lambda:UpdateAlias', 'lambda:GetProvisionedConcurrencyConfig'],
        // The alias ARN spelled out, not referenced: the alias itself depends on this policy.
        resources: [router.function.functionArn, `${router.function.functionArn}:${router.alias.aliasName}`],
      }),
    );
    this.serviceRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadCutoverAlarms',
        actions: ['cloudwatch:DescribeAlarms'],
        resources: Object.values(this.alarms).map((a) => a.alarmArn),
      }),
    );
    if (this.preTrafficHook) {
      this.serviceRole.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'RunPreTrafficHook',
          actions: ['lambda:InvokeFunction'],
          resources: [this.preTrafficHook.functionArn],
        }),
      );
    }

    this.deploymentConfig = deploymentConfig(this, this.settings);
    this.deploymentGroup = new codedeploy.LambdaDeploymentGroup(this, 'DeploymentGroup', {
      application: new codedeploy.LambdaApplication(this, 'Application', { applicationName: `${stackName}-router` }),
      deploymentGroupName: 'live',
      alias: router.alias,
      deploymentConfig: this.deploymentConfig,
      alarms: Object.values(this.alarms),
      // The group would attach the broad managed policy to any role it may modify.
      role: this.serviceRole.withoutPolicyUpdates(),
      preHook: this.preTrafficHook,
      autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
    });
    // The alias update starts the deployment: the group (with this version's alarms), the role's
    // permissions on those alarms and the hook (pointed at, and allowed to call, this version) must
    // all be in place first.
    router.alias.node.addDependency(this.deploymentGroup, this.serviceRole);
    if (hookConstruct) router.alias.node.addDependency(hookConstruct);
  }

  /**
   * Lets the hook tell which provider keys were never set (DescribeSecret: metadata, never a value),
   * so it can skip models it cannot call instead of failing every deploy until all keys are set.
   */
  watchProviderSecrets(secrets: ProviderSecrets): void {
    if (!this.preTrafficHook || !this.hookRole || secrets.secrets.size === 0) return;
    this.preTrafficHook.addEnvironment(PROVIDER_SECRETS_ENV, secrets.arnMapJson());
    this.hookRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SeeWhichProviderKeysAreSet',
        actions: ['secretsmanager:DescribeSecret'],
        resources: [...secrets.secrets.values()].map((s) => s.secretArn),
      }),
    );
  }
}

/** A spec (core/cutover/alarms.ts) as a CDK metric or metric math expression. */
export function cdkMetric(spec: AlarmSpec): cloudwatch.IMetric {
  const period = Duration.seconds(spec.periodSeconds);
  const metrics = Object.fromEntries(
    spec.metrics.map((q) => [
      q.id,
      new cloudwatch.Metric({
        namespace: q.namespace,
        metricName: q.metricName,
        dimensionsMap: q.dimensions,
        statistic: q.statistic,
        period,
      }),
    ]),
  );
  if (!spec.expression) return metrics[spec.metrics[0].id];
  return new cloudwatch.MathExpression({
    expression: renderExpression(spec.expression),
    usingMetrics: metrics,
    period,
    label: spec.id,
  });
}

const PREDEFINED: Record<string, codedeploy.ILambdaDeploymentConfig> = {
  'canary:10:5': codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES,
  'canary:10:10': codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_10MINUTES,
  'canary:10:15': codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_15MINUTES,
  'canary:10:30': codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_30MINUTES,
  'linear:10:1': codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_1MINUTE,
  'linear:10:2': codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_2MINUTES,
  'linear:10:3': codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_3MINUTES,
  'linear:10:10': codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_10MINUTES,
};

/** CodeDeploy's predefined config when one matches (readable in the console), else a custom one. */
function deploymentConfig(scope: Construct, s: CutoverSettings): codedeploy.ILambdaDeploymentConfig {
  if (s.traffic === 'all_at_once') return codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE;
  const predefined = PREDEFINED[`${s.traffic}:${s.percent}:${s.intervalMinutes}`];
  if (predefined) return predefined;
  const interval = Duration.minutes(s.intervalMinutes);
  return new codedeploy.LambdaDeploymentConfig(scope, 'DeploymentConfig', {
    trafficRouting:
      s.traffic === 'canary'
        ? codedeploy.TrafficRouting.timeBasedCanary({ interval, percentage: s.percent })
        : codedeploy.TrafficRouting.timeBasedLinear({ interval, percentage: s.percent }),
  });
}
