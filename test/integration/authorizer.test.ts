/**
 * Virtual keys end to end: HTTP -> API Gateway emulator (identity sources, authorizer cache,
 * policy evaluation, gateway responses) -> the real authorizer on dynalite -> the router.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createAuthorizerHandler } from '../../functions/authorizer/lambda-handler';
import { hashApiKey, keyIdFromHash } from '../../functions/core/keys';
import { createRouterApp } from '../../functions/router/app';
import { openAiErrorTemplate, OPENAI_GATEWAY_RESPONSES } from '../../lib/constructs/gateway-responses';
import { startApiGatewayEmulator } from '../../local/apigw-emulator';
import type { LocalGateway } from '../../local/gateway';
import { get, hi, post, startTestGateway } from '../helpers/local-gateway';

const USER = 'sk-sy-int-user-key-000000000000000000000';
const REVOKED = 'sk-sy-int-revoked-key-000000000000000000';
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const withoutUndefined = (h: Record<string, string | undefined>) =>
  Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) as Record<string, string>;

/** The body API Gateway renders for one of the stack's gateway responses. */
function gatewayBody(type: 'UNAUTHORIZED' | 'ACCESS_DENIED' | 'MISSING_AUTHENTICATION_TOKEN' | 'REQUEST_TOO_LARGE') {
  const r = OPENAI_GATEWAY_RESPONSES.find((x) => x.type.responseType === type)!;
  return JSON.parse(openAiErrorTemplate(r));
}

async function addKeys(gw: LocalGateway) {
  await gw.keys.create(USER, { name: 'team a', admin: false, allowedModels: ['deepseek-v3.2', 'auto'] });
  const revoked = await gw.keys.create(REVOKED, { name: 'old', admin: false });
  await gw.keys.setStatus(revoked.keyId, 'revoked');
}

describe('authorizer (default: key in Authorization, API Gateway cache on)', () => {
  let gw: LocalGateway;
  beforeAll(async () => {
    gw = await startTestGateway(undefined, { authorizerCacheTtlMs: 60_000 });
    await addKeys(gw);
  });
  afterAll(() => gw.close());

  it.each([
    ['a missing key', { authorization: undefined }],
    ['an empty Authorization header', { authorization: '' }],
    ['a malformed Authorization header', { authorization: `Basic ${USER}` }],
    ['an unknown key', bearer('sk-sy-int-unknown-key-000000000000000000')],
    ['a revoked key', bearer(REVOKED)],
    ['a key sent only as x-api-key', { authorization: '', 'x-api-key': USER }],
  ])('answers %s with 401 in the gateway response shape', async (_, headers) => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: withoutUndefined(headers),
      body: JSON.stringify(hi('deepseek-v3.2')),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual(gatewayBody('UNAUTHORIZED'));
  });

  it('serves a valid key, and its cached decision covers the other methods of the stage', async () => {
    expect((await post(gw, '/v1/chat/completions', hi('deepseek-v3.2'), bearer(USER))).status).toBe(200);
    expect((await get(gw, '/v1/models', bearer(USER))).status).toBe(200);
  });

  it('refuses a model the key may not use with 403 (the router checks, it sees the body)', async () => {
    const r = await post(gw, '/v1/chat/completions', hi('gpt-4.1'), bearer(USER));
    expect(r.status).toBe(403);
    expect(r.json.error).toMatchObject({ type: 'permission_error', code: 'model_not_allowed', param: 'model' });
    expect(r.json.error.message).toContain('deepseek-v3.2, auto');
  });

  it('keeps admin-only endpoints to admin keys: 403 at the gateway, and again in the router', async () => {
    const denied = await get(gw, '/v1/stats', bearer(USER));
    expect(denied.status).toBe(403);
    expect(denied.json).toEqual(gatewayBody('ACCESS_DENIED'));
    expect((await get(gw, '/v1/stats')).status).toBe(200); // the demo key is an admin key

    // Whatever sits in front of it, the router refuses a non-admin caller itself.
    const app = createRouterApp(gw.deps);
    const event = {
      httpMethod: 'GET',
      path: '/v1/stats',
      headers: {},
      body: null,
      requestContext: {
        requestId: 'r1',
        authorizer: { keyId: keyIdFromHash(hashApiKey(USER)), keyName: 'team a', admin: 'false', limits: '{}' },
      },
    } as unknown as APIGatewayProxyEvent;
    const res = await app(event, {});
    expect(res.statusCode).toBe(403);
    expect(JSON.parse(res.body as string).error.code).toBe('admin_required');
  });

  it('records when a key was last used', async () => {
    const record = await gw.keys.getByHash(hashApiKey(USER));
    expect(Date.now() - Date.parse(record!.lastUsedAt!)).toBeLessThan(60_000);
  });
});

