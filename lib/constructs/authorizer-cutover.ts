import { Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { functionErrorRateAlarm, type AlarmSpec } from '../../functions/core/cutover/alarms';
import type { CutoverSettings } from '../../functions/core/cutover/settings';
import { cdkMetric } from './router-cutover';

export interface AuthorizerCutoverProps {
  /** The authorizer function (its superseded versions must be retained for rollbacks). */
  readonly function: lambda.Function;
  /** The router's cutover settings: the same canary and alarm periods. */
  readonly settings: CutoverSettings;
}

/**
 * A bad authorizer deploy is a full outage (every request needs a decision), so it gets the
 * router's treatment: API Gateway calls the alias `live`, and CodeDeploy shifts it to a new version
 * as a canary, rolling back when the new version's Lambda error rate exceeds the old one's.
 *
 * The alarm compares rates, not counts: the authorizer throws "Unauthorized" for every bad key,
 * which Lambda counts as an error, so blue and green both have errors whenever clients send bad
 * keys; only a difference says the new code is at fault. No pre-traffic hook: a synthetic decision
 * would need a real key.
 */
export class AuthorizerCutover extends Construct {
  readonly alias: lambda.Alias;
  readonly spec: AlarmSpec;
  readonly alarm: cloudwatch.Alarm;
  readonly deploymentGroup: codedeploy.LambdaDeploymentGroup;
  readonly serviceRole: iam.Role;

  constructor(scope: Construct, id: string, props: AuthorizerCutoverProps) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;
    const fn = props.function;
    const version = fn.currentVersion;
    this.alias = new lambda.Alias(this, 'LiveAlias', {
      aliasName: 'live',
      version,
      description: 'Authorizer alias API Gateway calls; CodeDeploy shifts it between versions',
    });

    this.spec = functionErrorRateAlarm(props.settings.alarms, {
      version: version.version,
      functionName: fn.functionName,
      aliasName: this.alias.aliasName,
    });
    this.alarm = new cloudwatch.Alarm(this, 'FunctionErrorsAlarm', {
      alarmName: `${stackName}-authorizer-v${version.version}-${this.spec.slug}`,
      alarmDescription: `Cutover of authorizer version ${version.version}: ${this.spec.description}. While in ALARM, CodeDeploy shifts the live alias back.`,
      metric: cdkMetric(this.spec),
      threshold: this.spec.threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: this.spec.evaluationPeriods,
      datapointsToAlarm: this.spec.datapointsToAlarm,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.serviceRole = new iam.Role(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('codedeploy.amazonaws.com'),
      description: 'CodeDeploy: shifts the authorizer alias live between versions, watching its error-rate alarm',
    });
    this.serviceRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ShiftLiveAlias',
        actions: ['lambda:GetAlias', 'lambda:UpdateAlias', 'lambda:GetProvisionedConcurrencyConfig'],
        resources: [fn.functionArn, `${fn.functionArn}:${this.alias.aliasName}`],
      }),
    );
    this.serviceRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadCutoverAlarm',
        actions: ['cloudwatch:DescribeAlarms'],
        resources: [this.alarm.alarmArn],
      }),
    );
    this.deploymentGroup = new codedeploy.LambdaDeploymentGroup(this, 'DeploymentGroup', {
      application: new codedeploy.LambdaApplication(this, 'Application', {
        applicationName: `${stackName}-authorizer`,
      }),
      deploymentGroupName: 'live',
      alias: this.alias,
      deploymentConfig: codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES,
      alarms: [this.alarm],
      role: this.serviceRole.withoutPolicyUpdates(),
      autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
    });
    this.alias.node.addDependency(this.deploymentGroup, this.serviceRole);
  }
}
