/**
 * Bedrock endpoints through the whole local runtime: the official openai SDK against the gateway,
 * the real AWS SDK client inside it, and the Bedrock simulator speaking Converse and ConverseStream
 * (event-stream frames) behind `endpointUrl`.
 */
import OpenAI from 'openai';
import { costMicros, microsToUsd } from '../../functions/core/pricing';
import { expectedReply } from '../../local/providers';
import type { LocalGateway } from '../../local/gateway';
import { get, startTestGateway } from '../helpers/local-gateway';

const NOVA = 'amazon.nova-pro-v1:0';
const CLAUDE_PROFILE = 'global.anthropic.claude-sonnet-4-5-20250929-v1:0';

let gw: LocalGateway;
let client: OpenAI;
beforeAll(async () => {
  gw = await startTestGateway((c) => {
    c.retry = { maxAttemptsPerModel: 2, baseDelayMs: 1, maxDelayMs: 5 };
    c.breaker.failureThreshold = 1_000_000;
  });
  client = new OpenAI({ apiKey: gw.demoKey, baseURL: gw.baseUrl, maxRetries: 0 });
});
afterAll(() => gw?.close());
afterEach(() => {
  gw.providers!.clearFaults();
  gw.providers!.resetRequests();
});

const bedrockCalls = () => gw.providers!.requests().filter((r) => r.provider === 'bedrock');

describe('a Bedrock-only model (Nova Pro)', () => {
  const messages = [
    { role: 'system' as const, content: 'Answer briefly.' },
    { role: 'user' as const, content: 'What is a switchyard?' },
  ];

  it('answers a chat completion translated from Converse, priced from its usage', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'nova-pro', messages, max_tokens: 200 })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.choices[0].message.content).toBe(expectedReply(NOVA, messages, 200));
    expect(data.choices[0].finish_reason).toBe('stop');
    expect(response.headers.get('x-switchyard-model')).toBe('nova-pro');
    expect(response.headers.get('x-switchyard-attempts')).toBe('nova-pro:200');
    const usage = { promptTokens: data.usage!.prompt_tokens, completionTokens: data.usage!.completion_tokens };
    expect(usage.completionTokens).toBeGreaterThan(0);
    expect(response.headers.get('x-switchyard-cost-usd')).toBe(
      microsToUsd(costMicros(gw.deps.config.models.get('nova-pro')!.prices, usage)),
    );
    // What went over the wire was Converse, not OpenAI's format.
    const [call] = bedrockCalls();
    expect(call.path).toBe(`/bedrock/model/${encodeURIComponent(NOVA)}/converse`);
    expect(call.body).toEqual({
      system: [{ text: 'Answer briefly.' }],
      messages: [{ role: 'user', content: [{ text: 'What is a switchyard?' }] }],
      inferenceConfig: { maxTokens: 200 },
    });
  });

  it('streams from ConverseStream: role, the same text in deltas, finish_reason and the usage chunk', async () => {
    const stream = await client.chat.completions.create({
      model: 'nova-pro',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    let content = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    let role: string | undefined;
    for await (const chunk of stream) {
      role ??= chunk.choices[0]?.delta?.role;
      content += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(role).toBe('assistant');
    expect(content).toBe(expectedReply(NOVA, messages));
    expect(finish).toBe('stop');
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    expect(bedrockCalls()[0].path).toMatch(/\/converse-stream$/);
  });

  it('calls tools and takes the tool result back, streamed and not', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      {
        type: 'function',
        function: {
          name: 'lookup',
          description: 'Looks a word up',
          parameters: { type: 'object', properties: { query: { type: 'string' } } },
        },
      },
    ];
    const first = await client.chat.completions.create({
      model: 'nova-pro',
      tools,
      tool_choice: 'required',
      messages: [{ role: 'user', content: 'Define switchyard' }],
    });
    const call = first.choices[0].message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(first.choices[0].finish_reason).toBe('tool_calls');
    expect(call.function.name).toBe('lookup');
    expect(JSON.parse(call.function.arguments)).toEqual({ query: expect.any(String) });

    const second = await client.chat.completions.create({
      model: 'nova-pro',
      tools,
      messages: [
        { role: 'user', content: 'Define switchyard' },
        first.choices[0].message,
        { role: 'tool', tool_call_id: call.id, content: 'a place where trains are sorted' },
      ],
    });
    expect(second.choices[0].finish_reason).toBe('stop');
    expect(second.choices[0].message.content).toEqual(expect.any(String));
    const sent = bedrockCalls()[1].body as { messages: Array<{ role: string; content: unknown[] }> };
    expect(sent.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(sent.messages[2].content).toEqual([
      { toolResult: { toolUseId: call.id, content: [{ text: 'a place where trains are sorted' }] } },
    ]);

    const stream = await client.chat.completions.create({
      model: 'nova-pro',
      tools,
      tool_choice: { type: 'function', function: { name: 'lookup' } },
      stream: true,
      messages: [{ role: 'user', content: 'Define switchyard' }],
    });
    let name = '';
    let args = '';
    for await (const chunk of stream) {
      const t = chunk.choices[0]?.delta?.tool_calls?.[0];
      name += t?.function?.name ?? '';
      args += t?.function?.arguments ?? '';
    }
    expect(name).toBe('lookup');
    expect(JSON.parse(args)).toEqual({ query: expect.any(String) });
  });

  it('answers JSON mode through the forced tool, as message content', async () => {
    const r = await client.chat.completions.create({
      model: 'nova-pro',
      response_format: { type: 'json_object' },
      messages: [{ role: 'user', content: 'Give me JSON' }],
    });
    expect(r.choices[0].finish_reason).toBe('stop');
    expect(JSON.parse(r.choices[0].message.content!)).toEqual(expect.any(Object));
  });

  it('refuses a remote image URL with a clear 400 and tries nothing else', async () => {
    const err = await client.chat.completions
      .create(
        {
          model: 'nova-pro',
          messages: [
            { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/x.png' } }] },
          ],
        },
        { headers: { 'x-switchyard-fallback': 'off' } },
      )
      .catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.message).toMatch(/remote image URLs are not fetched/);
    expect(bedrockCalls()).toHaveLength(0);
  });
});