describe('API Gateway identity-source rules in the emulator', () => {
  let gw: LocalGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
    await addKeys(gw);
  });
  afterAll(() => gw.close());

  async function emulatorCounting(opts: {
    cacheMs: number;
    identity: string[];
    keyHeaders: ('authorization' | 'x-api-key')[];
  }) {
    let calls = 0;
    const authorizer = createAuthorizerHandler(gw.keys, { keyHeaders: opts.keyHeaders });
    const router = gw.newRouterInstance();
    const em = await startApiGatewayEmulator({
      selectTarget: () => ({ handler: router.handler, version: '1' }),
      authorizer: ((event: never, ctx: never) => {
        calls++;
        return authorizer(event, ctx);
      }) as never,
      authorizerCacheTtlMs: opts.cacheMs,
      authorizerIdentityHeaders: opts.identity,
    });
    const call = (headers: Record<string, string>) => fetch(`${em.url}/v1/models`, { headers }).then((r) => r.status);
    return { em, call, calls: () => calls };
  }

  it('answers a missing identity source 401 without calling the authorizer, and caches per identity value', async () => {
    const { em, call, calls } = await emulatorCounting({
      cacheMs: 60_000,
      identity: ['Authorization'],
      keyHeaders: ['authorization'],
    });
    try {
      expect(await call({ 'x-api-key': USER })).toBe(401);
      expect(calls()).toBe(0);
      expect(await call(bearer(USER))).toBe(200);
      expect(await call(bearer(USER))).toBe(200);
      expect(calls()).toBe(1);
    } finally {
      await em.close();
    }
  });

  it('calls the authorizer for every request when there is no identity source (cache off)', async () => {
    const { em, call, calls } = await emulatorCounting({
      cacheMs: 0,
      identity: [],
      keyHeaders: ['authorization', 'x-api-key'],
    });
    try {
      expect(await call({})).toBe(401);
      expect(await call({ 'x-api-key': USER })).toBe(200);
      expect(await call({ 'x-api-key': USER })).toBe(200);
      expect(calls()).toBe(3);
    } finally {
      await em.close();
    }
  });

  it('answers a retryable 503 in the OpenAI shape when the authorizer itself fails (e.g. DynamoDB down)', async () => {
    const router = gw.newRouterInstance();
    const em = await startApiGatewayEmulator({
      selectTarget: () => ({ handler: router.handler, version: '1' }),
      authorizer: (async () => {
        throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      }) as never,
    });
    try {
      const res = await fetch(`${em.url}/v1/models`, { headers: bearer(USER) });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      const r = OPENAI_GATEWAY_RESPONSES.find((x) => x.type.responseType === 'AUTHORIZER_CONFIGURATION_ERROR')!;
      expect(await res.json()).toEqual(JSON.parse(openAiErrorTemplate(r)));
      expect(r.statusCode).toBe('503');
    } finally {
      await em.close();
    }
  });

  it('refuses, as API Gateway and CDK do, a cached authorizer without identity sources', async () => {
    await expect(
      startApiGatewayEmulator({
        selectTarget: () => ({ handler: null, version: '1' }),
        authorizer: (async () => ({})) as never,
        authorizerIdentityHeaders: [],
      }),
    ).rejects.toThrow(/at least one identity source/);
  });
});

