/**
 * The admin function's deployed handler (functions/router/admin/handler.ts wiring: createAdminDeps
 * from the environment the stack sets) against dynalite through the real SDK: the key lifecycle over
 * `/v1/admin/keys...` as API Gateway delivers it, keys it creates are accepted by the authorizer and
 * refused once revoked or rotated out, non-admin callers are refused, and nothing secret is logged.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { authorize } from '../../functions/authorizer/authorize';
import { createDynamoClient } from '../../functions/adapters/dynamo/client';
import { createDynamoKeyStore } from '../../functions/adapters/dynamo/key-store';
import { KEYS_TABLE } from '../../functions/contracts/table-specs';
import { createAdminDeps } from '../../functions/router/admin/default-deps';
import { createAdminHandler } from '../../functions/router/admin/lambda-handler';
import { startLocalDynamo, type LocalDynamo } from '../../local/dynamo';

const ADMIN = { keyId: 'key_00000000000000aa', keyName: 'ops', admin: 'true', limits: '{}' };
const TENANT = { keyId: 'key_00000000000000bb', keyName: 'tenant', admin: 'false', limits: '{}' };

describe('admin function handler against DynamoDB (dynalite)', () => {
  let dynamo: LocalDynamo;
  let handler: ReturnType<typeof createAdminHandler>;
  let logged: string[];
  let spies: jest.SpyInstance[];

  beforeAll(async () => {
    dynamo = await startLocalDynamo({ tablePrefix: 'admin-fn-' });
    // The same wiring as on AWS, pointed at dynalite; no cutover target in this environment.
    handler = createAdminHandler(createAdminDeps({ ...dynamo.env, AWS_REGION: 'us-east-1' }));
  });
  afterAll(() => dynamo.close());
  beforeEach(() => {
    logged = [];
    spies = (['log', 'warn', 'error'] as const).map((m) =>
      jest.spyOn(console, m).mockImplementation((...args: unknown[]) => void logged.push(String(args[0]))),
    );
  });
  afterEach(() => {
    for (const s of spies) s.mockRestore();
  });

  async function call(
    method: string,
    path: string,
    body?: unknown,
    caller: Record<string, string> = ADMIN,
  ): Promise<{ status: number; json: any; headers: Record<string, unknown> }> {
    const event = {
      httpMethod: method,
      path,
      resource: path,
      headers: { 'content-type': 'application/json' },
      multiValueHeaders: {},
      body: body === undefined ? null : JSON.stringify(body),
      isBase64Encoded: false,
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: null,
      stageVariables: null,
      requestContext: { requestId: `req-${method}-${path}`, authorizer: caller, identity: { sourceIp: '203.0.113.9' } },
    } as unknown as APIGatewayProxyEvent;
    const res = (await handler(event, {} as never)) as APIGatewayProxyResult;
    return { status: res.statusCode, json: JSON.parse(res.body), headers: res.headers ?? {} };
  }

  async function authorizes(secret: string): Promise<boolean> {
    const ddb = createDynamoClient(dynamo.env);
    const keys = createDynamoKeyStore(ddb, dynamo.env[KEYS_TABLE.envVar]);
    const event = {
      type: 'REQUEST',
      methodArn: 'arn:aws:execute-api:us-east-1:1:api/prod/POST/v1/chat/completions',
      headers: { Authorization: `Bearer ${secret}` },
    } as unknown as APIGatewayRequestAuthorizerEvent;
    try {
      await authorize(event, keys);
      return true;
    } catch {
      return false;
    } finally {
      ddb.destroy();
    }
  }

  it('creates, lists, updates, rotates and revokes a key; the authorizer follows each step', async () => {
    const created = await call('POST', '/v1/admin/keys', { name: 'team a', rpm: 60, allowedModels: ['gpt-4.1'] });
    expect(created.status).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const { keyId } = created.json.key;
    const secret: string = created.json.secret;
    expect(keyId).toMatch(/^key_[0-9a-f]{16}$/);
    expect(created.json.key).toMatchObject({ name: 'team a', rpm: 60, allowedModels: ['gpt-4.1'], status: 'active' });
    expect(await authorizes(secret)).toBe(true);

    const list = await call('GET', '/v1/admin/keys');
    expect(list.status).toBe(200);
    expect(list.json.data.map((k: { keyId: string }) => k.keyId)).toContain(keyId);
    expect(JSON.stringify(list.json)).not.toContain(secret);

    const updated = await call('PATCH', `/v1/admin/keys/${keyId}`, { rpm: null, dailyBudgetUsd: 2.5 });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({ keyId, dailyBudgetUsd: 2.5 });
    expect(updated.json.rpm).toBeUndefined();
    expect((await call('GET', `/v1/admin/keys/${keyId}`)).json.dailyBudgetUsd).toBe(2.5);

    const rotated = await call('POST', `/v1/admin/keys/${keyId}/rotate`, { grace: '0s' });
    expect(rotated.status).toBe(200);
    const next: string = rotated.json.secret;
    expect(next).not.toBe(secret);
    expect(await authorizes(next)).toBe(true);
    expect(await authorizes(secret)).toBe(false);

    const revoked = await call('POST', `/v1/admin/keys/${keyId}/revoke`);
    expect(revoked.json).toEqual({ keyId, status: 'revoked' });
    expect(await authorizes(next)).toBe(false);

    // Audited, one line per change, with the actor and never a secret.
    const audit = logged.filter((l) => l.includes('"audit":true'));
    expect(audit.map((l) => JSON.parse(l).action)).toEqual([
      'key created',
      'key updated',
      'key rotated',
      'key revoked',
    ]);
    for (const l of audit) expect(JSON.parse(l)).toMatchObject({ actor: ADMIN.keyId, service: 'switchyard-admin' });
    const all = logged.join('\n');
    expect(all).not.toContain(secret);
    expect(all).not.toContain(next);
  });

  it('refuses a non-admin key on every route, even one the authorizer let through', async () => {
    for (const [method, path] of [
      ['GET', '/v1/admin/keys'],
      ['POST', '/v1/admin/keys'],
      ['GET', '/v1/admin/keys/key_00000000000000cc'],
      ['POST', '/v1/admin/keys/key_00000000000000cc/revoke'],
      ['GET', '/v1/admin/cutover'],
    ]) {
      const r = await call(method, path, method === 'POST' ? { name: 'x' } : undefined, TENANT);
      expect([path, r.status, r.json.error.code]).toEqual([path, 403, 'admin_required']);
    }
    const anonymous = await call('GET', '/v1/admin/keys', undefined, {});
    expect(anonymous.status).toBe(401);
  });

  it('answers bad input and unknown routes with 4xx in the API error shape', async () => {
    const bad = await call('POST', '/v1/admin/keys', { name: 'x', rpm: 'lots' });
    expect([bad.status, bad.json.error.param]).toEqual([400, 'rpm']);
    const missing = await call('PATCH', '/v1/admin/keys/key_0000000000000fff', { rpm: 5 });
    expect([missing.status, missing.json.error.code]).toEqual([404, 'key_not_found']);
    expect((await call('DELETE', '/v1/admin/keys')).status).toBe(405);
    expect((await call('GET', '/v1/admin/state')).status).toBe(404);
    // No cutover target in this environment: nothing to show.
    expect((await call('GET', '/v1/admin/cutover')).json).toMatchObject({ state: 'idle' });
  });
});
