/**
 * Finding 1 of the tenancy review: the reservation must cover everything the upstream bills. Before,
 * only `messages` and `tools` were estimated while the whole body was forwarded, and the smaller of
 * two output caps was reserved while an upstream honoured the other.
 */
import { captureTelemetry } from '../../functions/adapters/telemetry/sinks';
import type { LocalGateway } from '../../local/gateway';
import { eventually, hi, post, startTestGateway } from '../helpers/local-gateway';
import { costMicrosHeader } from '../helpers/headers';
import { bearer, keySpent, keySpentReaches, tenantKey } from './tenant-helpers';

/** A JSON schema of about `bytes` bytes of ordinary English descriptions (what a provider bills as prompt). */
function bigSchema(bytes: number) {
  const properties: Record<string, unknown> = {};
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const description = `Field number ${i} holds the customer's preferred delivery window and notes for the courier.`;
    properties[`field_${i}`] = { type: 'string', description };
    size += description.length + 40;
  }
  return { type: 'json_schema', json_schema: { name: 'big', schema: { type: 'object', properties } } };
}

describe('budget integrity against a hostile tenant', () => {
  let gw: LocalGateway;
  const telemetry = captureTelemetry();
  beforeAll(async () => {
    gw = await startTestGateway(undefined, { telemetry: telemetry.sink });
  });
  afterAll(() => gw.close());
  beforeEach(() => gw.providers!.resetRequests());

  it('a ~750 KB response_format on a $0.01 key settles at most $0.01, alone or 20 at once', async () => {
    const { key, record } = await tenantKey(gw, { dailyBudgetUsd: 0.01 });
    const body = hi('gpt-4.1', { response_format: bigSchema(750_000) });
    expect(JSON.stringify(body).length).toBeGreaterThan(700_000);
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => post(gw, '/v1/chat/completions', body, bearer(key))),
    );
    for (const r of replies) {
      expect(r.status).toBe(429);
      expect(r.json.error.code).toBe('insufficient_quota');
    }
    expect(await keySpent(gw, record.keyId)).toBeLessThanOrEqual(10_000);
    // Refused before any upstream saw (and billed) it.
    expect(gw.providers!.requests().filter((q) => q.path.endsWith('/chat/completions'))).toHaveLength(0);
  });

  it('a response_format the budget covers is served, and its real cost stays within the reservation', async () => {
    const { key, record } = await tenantKey(gw, { dailyBudgetUsd: 1 });
    const r = await post(gw, '/v1/chat/completions', hi('gpt-4.1', { response_format: bigSchema(20_000) }), {
      ...bearer(key),
      'x-switchyard-fallback': 'off',
    });
    expect(r.status).toBe(200);
    const cost = costMicrosHeader(r.headers);
    // The simulator bills the schema's tokens as real providers do: well above a message-only estimate.
    expect(r.json.usage.prompt_tokens).toBeGreaterThan(3_000);
    await keySpentReaches(gw, record.keyId, cost);
    const id = r.headers.get('x-request-id')!;
    const line = await eventually(async () => {
      const found = telemetry.logs.map((l) => l.line).find((l) => l.includes(id) && l.includes('"costMicros"'));
      expect(found).toBeDefined();
      return found!;
    });
    expect(line).not.toContain('overrunMicros');
  });

  it('max_completion_tokens: 1 beside max_tokens: 8192 reserves 8192 and forwards only max_tokens', async () => {
    // deepseek-v3.2: $0.42/MTok out, so 8192 tokens reserve ~$0.0034, far above this key's $0.0001.
    const { key, record } = await tenantKey(gw, { dailyBudgetUsd: 0.0001 });
    const body = hi('deepseek-v3.2', { max_completion_tokens: 1, max_tokens: 8192 });
    for (let i = 0; i < 10; i++) {
      const r = await post(gw, '/v1/chat/completions', body, { ...bearer(key), 'x-switchyard-fallback': 'off' });
      expect(r.status).toBe(429);
    }
    expect(await keySpent(gw, record.keyId)).toBeLessThanOrEqual(100);

    const rich = await tenantKey(gw, { dailyBudgetUsd: 1 });
    const ok = await post(gw, '/v1/chat/completions', body, { ...bearer(rich.key), 'x-switchyard-fallback': 'off' });
    expect(ok.status).toBe(200);
    const sent = gw.providers!.requests().find((q) => q.model === 'deepseek-chat')!.body as Record<string, unknown>;
    expect(sent.max_tokens).toBe(8192);
    expect('max_completion_tokens' in sent).toBe(false);
  });

  it('refuses fields that change the price, naming them (400)', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ service_tier: 'priority' }, 'service_tier'],
      [{ service_tier: 'flex' }, 'service_tier'],
      [{ modalities: ['text', 'audio'] }, 'modalities'],
      [{ audio: { voice: 'alloy', format: 'mp3' } }, 'audio'],
      [{ web_search_options: {} }, 'web_search_options'],
      [{ prediction: { type: 'content', content: 'x' } }, 'prediction'],
      [
        {
          messages: [
            { role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] },
          ],
        },
        'messages[0].content[0].type',
      ],
      [
        {
          messages: [
            { role: 'user', content: [{ type: 'file', file: { file_data: 'data:application/pdf;base64,AA' } }] },
          ],
        },
        'messages[0].content[0].type',
      ],
    ];
    for (const [extra, param] of cases) {
      const r = await post(gw, '/v1/chat/completions', hi('gpt-4.1', extra));
      expect([r.status, r.json.error.code, r.json.error.param]).toEqual([400, 'invalid_value', param]);
    }
    expect(gw.providers!.requests()).toHaveLength(0);
    // The default tiers are billed at the list prices: accepted.
    const r = await post(gw, '/v1/chat/completions', hi('gpt-4.1', { service_tier: 'auto', modalities: ['text'] }));
    expect(r.status).toBe(200);
  });

  it('forwards only the fields the provider kind accepts', async () => {
    const r = await post(
      gw,
      '/v1/chat/completions',
      hi('gpt-4.1', { temperature: 0.5, seed: 7, some_future_param: { huge: 'x'.repeat(1000) } }),
      { 'x-switchyard-fallback': 'off' },
    );
    expect(r.status).toBe(200);
    const sent = gw.providers!.requests()[0].body as Record<string, unknown>;
    expect(sent).toMatchObject({ model: 'gpt-4.1', temperature: 0.5, seed: 7 });
    expect('some_future_param' in sent).toBe(false);
  });
});
