/**
 * Streaming end to end with the official openai SDK: chunks arrive as the provider sends them,
 * failures before the first byte fall back, failures after it end in an explicit error event,
 * and cost is settled from the provider's usage (or estimated when the client leaves early).
 */
import OpenAI from 'openai';
import type { UsageRow } from '../../functions/core/stats/stats-report';
import { usageRow as usageRowOf } from '../helpers/quota-report';
import type { LocalGateway } from '../../local/gateway';
import { expectedReply } from '../../local/providers';
import { eventually, startTestGateway } from '../helpers/local-gateway';

describe('streaming chat completions', () => {
  let gw: LocalGateway;
  let client: OpenAI;
  let usageRow: (model: string) => Promise<UsageRow | undefined>;

  beforeAll(async () => {
    gw = await startTestGateway((c) => {
      c.retry = { maxAttemptsPerModel: 1, baseDelayMs: 0, maxDelayMs: 0 };
      c.breaker.failureThreshold = 100;
      c.gateway.bodyIdleTimeoutMs = 400;
    });
    client = new OpenAI({ baseURL: gw.baseUrl, apiKey: gw.demoKey, maxRetries: 0 });
    usageRow = (model) => usageRowOf(gw, `model#${model}`);
  });
  afterAll(() => gw.close());
  afterEach(() => gw.providers!.clearFaults());

  const messages = [{ role: 'user' as const, content: 'Tell me about switchyards' }];

  async function collect(model: string, extra: Record<string, unknown> = {}) {
    const stream = await client.chat.completions.create({ model, messages, stream: true, ...extra });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    return { text, usage };
  }

  it('streams exactly the provider text, and the usage chunk only when asked for', async () => {
    const plain = await collect('gemini-2.5-flash');
    expect(plain.text).toBe(expectedReply('gemini-2.5-flash', messages));
    expect(plain.usage).toBeUndefined();
    const withUsage = await collect('gemini-2.5-flash', { stream_options: { include_usage: true } });
    expect(withUsage.usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('delivers the first chunk before the provider sends its last (no buffering)', async () => {
    // The provider stalls after two chunks and sends nothing more while the client stays: a gateway
    // that buffered the stream would deliver nothing at all (this instance's idle timeout is a minute).
    const cfg = structuredClone(gw.configJson) as any;
    cfg.gateway.bodyIdleTimeoutMs = 60_000;
    const { handler } = gw.newRouterInstance({}, { configJson: cfg });
    gw.setTargetSelector(() => ({ handler, version: '1' }));
    gw.providers!.setFault({ model: 'deepseek-chat', stallAfterChunks: 2, times: 1 });
    try {
      const stream = await client.chat.completions.create({ model: 'deepseek-v3.2', messages, stream: true });
      let content = '';
      for await (const chunk of stream) {
        content += chunk.choices[0]?.delta?.content ?? '';
        if (content) break;
      }
      expect(content.length).toBeGreaterThan(0);
      expect(expectedReply('deepseek-chat', messages).startsWith(content)).toBe(true);
    } finally {
      gw.setTargetSelector();
    }
  });

  it('records the cost from the provider usage in DynamoDB', async () => {
    const before = await usageRow('claude-sonnet-4.5');
    const { usage } = await collect('claude-sonnet-4.5', { stream_options: { include_usage: true } });
    const expected = Math.ceil((usage!.prompt_tokens * 3_000_000 + usage!.completion_tokens * 15_000_000) / 1e6);
    await eventually(async () => {
      const after = await usageRow('claude-sonnet-4.5');
      expect((after?.costMicros ?? 0) - (before?.costMicros ?? 0)).toBe(expected);
      expect((after?.completionTokens ?? 0) - (before?.completionTokens ?? 0)).toBe(usage!.completion_tokens);
    });
  });

  it('falls back before the first byte: a 503 from the primary streams from the fallback', async () => {
    gw.providers!.setFault({ model: 'gpt-4.1', status: 503 });
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4.1', messages, stream: true })
      .withResponse();
    let text = '';
    for await (const chunk of data) text += chunk.choices[0]?.delta?.content ?? '';
    expect(response.headers.get('x-switchyard-model')).toBe('deepseek-v3.2');
    expect(response.headers.get('x-switchyard-attempts')).toBe('gpt-4.1:503,deepseek-v3.2:200');
    expect(text).toBe(expectedReply('deepseek-chat', messages));
  });

  async function rawStream(model: string): Promise<string> {
    const res = await fetch(`${gw.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.demoKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages, stream: true }),
    });
    expect(res.status).toBe(200);
    return res.text();
  }

  it.each([
    ['a connection cut after 3 chunks', { streamCutAfterChunks: 3 }, 'stream_interrupted'],
    ['a malformed SSE line', { malformedAfterChunks: 3 }, 'stream_malformed'],
    ['a stalled upstream', { stallAfterChunks: 3 }, 'stream_stalled'],
  ])('%s ends in an explicit error event, never [DONE]', async (_name, fault, code) => {
    gw.providers!.setFault({ model: 'gpt-4.1', ...fault });
    const body = await rawStream('gpt-4.1');
    expect(body).not.toContain('[DONE]');
    const events = body.trim().split('\n\n');
    const last = JSON.parse(events[events.length - 1].replace(/^data: /, ''));
    expect(last.error).toMatchObject({ type: 'upstream_error', code });
    expect(events.length).toBeGreaterThanOrEqual(4);

    gw.providers!.setFault({ model: 'gpt-4.1', ...fault });
    await expect(collect('gpt-4.1')).rejects.toBeInstanceOf(OpenAI.APIError);
  });

  it('records the partial cost when the client disconnects mid-stream', async () => {
    gw.providers!.setFault({ model: 'gemini-2.5-flash', chunkDelayMs: 30 });
    const before = await usageRow('gemini-2.5-flash');
    const abort = new AbortController();
    const res = await fetch(`${gw.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.demoKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gemini-2.5-flash', messages, stream: true }),
      signal: abort.signal,
    });
    const reader = res.body!.getReader();
    let seen = '';
    while ((seen.match(/data: /g) ?? []).length < 4) seen += new TextDecoder().decode((await reader.read()).value);
    abort.abort();
    await reader.cancel().catch(() => undefined);

    await eventually(async () => {
      const after = await usageRow('gemini-2.5-flash');
      expect((after?.requests ?? 0) - (before?.requests ?? 0)).toBe(1);
      const completion = (after?.completionTokens ?? 0) - (before?.completionTokens ?? 0);
      expect(completion).toBeGreaterThan(0);
      expect(completion).toBeLessThan(40); // a few chunks, not the whole reply
      expect((after?.costMicros ?? 0) - (before?.costMicros ?? 0)).toBeGreaterThan(0);
    });
    // The upstream was let go, and the request's reservation was settled (nothing left in flight).
    await eventually(async () => {
      const inFlight = gw
        .instances()
        .flatMap(
          (d) => (d.quota as unknown as { holdings(): { slices: Array<{ reserved: number }> } }).holdings().slices,
        );
      expect(inFlight.reduce((n, s) => n + s.reserved, 0)).toBe(0);
    });
  });
});
