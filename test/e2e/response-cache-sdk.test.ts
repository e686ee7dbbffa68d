/**
 * Cache hits through the official SDKs, unchanged: a streamed hit is a real SSE stream of
 * chat.completion.chunk events (role, content in pieces, tool calls, finish reason, the usage chunk
 * when asked, [DONE]) that the openai SDK reads and accumulates, and the Anthropic SDK reads the
 * same hit translated by /v1/messages.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { LocalGateway } from '../../local/gateway';
import { eventually, startTestGateway } from '../helpers/local-gateway';
import { cacheEntries, upstreamCalls } from '../helpers/response-cache';

let n = 0;
const question = () => [{ role: 'user' as const, content: `SDK cache question ${++n}: what does a gateway do?` }];

const weather = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
      required: ['city', 'unit'],
    },
  },
};

describe('response cache hits read by the official SDKs', () => {
  let gw: LocalGateway;
  let client: OpenAI;
  const stored = async (count: number) =>
    eventually(async () => expect((await cacheEntries(gw)).length).toBe(count), 5_000);

  beforeAll(async () => {
    gw = await startTestGateway((c) => {
      c.cache = { lookupTimeoutMs: 5_000 };
      c.routes['chat-default'].cache = { ttlSeconds: 600 };
    });
    client = new OpenAI({ baseURL: gw.baseUrl, apiKey: gw.demoKey, maxRetries: 0 });
  });
  afterAll(() => gw.close());

  it('streams a hit the SDK reads chunk by chunk, with the usage chunk, after a JSON miss', async () => {
    const messages = question();
    const entries = (await cacheEntries(gw)).length;
    const { data: miss, response: missResponse } = await client.chat.completions
      .create({ model: 'chat-default', temperature: 0, messages })
      .withResponse();
    expect(missResponse.headers.get('x-switchyard-cache')).toBe('miss');
    await stored(entries + 1);
    const calls = upstreamCalls(gw);

    const { data: stream, response } = await client.chat.completions
      .create({
        model: 'chat-default',
        temperature: 0,
        messages,
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    expect(response.headers.get('x-switchyard-cache')).toBe('hit');
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    let text = '';
    let pieces = 0;
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      const delta = chunk.choices[0]?.delta;
      if (delta?.content) {
        text += delta.content;
        pieces++;
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(miss.choices[0].message.content);
    expect(pieces).toBeGreaterThan(1);
    expect(finish).toBe('stop');
    expect(usage).toEqual(miss.usage);
    expect(upstreamCalls(gw)).toBe(calls);
  });

  it('accumulates a streamed hit into the same completion with the stream helper, tool calls included', async () => {
    const messages = question();
    const body = {
      model: 'chat-default',
      temperature: 0,
      messages,
      tools: [weather],
      tool_choice: 'required' as const,
    };
    const entries = (await cacheEntries(gw)).length;
    // Stored from a stream this time: one entry, assembled from the chunks.
    const missRun = client.chat.completions.stream(body);
    const fromMiss = await missRun.finalChatCompletion();
    expect(fromMiss.choices[0].message.tool_calls?.[0]).toMatchObject({ function: { name: 'get_weather' } });
    await stored(entries + 1);
    const calls = upstreamCalls(gw);

    const hitRun = client.chat.completions.stream(body);
    const fromHit = await hitRun.finalChatCompletion();
    expect(fromHit.choices[0].message.tool_calls).toEqual(fromMiss.choices[0].message.tool_calls);
    expect(fromHit.choices[0].finish_reason).toBe('tool_calls');
    // The arguments arrive in pieces and are whole JSON again.
    const [call] = fromHit.choices[0].message.tool_calls as Array<{ function: { arguments: string } }>;
    expect(JSON.parse(call.function.arguments)).toMatchObject({ unit: 'c' });

    const { data: json, response } = await client.chat.completions.create(body).withResponse();
    expect(response.headers.get('x-switchyard-cache')).toBe('hit');
    expect(json.choices[0].message.tool_calls).toEqual(fromMiss.choices[0].message.tool_calls);
    expect(upstreamCalls(gw)).toBe(calls);
  });

  it('reads a hit through /v1/messages with the Anthropic SDK, streamed and not', async () => {
    const anthropic = new Anthropic({ baseURL: gw.url, apiKey: gw.demoKey, maxRetries: 0 });
    const body = {
      model: 'chat-default',
      max_tokens: 300,
      temperature: 0,
      messages: [{ role: 'user' as const, content: `SDK cache question ${++n}: why cache answers?` }],
    };
    const entries = (await cacheEntries(gw)).length;
    const first = await anthropic.messages.create(body);
    await stored(entries + 1);
    const calls = upstreamCalls(gw);
    const { data: second, response } = await anthropic.messages.create(body).withResponse();
    expect(response.headers.get('x-switchyard-cache')).toBe('hit');
    expect(second.content).toEqual(first.content);
    const streamed = await anthropic.messages.stream(body).finalMessage();
    expect(streamed.content).toEqual(first.content);
    expect(streamed.stop_reason).toBe(first.stop_reason);
    expect(upstreamCalls(gw)).toBe(calls);
  });
});
