/**
 * CDK assertions on the Switchyard stack: tables from the shared specs, the streaming router behind
 * its `live` alias, least-privilege roles, OpenAI-shaped gateway errors. Whole-stack security checks
 * (cdk-nag, IAM wildcards, TLS, access logs, body limit) are in security.test.ts.
 *
 * Bundling runs esbuild for real, so each stack is built once (beforeAll) and shared by the tests.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type App, RemovalPolicy } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TABLE_SPECS } from '../../functions/contracts/table-specs';
import { OPENAI_GATEWAY_RESPONSES } from '../../lib/constructs/gateway-responses';
import { logicalName } from '../../lib/constructs/tables';
import { cdkJsonContext, createSwitchyardApp } from '../../lib/app';
import { DEFAULT_ROUTES } from '../../local/apigw-emulator';
import type { SwitchyardStack } from '../../lib/switchyard-stack';
import { idOf, stackBuilder, type Resources } from '../helpers/synth';

const BUILD_TIMEOUT = 120_000;

const { build, outRoot: OUT_ROOT } = stackBuilder('switchyard-infra-');

function routerBundle(app: App, stack: SwitchyardStack): string {
  const asset = stack.router.function.node.findChild('Code') as s3assets.Asset;
  return readFileSync(join(app.outdir, asset.assetPath, 'index.js'), 'utf8');
}

describe('Switchyard stack', () => {
  let app: App;
  let stack: SwitchyardStack;
  let template: Template;
  let resources: Resources;

  beforeAll(() => {
    ({ app, stack, template } = build());
    resources = template.toJSON().Resources;
  }, BUILD_TIMEOUT);

  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

  describe('tables', () => {
    it('builds exactly the tables of TABLE_SPECS', () => {
      template.resourceCountIs('AWS::DynamoDB::Table', TABLE_SPECS.length);
    });

    it.each(TABLE_SPECS.map((s) => [s.name, s] as const))(
      '%s: pk/sk, on-demand, PITR, TTL, AWS-managed SSE, retained',
      (_, spec) => {
        const table = resources[idOf(stack, stack.tables.table(spec.name))];
        expect(table.Type).toBe('AWS::DynamoDB::Table');
        expect(table.Properties.KeySchema).toEqual([
          { AttributeName: spec.partitionKey, KeyType: 'HASH' },
          { AttributeName: spec.sortKey, KeyType: 'RANGE' },
        ]);
        expect(table.Properties.AttributeDefinitions).toEqual([
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ]);
        expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
        expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
        expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: spec.ttlAttribute, Enabled: true });
        expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true });
        expect(table.DeletionPolicy).toBe('Retain');
        expect(table.Properties.DeletionProtectionEnabled).toBe(true);
      },
    );
  });

  describe('router', () => {
    it('is nodejs22.x on arm64, 1024 MB, 900 s, with the table names and service name in its environment', () => {
      const fn = resources[idOf(stack, stack.router.function)];
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        MemorySize: 1024,
        Timeout: 900,
        Handler: 'index.handler',
      });
      const env = fn.Properties.Environment.Variables;
      for (const spec of TABLE_SPECS) {
        expect(env[spec.envVar]).toEqual({ Ref: idOf(stack, stack.tables.table(spec.name)) });
      }
      expect(env.NODE_OPTIONS).toBe('--enable-source-maps');
      expect(env.POWERTOOLS_SERVICE_NAME).toBe('switchyard-router');
      expect(fn.Properties.LoggingConfig.LogGroup).toEqual({ Ref: idOf(stack, stack.router.logGroup) });
    });

    it('has a log group with a retention', () => {
      for (const [, lg] of ofType('AWS::Logs::LogGroup')) expect(lg.Properties.RetentionInDays).toBeGreaterThan(0);
    });

    it('publishes a version and serves it through the alias "live"', () => {
      const alias = resources[idOf(stack, stack.router.alias)];
      expect(alias.Type).toBe('AWS::Lambda::Alias');
      expect(alias.Properties.Name).toBe('live');
      expect(alias.Properties.FunctionName).toEqual({ Ref: idOf(stack, stack.router.function) });
      const [versionId] = alias.Properties.FunctionVersion['Fn::GetAtt'];
      expect(resources[versionId].Type).toBe('AWS::Lambda::Version');
      expect(resources[versionId].Properties.FunctionName).toEqual({ Ref: idOf(stack, stack.router.function) });
      // Superseded versions stay published so `live` can be shifted back to them.
      expect(resources[versionId].DeletionPolicy).toBe('Retain');
    });

    it('bundles the routing config as the literal behind process.env.SWITCHYARD_BUNDLED_CONFIG', () => {
      const bundle = routerBundle(app, stack);
      const config = JSON.parse(readFileSync(join(__dirname, '..', '..', 'config', 'switchyard.json'), 'utf8'));
      expect(bundle).toContain(JSON.stringify(config).slice(0, 200));
      // A property access left in the bundle would mean esbuild did not substitute it.
      expect(bundle).not.toMatch(/\.SWITCHYARD_BUNDLED_CONFIG\b/);
    });
  });

  describe('authorizer', () => {
    it('is a REQUEST authorizer on the Authorization header with a 60 s cache', () => {
      template.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
      template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
        Type: 'REQUEST',
        IdentitySource: 'method.request.header.Authorization',
        AuthorizerResultTtlInSeconds: 60,
      });
    });

    it('runs nodejs22.x on arm64 with 256 MB and 10 s', () => {
      expect(resources[idOf(stack, stack.authorizer.function)].Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        MemorySize: 256,
        Timeout: 10,
      });
    });
  });

  describe('API', () => {
    const methods = () =>
      [
        ...Object.entries(stack.api.methods),
        ...[...stack.api.adminMethods, ...stack.api.consoleMethods].map((m) => [m.resource.path, m] as const),
      ].map(([name, m]) => [name, resources[idOf(stack, m)]] as const);

    it('has exactly the OpenAI-style routes and the Anthropic Messages / Responses ones', () => {
      const paths = Object.values(stack.api.methods).map((m) => `${m.httpMethod} ${m.resource.path}`);
      expect(paths.sort()).toEqual([
        'GET /health',
        'GET /health/deep',
        'GET /v1/models',
        'GET /v1/models/{model+}',
        'GET /v1/stats',
        'POST /v1/chat/completions',
        'POST /v1/embeddings',
        'POST /v1/messages',
        'POST /v1/messages/count_tokens',
        'POST /v1/responses',
      ]);
      template.resourceCountIs(
        'AWS::ApiGateway::Method',
        10 + stack.api.adminMethods.length + stack.api.consoleMethods.length,
      );
    });

    it('mirrors the emulator: admin endpoints behind the authorizer, the console files public', () => {
      const emulated = DEFAULT_ROUTES.flatMap((r) => r.methods.map((m) => `${m} ${r.resource} ${r.auth}`)).sort();
      const all = [...Object.values(stack.api.methods), ...stack.api.adminMethods, ...stack.api.consoleMethods];
      const deployed = all
        .map(
          (m) =>
            `${m.httpMethod} ${m.resource.path} ${resources[idOf(stack, m)].Properties.AuthorizationType === 'CUSTOM'}`,
        )
        .sort();
      expect(deployed).toEqual(emulated);
      for (const m of stack.api.consoleMethods)
        expect(resources[idOf(stack, m)].Properties.AuthorizationType).toBe('NONE');
    });

    it('answers anonymous GET /health itself (MOCK, own throttle) and sends /health/deep to the router behind the authorizer', () => {
      const health = resources[idOf(stack, stack.api.methods.health)];
      expect(health.Properties).toMatchObject({ HttpMethod: 'GET', AuthorizationType: 'NONE' });
      expect(health.Properties.Integration.Type).toBe('MOCK');
      expect(
        JSON.parse(health.Properties.Integration.IntegrationResponses[0].ResponseTemplates['application/json']),
      ).toEqual({ status: 'ok', deep: '/health/deep' });
      expect(JSON.stringify(health)).not.toContain(idOf(stack, stack.router.alias));
      const deep = resources[idOf(stack, stack.api.methods.deepHealth)];
      expect(deep.Properties).toMatchObject({ AuthorizationType: 'CUSTOM', Integration: { Type: 'AWS_PROXY' } });
      const [[, stage]] = ofType('AWS::ApiGateway::Stage');
      expect(stage.Properties.MethodSettings).toContainEqual(
        expect.objectContaining({
          ResourcePath: '/~1health',
          HttpMethod: 'GET',
          ThrottlingRateLimit: 20,
          ThrottlingBurstLimit: 40,
        }),
      );
    });

    /** Key administration and the cutover view go to the admin function (admin-function.test.ts). */
    const onRouter = () => {
      const toAdmin = new Set(stack.api.adminFunctionMethods.map((m) => idOf(stack, m)));
      return methods().filter(([, m]) => ![...toAdmin].some((id) => resources[id] === m));
    };

    it('integrates every other method with the live alias through response streaming, 15 min timeout', () => {
      const aliasRef = { Ref: idOf(stack, stack.router.alias) };
      for (const [, method] of onRouter().filter(([, m]) => m.Properties.Integration.Type !== 'MOCK')) {
        const integration = method.Properties.Integration;
        expect(integration).toMatchObject({
          Type: 'AWS_PROXY',
          IntegrationHttpMethod: 'POST',
          ResponseTransferMode: 'STREAM',
          TimeoutInMillis: 900_000,
        });
        // arn:aws:apigateway:<region>:lambda:path/2021-11-15/functions/<alias ARN>/response-streaming-invocations
        const parts: unknown[] = integration.Uri['Fn::Join'][1];
        expect(parts).toContainEqual(aliasRef);
        expect(parts[parts.length - 1]).toBe('/response-streaming-invocations');
        expect(JSON.stringify(parts)).toContain('lambda:path/2021-11-15/functions/');
      }
    });

    it('serves Messages, count_tokens and Responses exactly like chat completions (authorizer, streaming alias)', () => {
      const props = (m: { node: unknown }) => resources[idOf(stack, m as never)].Properties;
      const chat = props(stack.api.methods.chatCompletions);
      for (const m of [stack.api.methods.messages, stack.api.methods.countTokens, stack.api.methods.responses]) {
        expect(props(m)).toMatchObject({
          HttpMethod: 'POST',
          AuthorizationType: chat.AuthorizationType,
          AuthorizerId: chat.AuthorizerId,
          Integration: chat.Integration,
        });
      }
    });

    it('lets only API Gateway invoke the alias (never the unqualified function)', () => {
      const invokers = ofType('AWS::Lambda::Permission').filter(
        ([, p]) =>
          JSON.stringify(p.Properties.FunctionName) === JSON.stringify({ Ref: idOf(stack, stack.router.alias) }),
      );
      // Every router method but the anonymous /health, which API Gateway answers itself (MOCK).
      expect(invokers).toHaveLength(onRouter().length - 1);
      for (const [, p] of invokers) {
        expect(p.Properties).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' });
      }
      const onFunction = ofType('AWS::Lambda::Permission').filter(([, p]) =>
        JSON.stringify(p.Properties.FunctionName).includes(idOf(stack, stack.router.function)),
      );
      expect(onFunction).toHaveLength(0);
    });

    it('puts the authorizer on every /v1 method and none on /health or the console files', () => {
      const authorizerRef = { Ref: idOf(stack, stack.api.authorizer) };
      for (const [name, method] of methods()) {
        if (name === 'health' || name.startsWith('/console')) {
          expect(method.Properties.AuthorizationType).toBe('NONE');
          expect(method.Properties.AuthorizerId).toBeUndefined();
        } else {
          expect(method.Properties.AuthorizationType).toBe('CUSTOM');
          expect(method.Properties.AuthorizerId).toEqual(authorizerRef);
        }
      }
    });

    // Access logs (format, no key, no data trace) are asserted in security.test.ts.
    it('is regional, uncompressed, stage "prod" with throttling', () => {
      const [[, api]] = ofType('AWS::ApiGateway::RestApi');
      expect(api.Properties.EndpointConfiguration).toEqual({ Types: ['REGIONAL'] });
      expect(api.Properties.MinimumCompressionSize).toBeUndefined();
      const [[, stage]] = ofType('AWS::ApiGateway::Stage');
      expect(stage.Properties.StageName).toBe('prod');
      expect(stage.Properties.MethodSettings).toContainEqual(
        expect.objectContaining({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: 500,
          ThrottlingBurstLimit: 1000,
        }),
      );
    });

    it("answers its own errors in one body that is both OpenAI's and Anthropic's error shape", () => {
      const responses = ofType('AWS::ApiGateway::GatewayResponse').map(([, r]) => r.Properties);
      const byType = new Map(responses.map((r) => [r.ResponseType, r]));
      const expected: Record<string, [string | undefined, string]> = {
        UNAUTHORIZED: ['401', 'invalid_api_key'],
        ACCESS_DENIED: ['403', 'permission_denied'],
        THROTTLED: ['429', 'rate_limit_exceeded'],
        DEFAULT_4XX: [undefined, 'invalid_request'],
        DEFAULT_5XX: [undefined, 'gateway_error'],
      };
      for (const [type, [status, code]] of Object.entries(expected)) {
        const r = byType.get(type);
        expect(r).toBeDefined();
        expect(r!.StatusCode).toBe(status);
        expect(JSON.parse(fillTemplate(r!.ResponseTemplates['application/json'])).error.code).toBe(code);
      }
      expect(byType.get('UNAUTHORIZED')!.ResponseTemplates['application/json']).toContain(
        '"type":"authentication_error"',
      );
      expect(responses).toHaveLength(OPENAI_GATEWAY_RESPONSES.length);
      for (const r of responses) {
        const body = JSON.parse(fillTemplate(r.ResponseTemplates['application/json']));
        // Anthropic's envelope around OpenAI's error object: each SDK reads what it knows.
        expect(Object.keys(body)).toEqual(['type', 'error']);
        expect(body.type).toBe('error');
        expect(body.error).toEqual({
          message: expect.any(String),
          type: expect.any(String),
          param: null,
          code: expect.any(String),
        });
        expect(r.ResponseParameters['gatewayresponse.header.Content-Type']).toBe("'application/json'");
      }
    });
  });

  describe('IAM', () => {
    // Statements `skip` drops are asserted elsewhere (keys-and-secrets.test.ts: secrets, lastUsedAt).
    const dynamoStatements = (
      roleConstruct: { node: { defaultChild?: unknown } },
      skip: (s: any) => boolean = () => false,
    ) => {
      const roleRef = JSON.stringify({ Ref: idOf(stack, roleConstruct) });
      const policies = ofType('AWS::IAM::Policy').filter(([, p]) =>
        p.Properties.Roles.some((r: unknown) => JSON.stringify(r) === roleRef),
      );
      expect(policies).toHaveLength(1);
      const statements: any[] = policies[0][1].Properties.PolicyDocument.Statement.filter((s: any) => !skip(s));
      for (const s of statements) {
        for (const action of [s.Action].flat()) expect(action).not.toMatch(/\*/);
        for (const resource of [s.Resource].flat()) expect(JSON.stringify(resource)).not.toMatch(/"\*"/);
      }
      const dynamo = statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('dynamodb:')));
      // Bedrock invoke on the configured ARNs: its scoping is proven in bedrock-iam.test.ts.
      const other = statements.filter((s) => !dynamo.includes(s) && s.Sid !== 'BedrockInvokeConfiguredModels');
      // The only other permission: writing to the function's own log group.
      for (const s of other) expect([s.Action].flat().sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      return {
        actions: new Set(dynamo.flatMap((s) => [s.Action].flat() as string[])),
        tables: new Set(
          dynamo.flatMap((s) => [s.Resource].flat().map((r: any) => r['Fn::GetAtt']?.[0] ?? JSON.stringify(r))),
        ),
      };
    };
    const tableIds = () => TABLE_SPECS.map((s) => idOf(stack, stack.tables.table(s.name)));

    it('uses no AWS managed policies', () => {
      for (const [, role] of ofType('AWS::IAM::Role')) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    });

    it('lets the router use exactly the DynamoDB operations its stores send, on its tables only', () => {
      const { actions, tables } = dynamoStatements(stack.router.function.role!, (s) =>
        [s.Action].flat().every((a: string) => a.startsWith('secretsmanager:')),
      );
      // Not the keys table: the router could mint itself a key or read every key hash.
      expect([...tables].sort()).toEqual(
        tableIds()
          .filter((t) => !t.includes('Keys'))
          .sort(),
      );
      expect([...new Set(actions)].sort()).toEqual([
        'dynamodb:BatchGetItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
      ]);
    });

    it('lets only the router use the cache table: GetItem and PutItem on answer items, nothing else', () => {
      const cacheTable = idOf(stack, stack.tables.table('cache'));
      // Like every table (checked per spec above): TTL on expiresAt, encrypted, point-in-time recovery.
      expect(resources[cacheTable].Properties).toMatchObject({
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
      const grants = ofType('AWS::IAM::Policy').flatMap(([, p]) =>
        (p.Properties.PolicyDocument.Statement as any[]).map((s) => ({ roles: p.Properties.Roles, s })),
      );
      const onCache = grants.filter(({ s }) => JSON.stringify(s.Resource).includes(cacheTable));
      expect(onCache).toHaveLength(1);
      const [{ roles, s }] = onCache;
      const routerRole = { Ref: idOf(stack, stack.router.function.role as never) };
      expect(roles).toEqual([routerRole]);
      expect(s).toEqual({
        Sid: 'ResponseCache',
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        Resource: { 'Fn::GetAtt': [cacheTable, 'Arn'] },
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['r#*'] } },
      });
      // The router puts nothing anywhere else: it overwrites cache entries, never items of the other tables.
      const puts = grants.filter(
        ({ roles, s }) =>
          JSON.stringify(roles) === JSON.stringify([routerRole]) && [s.Action].flat().includes('dynamodb:PutItem'),
      );
      expect(puts.map(({ s }) => s.Sid)).toEqual(['ResponseCache']);
      // The function learns the table's name like the others'.
      const env = resources[idOf(stack, stack.router.function)].Properties.Environment.Variables;
      expect(env.SWITCHYARD_CACHE_TABLE).toEqual({ Ref: cacheTable });
    });

    it('lets the authorizer only read the keys table (besides its conditional lastUsedAt write)', () => {
      const { actions, tables } = dynamoStatements(
        stack.authorizer.function.role!,
        (s) => s.Sid === 'TouchKeyLastUsedAt',
      );
      expect([...tables]).toEqual([idOf(stack, stack.tables.table('keys'))]);
      expect(actions).toContain('dynamodb:GetItem');
      for (const write of [
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:*',
      ]) {
        expect(actions).not.toContain(write);
      }
    });
  });

  it('outputs the /v1 base URL, the table names and the alias ARN', () => {
    const outputs = template.toJSON().Outputs;
    const url: unknown[] = outputs.ApiUrl.Value['Fn::Join'][1];
    expect(url[0]).toBe('https://');
    expect(url[url.length - 1]).toBe('/v1');
    for (const spec of TABLE_SPECS) {
      expect(outputs[`${logicalName(spec)}Name`].Value).toEqual({ Ref: idOf(stack, stack.tables.table(spec.name)) });
    }
    expect(outputs.KeysTableName).toBeDefined();
    expect(outputs.RouterAliasArn.Value).toEqual({ Ref: idOf(stack, stack.router.alias) });
    expect(Object.keys(outputs).sort()).toEqual([
      'ApiUrl',
      'CacheTableName',
      'CostTableName',
      'KeysTableName',
      'ProviderSecretArns',
      'RouterAliasArn',
      'StateTableName',
    ]);
  });
});