describe('faults, fallbacks and pools that mix provider kinds', () => {
  it('a throttled Bedrock model falls back across kinds; without fallback it is a 429', async () => {
    gw.providers!.setFault({ provider: 'bedrock', model: NOVA, bedrockException: 'ThrottlingException' });
    const ok = await client.chat.completions
      .create({ model: 'nova-pro', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(ok.response.headers.get('x-switchyard-attempts')).toBe('nova-pro:429,nova-pro:429,gemini-2.5-flash:200');
    expect(ok.data.model).toBe('gemini-2.5-flash');
    const err = await client.chat.completions
      .create(
        { model: 'nova-pro', messages: [{ role: 'user', content: 'hi' }] },
        { headers: { 'x-switchyard-fallback': 'off' } },
      )
      .catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.code).toBe('upstream_rate_limited');
  });

  it('the Claude pool keeps serving from its Bedrock endpoint when the Anthropic endpoint fails', async () => {
    gw.providers!.setFault({ provider: 'anthropic', status: 503 });
    for (let i = 0; i < 4; i++) {
      const r = await client.chat.completions
        .create({ model: 'claude-sonnet-4.5', messages: [{ role: 'user', content: `question ${i}` }] })
        .withResponse();
      expect(r.response.headers.get('x-switchyard-model')).toBe('claude-sonnet-4.5');
      expect(r.data.model).toBe(CLAUDE_PROFILE);
      expect(r.data.choices[0].message.content).toBe(
        expectedReply(CLAUDE_PROFILE, [{ role: 'user', content: `question ${i}` }]),
      );
    }
    expect(bedrockCalls().map((c) => c.model)).toEqual(Array(4).fill(CLAUDE_PROFILE));
  });

  it('a mid-stream Bedrock exception ends the stream with an error event, never [DONE]', async () => {
    gw.providers!.setFault({
      provider: 'bedrock',
      exceptionAfterChunks: 2,
      bedrockException: 'ModelStreamErrorException',
    });
    const res = await fetch(`${gw.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.demoKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'nova-pro', stream: true, messages: [{ role: 'user', content: 'tell me more' }] }),
    });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-attempts')).toBe('nova-pro:200');
    expect(text).not.toContain('[DONE]');
    const events = text
      .split('\n\n')
      .filter((e) => e.startsWith('data: '))
      .map((e) => JSON.parse(e.slice(6)));
    expect(events.filter((e) => e.choices?.[0]?.delta?.content)).toHaveLength(2);
    expect(events.at(-1).error).toMatchObject({
      code: 'upstream_stream_error',
      message: expect.stringMatching(/ModelStreamErrorException/),
    });
  });

  it('a Bedrock stream that fails before its first content fails over to the fallback', async () => {
    gw.providers!.setFault({ provider: 'bedrock', malformedAfterChunks: 0 });
    const stream = await client.chat.completions
      .create({ model: 'nova-pro', stream: true, messages: [{ role: 'user', content: 'hello' }] })
      .withResponse();
    let content = '';
    for await (const chunk of stream.data) content += chunk.choices[0]?.delta?.content ?? '';
    // A malformed stream is not retried on the same model (as for OpenAI-compatible upstreams).
    expect(stream.response.headers.get('x-switchyard-attempts')).toBe('nova-pro:stream_error,gemini-2.5-flash:200');
    expect(content).toBe(expectedReply('gemini-2.5-flash', [{ role: 'user', content: 'hello' }]));
  });

  it('maps Access denied and an unknown model to 502s that say so', async () => {
    const off = { headers: { 'x-switchyard-fallback': 'off' } };
    gw.providers!.setFault({ provider: 'bedrock', bedrockException: 'AccessDeniedException' });
    const denied = await client.chat.completions
      .create({ model: 'nova-pro', messages: [{ role: 'user', content: 'x' }] }, off)
      .catch((e) => e);
    expect(denied.status).toBe(502);
    expect(denied.code).toBe('upstream_auth_failed');
    gw.providers!.clearFaults();
    gw.providers!.setFault({ provider: 'bedrock', bedrockException: 'ResourceNotFoundException' });
    const missing = await client.chat.completions
      .create({ model: 'nova-pro', messages: [{ role: 'user', content: 'x' }] }, off)
      .catch((e) => e);
    expect(missing.status).toBe(502);
    expect(missing.code).toBe('upstream_model_not_found');
  });
});

describe('health checks and the model list', () => {
  it('probes Bedrock endpoints with a 1-token Converse call and an InvokeModel embedding', async () => {
    await gw.runHealthRound();
    const calls = bedrockCalls();
    expect(calls.filter((c) => c.path.endsWith('/converse'))).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ model: NOVA, body: expect.objectContaining({ inferenceConfig: { maxTokens: 1 } }) }),
        expect.objectContaining({ model: CLAUDE_PROFILE }),
      ]),
    );
    expect(calls.some((c) => c.path.endsWith('/invoke') && c.model === 'amazon.titan-embed-text-v2:0')).toBe(true);
    const health = await get(gw, '/health/deep');
    const byId = Object.fromEntries(
      health.json.endpoints.list.map((e: { id: string; status: string }) => [e.id, e.status]),
    );
    expect(byId).toMatchObject({
      'bedrock-nova-pro': 'healthy',
      'bedrock-claude-sonnet-4.5': 'healthy',
      'bedrock-titan-embed-text-v2': 'healthy',
    });
  });

  it('lists chat and embedding models with their kind', async () => {
    const list = await client.models.list();
    const byId = Object.fromEntries(list.data.map((m) => [m.id, m as unknown as Record<string, unknown>]));
    expect(byId['nova-pro']).toMatchObject({ kind: 'chat', owned_by: 'bedrock' });
    expect(byId['titan-embed-text-v2']).toMatchObject({ kind: 'embedding', dimensions: 1024 });
  });
});
