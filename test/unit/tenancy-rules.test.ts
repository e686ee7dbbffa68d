/**
 * The pure rules behind the tenancy suite (test/tenancy/): what is forwarded and reserved, which
 * candidates a key's allow-list keeps, what the redactor scrubs, and how money and cache tokens are
 * priced and printed.
 */
import defaultConfig from '../../config/switchyard.json';
import { compileConfig } from '../../functions/core/config/compile';
import { worstCaseMicros } from '../../functions/core/budget/reservation';
import { parseChatRequest, requestedMaxTokens } from '../../functions/core/openai/chat-request';
import {
  extraPromptBytes,
  forwardedBody,
  refusePriceChangingFields,
} from '../../functions/core/openai/upstream-fields';
import { formatUsd } from '../../functions/core/budget/quota-errors';
import { costMicros, usageFromOpenAI } from '../../functions/core/pricing';
import { allowedModelFilter, planRequest, type PlanRequest } from '../../functions/core/routing/plan';
import { metricDocuments } from '../../functions/core/telemetry/metric-documents';
import { METRIC_DIMENSION_SETS, METRICS } from '../../functions/core/telemetry/metric-names';
import { rememberSecret, scrubSecrets, scrubUpstreamText } from '../../functions/core/telemetry/redact';
import { requestLogFields, requestLogLevel } from '../../functions/core/telemetry/request-log-fields';
import type { RequestSummary } from '../../functions/core/telemetry/request-summary';
import { GatewayError } from '../../functions/core/openai/errors';

const parse = (body: Record<string, unknown>) =>
  parseChatRequest(
    JSON.stringify({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }], ...body }),
    false,
    1e7,
  );

