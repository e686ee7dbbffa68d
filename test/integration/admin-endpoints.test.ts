/**
 * The admin HTTP endpoints and the console's static files on the local runtime, through the API
 * Gateway emulator and the real authorizer: admin-only (403 at the gateway for other keys, and again
 * in the router), every key change audited without its secret, the console public with its CSP.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { captureTelemetry } from '../../functions/adapters/telemetry/sinks';
import { ADMIN_ENDPOINTS } from '../../functions/authorizer/authorize';
import { createRouterApp } from '../../functions/router/app';
import { CONSOLE_CSP } from '../../functions/router/routes/console';
import { DEFAULT_ROUTES, arnMatches } from '../../local/apigw-emulator';
import type { LocalGateway } from '../../local/gateway';
import { get, hi, post, startTestGateway } from '../helpers/local-gateway';

const USER = 'sk-sy-admin-test-user-key-00000000000000';
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

async function call(gw: LocalGateway, method: string, path: string, body?: unknown, key = gw.demoKey) {
  const res = await fetch(gw.url + path, {
    method,
    headers: { ...bearer(key), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

/** Every admin resource and method the emulator (like the stack) exposes, with a concrete path. */
const ADMIN_CALLS = DEFAULT_ROUTES.filter((r) => r.resource.startsWith('/v1/admin/')).flatMap((r) =>
  r.methods.map((m) => [m, r.resource.replace('{proxy+}', 'key_0123456789abcdef/revoke')] as const),
);

