import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CUTOVER_TARGET_ENV, type CutoverTarget } from '../../functions/contracts/admin-function';
import { KEYS_TABLE } from '../../functions/contracts/table-specs';
import { SwitchyardFunction } from './node-function';

export interface AdminFunctionProps {
  /** The table built from `KEYS_TABLE`. */
  readonly keysTable: dynamodb.ITable;
  /** The router function and its `live` alias, whose weights the cutover view shows. */
  readonly router: { function: lambda.IFunction; alias: lambda.Alias };
  /** The CodeDeploy deployment group that shifts the alias. */
  readonly deploymentGroup: codedeploy.ILambdaDeploymentGroup;
  /** The cutover alarms whose states the view shows (router and authorizer). */
  readonly alarms: readonly cloudwatch.IAlarm[];
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Admin calls are rare and made by people: a few environments are plenty, and a leaked admin key
 * cannot turn the function into a way to spend the account's concurrency.
 */
export const ADMIN_RESERVED_CONCURRENCY = 5;

/**
 * The admin function: `/v1/admin/keys...` (key lifecycle) and `/v1/admin/cutover` (the cutover view)
 * on the deployed stack, behind the same API Gateway authorizer as every admin endpoint (non-admin
 * keys are denied by its policy, and the function checks again). Its role is the only one that may
 * write key records: the router, which reads untrusted bodies and talks to upstreams, keeps no
 * access to the keys table at all (it could otherwise mint itself an admin key), and the authorizer
 * keeps its GetItem and lastUsedAt write. Its reads for the cutover view are scoped to the router's
 * alias, its deployment group and the cutover alarms. No provider secrets, no state or cost table.
 */
export class AdminFunction extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: AdminFunctionProps) {
    super(scope, id);
    const { router, deploymentGroup } = props;
    const target: CutoverTarget = {
      functionName: router.function.functionName,
      aliasName: router.alias.aliasName,
      applicationName: deploymentGroup.application.applicationName,
      deploymentGroupName: deploymentGroup.deploymentGroupName,
      alarmNames: props.alarms.map((a) => a.alarmName),
    };
    const fn = new SwitchyardFunction(this, 'Admin', {
      entry: 'functions/router/admin/handler.ts',
      description: 'Switchyard admin: key administration and the cutover view (/v1/admin/keys, /v1/admin/cutover)',
      memorySize: 256,
      timeout: Duration.seconds(15),
      reservedConcurrency: ADMIN_RESERVED_CONCURRENCY,
      environment: {
        [KEYS_TABLE.envVar]: props.keysTable.tableName,
        [CUTOVER_TARGET_ENV]: Stack.of(this).toJsonString(target),
        POWERTOOLS_SERVICE_NAME: 'switchyard-admin',
      },
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.function = fn.function;
    this.role = fn.role;

    // Exactly what the key store sends (adapters/dynamo/key-store.ts): GetItem, PutItem (create,
    // rotate) and UpdateItem (update, revoke, rotate) on key items only, never the rate-limit windows;
    // Scan to list keys (sk = key). No DeleteItem: a revoked key stays on record.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ManageKeyRecords',
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [props.keysTable.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['key#*'] } },
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListKeyRecords',
        actions: ['dynamodb:Scan'],
        resources: [props.keysTable.tableArn],
      }),
    );
    // The alias ARN spelled out (as the CodeDeploy role does) rather than referencing the alias.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadLiveAlias',
        actions: ['lambda:GetAlias'],
        resources: [router.function.functionArn, `${router.function.functionArn}:${router.alias.aliasName}`],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadRouterDeployments',
        actions: [
          'codedeploy:ListDeployments',
          'codedeploy:BatchGetDeployments',
          'codedeploy:ListDeploymentTargets',
          'codedeploy:BatchGetDeploymentTargets',
        ],
        resources: [deploymentGroup.deploymentGroupArn],
      }),
    );
    if (props.alarms.length) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ReadCutoverAlarms',
          actions: ['cloudwatch:DescribeAlarms'],
          resources: props.alarms.map((a) => a.alarmArn),
        }),
      );
    }
  }
}
