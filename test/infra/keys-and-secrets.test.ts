/**
 * CDK assertions for virtual keys and provider secrets: the authorizer's identity sources and
 * cache in both key-header modes, its narrow lastUsedAt write, one secret per keyed provider with
 * no value in the template, and least-privilege reads of exactly those secrets.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoKeyStore } from '../../functions/adapters/dynamo/key-store';
import { UNSET_SECRET_TEMPLATE } from '../../functions/contracts/secret-specs';
import type { SwitchyardStack } from '../../lib/switchyard-stack';
import { idOf, stackBuilder, type Resources } from '../helpers/synth';

const { build, outRoot } = stackBuilder('switchyard-keys-infra-');

/** Every policy statement attached to a function's role, flattened. */
function statementsOf(
  stack: SwitchyardStack,
  resources: Resources,
  fn: { role?: { node: { defaultChild?: unknown } } },
): any[] {
  const roleRef = JSON.stringify({ Ref: idOf(stack, fn.role!) });
  return Object.values(resources)
    .filter(
      (r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((x: unknown) => JSON.stringify(x) === roleRef),
    )
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

const actionsOf = (s: any): string[] => [s.Action].flat();
const resourcesOf = (s: any): unknown[] => [s.Resource].flat();

const keyedProviders = (): string[] => {
  const config = JSON.parse(readFileSync(join(__dirname, '..', '..', 'config', 'switchyard.json'), 'utf8'));
  return Object.entries(config.providers as Record<string, { apiKeyRef?: string }>)
    .filter(([, p]) => p.apiKeyRef)
    .map(([name]) => name)
    .sort();
};

describe('keys and secrets (default stack)', () => {
  let built: ReturnType<typeof build>;
  beforeAll(() => {
    built = build();
  }, 120_000);

  it('authorizes with a REQUEST authorizer on the Authorization header, cached 60 s by API Gateway', () => {
    const { template, stack, resources } = built;
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 60,
    });
    const env = resources[idOf(stack, stack.authorizer.function)].Properties.Environment.Variables;
    expect(env).toMatchObject({ SWITCHYARD_KEY_HEADERS: 'authorization', SWITCHYARD_AUTHORIZER_CACHE_MS: '0' });
  });

  it('lets the authorizer read key items and write only their lastUsedAt', () => {
    const { stack, resources } = built;
    const statements = statementsOf(stack, resources, stack.authorizer.function);
    const keysTable = idOf(stack, stack.tables.table('keys'));
    const writes = statements.filter((s) =>
      actionsOf(s).some((a) => /dynamodb:(Put|Update|Delete|BatchWrite)/.test(a)),
    );
    expect(writes).toHaveLength(1);
    expect(actionsOf(writes[0])).toEqual(['dynamodb:UpdateItem']);
    expect(resourcesOf(writes[0])).toEqual([{ 'Fn::GetAtt': [keysTable, 'Arn'] }]);
    expect(writes[0].Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['key#*'] },
      'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', 'lastUsedAt'] },
      StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
    });
    expect(statements.flatMap(actionsOf).filter((a) => a.startsWith('secretsmanager:'))).toEqual([]);
  });

  it('lets the authorizer read key items with GetItem only (no Scan or Query of every key hash)', async () => {
    const { stack, resources } = built;
    const keysTable = JSON.stringify({ 'Fn::GetAtt': [idOf(stack, stack.tables.table('keys')), 'Arn'] });
    const reads = statementsOf(stack, resources, stack.authorizer.function).filter(
      (s) => s.Sid !== 'TouchKeyLastUsedAt' && actionsOf(s).some((a) => a.startsWith('dynamodb:')),
    );
    expect(reads).toHaveLength(1);
    expect(actionsOf(reads[0])).toEqual(['dynamodb:GetItem']);
    expect(resourcesOf(reads[0]).map((r) => JSON.stringify(r))).toEqual([keysTable]);
    expect(reads[0].Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['key#*'] } });
    // The prefix IAM allows is the one the key store reads.
    const sent: any[] = [];
    const ddb = { send: async (cmd: any) => (sent.push(cmd.input), {}) } as unknown as DynamoDBClient;
    await createDynamoKeyStore(ddb, 'keys').getByHash('ab12');
    expect(sent[0].Key.pk.S).toMatch(/^key#/);
  });

  it('gives the router no access at all to the keys table (it could mint keys or read key hashes)', () => {
    const { stack, resources } = built;
    const keysTable = JSON.stringify({ 'Fn::GetAtt': [idOf(stack, stack.tables.table('keys')), 'Arn'] });
    const onKeys = statementsOf(stack, resources, stack.router.function).filter((s) =>
      resourcesOf(s).some((r) => JSON.stringify(r) === keysTable),
    );
    expect(onKeys).toEqual([]);
  });

  it('creates one secret per provider with an apiKeyRef, with no key in the template', () => {
    const { stack, resources } = built;
    const secrets = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::SecretsManager::Secret');
    expect(secrets).toHaveLength(keyedProviders().length);
    expect([...stack.providerSecrets.secrets.keys()].sort()).toEqual(keyedProviders());
    for (const [, s] of secrets) {
      expect(s.Properties.SecretString).toBeUndefined();
      expect(s.Properties.GenerateSecretString).toMatchObject({ SecretStringTemplate: UNSET_SECRET_TEMPLATE });
      expect(s.Properties.Name).toBeUndefined(); // CloudFormation names it: a retained secret never blocks a re-deploy
    }
  });

  it('tells the router where each provider key is and lets it read exactly those secrets', () => {
    const { stack, resources } = built;
    const secretRefs = [...stack.providerSecrets.secrets.values()].map((s) => ({ Ref: idOf(stack, s) }));
    const env = resources[idOf(stack, stack.router.function)].Properties.Environment.Variables;
    expect(env.SWITCHYARD_SECRETS).toBe('secretsmanager');
    expect(env.SWITCHYARD_SECRETS_TTL_MS).toBe('300000');
    const map = JSON.stringify(env.SWITCHYARD_PROVIDER_SECRETS);
    for (const provider of keyedProviders()) {
      expect(map).toContain(`\\"${provider}\\":\\"`);
      expect(map).toContain(JSON.stringify({ Ref: idOf(stack, stack.providerSecrets.secretFor(provider)) }));
    }

    const secretStatements = statementsOf(stack, resources, stack.router.function).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('secretsmanager:')),
    );
    expect(new Set(secretStatements.flatMap(actionsOf))).toEqual(
      new Set(['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret']),
    );
    const granted = secretStatements.flatMap(resourcesOf).map((r) => JSON.stringify(r));
    expect(new Set(granted)).toEqual(new Set(secretRefs.map((r) => JSON.stringify(r))));
    for (const s of secretStatements) expect(s.Condition).toBeUndefined();
  });

  it('grants the secrets read-only, never to the authorizer (only functions that call upstreams read them)', () => {
    const { stack, resources } = built;
    const secretRefs = new Set(
      [...stack.providerSecrets.secrets.values()].map((s) => JSON.stringify({ Ref: idOf(stack, s) })),
    );
    const policies = Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Policy');
    const withSecrets = policies.filter((p) => JSON.stringify(p.Properties.PolicyDocument).includes('secretsmanager:'));
    const authorizerRole = JSON.stringify({ Ref: idOf(stack, stack.authorizer.function.role!) });
    const routerRole = JSON.stringify({ Ref: idOf(stack, stack.router.function.role!) });
    expect(withSecrets.map((p) => JSON.stringify(p.Properties.Roles[0]))).toContain(routerRole);
    for (const p of withSecrets) {
      expect(p.Properties.Roles.map((r: unknown) => JSON.stringify(r))).not.toContain(authorizerRole);
      const statements = (p.Properties.PolicyDocument.Statement as any[]).filter((st) =>
        actionsOf(st).some((x) => x.startsWith('secretsmanager:')),
      );
      const hookRole = JSON.stringify({ Ref: idOf(stack, stack.cutover.preTrafficHook!.role!) });
      const isHook = p.Properties.Roles.some((r: unknown) => JSON.stringify(r) === hookRole);
      for (const st of statements) {
        // The pre-traffic hook sees only metadata (which keys were never set), never a value.
        expect(actionsOf(st).sort()).toEqual(
          isHook
            ? ['secretsmanager:DescribeSecret']
            : ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        );
        for (const r of resourcesOf(st)) expect(secretRefs).toContain(JSON.stringify(r));
      }
    }
  });

  it('outputs the provider -> secret map for operators', () => {
    const outputs = built.template.toJSON().Outputs;
    const value = JSON.stringify(outputs.ProviderSecretArns.Value);
    for (const provider of keyedProviders()) expect(value).toContain(provider);
  });

  it('has no unacknowledged cdk-nag findings', () => {
    const report = new AwsSolutionsChecks().validateScope(built.app);
    expect(
      report.violations.map((v) => `${v.ruleName} @ ${v.violatingResources.map((r) => r.constructPath).join(', ')}`),
    ).toEqual([]);
  });
});

