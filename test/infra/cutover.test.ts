/**
 * CDK assertions on the cutover: CodeDeploy on the `live` alias with the configured traffic shift,
 * automatic rollback, alarms pinned to the new version, the pre-traffic hook and its permissions.
 * Each stack is built once (bundling runs esbuild for real) and shared by the tests.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import type * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PRE_TRAFFIC_TARGET_ENV } from '../../functions/core/cutover/settings';
import { METRICS } from '../../functions/core/telemetry/metric-names';
import type { SwitchyardStack } from '../../lib/switchyard-stack';
import { idOf, stackBuilder, type Resources } from '../helpers/synth';

const BUILD_TIMEOUT = 120_000;
const REPO = join(__dirname, '..', '..');
const { build, outRoot: OUT_ROOT } = stackBuilder('switchyard-cutover-');

const ofType = (resources: Resources, type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

/** The statements of the one inline policy attached to a role. */
function statementsOf(resources: Resources, roleId: string): any[] {
  const policies = ofType(resources, 'AWS::IAM::Policy').filter(([, p]) =>
    p.Properties.Roles.some((r: any) => r.Ref === roleId),
  );
  expect(policies).toHaveLength(1);
  return policies[0][1].Properties.PolicyDocument.Statement;
}

function expectNoWildcards(statements: any[]): void {
  for (const s of statements) {
    for (const action of [s.Action].flat()) expect(action).not.toMatch(/\*/);
    for (const resource of [s.Resource].flat()) expect(JSON.stringify(resource)).not.toMatch(/\*/);
  }
}