describe('Switchyard stack props', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(OUT_ROOT, 'configs-'));
  });

  it(
    'bundles a custom configPath (new code hash, new version); DESTROY makes tables deletable; webAclArn attaches WAF',
    () => {
      const base = JSON.parse(readFileSync(join(__dirname, '..', '..', 'config', 'switchyard.json'), 'utf8'));
      const configPath = join(dir, 'custom.json');
      writeFileSync(configPath, JSON.stringify({ ...base, version: 'infra-test-custom-1' }));

      const a = build();
      const webAclArn = 'arn:aws:wafv2:us-east-1:123456789012:regional/webacl/switchyard/abc';
      const b = build({ configPath, removalPolicy: RemovalPolicy.DESTROY, webAclArn });
      expect(routerBundle(b.app, b.stack)).toContain('infra-test-custom-1');
      expect(routerBundle(a.app, a.stack)).not.toContain('infra-test-custom-1');

      const codeOf = (s: { stack: SwitchyardStack; template: Template }) =>
        s.template.toJSON().Resources[idOf(s.stack, s.stack.router.function)].Properties.Code.S3Key;
      expect(codeOf(a)).not.toBe(codeOf(b));
      const versionOf = (s: { stack: SwitchyardStack; template: Template }) =>
        s.template.toJSON().Resources[idOf(s.stack, s.stack.router.alias)].Properties.FunctionVersion['Fn::GetAtt'][0];
      expect(versionOf(a)).not.toBe(versionOf(b));

      const tables = Object.values(b.template.toJSON().Resources as Resources).filter(
        (r) => r.Type === 'AWS::DynamoDB::Table',
      );
      expect(tables).toHaveLength(TABLE_SPECS.length);
      for (const t of tables) {
        expect(t.DeletionPolicy).toBe('Delete');
        expect(t.Properties.DeletionProtectionEnabled).toBe(false);
      }

      // With a web ACL the WAF finding (APIG3) is satisfied rather than acknowledged.
      b.template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { WebACLArn: webAclArn });
      expect(new AwsSolutionsChecks().validateScope(b.app).violations).toEqual([]);
    },
    BUILD_TIMEOUT,
  );

  it('refuses a log retention CloudWatch Logs would reject at deploy time, at synth', () => {
    const withRetention = (days: unknown) => () =>
      createSwitchyardApp({
        context: { ...cdkJsonContext(), 'switchyard:logRetentionDays': days },
        builtinValidation: false,
        nag: false,
        outdir: mkdtempSync(join(dir, 'cdk.out-')),
      });
    expect(withRetention(45)).toThrow(/switchyard:logRetentionDays must be one of 1, 3, 5, 7, 14, 30, 60, 90/);
    expect(withRetention('45')).toThrow(/got "45"/);
  });

  it('refuses a config that is not JSON, or that validateConfig rejects, before bundling', () => {
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ "version": ');
    expect(() => build({ configPath: broken })).toThrow(/not valid JSON/);
    const invalid = join(dir, 'invalid.json');
    writeFileSync(invalid, JSON.stringify({ version: 'x', providers: {}, models: [] }));
    expect(() => build({ configPath: invalid })).toThrow(/invalid Switchyard config/);
    expect(() => build({ configPath: join(dir, 'missing.json') })).toThrow(/cannot be read/);
  });
});

/** Gateway response templates may embed `$context.error.messageString` (a quoted string at runtime). */
function fillTemplate(template: string): string {
  return template.replace(/\$context\.error\.messageString/g, '"API Gateway message"');
}