describe('admin endpoints', () => {
  let gw: LocalGateway;
  const telemetry = captureTelemetry();
  beforeAll(async () => {
    gw = await startTestGateway(undefined, { telemetry: telemetry.sink, authorizerCacheTtlMs: 60_000 });
    await gw.keys.create(USER, { name: 'not an admin', admin: false });
  });
  afterAll(() => gw.close());

  it('refuses every admin endpoint to a non-admin key: 403 at the gateway, from its cached policy', async () => {
    expect(ADMIN_CALLS.length).toBeGreaterThanOrEqual(8);
    for (const [method, path] of ADMIN_CALLS) {
      const r = await call(gw, method, path, method === 'GET' ? undefined : {}, USER);
      expect([method, path, r.status, r.json.error.code]).toEqual([method, path, 403, 'permission_denied']);
    }
    // The same key still works where it may go.
    expect((await post(gw, '/v1/chat/completions', hi('deepseek-v3.2'), bearer(USER))).status).toBe(200);
  });

  it('is closed in the router too, whatever sits in front of it', async () => {
    const app = createRouterApp(gw.deps);
    for (const [method, path] of ADMIN_CALLS) {
      const event = {
        httpMethod: method,
        path,
        headers: {},
        body: '{}',
        requestContext: {
          requestId: 'r1',
          authorizer: { keyId: 'key_00000000000000aa', keyName: 'user', admin: 'false', limits: '{}' },
        },
      } as unknown as APIGatewayProxyEvent;
      const res = await app(event, {});
      expect([path, res.statusCode, JSON.parse(res.body as string).error.code]).toEqual([path, 403, 'admin_required']);
    }
  });

  it("denies /v1/admin/ in the authorizer's policy for every method and depth", () => {
    const arn = (m: string, p: string) => `arn:aws:execute-api:us-east-1:1:api/prod/${m}${p}`;
    const denied = (m: string, p: string) =>
      ADMIN_ENDPOINTS.some((e) =>
        arnMatches(`arn:aws:execute-api:us-east-1:1:api/prod/${e.method}${e.resource}`, arn(m, p)),
      );
    expect(denied('GET', '/v1/admin/keys')).toBe(true);
    expect(denied('PATCH', '/v1/admin/keys/key_0123456789abcdef')).toBe(true);
    expect(denied('POST', '/v1/admin/keys/key_0123456789abcdef/rotate')).toBe(true);
    expect(denied('GET', '/v1/models')).toBe(false);
    expect(denied('POST', '/v1/chat/completions')).toBe(false);
  });

  it('manages a key end to end, auditing each change without ever logging a secret', async () => {
    telemetry.clear();
    const created = await call(gw, 'POST', '/v1/admin/keys', {
      name: 'web team',
      allowedModels: ['deepseek-v3.2'],
      rpm: 30,
      maxConcurrency: 2,
      expiresIn: '30d',
    });
    expect(created.status).toBe(201);
    const { keyId } = created.json.key;
    const secret: string = created.json.secret;
    expect(secret).toMatch(/^sk-sy-/);
    expect(created.json.key).toMatchObject({ name: 'web team', rpm: 30, maxConcurrency: 2, status: 'active' });
    expect(created.json.key.validUntil).toMatch(/^\d{4}-/);
    expect((await post(gw, '/v1/chat/completions', hi('deepseek-v3.2'), bearer(secret))).status).toBe(200);

    const listed = await call(gw, 'GET', '/v1/admin/keys');
    expect(listed.json.data.map((k: { keyId: string }) => k.keyId)).toContain(keyId);
    expect(JSON.stringify(listed.json)).not.toContain(secret);

    const updated = await call(gw, 'PATCH', `/v1/admin/keys/${keyId}`, { rpm: null, tpm: 5000 });
    expect(updated.status).toBe(200);
    expect(updated.json.rpm).toBeUndefined();
    expect(updated.json.tpm).toBe(5000);

    const rotated = await call(gw, 'POST', `/v1/admin/keys/${keyId}/rotate`, { grace: '1h' });
    expect(rotated.status).toBe(200);
    expect(rotated.json.secret).not.toBe(secret);
    expect((await post(gw, '/v1/chat/completions', hi('deepseek-v3.2'), bearer(rotated.json.secret))).status).toBe(200);

    expect((await call(gw, 'POST', `/v1/admin/keys/${keyId}/revoke`)).json).toEqual({ keyId, status: 'revoked' });
    expect((await call(gw, 'GET', `/v1/admin/keys/${keyId}`)).json.status).toBe('revoked');

    const audit = telemetry.logs.map((l) => l.line).filter((l) => l.includes('"audit":true'));
    expect(audit.map((l) => JSON.parse(l).action)).toEqual([
      'key created',
      'key updated',
      'key rotated',
      'key revoked',
    ]);
    for (const line of audit)
      expect(JSON.parse(line)).toMatchObject({ target: keyId, actor: expect.stringMatching(/^key_/) });
    expect(telemetry.text()).not.toContain(secret);
    expect(telemetry.text()).not.toContain(rotated.json.secret);
  });

  it.each([
    ['POST', '/v1/admin/keys', { name: '' }, 'name'],
    ['POST', '/v1/admin/keys', { name: 'x', rpm: 0 }, 'rpm'],
    ['POST', '/v1/admin/keys', { name: 'x', expiresIn: 'tomorrow' }, 'expiresIn'],
    ['POST', '/v1/admin/keys', { name: 'x', owner: 'me' }, 'owner'],
    ['POST', '/v1/admin/keys', { name: 'x', allowedModels: 'gpt-4.1' }, 'allowedModels'],
    ['PATCH', '/v1/admin/keys/key_0123456789abcdef', {}, 'body'],
    ['PATCH', '/v1/admin/keys/key_0123456789abcdef', { name: 'renamed' }, 'name'],
    ['POST', '/v1/admin/keys/key_0123456789abcdef/rotate', { grace: -1 }, 'grace'],
  ])('answers %s %s %j with 400 naming %s', async (method, path, body, param) => {
    const r = await call(gw, method, path, body);
    expect(r.status).toBe(400);
    expect(r.json.error.param).toBe(param);
  });

  it('answers unknown keys 404 in the OpenAI shape', async () => {
    const r = await call(gw, 'POST', '/v1/admin/keys/key_0123456789abcdef/revoke');
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe('key_not_found');
  });

  it('tails the request log (model, status, cost), leaving out the console and admin calls', async () => {
    await post(gw, '/v1/chat/completions', hi('gemini-2.5-flash'));
    await get(gw, '/v1/admin/state');
    const r = await call(gw, 'GET', '/v1/admin/requests?limit=5');
    const last = r.json.data.at(-1);
    expect(last).toMatchObject({
      method: 'POST',
      path: '/v1/chat/completions',
      status: 200,
      model: 'gemini-2.5-flash',
    });
    expect(Number(last.costUsd)).toBeGreaterThan(0);
    expect(r.json.data.every((e: { path: string }) => !e.path.startsWith('/v1/admin/'))).toBe(true);
  });

  it('reports no deployment unless a rehearsal publishes one', async () => {
    expect((await call(gw, 'GET', '/v1/admin/cutover')).json.state).toBe('idle');
    gw.publishCutover({
      state: 'in_progress',
      blue: '1',
      green: '2',
      weights: { '1': 90, '2': 10 },
      alarms: [{ id: 'errorRate', state: 'OK', green: 0, blue: 0 }],
      events: ['shift 10%'],
      updatedAt: new Date().toISOString(),
    });
    expect((await call(gw, 'GET', '/v1/admin/cutover')).json).toMatchObject({
      state: 'in_progress',
      weights: { '2': 10 },
    });
    gw.publishCutover(undefined);
  });

  it('serves the console without a key, with its CSP, and nothing under it needs one', async () => {
    for (const [path, type] of [
      ['/console', 'text/html'],
      ['/console/app.js', 'text/javascript'],
      ['/console/app.css', 'text/css'],
    ]) {
      const res = await fetch(gw.url + path);
      expect([path, res.status]).toEqual([path, 200]);
      expect(res.headers.get('content-type')).toContain(type);
      expect(res.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
    expect((await fetch(`${gw.url}/console/other.js`)).status).toBe(404);
  });
});
