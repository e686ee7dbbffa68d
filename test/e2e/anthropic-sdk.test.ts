/** The official @anthropic-ai/sdk, unchanged, against the local gateway's /v1/messages (Claude Code's API). */
import Anthropic from '@anthropic-ai/sdk';
import type { LocalGateway } from '../../local/gateway';
import { expectedReply } from '../../local/providers';
import { startTestGateway } from '../helpers/local-gateway';

const weather: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('official @anthropic-ai/sdk against the local gateway', () => {
  let gw: LocalGateway;
  let client: Anthropic;
  beforeAll(async () => {
    // Claude's pool also has a Bedrock endpoint: this suite reads what the OpenAI-compatible upstream
    // received, so the pool keeps that endpoint alone.
    gw = await startTestGateway((c) => {
      for (const m of c.models) {
        const http = m.endpoints.filter((e: { provider: string }) => c.providers[e.provider]?.kind !== 'bedrock');
        if (http.length > 0) m.endpoints = http;
      }
    });
    // ANTHROPIC_AUTH_TOKEN's form (Authorization: Bearer), which the default key-header mode accepts.
    client = new Anthropic({ baseURL: gw.url, apiKey: null, authToken: gw.demoKey, maxRetries: 0 });
  });
  afterAll(() => gw.close());

  it('creates a message with the upstream text, usage and the decision headers', async () => {
    const prompt = 'Say hi to Switchyard';
    const { data, response } = await client.messages
      .create({
        model: 'gemini-2.5-flash',
        max_tokens: 200,
        system: 'Be brief.',
        messages: [{ role: 'user', content: prompt }],
      })
      .withResponse();
    expect(data.type).toBe('message');
    expect(data.role).toBe('assistant');
    expect(data.model).toBe('gemini-2.5-flash');
    expect(data.content).toEqual([
      {
        type: 'text',
        text: expectedReply('gemini-2.5-flash', [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: prompt },
        ]),
      },
    ]);
    expect(data.stop_reason).toBe('end_turn');
    expect(data.usage.input_tokens).toBeGreaterThan(0);
    expect(data.usage.output_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-switchyard-model')).toBe('gemini-2.5-flash');
  });

  it('streams a message whose final text equals the non-stream answer', async () => {
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Stream a short answer please' }];
    const stream = client.messages.stream({ model: 'deepseek-v3.2', max_tokens: 300, messages });
    const types: string[] = [];
    let deltas = '';
    stream.on('streamEvent', (e) => types.push(e.type));
    stream.on('text', (t) => {
      deltas += t;
    });
    const final = await stream.finalMessage();
    const text = expectedReply('deepseek-chat', messages); // the upstream name of deepseek-v3.2
    expect(deltas).toBe(text);
    expect(final.content).toEqual([{ type: 'text', text }]);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.output_tokens).toBeGreaterThan(0);
    expect(final.usage.input_tokens).toBeGreaterThan(0);
    expect(types[0]).toBe('message_start');
    expect(types.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(types).toEqual(expect.arrayContaining(['content_block_start', 'content_block_delta', 'content_block_stop']));
  });

  it.each([false, true])('runs a tool-use round trip (stream: %s)', async (streamed) => {
    const first: Anthropic.MessageParam = { role: 'user', content: 'What is the weather in Paris?' };
    const ask = (messages: Anthropic.MessageParam[]) =>
      streamed
        ? client.messages.stream({ model: 'gpt-4.1', max_tokens: 200, tools: [weather], messages }).finalMessage()
        : client.messages.create({ model: 'gpt-4.1', max_tokens: 200, tools: [weather], messages });
    const call = await ask([first]);
    expect(call.stop_reason).toBe('tool_use');
    const use = call.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
    expect(use).toMatchObject({ name: 'get_weather', input: { city: expect.any(String) } });

    const history: Anthropic.MessageParam[] = [
      first,
      { role: 'assistant', content: call.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: use!.id, content: '18 degrees, sunny' }] },
    ];
    const answer = await ask(history);
    expect(answer.stop_reason).toBe('end_turn');
    expect(answer.content[0]).toMatchObject({ type: 'text' });
    // The upstream saw the call and its result as chat completions messages, in order.
    const upstream = gw.providers!.requests().at(-1)!.body as { messages: Array<Record<string, unknown>> };
    expect(upstream.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(upstream.messages[1].tool_calls).toEqual([
      { id: use!.id, type: 'function', function: { name: 'get_weather', arguments: JSON.stringify(use!.input) } },
    ]);
    expect(upstream.messages[2]).toEqual({ role: 'tool', tool_call_id: use!.id, content: '18 degrees, sunny' });
  });

  it("takes Claude Code's request shape: beta path, anthropic-beta, cached system blocks, metadata, thinking, a dated id", async () => {
    const beta = new Anthropic({
      baseURL: gw.url,
      apiKey: null,
      authToken: gw.demoKey,
      maxRetries: 0,
      defaultHeaders: { 'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14' },
    });
    const { data, response } = await beta.beta.messages
      .create({
        model: 'claude-sonnet-4-5-20250929',
        max_tokens: 300,
        system: [{ type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } }],
        metadata: { user_id: 'user_abc_account__session_123' },
        thinking: { type: 'enabled', budget_tokens: 1024 },
        tools: [weather],
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'hello', cache_control: { type: 'ephemeral' } }] },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'The user greets me.', signature: 'c2ln' },
              { type: 'text', text: 'Hi!' },
            ],
          },
          { role: 'user', content: 'Summarize our chat' },
        ],
      })
      .withResponse();
    expect(data.content.length).toBeGreaterThan(0);
    // The dated id is an alias of claude-sonnet-4.5 in the default config.
    expect(response.headers.get('x-switchyard-model')).toBe('claude-sonnet-4.5');
    const upstream = gw.providers!.requests().at(-1)!.body as Record<string, unknown>;
    expect(upstream.model).toBe('claude-sonnet-4-5');
    expect(upstream.messages).toEqual([
      { role: 'system', content: 'You are Claude Code.' },
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'Hi!' },
      { role: 'user', content: 'Summarize our chat' },
    ]);
    expect(upstream).not.toHaveProperty('thinking');
    expect(upstream).not.toHaveProperty('metadata');
  });

  it('takes the key from x-api-key (ANTHROPIC_API_KEY) when the gateway runs with --x-api-key', async () => {
    // This SDK sends `apiKey` as a Bearer token; Claude Code sends ANTHROPIC_API_KEY as x-api-key.
    const xApiKeyClient = (baseURL: string, key: string) =>
      new Anthropic({ baseURL, apiKey: null, authToken: null, defaultHeaders: { 'x-api-key': key }, maxRetries: 0 });
    const withXApiKey = await startTestGateway(undefined, { keyHeaderMode: 'authorization-or-x-api-key' });
    try {
      const c = xApiKeyClient(withXApiKey.url, withXApiKey.demoKey);
      const r = await c.messages.create({
        model: 'gpt-4.1',
        max_tokens: 50,
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(r.type).toBe('message');
    } finally {
      await withXApiKey.close();
    }
    // The default mode reads Authorization only (API Gateway's authorizer cache needs one header).
    const c = xApiKeyClient(gw.url, gw.demoKey);
    await expect(
      c.messages.create({ model: 'gpt-4.1', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
  });

  it('counts tokens', async () => {
    const short = await client.messages.countTokens({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] });
    const long = await client.messages.countTokens({
      model: 'gpt-4.1',
      system: 'You are a careful assistant.',
      tools: [weather],
      messages: [{ role: 'user', content: 'hello there '.repeat(200) }],
    });
    expect(short.input_tokens).toBeGreaterThan(0);
    expect(long.input_tokens).toBeGreaterThan(short.input_tokens + 200);
  });

  it('raises the SDK error classes for errors in Anthropic shape', async () => {
    const missing = client.messages.create({
      model: 'gpt-9',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'x' }],
    });
    await expect(missing).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    const bad = await client.messages
      .create({ model: 'gpt-4.1', max_tokens: 0, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(Anthropic.BadRequestError);
    expect((bad as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringContaining('max_tokens') },
    });
  });
});
