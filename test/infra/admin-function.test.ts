/**
 * CDK assertions for the admin function (issue 21: key administration and the cutover view on AWS):
 * API Gateway sends `/v1/admin/keys...` and `/v1/admin/cutover` to it behind the key authorizer; its
 * role is the only one that writes key records, and its reads for the cutover view are scoped to the
 * router's alias, the deployment group and the cutover alarms. The router keeps no keys-table access.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import type * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import type { SwitchyardStack } from '../../lib/switchyard-stack';
import { ADMIN_FUNCTION_RESOURCES, CUTOVER_TARGET_ENV } from '../../functions/contracts/admin-function';
import { idOf, stackBuilder, type Resources } from '../helpers/synth';

const { build } = stackBuilder('switchyard-admin-infra-');

const actionsOf = (s: any): string[] => [s.Action].flat();
const resourcesOf = (s: any): string[] => [s.Resource].flat().map((r) => JSON.stringify(r));

function statementsOfRole(stack: SwitchyardStack, resources: Resources, role: { node: { defaultChild?: unknown } }) {
  const roleRef = JSON.stringify({ Ref: idOf(stack, role) });
  return Object.values(resources)
    .filter(
      (r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((x: unknown) => JSON.stringify(x) === roleRef),
    )
    .flatMap((p) => p.Properties.PolicyDocument.Statement as any[]);
}

describe('admin function (deployed key administration and cutover view)', () => {
  let app: App;
  let stack: SwitchyardStack;
  let resources: Resources;
  beforeAll(() => {
    ({ app, stack, resources } = build());
  }, 120_000);

  const adminFnRef = () => JSON.stringify({ 'Fn::GetAtt': [idOf(stack, stack.admin.function), 'Arn'] });
  const keysArn = () => JSON.stringify({ 'Fn::GetAtt': [idOf(stack, stack.tables.table('keys')), 'Arn'] });

  it('serves every key-administration method and GET /v1/admin/cutover, behind the key authorizer', () => {
    const routed = stack.api.adminFunctionMethods.map((m) => `${m.httpMethod} ${m.resource.path}`).sort();
    expect(routed).toEqual([
      'GET /v1/admin/cutover',
      'GET /v1/admin/keys',
      'GET /v1/admin/keys/{proxy+}',
      'PATCH /v1/admin/keys/{proxy+}',
      'POST /v1/admin/keys',
      'POST /v1/admin/keys/{proxy+}',
    ]);
    expect(new Set(stack.api.adminFunctionMethods.map((m) => m.resource.path))).toEqual(
      new Set(ADMIN_FUNCTION_RESOURCES),
    );
    const authorizerRef = { Ref: idOf(stack, stack.api.authorizer) };
    for (const m of stack.api.adminFunctionMethods) {
      const props = resources[idOf(stack, m)].Properties;
      expect(props).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: authorizerRef });
      // A plain (buffered) Lambda proxy integration on the admin function, never the router alias.
      expect(props.Integration).toMatchObject({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' });
      expect(props.Integration.ResponseTransferMode).not.toBe('STREAM');
      const uri = JSON.stringify(props.Integration.Uri);
      expect(uri).toContain(adminFnRef());
      expect(uri).not.toContain(idOf(stack, stack.router.alias));
    }
  });

  it('leaves the other admin views (state, requests) on the router', () => {
    const rest = stack.api.adminMethods.filter((m) => !stack.api.adminFunctionMethods.includes(m));
    expect(rest.map((m) => m.resource.path).sort()).toEqual(['/v1/admin/requests', '/v1/admin/state']);
    for (const m of rest)
      expect(JSON.stringify(resources[idOf(stack, m)].Properties.Integration.Uri)).toContain(
        idOf(stack, stack.router.alias),
      );
  });

  it('lets only API Gateway invoke it', () => {
    const perms = Object.values(resources).filter(
      (r) => r.Type === 'AWS::Lambda::Permission' && JSON.stringify(r.Properties.FunctionName) === adminFnRef(),
    );
    expect(perms.length).toBeGreaterThan(0);
    for (const p of perms)
      expect(p.Properties).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' });
  });

  it('is the only role that writes key records: item writes on key items, a Scan to list, no Delete', () => {
    const statements = statementsOfRole(stack, resources, stack.admin.role);
    const onKeys = statements.filter((s) => resourcesOf(s).includes(keysArn()));
    const byAction = Object.fromEntries(onKeys.flatMap((s) => actionsOf(s).map((a) => [a, s])));
    expect(Object.keys(byAction).sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Scan',
      'dynamodb:UpdateItem',
    ]);
    for (const a of ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'])
      expect(byAction[a].Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['key#*'] } });
    for (const s of onKeys) expect(resourcesOf(s)).toEqual([keysArn()]);

    // No other role may put key items; the authorizer's only write is its lastUsedAt touch.
    const writers = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .filter((p) =>
        (p.Properties.PolicyDocument.Statement as any[]).some(
          (s) => resourcesOf(s).includes(keysArn()) && actionsOf(s).includes('dynamodb:PutItem'),
        ),
      )
      .map((p) => JSON.stringify(p.Properties.Roles));
    expect(writers).toEqual([JSON.stringify([{ Ref: idOf(stack, stack.admin.role) }])]);
    const router = statementsOfRole(stack, resources, stack.router.function.role!);
    expect(router.filter((s) => resourcesOf(s).includes(keysArn()))).toEqual([]);
  });

  it('reads the cutover from exactly the router alias, its deployment group and the cutover alarms', () => {
    const statements = statementsOfRole(stack, resources, stack.admin.role);
    const fnArn = JSON.stringify({ 'Fn::GetAtt': [idOf(stack, stack.router.function), 'Arn'] });
    const getAlias = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('lambda:')));
    expect(getAlias.flatMap(actionsOf)).toEqual(['lambda:GetAlias']);
    expect(getAlias.flatMap(resourcesOf)).toEqual([
      fnArn,
      JSON.stringify({ 'Fn::Join': ['', [JSON.parse(fnArn), ':live']] }),
    ]);

    const codedeploy = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('codedeploy:')));
    expect(codedeploy.flatMap(actionsOf).sort()).toEqual([
      'codedeploy:BatchGetDeploymentTargets',
      'codedeploy:BatchGetDeployments',
      'codedeploy:ListDeploymentTargets',
      'codedeploy:ListDeployments',
    ]);
    const group = codedeploy.flatMap(resourcesOf);
    expect(group).toHaveLength(1);
    expect(group[0]).toContain(':deploymentgroup:');
    expect(group[0]).toContain(idOf(stack, stack.cutover.deploymentGroup));

    const alarms = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('cloudwatch:')));
    expect(alarms.flatMap(actionsOf)).toEqual(['cloudwatch:DescribeAlarms']);
    const cutoverAlarms = [...Object.values(stack.cutover.alarms), stack.authorizerCutover.alarm].map((a) =>
      JSON.stringify({ 'Fn::GetAtt': [idOf(stack, a), 'Arn'] }),
    );
    expect(alarms.flatMap(resourcesOf).sort()).toEqual(cutoverAlarms.sort());

    // Nothing else: no wildcard resource, no secrets, no state or cost table.
    for (const s of statements) expect(resourcesOf(s)).not.toContain('"*"');
    const all = statements.flatMap(actionsOf);
    expect(all.filter((a) => !/^(logs|dynamodb|lambda|codedeploy|cloudwatch):/.test(a))).toEqual([]);
    for (const table of ['state', 'cost'] as const) {
      const arn = JSON.stringify({ 'Fn::GetAtt': [idOf(stack, stack.tables.table(table)), 'Arn'] });
      expect(statements.filter((s) => resourcesOf(s).includes(arn))).toEqual([]);
    }
  });

  it('is told the keys table and what the cutover view reads, and has a small reserved concurrency', () => {
    const props = resources[idOf(stack, stack.admin.function)].Properties;
    const env = props.Environment.Variables;
    expect(env.SWITCHYARD_KEYS_TABLE).toEqual({ Ref: idOf(stack, stack.tables.table('keys')) });
    // The JSON the function parses, with each CloudFormation reference shown as <logical id>.
    const [, parts] = env[CUTOVER_TARGET_ENV]['Fn::Join'] as [string, Array<string | { Ref: string }>];
    const target = JSON.parse(parts.map((p) => (typeof p === 'string' ? p : `<${p.Ref}>`)).join(''));
    const ref = (c: { node: { defaultChild?: unknown } }) => `<${idOf(stack, c)}>`;
    expect(target).toEqual({
      functionName: ref(stack.router.function),
      aliasName: 'live',
      applicationName: ref(stack.cutover.deploymentGroup.application as never),
      deploymentGroupName: ref(stack.cutover.deploymentGroup),
      alarmNames: [...Object.values(stack.cutover.alarms), stack.authorizerCutover.alarm].map(ref),
    });
    expect(props.ReservedConcurrentExecutions).toBe(5);
    expect(props).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
  });

  it("bundles only the admin routes, not the router's request path", () => {
    const asset = stack.admin.function.node.findChild('Code') as s3assets.Asset;
    const bundle = readFileSync(join(app.outdir, asset.assetPath, 'index.js'), 'utf8');
    expect(bundle).toContain('cutover_status_unavailable');
    expect(bundle).not.toContain('upstream_response_too_large');
    expect(bundle.length).toBeLessThan(200_000);
  });
});
