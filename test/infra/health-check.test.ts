/**
 * CDK assertions for the health check (schedule, function, least-privilege grants) and the optional
 * multi-region domain (Route 53 latency record with a health check). Each stack is built once.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import type * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CONTEXT } from '../../lib/app';
import { regionalDomainOptions } from '../../lib/constructs/regional-domain';
import { idOf, stackBuilder } from '../helpers/synth';

const BUILD_TIMEOUT = 120_000;
const { build } = stackBuilder('switchyard-health-infra-');

/** cdk-nag findings whose construct path contains `part`. */
function nagFindings(app: App, part: string): string[] {
  return new AwsSolutionsChecks()
    .validateScope(app)
    .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} @ ${r.constructPath}`))
    .filter((f) => f.includes(part));
}

describe('health-check function', () => {
  let built: ReturnType<typeof build>;
  let fnId: string;
  beforeAll(() => {
    built = build();
    fnId = idOf(built.stack, built.stack.healthCheck.function);
  }, BUILD_TIMEOUT);

  it('runs every minute from an EventBridge rule, without retries', () => {
    const rules = Object.values(built.resources).filter((r) => r.Type === 'AWS::Events::Rule');
    expect(rules).toHaveLength(1);
    const [rule] = rules;
    expect(rule.Properties).toMatchObject({ ScheduleExpression: 'rate(1 minute)', State: 'ENABLED' });
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [fnId, 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
      }),
    ]);
    const invoke = Object.values(built.resources).filter(
      (r) => r.Type === 'AWS::Lambda::Permission' && JSON.stringify(r.Properties.FunctionName).includes(fnId),
    );
    expect(invoke).toHaveLength(1);
    expect(invoke[0].Properties).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com' });
    expect(invoke[0].Properties.SourceArn).toEqual({
      'Fn::GetAtt': [idOf(built.stack, built.stack.healthCheck.rule), 'Arn'],
    });
  });

  it('is nodejs22.x on arm64 with a timeout past the one-minute period and knows its table and period', () => {
    const fn = built.resources[fnId];
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 90,
    });
    const env = fn.Properties.Environment.Variables;
    expect(env.SWITCHYARD_STATE_TABLE).toEqual({ Ref: idOf(built.stack, built.stack.tables.table('state')) });
    expect(env.SWITCHYARD_HEALTH_SCHEDULE_MS).toBe('60000');
    expect(env.SWITCHYARD_COST_TABLE).toEqual({ Ref: idOf(built.stack, built.stack.tables.table('cost')) });
    expect(env.SWITCHYARD_KEYS_TABLE).toBeUndefined();
    expect(fn.Properties.LoggingConfig.LogGroup).toEqual({ Ref: idOf(built.stack, built.stack.healthCheck.logGroup) });
  });

  it('bundles the same routing config as the router', () => {
    const asset = built.stack.healthCheck.function.node.findChild('Code') as s3assets.Asset;
    const bundle = readFileSync(join(built.app.outdir, asset.assetPath, 'index.js'), 'utf8');
    expect(bundle).toContain(built.stack.router.bundledConfigJson.slice(0, 200));
    expect(bundle).not.toMatch(/\.SWITCHYARD_BUNDLED_CONFIG\b/);
  });

  it('may only read and put endpoint items of the state table, sweep ledger items, put metrics in its namespace, and read provider keys', () => {
    const roleRef = JSON.stringify({ Ref: idOf(built.stack, built.stack.healthCheck.role) });
    const statements: any[] = Object.values(built.resources)
      .filter(
        (r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((x: unknown) => JSON.stringify(x) === roleRef),
      )
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    const actionsOf = (s: any): string[] => [s.Action].flat();
    for (const s of statements) for (const a of actionsOf(s)) expect(a).not.toContain('*');

    const dynamo = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo).toHaveLength(2);
    const sweep = dynamo.find((s) => s.Sid === 'QuotaSweep');
    expect(actionsOf(sweep).sort()).toEqual(['dynamodb:Query', 'dynamodb:UpdateItem']);
    expect(sweep.Resource).toEqual({ 'Fn::GetAtt': [idOf(built.stack, built.stack.tables.table('cost')), 'Arn'] });
    expect(sweep.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['holder#*', 'q#*', 'slot#*'] },
    });
    dynamo.splice(dynamo.indexOf(sweep), 1);
    expect(actionsOf(dynamo[0]).sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem']);
    expect(dynamo[0].Resource).toEqual({ 'Fn::GetAtt': [idOf(built.stack, built.stack.tables.table('state')), 'Arn'] });
    expect(dynamo[0].Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['endpoint#*'] } });

    const metrics = statements.filter((s) => actionsOf(s).includes('cloudwatch:PutMetricData'));
    expect(metrics).toHaveLength(1);
    expect(actionsOf(metrics[0])).toEqual(['cloudwatch:PutMetricData']);
    expect(metrics[0].Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'Switchyard' } });

    const secrets = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
    const secretRefs = [...built.stack.providerSecrets.secrets.values()].map((s) => ({ Ref: idOf(built.stack, s) }));
    expect(secrets.flatMap((s) => [s.Resource].flat())).toEqual(expect.arrayContaining(secretRefs));
    for (const s of secrets)
      for (const a of actionsOf(s))
        expect(['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret']).toContain(a);

    // Bedrock probes: invoke on the configured ARNs only (proven in bedrock-iam.test.ts).
    const rest = statements.filter(
      (s) =>
        !dynamo.includes(s) &&
        s !== sweep &&
        !metrics.includes(s) &&
        !secrets.includes(s) &&
        s.Sid !== 'BedrockInvokeConfiguredModels',
    );
    for (const s of rest) expect(actionsOf(s).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
  });

  it('reads provider keys from Secrets Manager, like the router', () => {
    const env = built.resources[fnId].Properties.Environment.Variables;
    expect(env.SWITCHYARD_SECRETS).toBe('secretsmanager');
    expect(env.SWITCHYARD_PROVIDER_SECRETS).toBeDefined();
  });

  it('adds no Route 53 resources or outputs by default, and no cdk-nag findings', () => {
    for (const type of ['AWS::Route53::RecordSet', 'AWS::Route53::HealthCheck', 'AWS::ApiGateway::DomainName']) {
      expect(Object.values(built.resources).filter((r) => r.Type === type)).toHaveLength(0);
    }
    expect(nagFindings(built.app, '/HealthCheck/')).toEqual([]);
  });
});

describe('multi-region option', () => {
  const options = { domainName: 'llm.example.com', hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' };

  it(
    "adds the shared domain to this region's API behind a latency record whose health check watches the region's alarm",
    () => {
      const { stack, resources, app } = build({ regionalDomain: options });
      const of = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

      const [[, domain]] = of('AWS::ApiGateway::DomainName');
      expect(domain.Properties).toMatchObject({
        DomainName: 'llm.example.com',
        EndpointConfiguration: { Types: ['REGIONAL'] },
        SecurityPolicy: 'TLS_1_2',
      });
      expect(of('AWS::CertificateManager::Certificate')).toHaveLength(1);
      const [[, mapping]] = of('AWS::ApiGateway::BasePathMapping');
      expect(mapping.Properties.RestApiId).toEqual({ Ref: idOf(stack, stack.api.api) });

      const [[checkId, check]] = of('AWS::Route53::HealthCheck');
      // Not an HTTP probe of a public path (a flood could fail it and fail the region over): the
      // health check function's "no model available" alarm, a single metric as Route 53 requires.
      const alarm = resources[idOf(stack, stack.regionalDomain!.unavailableAlarm)];
      expect(check.Properties.HealthCheckConfig).toMatchObject({
        Type: 'CLOUDWATCH_METRIC',
        AlarmIdentifier: {
          Name: { Ref: idOf(stack, stack.regionalDomain!.unavailableAlarm) },
          Region: { Ref: 'AWS::Region' },
        },
        InsufficientDataHealthStatus: 'LastKnownStatus',
      });
      expect(alarm.Properties).toMatchObject({
        Namespace: 'Switchyard',
        MetricName: 'AvailableModels',
        Dimensions: [{ Name: 'Stack', Value: 'Switchyard' }],
        Statistic: 'Maximum',
        ComparisonOperator: 'LessThanThreshold',
        Threshold: 1,
        EvaluationPeriods: 3,
      });
      expect(alarm.Properties.Metrics).toBeUndefined();

      const [[, record]] = of('AWS::Route53::RecordSet');
      expect(record.Properties).toMatchObject({
        Name: 'llm.example.com.',
        Type: 'A',
        HostedZoneId: 'Z0123456789ABCDEFGHIJ',
        Region: { Ref: 'AWS::Region' },
        HealthCheckId: { Ref: checkId },
      });
      expect(record.Properties.AliasTarget).toBeDefined();
      expect(record.Properties.SetIdentifier).toBeDefined();
      expect(nagFindings(app, '/RegionalDomain/')).toEqual([]);
    },
    BUILD_TIMEOUT,
  );

  it('is set from switchyard:* context values, all or none', () => {
    expect(regionalDomainOptions({})).toBeUndefined();
    expect(regionalDomainOptions({ ...options, certificateArn: 'arn:aws:acm:eu-west-1:1:certificate/x' })).toEqual({
      ...options,
      certificateArn: 'arn:aws:acm:eu-west-1:1:certificate/x',
    });
    expect(() => regionalDomainOptions({ domainName: 'llm.example.com' })).toThrow(/switchyard:hostedZoneId/);
    expect(CONTEXT).toMatchObject({
      domainName: 'switchyard:domainName',
      hostedZoneId: 'switchyard:hostedZoneId',
      hostedZoneName: 'switchyard:hostedZoneName',
      certificateArn: 'switchyard:certificateArn',
    });
  });
});