describe('cutover (default config: canary 10% for 5 minutes)', () => {
  let app: App;
  let stack: SwitchyardStack;
  let resources: Resources;
  let versionId: string;
  let aliasId: string;
  const pinnedVersion = () => ({ 'Fn::GetAtt': [versionId, 'Version'] });

  beforeAll(() => {
    ({ app, stack, resources } = build());
    aliasId = idOf(stack, stack.router.alias);
    // The version the alias points at (CDK suffixes its logical id with the code hash at synth).
    versionId = resources[aliasId].Properties.FunctionVersion['Fn::GetAtt'][0];
    expect(resources[versionId].Type).toBe('AWS::Lambda::Version');
  }, BUILD_TIMEOUT);

  const alarms = () => ofType(resources, 'AWS::CloudWatch::Alarm').filter(([id]) => id.startsWith('Cutover'));

  it('serves through the alias live, whose version updates go through CodeDeploy', () => {
    const alias = resources[aliasId];
    expect(alias.Properties).toMatchObject({ Name: 'live', FunctionVersion: pinnedVersion() });
    expect(alias.UpdatePolicy.CodeDeployLambdaAliasUpdate).toEqual({
      ApplicationName: { Ref: idOf(stack, stack.cutover.deploymentGroup.application as never) },
      DeploymentGroupName: { Ref: idOf(stack, stack.cutover.deploymentGroup) },
      BeforeAllowTrafficHook: { Ref: idOf(stack, stack.cutover.preTrafficHook!) },
    });
    // The group, its role and the hook exist (and point at this version) before the alias moves.
    expect(alias.DependsOn).toEqual(
      expect.arrayContaining([
        idOf(stack, stack.cutover.deploymentGroup),
        idOf(stack, stack.cutover.serviceRole),
        idOf(stack, stack.cutover.preTrafficHook!),
      ]),
    );
  });

  it('has a Lambda deployment group with the predefined canary and automatic rollback on failure, stop and alarm', () => {
    const [[, app]] = ofType(resources, 'AWS::CodeDeploy::Application');
    expect(app.Properties).toEqual({ ApplicationName: 'Switchyard-router', ComputePlatform: 'Lambda' });
    const [[, group]] = ofType(resources, 'AWS::CodeDeploy::DeploymentGroup');
    expect(group.Properties).toMatchObject({
      DeploymentGroupName: 'live',
      DeploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
      DeploymentStyle: { DeploymentType: 'BLUE_GREEN', DeploymentOption: 'WITH_TRAFFIC_CONTROL' },
      ServiceRoleArn: { 'Fn::GetAtt': [idOf(stack, stack.cutover.serviceRole), 'Arn'] },
    });
    expect(group.Properties.AutoRollbackConfiguration).toEqual({
      Enabled: true,
      Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM'],
    });
    expect(group.Properties.AlarmConfiguration.Enabled).toBe(true);
    expect(group.Properties.AlarmConfiguration.Alarms.map((a: any) => a.Name.Ref).sort()).toEqual(
      alarms()
        .map(([id]) => id)
        .sort(),
    );
  });

  it('judges the new version against the stack total over the same periods, M of N, names pinned to the version', () => {
    expect(alarms()).toHaveLength(4);
    for (const [, alarm] of alarms()) {
      const p = alarm.Properties;
      expect(p).toMatchObject({
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
        TreatMissingData: 'notBreaching',
      });
      expect(p.AlarmName['Fn::Join'][1]).toContainEqual(pinnedVersion());
      const metrics = p.Metrics.filter((m: any) => m.MetricStat).map((m: any) => ({
        id: m.Id,
        ...m.MetricStat.Metric,
        Period: m.MetricStat.Period,
      }));
      for (const m of metrics) {
        expect(m.Period).toBe(60);
        const version = m.Dimensions.find((d: any) => d.Name === 'FunctionVersion' || d.Name === 'ExecutedVersion');
        // Green's queries (g...) carry the new version; the totals (t...) no version at all.
        if (m.id.startsWith('t')) expect(version).toBeUndefined();
        else expect(version.Value).toEqual(pinnedVersion());
        expect(JSON.stringify(m.Dimensions)).not.toContain(aliasId);
        // This stack's metrics only: another stack in the account numbers its versions from 1 too.
        if (m.Namespace === 'Switchyard') expect(m.Dimensions).toContainEqual({ Name: 'Stack', Value: 'Switchyard' });
      }
    }
  });

  it('rates are green minus blue with a minimum sample; streams are judged by time to first token', () => {
    const byId = (id: string) =>
      resources[idOf(stack, stack.cutover.alarms[id as keyof typeof stack.cutover.alarms])].Properties;
    const errorRate = byId('ErrorRate');
    expect(errorRate.Threshold).toBe(5);
    const expression = errorRate.Metrics.find((m: any) => m.Expression).Expression;
    expect(expression).toMatch(/^IF\(gReq >= 5, /);
    expect(expression).toContain('(FILL(tReq, 0) - FILL(gReq, 0))');
    expect(
      errorRate.Metrics.filter((m: any) => m.MetricStat).map((m: any) => [
        m.Id,
        m.MetricStat.Metric.Namespace,
        m.MetricStat.Metric.MetricName,
        m.MetricStat.Stat,
        m.ReturnData,
      ]),
    ).toEqual([
      ['gReq', 'Switchyard', METRICS.requests, 'Sum', false],
      ['gSrv', 'Switchyard', METRICS.serverErrors, 'Sum', false],
      ['gUp', 'Switchyard', METRICS.upstreamErrors, 'Sum', false],
      ['tReq', 'Switchyard', METRICS.requests, 'Sum', false],
      ['tSrv', 'Switchyard', METRICS.serverErrors, 'Sum', false],
      ['tUp', 'Switchyard', METRICS.upstreamErrors, 'Sum', false],
    ]);
    expect(byId('FallbackRate').Threshold).toBe(25);
    const ttft = byId('TimeToFirstToken');
    expect(ttft.Threshold).toBe(30_000);
    expect(
      ttft.Metrics.filter((m: any) => m.MetricStat).map((m: any) => [
        m.MetricStat.Metric.MetricName,
        m.MetricStat.Stat,
      ]),
    ).toEqual([
      [METRICS.timeToFirstToken, 'p99'],
      [METRICS.timeToFirstToken, 'SampleCount'],
    ]);
    expect(JSON.stringify(ttft)).not.toContain(`"${METRICS.latency}"`);
    const errors = byId('FunctionErrors');
    expect(errors.Threshold).toBe(1);
    const fnId = idOf(stack, stack.router.function);
    const lambda = errors.Metrics.filter((m: any) => m.MetricStat).map((m: any) => [
      m.Id,
      m.MetricStat.Metric.Namespace,
      m.MetricStat.Metric.MetricName,
      m.MetricStat.Metric.Dimensions,
    ]);
    const alias = [
      { Name: 'FunctionName', Value: { Ref: fnId } },
      { Name: 'Resource', Value: { 'Fn::Join': ['', [{ Ref: fnId }, ':live']] } },
    ];
    expect(lambda).toEqual([
      ['gInv', 'AWS/Lambda', 'Invocations', [{ Name: 'ExecutedVersion', Value: pinnedVersion() }, ...alias]],
      ['gErr', 'AWS/Lambda', 'Errors', [{ Name: 'ExecutedVersion', Value: pinnedVersion() }, ...alias]],
      ['tInv', 'AWS/Lambda', 'Invocations', alias],
      ['tErr', 'AWS/Lambda', 'Errors', alias],
    ]);
  });

  it('points the pre-traffic hook at the new version and bundles the same config', () => {
    const hook = resources[idOf(stack, stack.cutover.preTrafficHook!)];
    expect(hook.Properties.Environment.Variables[PRE_TRAFFIC_TARGET_ENV]).toEqual({ Ref: versionId });
    const asset = stack.cutover.preTrafficHook!.node.findChild('Code') as s3assets.Asset;
    const bundle = readFileSync(join(app.outdir, asset.assetPath, 'index.js'), 'utf8');
    expect(bundle).toContain(stack.router.configVersion);
  });

  it('lets the hook invoke the new version and the alias (for its model list), and report only to this deployment group', () => {
    const statements = statementsOf(resources, idOf(stack, stack.cutover.preTrafficHook!.role!));
    expectNoWildcards(statements);
    const byAction = (a: string) => statements.filter((s) => [s.Action].flat().includes(a));
    const fnArn = { 'Fn::GetAtt': [idOf(stack, stack.router.function), 'Arn'] };
    expect(byAction('lambda:InvokeFunction').map((s) => s.Resource)).toEqual([
      { Ref: versionId },
      { 'Fn::Join': ['', [fnArn, ':live']] },
    ]);
    // Provider secrets: metadata only (which keys were never set), never a value.
    const describe = byAction('secretsmanager:DescribeSecret');
    expect(describe).toHaveLength(1);
    expect(describe[0].Action).toBe('secretsmanager:DescribeSecret');
    expect(describe[0].Resource).toHaveLength(stack.providerSecrets.secrets.size);
    expect(JSON.stringify(statements)).not.toContain('GetSecretValue');
    const env = resources[idOf(stack, stack.cutover.preTrafficHook!)].Properties.Environment.Variables;
    expect(env.SERVING_ALIAS_ARN).toEqual({ 'Fn::Join': ['', [fnArn, ':live']] });
    expect(env.SWITCHYARD_PROVIDER_SECRETS).toBeDefined();
    const report = byAction('codedeploy:PutLifecycleEventHookExecutionStatus');
    expect(report).toHaveLength(1);
    expect(JSON.stringify(report[0].Resource)).toContain(idOf(stack, stack.cutover.deploymentGroup));
    const other = statements.filter(
      (s) =>
        ![
          'lambda:InvokeFunction',
          'codedeploy:PutLifecycleEventHookExecutionStatus',
          'secretsmanager:DescribeSecret',
        ].includes([s.Action].flat()[0]),
    );
    for (const s of other) expect([s.Action].flat().sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
  });

  it('gives CodeDeploy a role for this alias, these alarms and this hook only (no managed policy)', () => {
    const roleId = idOf(stack, stack.cutover.serviceRole);
    expect(resources[roleId].Properties.ManagedPolicyArns).toBeUndefined();
    expect(resources[roleId].Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({
      Service: 'codedeploy.amazonaws.com',
    });
    const statements = statementsOf(resources, roleId);
    expectNoWildcards(statements);
    const fnArn = { 'Fn::GetAtt': [idOf(stack, stack.router.function), 'Arn'] };
    expect(statements).toEqual([
      expect.objectContaining({
        Action: ['lambda:GetAlias', 'lambda:GetProvisionedConcurrencyConfig', 'lambda:UpdateAlias'],
        Resource: [fnArn, { 'Fn::Join': ['', [fnArn, ':live']] }],
      }),
      expect.objectContaining({ Action: 'cloudwatch:DescribeAlarms', Resource: expect.any(Array) }),
      expect.objectContaining({
        Action: 'lambda:InvokeFunction',
        Resource: { 'Fn::GetAtt': [idOf(stack, stack.cutover.preTrafficHook!), 'Arn'] },
      }),
    ]);
    expect(statements[1].Resource.map((r: any) => r['Fn::GetAtt'][0]).sort()).toEqual(
      alarms()
        .map(([id]) => id)
        .sort(),
    );
  });

  it('has no cdk-nag findings in the cutover constructs', () => {
    const report = new AwsSolutionsChecks().validateScope(stack.cutover);
    expect(
      report.violations.map((v) => `${v.ruleName} @ ${v.violatingResources.map((r) => r.constructPath).join(', ')}`),
    ).toEqual([]);
  });
});

describe('cutover settings from the config', () => {
  it(
    'uses a custom linear shift, the configured thresholds and periods, and no hook when the check is off',
    () => {
      const base = JSON.parse(readFileSync(join(REPO, 'config', 'green.json'), 'utf8'));
      const configPath = join(OUT_ROOT, 'custom-cutover.json');
      writeFileSync(
        configPath,
        JSON.stringify({
          ...base,
          cutover: {
            traffic: 'linear',
            percent: 20,
            intervalMinutes: 2,
            alarms: {
              errorRatePercent: 2,
              fallbackRatePercent: 40,
              ttftP99Ms: 8000,
              functionErrorRatePercent: 3,
              minRequests: 10,
              periodSeconds: 120,
              evaluationPeriods: 4,
              datapointsToAlarm: 3,
            },
            preTraffic: { enabled: false },
          },
        }),
      );
      const { stack, resources } = build({ configPath });
      const [[configId, config]] = ofType(resources, 'AWS::CodeDeploy::DeploymentConfig');
      expect(config.Properties).toMatchObject({
        ComputePlatform: 'Lambda',
        TrafficRoutingConfig: { Type: 'TimeBasedLinear', TimeBasedLinear: { LinearPercentage: 20, LinearInterval: 2 } },
      });
      const [[, group]] = ofType(resources, 'AWS::CodeDeploy::DeploymentGroup');
      expect(group.Properties.DeploymentConfigName).toEqual({ Ref: configId });

      const props = (id: string) =>
        resources[idOf(stack, stack.cutover.alarms[id as keyof typeof stack.cutover.alarms])].Properties;
      const ids = ['ErrorRate', 'FallbackRate', 'TimeToFirstToken', 'FunctionErrors'];
      expect(ids.map((id) => props(id).Threshold)).toEqual([2, 40, 8000, 3]);
      for (const id of ids) {
        expect(props(id)).toMatchObject({ EvaluationPeriods: 4, DatapointsToAlarm: 3 });
        for (const m of props(id).Metrics.filter((x: any) => x.MetricStat)) expect(m.MetricStat.Period).toBe(120);
      }
      expect(props('ErrorRate').Metrics.find((m: any) => m.Expression).Expression).toContain('gReq >= 10');

      expect(stack.cutover.preTrafficHook).toBeUndefined();
      expect(
        resources[idOf(stack, stack.router.alias)].UpdatePolicy.CodeDeployLambdaAliasUpdate.BeforeAllowTrafficHook,
      ).toBeUndefined();
    },
    BUILD_TIMEOUT,
  );
});
