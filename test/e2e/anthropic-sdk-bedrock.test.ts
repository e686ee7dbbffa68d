/**
 * The official @anthropic-ai/sdk against Claude served by Bedrock (the simulator speaks Converse):
 * what Claude Code sends that only Claude understands — extended thinking, top_k, signed thinking
 * blocks in the history — reaches Bedrock, and the thinking comes back signed, streamed and not.
 */
import Anthropic from '@anthropic-ai/sdk';
import type { LocalGateway } from '../../local/gateway';
import { simulatedThinkingSignature } from '../../local/providers/bedrock/simulator';
import { startTestGateway } from '../helpers/local-gateway';

const weather: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const thinking = { type: 'enabled', budget_tokens: 1024 } as const;

let gw: LocalGateway;
let client: Anthropic;
beforeAll(async () => {
  // Claude's pool keeps its Bedrock endpoint alone, and no fallback: every answer is Bedrock's.
  gw = await startTestGateway((c) => {
    const claude = c.models.find((m: { id: string }) => m.id === 'claude-sonnet-4.5');
    claude.endpoints = claude.endpoints.filter((e: { provider: string }) => e.provider === 'bedrock');
    claude.fallbacks = [];
  });
  client = new Anthropic({ baseURL: gw.url, apiKey: null, authToken: gw.demoKey, maxRetries: 0 });
});
afterAll(() => gw?.close());
afterEach(() => gw.providers!.resetRequests());

/** The Converse body Bedrock received last. */
function converseBody(): Record<string, any> {
  const r = gw.providers!.requests().at(-1)!;
  expect(r.provider).toBe('bedrock');
  return r.body as Record<string, any>;
}

it('sends thinking and top_k to Claude on Bedrock and answers with a signed thinking block first', async () => {
  // top_k is Anthropic API's; this SDK version's types leave it out, so it goes as an extra field.
  const params = {
    model: 'claude-sonnet-4-5-20250929',
    max_tokens: 2000,
    thinking,
    top_k: 20,
    messages: [{ role: 'user', content: 'Why do trains run on time?' }],
  } as Anthropic.MessageCreateParamsNonStreaming;
  const { data, response } = await client.messages.create(params).withResponse();
  expect(response.headers.get('x-switchyard-model')).toBe('claude-sonnet-4.5');
  expect(converseBody().additionalModelRequestFields).toEqual({ thinking, top_k: 20 });
  expect(data.content.map((b) => b.type)).toEqual(['thinking', 'text']);
  const block = data.content[0] as Anthropic.ThinkingBlock;
  expect(block.thinking.length).toBeGreaterThan(0);
  expect(block.signature).toBe(simulatedThinkingSignature(block.thinking));
});

it('streams the thinking block (thinking_delta, signature_delta) before the text, as create answers', async () => {
  const stream = client.messages.stream({
    model: 'claude-sonnet-4-5-20250929',
    max_tokens: 2000,
    thinking,
    messages: [{ role: 'user', content: 'Why do trains run on time?' }],
  });
  const deltas: string[] = [];
  stream.on('streamEvent', (e) => {
    if (e.type === 'content_block_delta') deltas.push(e.delta.type);
  });
  const final = await stream.finalMessage();
  expect(deltas[0]).toBe('thinking_delta');
  expect(deltas).toContain('signature_delta');
  expect(deltas.at(-1)).toBe('text_delta');
  const block = final.content[0] as Anthropic.ThinkingBlock;
  expect(block.type).toBe('thinking');
  expect(block.signature).toBe(simulatedThinkingSignature(block.thinking));
  expect(final.usage.output_tokens).toBeGreaterThan(0);
});

it.each([false, true])(
  'runs a tool-use round trip with thinking, handing the signed block back unchanged (stream: %s)',
  async (streamed) => {
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Use get_weather for Paris' }];
    const ask = (m: Anthropic.MessageParam[]) =>
      streamed
        ? client.messages
            .stream({ model: 'claude-sonnet-4-5', max_tokens: 2000, thinking, tools: [weather], messages: m })
            .finalMessage()
        : client.messages.create({
            model: 'claude-sonnet-4-5',
            max_tokens: 2000,
            thinking,
            tools: [weather],
            messages: m,
          });
    const first = await ask(messages);
    expect(first.stop_reason).toBe('tool_use');
    expect(first.content.map((b) => b.type)).toEqual(['thinking', 'tool_use']);
    const use = first.content[1] as Anthropic.ToolUseBlock;
    expect(use.input).toEqual({ city: expect.any(String) });

    const second = await ask([
      ...messages,
      { role: 'assistant', content: first.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '18 degrees, sunny' }] },
    ]);
    expect(second.stop_reason).toBe('end_turn');
    const sent = converseBody().messages[1];
    expect(sent.role).toBe('assistant');
    const thought = first.content[0] as Anthropic.ThinkingBlock;
    expect(sent.content[0]).toEqual({
      reasoningContent: { reasoningText: { text: thought.thinking, signature: thought.signature } },
    });
    expect(sent.content[1].toolUse).toMatchObject({ toolUseId: use.id, name: 'get_weather' });
  },
);

it("answers Bedrock's refusal of a tampered thinking block as Anthropic's 400", async () => {
  const err = await client.messages
    .create({
      model: 'claude-sonnet-4-5',
      max_tokens: 2000,
      thinking,
      messages: [
        { role: 'user', content: 'hi' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'edited by the client', signature: simulatedThinkingSignature('original') },
            { type: 'text', text: 'Hello' },
          ],
        },
        { role: 'user', content: 'again' },
      ],
    })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(Anthropic.BadRequestError);
  expect((err as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({
    type: 'error',
    error: { type: 'invalid_request_error', message: expect.stringMatching(/ValidationException/) },
  });
});

it('turns cache_control into Bedrock cache points: the first call writes the cache, the next reads it, for less', async () => {
  const system: Anthropic.TextBlockParam[] = [
    { type: 'text', text: 'You are a railway signalling expert. '.repeat(20), cache_control: { type: 'ephemeral' } },
  ];
  const ask = () =>
    client.messages
      .create({
        model: 'claude-sonnet-4-5',
        max_tokens: 50,
        system,
        messages: [{ role: 'user', content: 'Explain a block signal' }],
      })
      .withResponse();
  const first = await ask();
  expect(converseBody().system).toEqual([{ text: system[0].text }, { cachePoint: { type: 'default' } }]);
  const second = await ask();
  const written = first.data.usage.cache_creation_input_tokens ?? 0;
  expect(written).toBeGreaterThan(100);
  expect(first.data.usage.cache_read_input_tokens).toBe(0);
  expect(second.data.usage).toMatchObject({ cache_creation_input_tokens: 0, cache_read_input_tokens: written });
  expect(second.data.usage.input_tokens).toBe(first.data.usage.input_tokens);
  // Priced with the model's cache prices: a write costs more than input, a read a tenth of it.
  const cost = (r: typeof first) => Number(r.response.headers.get('x-switchyard-cost-usd'));
  expect(cost(second)).toBeLessThan(cost(first));
});
