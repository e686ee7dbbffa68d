/**
 * The router's cutover as AWS sees it, for GET /v1/admin/cutover on the deployed stack: the `live`
 * alias' weights (Lambda GetAlias), the newest deployment of its CodeDeploy deployment group with its
 * Lambda target (versions, lifecycle events) and the cutover alarms' states (CloudWatch
 * DescribeAlarms). Read-only calls on exactly those resources (lib/constructs/admin-function.ts
 * scopes the role to them); the mapping to the console's view is pure (core/cutover/view.ts).
 */
import { DescribeAlarmsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import {
  BatchGetDeploymentsCommand,
  BatchGetDeploymentTargetsCommand,
  ListDeploymentsCommand,
  ListDeploymentTargetsCommand,
  type CodeDeployClient,
  type DeploymentInfo,
} from '@aws-sdk/client-codedeploy';
import { GetAliasCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { liveCutoverView, type AlarmFacts, type AliasFacts, type DeploymentFacts } from '../../core/cutover/view';
import type { CutoverTarget } from '../../contracts/admin-function';
import type { CutoverStatus } from '../../ports/cutover-status';

export interface CutoverStatusClients {
  lambda: Pick<LambdaClient, 'send'>;
  codeDeploy: Pick<CodeDeployClient, 'send'>;
  cloudWatch: Pick<CloudWatchClient, 'send'>;
}

/** ListDeployments' first page is enough: the newest deployment is among the most recent ones. */
const DEPLOYMENTS_LOOKED_AT = 25;

export function createAwsCutoverStatus(
  target: CutoverTarget,
  clients: CutoverStatusClients,
  now: () => number = Date.now,
): CutoverStatus {
  async function alias(): Promise<AliasFacts> {
    const res = await clients.lambda.send(
      new GetAliasCommand({ FunctionName: target.functionName, Name: target.aliasName }),
    );
    return {
      version: res.FunctionVersion ?? '',
      additionalWeights: res.RoutingConfig?.AdditionalVersionWeights ?? {},
    };
  }

  async function newestDeployment(): Promise<DeploymentInfo | undefined> {
    const list = await clients.codeDeploy.send(
      new ListDeploymentsCommand({
        applicationName: target.applicationName,
        deploymentGroupName: target.deploymentGroupName,
      }),
    );
    const ids = (list.deployments ?? []).slice(0, DEPLOYMENTS_LOOKED_AT);
    if (!ids.length) return undefined;
    const got = await clients.codeDeploy.send(new BatchGetDeploymentsCommand({ deploymentIds: ids }));
    // The API documents no order: take the newest by creation time.
    return (got.deploymentsInfo ?? []).reduce<DeploymentInfo | undefined>(
      (newest, d) => (!newest || (d.createTime?.getTime() ?? 0) > (newest.createTime?.getTime() ?? 0) ? d : newest),
      undefined,
    );
  }

  async function deploymentFacts(d: DeploymentInfo): Promise<DeploymentFacts> {
    const id = d.deploymentId ?? '';
    const targets = await clients.codeDeploy.send(new ListDeploymentTargetsCommand({ deploymentId: id }));
    const targetIds = (targets.targetIds ?? []).slice(0, 25);
    const lambdaTarget = targetIds.length
      ? (
          await clients.codeDeploy.send(new BatchGetDeploymentTargetsCommand({ deploymentId: id, targetIds }))
        ).deploymentTargets?.find((t) => t.lambdaTarget)?.lambdaTarget
      : undefined;
    const info = lambdaTarget?.lambdaFunctionInfo;
    return {
      id,
      status: d.status ?? 'Unknown',
      createdAt: d.createTime?.toISOString(),
      completedAt: d.completeTime?.toISOString(),
      errorMessage: d.errorInformation?.message,
      currentVersion: info?.currentVersion,
      targetVersion: info?.targetVersion,
      lifecycleEvents: (lambdaTarget?.lifecycleEvents ?? []).map((e) => ({
        name: e.lifecycleEventName ?? '?',
        status: e.status ?? 'Unknown',
      })),
    };
  }

  async function alarms(): Promise<AlarmFacts[]> {
    if (!target.alarmNames.length) return [];
    const res = await clients.cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: target.alarmNames }));
    const states = new Map([...(res.MetricAlarms ?? []), ...(res.CompositeAlarms ?? [])].map((a) => [a.AlarmName, a]));
    // In the configured order; an alarm CloudWatch does not know (yet) is shown as such.
    return target.alarmNames.map((name) => ({ name, state: states.get(name)?.StateValue ?? 'UNKNOWN' }));
  }

  return {
    async read() {
      const [aliasFacts, newest, alarmFacts] = await Promise.all([alias(), newestDeployment(), alarms()]);
      const deployment = newest ? await deploymentFacts(newest) : undefined;
      return liveCutoverView({ alias: aliasFacts, deployment, alarms: alarmFacts, now: now() });
    },
  };
}
