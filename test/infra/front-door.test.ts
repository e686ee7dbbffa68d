/**
 * The front door and capacity: reserved concurrency for the functions the router must not starve,
 * the health check's async retries, the alarms on throttles, concurrency, DynamoDB throttling and
 * the 5xx rate, and the opt-in WAF. (Anonymous /health as a MOCK is in stack.test.ts.)
 */
import { AwsSolutionsChecks } from 'cdk-nag';
import { WAF_BODY_LIMIT_BYTES, WAF_CONTENT_LENGTH_REGEX } from '../../functions/core/body-limits';
import { AUTHORIZER_RESERVED_CONCURRENCY } from '../../lib/constructs/authorizer-function';
import { HEALTH_CHECK_RESERVED_CONCURRENCY } from '../../lib/constructs/health-check';
import type { SwitchyardStack } from '../../lib/switchyard-stack';
import { idOf, stackBuilder, type Resources } from '../helpers/synth';

const BUILD_TIMEOUT = 180_000;
const { build } = stackBuilder('switchyard-front-door-');

const ofType = (resources: Resources, type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const nag = (app: Parameters<AwsSolutionsChecks['validateScope']>[0]) =>
  new AwsSolutionsChecks()
    .validateScope(app)
    .violations.map((v) => `${v.ruleName} @ ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);

describe('capacity (default stack)', () => {
  let stack: SwitchyardStack;
  let resources: Resources;
  beforeAll(() => {
    ({ stack, resources } = build());
  }, BUILD_TIMEOUT);

  it('reserves concurrency for the authorizer and the health check, not for the router', () => {
    const fn = (f: { node: { defaultChild?: unknown } }) => resources[idOf(stack, f)].Properties;
    expect(fn(stack.authorizer.function).ReservedConcurrentExecutions).toBe(AUTHORIZER_RESERVED_CONCURRENCY);
    expect(fn(stack.healthCheck.function).ReservedConcurrentExecutions).toBe(HEALTH_CHECK_RESERVED_CONCURRENCY);
    // The router takes the unreserved pool: reserving for it would also cap it.
    expect(fn(stack.router.function).ReservedConcurrentExecutions).toBeUndefined();
    // The account keeps at least 100 unreserved (Lambda refuses less) out of the default 1,000.
    expect(AUTHORIZER_RESERVED_CONCURRENCY + HEALTH_CHECK_RESERVED_CONCURRENCY).toBeLessThanOrEqual(900);
  });

  it('does not let Lambda retry a failed health-check invocation', () => {
    const configs = ofType(resources, 'AWS::Lambda::EventInvokeConfig');
    expect(configs).toHaveLength(1);
    expect(configs[0][1].Properties).toMatchObject({
      FunctionName: { Ref: idOf(stack, stack.healthCheck.function) },
      MaximumRetryAttempts: 0,
      Qualifier: '$LATEST',
    });
  });

  it('alarms on Lambda throttles, concurrency near the quota, DynamoDB throttling and the router 5xx rate', () => {
    const capacity = stack.observability.capacity!;
    const props = (a: { node: { defaultChild?: unknown } }) => resources[idOf(stack, a)].Properties;

    expect([...capacity.throttles.keys()]).toEqual(['router', 'authorizer', 'health-check']);
    for (const [name, alarm] of capacity.throttles) {
      const fn = {
        router: stack.router.function,
        authorizer: stack.authorizer.function,
        'health-check': stack.healthCheck.function,
      }[name]!;
      expect(props(alarm)).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Throttles',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: idOf(stack, fn) } }],
        Threshold: 1,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
      });
    }
    expect(props(capacity.accountConcurrency)).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'ConcurrentExecutions',
      Statistic: 'Maximum',
      Threshold: 800,
    });
    expect(props(capacity.accountConcurrency).Dimensions).toBeUndefined();

    expect([...capacity.dynamoThrottles.keys()].sort()).toEqual(['cache', 'cost', 'keys', 'state']);
    for (const [name, alarm] of capacity.dynamoThrottles) {
      const metrics = props(alarm).Metrics;
      expect(metrics.find((m: any) => m.Expression).Expression).toBe('FILL(r, 0) + FILL(w, 0)');
      const names = metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Metric.MetricName);
      expect(names.sort()).toEqual(['ReadThrottleEvents', 'WriteThrottleEvents']);
      for (const m of metrics.filter((x: any) => x.MetricStat))
        expect(m.MetricStat.Metric.Dimensions).toEqual([
          { Name: 'TableName', Value: { Ref: idOf(stack, stack.tables.table(name as 'state')) } },
        ]);
    }

    const rate = props(capacity.serverErrorRate);
    expect(rate.Metrics.find((m: any) => m.Expression).Expression).toBe('IF(req >= 20, 100 * FILL(err, 0) / req, 0)');
    for (const m of rate.Metrics.filter((x: any) => x.MetricStat))
      expect(m.MetricStat.Metric.Dimensions).toEqual([{ Name: 'Stack', Value: 'Switchyard' }]);
    expect(rate).toMatchObject({ Threshold: 5, EvaluationPeriods: 5, DatapointsToAlarm: 3 });
  });

  it('puts the authorizer behind an alias live with its own CodeDeploy canary and error-rate rollback alarm', () => {
    const c = stack.authorizerCutover;
    const alias = resources[idOf(stack, c.alias)];
    const versionId = alias.Properties.FunctionVersion['Fn::GetAtt'][0];
    expect(resources[versionId]).toMatchObject({ Type: 'AWS::Lambda::Version', DeletionPolicy: 'Retain' });
    expect(alias.Properties.Name).toBe('live');
    expect(alias.UpdatePolicy.CodeDeployLambdaAliasUpdate).toEqual({
      ApplicationName: { Ref: idOf(stack, c.deploymentGroup.application as never) },
      DeploymentGroupName: { Ref: idOf(stack, c.deploymentGroup) },
    });
    expect(alias.DependsOn).toEqual(
      expect.arrayContaining([idOf(stack, c.deploymentGroup), idOf(stack, c.serviceRole)]),
    );
    const group = resources[idOf(stack, c.deploymentGroup)].Properties;
    expect(group).toMatchObject({
      DeploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
      AutoRollbackConfiguration: {
        Enabled: true,
        Events: expect.arrayContaining([
          'DEPLOYMENT_FAILURE',
          'DEPLOYMENT_STOP_ON_ALARM',
          'DEPLOYMENT_STOP_ON_REQUEST',
        ]),
      },
      AlarmConfiguration: { Enabled: true, Alarms: [{ Name: { Ref: idOf(stack, c.alarm) } }] },
    });
    // API Gateway calls the alias, never the function or $LATEST.
    const [[, authorizer]] = ofType(resources, 'AWS::ApiGateway::Authorizer');
    expect(JSON.stringify(authorizer.Properties.AuthorizerUri)).toContain(idOf(stack, c.alias));
    expect(JSON.stringify(authorizer.Properties.AuthorizerUri)).not.toContain(
      `"${idOf(stack, stack.authorizer.function)}"`,
    );

    const alarm = resources[idOf(stack, c.alarm)].Properties;
    expect(alarm.Metrics.find((m: any) => m.Expression).Expression).toMatch(/^IF\(gInv >= 5, /);
    const names = alarm.Metrics.filter((m: any) => m.MetricStat).map((m: any) => [
      m.Id,
      m.MetricStat.Metric.MetricName,
    ]);
    expect(names).toEqual([
      ['gInv', 'Invocations'],
      ['gErr', 'Errors'],
      ['tInv', 'Invocations'],
      ['tErr', 'Errors'],
    ]);
    expect(alarm.AlarmName['Fn::Join'][1]).toContainEqual({ 'Fn::GetAtt': [versionId, 'Version'] });
  });

  it('creates no web ACL, tracing or account role unless asked', () => {
    expect(ofType(resources, 'AWS::WAFv2::WebACL')).toHaveLength(0);
    expect(ofType(resources, 'AWS::ApiGateway::Account')).toHaveLength(0);
    expect(resources[idOf(stack, stack.router.function)].Properties.TracingConfig).toBeUndefined();
  });

  it('checks the account logging role before the stage, with a function that may only read that setting', () => {
    const check = stack.api.accountCheck!;
    const [[checkId, custom]] = ofType(resources, 'Custom::ApiGatewayAccountLogging');
    expect(custom.Properties.ServiceToken).toEqual({ 'Fn::GetAtt': [idOf(stack, check.function), 'Arn'] });
    const [[, stage]] = ofType(resources, 'AWS::ApiGateway::Stage');
    expect(stage.DependsOn).toContain(checkId);
    const roleId = idOf(stack, check.function.role as never);
    const statements = ofType(resources, 'AWS::IAM::Policy')
      .filter(([, p]) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as any[]);
    const apiGateway = statements.filter((st) => [st.Action].flat().some((a: string) => a.startsWith('apigateway:')));
    expect(apiGateway).toEqual([
      {
        Sid: 'ReadApiGatewayAccount',
        Effect: 'Allow',
        Action: 'apigateway:GET',
        Resource: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':apigateway:', { Ref: 'AWS::Region' }, '::/account']],
        },
      },
    ]);
    // Besides that read, only its own log group.
    for (const st of statements.filter((x) => x !== apiGateway[0])) {
      for (const a of [st.Action].flat()) expect(a).toMatch(/^logs:/);
    }
  });
});

describe('opt-in WAF, tracing and the account API Gateway role', () => {
  let built: ReturnType<typeof build>;
  beforeAll(() => {
    built = build({ waf: true, tracing: true, apiGatewayAccountRole: true, accountConcurrencyQuota: 3000 });
  }, BUILD_TIMEOUT);

  it('traces the functions and the stage, and tells the router to open attempt spans', () => {
    const { stack, resources } = built;
    for (const fn of [stack.router.function, stack.authorizer.function, stack.healthCheck.function]) {
      const p = resources[idOf(stack, fn)].Properties;
      expect(p.TracingConfig).toEqual({ Mode: 'Active' });
      expect(p.Environment.Variables).toMatchObject({
        SWITCHYARD_TRACING: 'true',
        POWERTOOLS_TRACER_CAPTURE_RESPONSE: 'false',
      });
    }
    const [[, stage]] = ofType(resources, 'AWS::ApiGateway::Stage');
    expect(stage.Properties.TracingEnabled).toBe(true);
  });

  it('creates the account-level API Gateway logging role only when asked, and then no preflight for it', () => {
    const [[, account]] = ofType(built.resources, 'AWS::ApiGateway::Account');
    expect(account.Properties.CloudWatchRoleArn).toBeDefined();
    expect(ofType(built.resources, 'Custom::ApiGatewayAccountLogging')).toHaveLength(0);
    expect(built.stack.api.accountCheck).toBeUndefined();
  });

  it('associates a regional web ACL with a per-IP rate rule, a 413 for oversized bodies and AWS managed rules', () => {
    const [[aclId, acl]] = ofType(built.resources, 'AWS::WAFv2::WebACL');
    expect(acl.Properties).toMatchObject({ Scope: 'REGIONAL', DefaultAction: { Allow: {} } });
    const rules = acl.Properties.Rules as any[];
    expect(rules.map((r) => r.Name)).toEqual([
      'BodyTooLarge',
      'RateLimitPerIp',
      'AWSManagedRulesCommonRuleSet',
      'AWSManagedRulesKnownBadInputsRuleSet',
    ]);
    expect(rules[0]).toMatchObject({
      Action: { Block: { CustomResponse: { ResponseCode: 413, CustomResponseBodyKey: 'TooLarge' } } },
      Statement: {
        RegexMatchStatement: {
          FieldToMatch: { SingleHeader: { Name: 'content-length' } },
          RegexString: WAF_CONTENT_LENGTH_REGEX,
        },
      },
    });
    expect(rules[1]).toMatchObject({
      Action: { Block: { CustomResponse: { ResponseCode: 429 } } },
      Statement: { RateBasedStatement: { Limit: 3000, AggregateKeyType: 'IP' } },
    });
    // Prompts are big and contain code: the managed body rules only count.
    const common = rules[2].Statement.ManagedRuleGroupStatement.RuleActionOverrides.map((o: any) => o.Name);
    expect(common).toEqual(expect.arrayContaining(['SizeRestrictions_BODY', 'CrossSiteScripting_BODY']));
    const bodies = JSON.parse(acl.Properties.CustomResponseBodies.TooLarge.Content);
    expect(bodies.error.code).toBe('request_too_large');

    const [[, assoc]] = ofType(built.resources, 'AWS::WAFv2::WebACLAssociation');
    expect(assoc.Properties.WebACLArn).toEqual({ 'Fn::GetAtt': [aclId, 'Arn'] });
  });

  it('refuses bodies from just above the router cap, never a body the router would take', () => {
    const re = new RegExp(WAF_CONTENT_LENGTH_REGEX);
    expect(re.test(String(WAF_BODY_LIMIT_BYTES))).toBe(true);
    expect(re.test(String(WAF_BODY_LIMIT_BYTES - 1))).toBe(false);
    expect(re.test(String(6 * 1024 * 1024))).toBe(true);
    expect(re.test(String(4 * 1024 * 1024))).toBe(false);
    expect(re.test('123')).toBe(false);
  });

  it('takes the account quota for the concurrency alarm from the props', () => {
    const alarm = built.stack.observability.capacity!.accountConcurrency;
    expect(built.resources[idOf(built.stack, alarm)].Properties.Threshold).toBe(2400);
  });

  it('stays cdk-nag clean, with no WAF acknowledgement needed', () => {
    expect(nag(built.app)).toEqual([]);
  });
});