describe('keys and secrets (keyHeaderMode authorization-or-x-api-key)', () => {
  it('turns API Gateway caching off, drops the identity source and lets the authorizer cache key records', () => {
    const { stack, resources } = build({ keyHeaderMode: 'authorization-or-x-api-key' });
    const [authorizer] = Object.values(resources).filter((r) => r.Type === 'AWS::ApiGateway::Authorizer');
    expect(authorizer.Properties.AuthorizerResultTtlInSeconds).toBe(0);
    expect(authorizer.Properties).not.toHaveProperty('IdentitySource');
    const env = resources[idOf(stack, stack.authorizer.function)].Properties.Environment.Variables;
    expect(env).toMatchObject({
      SWITCHYARD_KEY_HEADERS: 'authorization-or-x-api-key',
      SWITCHYARD_AUTHORIZER_CACHE_MS: '60000',
    });
  }, 120_000);
});

describe("the authorizer cache TTL comes from the routing config (the local emulator's setting too)", () => {
  it("deploys gateway.authorizerCacheTtlSeconds as API Gateway's authorizer result TTL", () => {
    const config = JSON.parse(readFileSync(join(__dirname, '..', '..', 'config', 'switchyard.json'), 'utf8'));
    config.gateway = { ...(config.gateway ?? {}), authorizerCacheTtlSeconds: 15 };
    const configPath = join(outRoot, 'ttl-config.json');
    writeFileSync(configPath, JSON.stringify(config));
    const { template } = build({ configPath });
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', { AuthorizerResultTtlInSeconds: 15 });
  }, 120_000);
});
