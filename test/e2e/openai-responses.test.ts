/**
 * /v1/responses with the official clients, unchanged: the openai SDK's responses.create and
 * responses.stream, and the Vercel AI SDK's default provider (`createOpenAI()(model)` speaks the
 * Responses API) with generateText and streamText.
 */
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, streamText, tool } from 'ai';
import OpenAI from 'openai';
import type { LocalGateway } from '../../local/gateway';
import { expectedReply } from '../../local/providers';
import { post, startTestGateway } from '../helpers/local-gateway';

const weather: OpenAI.Responses.FunctionTool = {
  type: 'function',
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
    additionalProperties: false,
  },
  strict: true,
};

/** The text of a response's message items. */
function outputText(r: OpenAI.Responses.Response): string {
  return r.output
    .flatMap((o) => (o.type === 'message' ? o.content : []))
    .map((c) => (c.type === 'output_text' ? c.text : ''))
    .join('');
}

describe('/v1/responses with the official clients', () => {
  let gw: LocalGateway;
  let client: OpenAI;
  beforeAll(async () => {
    gw = await startTestGateway();
    client = new OpenAI({ baseURL: gw.baseUrl, apiKey: gw.demoKey, maxRetries: 0 });
  });
  afterAll(() => gw.close());

  it('responses.create answers with the upstream text, usage and the decision headers', async () => {
    const { data, response } = await client.responses
      .create({ model: 'gemini-2.5-flash', instructions: 'Be brief.', input: 'Say hi to Switchyard' })
      .withResponse();
    const text = expectedReply('gemini-2.5-flash', [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Say hi to Switchyard' },
    ]);
    expect(data).toMatchObject({ object: 'response', status: 'completed', model: 'gemini-2.5-flash', store: false });
    expect(data.output_text).toBe(text);
    expect(data.usage?.input_tokens).toBeGreaterThan(0);
    expect(data.usage?.output_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-switchyard-model')).toBe('gemini-2.5-flash');
  });

  it('responses.stream delivers the same text and a completed response with usage', async () => {
    const input = 'Stream a short answer please';
    const stream = client.responses.stream({ model: 'gemini-2.5-flash', input });
    let deltas = '';
    const types: string[] = [];
    stream.on('response.output_text.delta', (e) => {
      deltas += e.delta;
    });
    for await (const e of stream) types.push(e.type);
    const final = await stream.finalResponse();
    const text = expectedReply('gemini-2.5-flash', [{ role: 'user', content: input }]);
    expect(deltas).toBe(text);
    expect(outputText(final)).toBe(text); // the SDK adds `output_text` to non-stream answers only
    expect(final.status).toBe('completed');
    expect(final.usage?.output_tokens).toBeGreaterThan(0);
    expect(types.slice(0, 2)).toEqual(['response.created', 'response.in_progress']);
    expect(types.at(-1)).toBe('response.completed');
  });

  it.each([false, true])('runs a function call round trip (stream: %s)', async (streamed) => {
    const ask = async (input: OpenAI.Responses.ResponseInput) => {
      if (!streamed) return client.responses.create({ model: 'gpt-4.1', tools: [weather], input });
      return client.responses.stream({ model: 'gpt-4.1', tools: [weather], input }).finalResponse();
    };
    const first: OpenAI.Responses.ResponseInput = [{ role: 'user', content: 'What is the weather in Paris?' }];
    const r1 = await ask(first);
    const call = r1.output.find((o) => o.type === 'function_call') as
      | OpenAI.Responses.ResponseFunctionToolCall
      | undefined;
    expect(call).toMatchObject({ name: 'get_weather', call_id: expect.any(String) });
    expect(JSON.parse(call!.arguments)).toEqual({ city: expect.any(String) });

    const r2 = await ask([
      ...first,
      { type: 'function_call', call_id: call!.call_id, name: call!.name, arguments: call!.arguments },
      { type: 'function_call_output', call_id: call!.call_id, output: '18 degrees, sunny' },
    ]);
    expect(r2.status).toBe('completed');
    expect(outputText(r2).length).toBeGreaterThan(0);
    const upstream = gw.providers!.requests().at(-1)!.body as { messages: Array<Record<string, unknown>> };
    expect(upstream.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(upstream.messages[2]).toEqual({ role: 'tool', tool_call_id: call!.call_id, content: '18 degrees, sunny' });
  });

  it('refuses stored-response features with a 400 naming the field', async () => {
    for (const [field, extra] of [
      ['store', { store: true }],
      ['previous_response_id', { previous_response_id: 'resp_123' }],
    ] as const) {
      const err = await client.responses.create({ model: 'gpt-4.1', input: 'hi', ...extra }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe(field);
    }
    const ok = await post(gw, '/v1/responses', { model: 'gpt-4.1', input: 'hi', store: false });
    expect(ok.status).toBe(200);
    const ref = await post(gw, '/v1/responses', {
      model: 'gpt-4.1',
      input: [
        { role: 'user', content: 'hi' },
        { type: 'item_reference', id: 'msg_1' },
      ],
    });
    expect(ref.status).toBe(400);
    expect(ref.json.error).toMatchObject({ param: 'input[1]', message: expect.stringContaining('store = false') });
  });

  describe('Vercel AI SDK default provider (Responses API)', () => {
    const provider = () => createOpenAI({ baseURL: gw.baseUrl, apiKey: gw.demoKey });

    it('generateText', async () => {
      const { text, usage, finishReason } = await generateText({
        model: provider()('deepseek-v3.2'),
        prompt: 'Tell me about gateways',
        maxRetries: 0,
      });
      expect(text).toBe(expectedReply('deepseek-chat', [{ role: 'user', content: 'Tell me about gateways' }]));
      expect(finishReason).toBe('stop');
      expect(usage.inputTokens).toBeGreaterThan(0);
      expect(usage.outputTokens).toBeGreaterThan(0);
    });

    it('streamText', async () => {
      const result = streamText({
        model: provider()('gemini-2.5-flash'),
        prompt: 'Stream about gateways',
        maxRetries: 0,
      });
      let streamed = '';
      for await (const piece of result.textStream) streamed += piece;
      const expected = expectedReply('gemini-2.5-flash', [{ role: 'user', content: 'Stream about gateways' }]);
      expect(streamed).toBe(expected);
      expect(await result.finishReason).toBe('stop');
      expect((await result.usage).outputTokens).toBeGreaterThan(0);
    });

    const weatherTool = (onCall: (input: unknown) => void) =>
      tool({
        description: 'Current weather for a city',
        inputSchema: jsonSchema<{ city: string }>({
          type: 'object',
          properties: { city: { type: 'string' } },
          required: ['city'],
        }),
        execute: async (input) => {
          onCall(input);
          return '18 degrees, sunny';
        },
      });

    it.each([{}, { providerOptions: { openai: { store: false } } }])(
      'runs a multi-step tool loop (%j)',
      async (opts) => {
        let called: unknown;
        const { text, steps } = await generateText({
          model: provider()('gpt-4.1'),
          prompt: 'What is the weather in Paris?',
          tools: { get_weather: weatherTool((input) => (called = input)) },
          stopWhen: ({ steps: s }) => s.length >= 2,
          ...opts,
          maxRetries: 0,
        });
        expect(called).toEqual({ city: expect.any(String) });
        expect(steps).toHaveLength(2);
        expect(text.length).toBeGreaterThan(0);
      },
    );
  });
});
