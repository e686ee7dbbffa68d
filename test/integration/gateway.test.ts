/**
 * The foundation end to end: HTTP -> API Gateway emulator -> authorizer -> streaming router ->
 * simulated provider, with usage counted in dynalite through the real AWS SDK.
 */
import { usageRow } from '../helpers/quota-report';
import type { LocalGateway } from '../../local/gateway';
import defaultConfig from '../../config/switchyard.json';
import { startLocalGateway } from '../../local/gateway';
import { countPromptTokens, expectedReply, startSimulatedProviders } from '../../local/providers';
import { eventually, get, hi, post, startTestGateway } from '../helpers/local-gateway';
import { costMicrosHeader, integerHeader } from '../helpers/headers';

describe('local gateway: first request end to end', () => {
  let gw: LocalGateway;
  beforeAll(async () => {
    gw = await startTestGateway((c) => {
      c.gateway.maxBodyBytes = 4096;
      c.gateway.headersTimeoutMs = 300;
    });
  });
  afterAll(() => gw.close());
  afterEach(() => gw.providers!.clearFaults());

  it('answers a chat completion with usage, cost and the decision headers', async () => {
    const messages = [{ role: 'user', content: 'hello there' }];
    const r = await post(gw, '/v1/chat/completions', { model: 'gpt-4.1', messages });
    expect(r.status).toBe(200);
    expect(r.json.object).toBe('chat.completion');
    expect(r.json.choices[0].message.content).toBe(expectedReply('gpt-4.1', messages));
    const { prompt_tokens, completion_tokens } = r.json.usage;
    expect(prompt_tokens).toBe(countPromptTokens(messages));
    expect(r.headers.get('x-switchyard-model')).toBe('gpt-4.1');
    expect(r.headers.get('x-switchyard-route')).toBe('direct');
    expect(r.headers.get('x-switchyard-attempts')).toBe('gpt-4.1:200');
    expect(r.headers.get('x-request-id')).toBeTruthy();
    expect(integerHeader(r.headers, 'x-switchyard-overhead-ms')).toBeGreaterThanOrEqual(0);
    // gpt-4.1: $2 in / $8 out per million tokens, rounded up to the micro-dollar.
    const micros = Math.ceil((prompt_tokens * 2_000_000 + completion_tokens * 8_000_000) / 1e6);
    expect(r.headers.get('x-switchyard-cost-usd')).toBe((micros / 1e6).toFixed(6));
  });

  it('counts requests, tokens and cost per model and day in DynamoDB', async () => {
    const before = await usageRow(gw, 'model#deepseek-v3.2');
    const r = await post(gw, '/v1/chat/completions', hi('deepseek-v3.2'));
    expect(r.status).toBe(200);
    const cost = costMicrosHeader(r.headers);
    await eventually(async () => {
      const row = (await usageRow(gw, 'model#deepseek-v3.2'))!;
      expect(row.requests - (before?.requests ?? 0)).toBe(1);
      expect(row.promptTokens - (before?.promptTokens ?? 0)).toBe(r.json.usage.prompt_tokens);
      expect(row.completionTokens - (before?.completionTokens ?? 0)).toBe(r.json.usage.completion_tokens);
      expect(row.costMicros - (before?.costMicros ?? 0)).toBe(cost);
    });
  });

  it('lists the configured models and routes in OpenAI list shape', async () => {
    const r = await get(gw, '/v1/models');
    expect(r.status).toBe(200);
    expect(r.json.object).toBe('list');
    expect(r.json.data.map((m: { id: string }) => m.id)).toEqual(
      expect.arrayContaining([
        'gpt-4.1',
        'claude-sonnet-4.5',
        'gemini-2.5-flash',
        'deepseek-v3.2',
        'auto',
        'chat-default',
      ]),
    );
  });

  it('serves /health without a key and without invoking the router (a MOCK, as API Gateway does)', async () => {
    const before = gw.providers!.requests().length;
    const res = await fetch(gw.url + '/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', deep: '/health/deep' });
    // Nothing behind the API moved: no router answer headers, no upstream call.
    expect(res.headers.get('x-switchyard-overhead-ms')).toBeNull();
    expect(gw.providers!.requests().length).toBe(before);
  });

  it('serves the deep health view at /health/deep to admin keys only', async () => {
    const anonymous = await fetch(gw.url + '/health/deep');
    expect(anonymous.status).toBe(401);
    const admin = await get(gw, '/health/deep');
    expect(admin.status).toBe(200);
    expect(admin.json).toMatchObject({ status: 'ok', version: '1', models: expect.any(Number) });
    expect(admin.headers.get('x-switchyard-overhead-ms')).not.toBeNull();
  });

  describe('errors have the OpenAI shape and the right status', () => {
    const cases: Array<[string, () => Promise<{ status: number; json: any }>, number, string | null]> = [
      ['malformed JSON', () => post(gw, '/v1/chat/completions', '{"model":'), 400, 'invalid_json'],
      [
        'a bad field, named',
        () => post(gw, '/v1/chat/completions', { model: 'gpt-4.1', messages: 'hi' }),
        400,
        'invalid_value',
      ],
      [
        'an unknown model, listing valid ones',
        () => post(gw, '/v1/chat/completions', hi('gpt-9')),
        404,
        'model_not_found',
      ],
      [
        'a body over the limit',
        () => post(gw, '/v1/chat/completions', hi('gpt-4.1', { pad: 'x'.repeat(5000) })),
        413,
        'request_too_large',
      ],
      ['a missing key', () => post(gw, '/v1/chat/completions', hi(), { authorization: '' }), 401, 'invalid_api_key'],
      [
        'an unknown key',
        () => post(gw, '/v1/chat/completions', hi(), { authorization: 'Bearer sk-sy-not-a-real-key-000000000000' }),
        401,
        'invalid_api_key',
      ],
      ['an unknown path', () => get(gw, '/v1/nothing-here'), 404, 'unknown_url'],
    ];
    it.each(cases)('%s', async (_name, call, status, code) => {
      const r = await call();
      expect(r.status).toBe(status);
      expect(Object.keys(r.json.error).sort()).toEqual(['code', 'message', 'param', 'type']);
      expect(r.json.error).toMatchObject({ message: expect.any(String), type: expect.any(String), code });
    });

    it('names the invalid field in the message', async () => {
      const r = await post(gw, '/v1/chat/completions', {
        model: 'gpt-4.1',
        messages: [{ role: 'user', content: 'x' }],
        temperature: 9,
      });
      expect(r.json.error.param).toBe('temperature');
      expect(r.json.error.message).toContain("'temperature'");
    });

    it('lists valid models when the model is unknown', async () => {
      const r = await post(gw, '/v1/chat/completions', hi('gpt-9'));
      expect(r.json.error.message).toContain('gpt-4.1');
      expect(r.json.error.message).toContain('auto');
    });

    it('turns an upstream failure into 502 when fallback is off', async () => {
      gw.providers!.setFault({ model: 'gpt-4.1', status: 500 });
      const r = await post(gw, '/v1/chat/completions', hi(), { 'x-switchyard-fallback': 'off' });
      expect(r.status).toBe(502);
      expect(r.json.error.type).toBe('upstream_error');
      expect(r.headers.get('x-switchyard-attempts')).toMatch(/^gpt-4\.1:500/);
    });

    it('turns an upstream that never answers into 504', async () => {
      gw.providers!.setFault({ model: 'gpt-4.1', hang: true });
      const r = await post(gw, '/v1/chat/completions', hi(), { 'x-switchyard-fallback': 'off' });
      expect(r.status).toBe(504);
      expect(r.json.error.code).toBe('upstream_timeout');
    });

    it('reports an upstream that says the model does not exist as a gateway configuration error', async () => {
      gw.providers!.setFault({ model: 'gpt-4.1', status: 404 });
      const r = await post(gw, '/v1/chat/completions', hi(), { 'x-switchyard-fallback': 'off' });
      expect(r.status).toBe(502);
      expect(r.json.error.code).toBe('upstream_model_not_found');
    });
  });
});

describe('local gateway against configured (real) upstreams', () => {
  it('calls the base URLs in the config with the keys from the environment when simulation is off', async () => {
    // Stands in for a real OpenAI-compatible server: the gateway is told nothing about it but its URL.
    const upstream = await startSimulatedProviders({ timeScale: 0 });
    const cfg = structuredClone(defaultConfig) as any;
    cfg.providers.openai.baseUrl = upstream.baseUrlFor('openai');
    const gw = await startLocalGateway({
      port: 0,
      simulate: false,
      configJson: cfg,
      env: { OPENAI_API_KEY: 'sk-upstream-test-0001' },
      healthCheckIntervalMs: 0,
    });
    try {
      expect(gw.providers).toBeUndefined();
      const r = await post(gw, '/v1/chat/completions', hi('gpt-4.1'), { 'x-switchyard-fallback': 'off' });
      expect(r.status).toBe(200);
      const seen = upstream.requests().filter((q) => q.path.endsWith('/chat/completions'));
      expect(seen).toHaveLength(1);
      expect(seen[0].authorization).toBe('Bearer sk-upstream-test-0001');
    } finally {
      await gw.close();
      await upstream.close();
    }
  });
});