describe('what reaches an upstream', () => {
  it('forwards allowed fields only, one output cap (the larger) and always asks a stream for usage', () => {
    const req = parse({ max_tokens: 10, max_completion_tokens: 300, temperature: 0.2, foo: 1, stream: true });
    expect(requestedMaxTokens(req)).toBe(300);
    const body = forwardedBody(req, 'openai', 'deepseek-chat', true);
    expect(body).toEqual({
      model: 'deepseek-chat',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0.2,
      max_tokens: 300,
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('bounds fields no tokenizer here sees by their bytes', () => {
    const schema = { type: 'json_schema', json_schema: { name: 'x', schema: { description: 'é'.repeat(1000) } } };
    const req = parse({ response_format: schema, stop: ['END'], temperature: 1, user: 'u', unknown: 'x'.repeat(9999) });
    expect(extraPromptBytes(req)).toBe(Buffer.byteLength(JSON.stringify(schema)) + Buffer.byteLength('["END"]'));
  });

  it.each([
    [{ service_tier: 'priority' }, 'service_tier'],
    [{ modalities: ['audio'] }, 'modalities'],
    [{ audio: {} }, 'audio'],
    [{ web_search_options: {} }, 'web_search_options'],
    [{ messages: [{ role: 'user', content: [{ type: 'file', file: {} }] }] }, 'messages[0].content[0].type'],
    [{ messages: [{ role: 'assistant', content: 'x', audio: { id: 'a' } }] }, 'messages[0].audio'],
  ])('refuses %j naming %s', (extra, param) => {
    let err: unknown;
    try {
      refusePriceChangingFields(parse(extra));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayError);
    expect([(err as GatewayError).status, (err as GatewayError).param]).toEqual([400, param]);
  });

  it('accepts the default tiers, text modality and text/image parts', () => {
    expect(() =>
      refusePriceChangingFields(
        parse({
          service_tier: 'default',
          modalities: ['text'],
          messages: [
            {
              role: 'user',
              content: [
                { type: 'text', text: 'a' },
                { type: 'image_url', image_url: {} },
              ],
            },
          ],
        }),
      ),
    ).not.toThrow();
  });
});

describe("a key's allow-list in the planner", () => {
  const cfg = compileConfig(defaultConfig);
  const req = (model: string, extra: Partial<PlanRequest> = {}): PlanRequest => ({
    model,
    messages: [{ role: 'user', content: 'hello' }],
    promptTokens: 10,
    ...extra,
  });
  const plan = (r: PlanRequest, allowedModels?: string[]) => planRequest(cfg, r, { random: () => 0.5, allowedModels });

  it('a listed route, when requested, allows its variants, intents and fallbacks', () => {
    const names = [...cfg.models.keys(), ...cfg.routes.keys()];
    const allowedOf = (list: string[], requested: string) =>
      names.filter(allowedModelFilter(cfg, list, requested)!).sort();
    expect(allowedOf(['chat-default'], 'chat-default')).toEqual(
      ['chat-default', 'deepseek-v3.2', 'gemini-2.5-flash', 'gpt-4.1'].sort(),
    );
    expect(allowedOf(['chat-default', 'claude-sonnet-4.5'], 'claude-sonnet-4.5')).toEqual(
      ['chat-default', 'claude-sonnet-4.5'].sort(),
    );
    expect(allowedModelFilter(cfg, [], 'gpt-4.1')).toBeUndefined();
  });

  it("filters a model's fallbacks to the list", () => {
    expect(plan(req('gpt-4.1'), ['gpt-4.1', 'gemini-2.5-flash']).candidates).toEqual(['gpt-4.1', 'gemini-2.5-flash']);
  });

  it('filters A/B variants and `replaces` too', () => {
    const raw = structuredClone(defaultConfig) as any;
    raw.models.push({
      ...raw.models[0],
      id: 'gpt-4.1-turbo',
      replaces: 'gpt-4.1',
      endpoints: [{ ...raw.models[0].endpoints[0], id: 'turbo' }],
    });
    raw.routes['chat-default'].variants = [{ model: 'gpt-4.1-turbo', weight: 1 }];
    const c = compileConfig(raw);
    const p = (allowed: string[]) =>
      planRequest(c, req('chat-default'), { random: () => 0.1, allowedModels: allowed }).candidates;
    // The variant is one of the route's own models; gpt-4.1 (which it `replaces`) is on the route too.
    expect(p(['chat-default'])).toContain('gpt-4.1-turbo');
    // By name, the replaced model is not a fallback unless listed.
    const direct = planRequest(c, req('gpt-4.1-turbo'), { random: () => 0.1, allowedModels: ['gpt-4.1-turbo'] });
    expect(direct.candidates).toEqual(['gpt-4.1-turbo']);
    const both = ['gpt-4.1-turbo', 'gpt-4.1'];
    expect(planRequest(c, req('gpt-4.1-turbo'), { random: () => 0.1, allowedModels: both }).candidates).toEqual(both);
  });

  it('403 when the request could be served only by models the key may not use', () => {
    const image = req('deepseek-v3.2', {
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }],
    });
    expect(() => plan(image, ['deepseek-v3.2'])).toThrow(/No model this API key may use can serve this request/);
    // Without a list the vision fallback serves it.
    expect(plan(image).candidates).toEqual(['gemini-2.5-flash']);
  });

  it('403 for a name not on the list, before saying whether it exists', () => {
    expect(() => plan(req('no-such-model'), ['gpt-4.1'])).toThrow(/may not use 'no-such-model'/);
  });
});

describe('redaction', () => {
  it.each([
    'sk-proj-AbCdEf0123456789GhIjKlMn',
    'sk-ant-api03-AbCdEf0123456789GhIjKlMn',
    'AIzaSyD-0123456789abcdefghijklmnopqrstu',
    'AKIAIOSFODNN7EXAMPLE',
    'ASIAY34FZKBOKMUTVV7A',
    'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  ])('scrubs %s from any text', (secret) => {
    expect(scrubSecrets(`key=${secret};`)).not.toContain(secret);
  });

  it('scrubs a value the secret source served, whatever its shape', () => {
    rememberSecret('no.known~shape~at~all');
    expect(scrubSecrets('x no.known~shape~at~all y')).toBe('x [redacted] y');
  });

  it('hides URLs, hosts and addresses in upstream text, keeping the words', () => {
    expect(
      scrubUpstreamText(
        'connect to https://api.openai.com/v1?k=1 failed at 10.1.2.3:443 via proxy.corp.example:8080 and [::1]:9; temperature must be <= 2',
      ),
    ).toBe('connect to [url] failed at [address] via [host] and [address]; temperature must be <= 2');
  });
});

describe('money', () => {
  it('prints limits with the precision they need', () => {
    expect([5_000, 10_000, 44_200, 100_000_000, 1].map(formatUsd)).toEqual([
      '$0.005',
      '$0.01',
      '$0.0442',
      '$100.00',
      '$0.000001',
    ]);
  });

  it('prices cached and cache-written prompt tokens at their own rates', () => {
    const prices = {
      inputMicrosPerMTok: 2_000_000,
      outputMicrosPerMTok: 8_000_000,
      cachedInputMicrosPerMTok: 500_000,
      cacheWriteMicrosPerMTok: 2_500_000,
    };
    const usage = usageFromOpenAI({
      prompt_tokens: 1_000_000,
      completion_tokens: 0,
      prompt_tokens_details: { cached_tokens: 600_000 },
    })!;
    expect(usage.cacheReadTokens).toBe(600_000);
    expect(costMicros(prices, usage)).toBe(400_000 * 2 + 600_000 * 0.5);
    expect(costMicros(prices, { promptTokens: 1_000_000, completionTokens: 0, cacheWriteTokens: 1_000_000 })).toBe(
      2_500_000,
    );
    // A detail larger than the prompt cannot bill more tokens than the prompt had.
    expect(costMicros(prices, { promptTokens: 10, completionTokens: 0, cacheReadTokens: 99 })).toBe(
      costMicros(prices, { promptTokens: 10, completionTokens: 0, cacheReadTokens: 10 }),
    );
    // Without a cached price, cached tokens cost the input price.
    expect(costMicros({ inputMicrosPerMTok: 2_000_000, outputMicrosPerMTok: 0 }, usage)).toBe(2_000_000);
  });

  it('reserves the prompt at the cache-write price where that is dearer', () => {
    const cfg = compileConfig(defaultConfig);
    const m = cfg.models.get('gpt-4.1')!;
    const plain = worstCaseMicros(m, 1000, 1);
    const dear = worstCaseMicros({ ...m, prices: { ...m.prices, cacheWriteMicrosPerMTok: 4_000_000 } }, 1000, 1);
    expect(dear).toBeGreaterThan(plain);
  });
});

describe('reservation overruns are never silent', () => {
  const summary: RequestSummary = {
    requestId: 'r1',
    functionVersion: '1',
    route: null,
    intent: null,
    variant: null,
    model: 'gpt-4.1',
    endpoint: 'openai-gpt-4.1',
    stream: false,
    status: 200,
    attempts: [],
    fallbacks: 0,
    totalMs: 1,
    upstreamMs: 1,
    overheadMs: 0,
    promptTokens: 1,
    completionTokens: 1,
    costMicros: 900,
    overrunMicros: 400,
    breakersOpened: [],
  };

  it('logs overrunMicros at warn level and publishes ReservationOverrunMicroUsd', () => {
    expect(requestLogFields(summary).overrunMicros).toBe(400);
    expect(requestLogLevel(summary)).toBe('warn');
    const docs = metricDocuments(summary);
    const doc = docs.find((d) => d.metrics.some((x) => x.name === METRICS.reservationOverrun))!;
    expect(doc.metrics.find((x) => x.name === METRICS.reservationOverrun)!.value).toBe(400);
    expect(METRIC_DIMENSION_SETS[METRICS.reservationOverrun]).toEqual(expect.arrayContaining(doc.dimensionSets));
    const { overrunMicros: _, ...clean } = summary;
    expect(requestLogLevel(clean)).toBe('info');
    expect(metricDocuments(clean).some((d) => d.metrics.some((x) => x.name === METRICS.reservationOverrun))).toBe(
      false,
    );
  });
});