describe("API Gateway's own answers in the emulator, as the stack's gateway responses render them", () => {
  let gw: LocalGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  async function emulator(handler: unknown, opts: { maxPayloadBytes?: number } = {}) {
    return startApiGatewayEmulator({ selectTarget: () => ({ handler, version: '1' }), ...opts });
  }

  it('answers an unknown path or method 404 without echoing it, and a body over the payload limit 413', async () => {
    const em = await emulator(gw.newRouterInstance().handler, { maxPayloadBytes: 1_000 });
    try {
      for (const [method, path] of [
        ['GET', '/v1/nothing-here?key=sk-sy-secret'],
        ['GET', '/v1/chat/completions'],
        ['DELETE', '/v1/models'],
      ]) {
        const res = await fetch(em.url + path, { method });
        expect(res.status).toBe(404);
        const text = await res.text();
        expect(JSON.parse(text)).toEqual(gatewayBody('MISSING_AUTHENTICATION_TOKEN'));
        expect(text).not.toContain('nothing-here');
      }
      const big = await fetch(`${em.url}/v1/chat/completions`, { method: 'POST', body: 'x'.repeat(1_001) });
      expect(big.status).toBe(413);
      expect(await big.json()).toEqual(gatewayBody('REQUEST_TOO_LARGE'));
    } finally {
      await em.close();
    }
  });

  it('answers a function that fails before its response starts 502 through the DEFAULT_5XX shape', async () => {
    const failing = globalThis.awslambda.streamifyResponse((async () => {
      throw new Error('boom');
    }) as never);
    const em = await emulator(failing);
    try {
      const res = await fetch(`${em.url}/v1/models`);
      expect(res.status).toBe(502);
      const r = OPENAI_GATEWAY_RESPONSES.find((x) => x.type.responseType === 'DEFAULT_5XX')!;
      expect(((await res.json()) as any).error).toMatchObject({ type: r.errorType, code: r.code, param: null });
    } finally {
      await em.close();
    }
  });

  it('sends each value of a multi-valued response header on its own line', async () => {
    const handler = globalThis.awslambda.streamifyResponse((async (_e: unknown, stream: NodeJS.WritableStream) => {
      const out = globalThis.awslambda.HttpResponseStream.from(
        stream as never,
        {
          statusCode: 200,
          headers: { 'content-type': 'text/plain', 'x-one': 'a' },
          multiValueHeaders: { 'set-cookie': ['a=1', 'b=2'], 'x-one': ['a', 'b'] },
        } as never,
      ) as unknown as NodeJS.WritableStream;
      out.end('ok');
    }) as never);
    const em = await emulator(handler);
    try {
      const res = await fetch(`${em.url}/v1/models`);
      expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
      expect(res.headers.get('x-one')).toBe('a, b');
      expect(await res.text()).toBe('ok');
    } finally {
      await em.close();
    }
  });
});

describe('authorizer with keyHeaderMode authorization-or-x-api-key', () => {
  let gw: LocalGateway;
  beforeAll(async () => {
    gw = await startTestGateway(undefined, {
      keyHeaderMode: 'authorization-or-x-api-key',
      authorizerCacheTtlMs: 60_000,
    });
    await addKeys(gw);
  });
  afterAll(() => gw.close());

  it('accepts the key as Bearer or as x-api-key', async () => {
    expect(
      (await post(gw, '/v1/chat/completions', hi('deepseek-v3.2'), { authorization: '', 'x-api-key': USER })).status,
    ).toBe(200);
    expect((await post(gw, '/v1/chat/completions', hi('deepseek-v3.2'), bearer(USER))).status).toBe(200);
  });

  it('still answers missing, unknown and revoked keys 401', async () => {
    const cases: Record<string, string>[] = [
      { authorization: '' },
      { authorization: '', 'x-api-key': 'sk-sy-int-unknown-key-000000000000000000' },
      { authorization: '', 'x-api-key': REVOKED },
    ];
    for (const headers of cases) {
      const r = await post(gw, '/v1/chat/completions', hi('deepseek-v3.2'), headers);
      expect(r.status).toBe(401);
      expect(r.json).toEqual(gatewayBody('UNAUTHORIZED'));
    }
  });
});
