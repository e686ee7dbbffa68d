/**
 * One stored form for both APIs (core/cache/completion-stream.ts): a streamed answer assembled into
 * a chat.completion, and a chat.completion replayed as chunks; plus the entry's expiry and size.
 */
import {
  chunksFromCompletion,
  completionFromChunks,
  isCompleteAnswer,
  pieces,
  sseEvents,
} from '../../functions/core/cache/completion-stream';
import { ageSeconds, expiresAtSeconds, isServable, itemBytes } from '../../functions/core/cache/entry';

/** A replayed chunk, as a client reads it. */
interface Chunk {
  id: string;
  object: string;
  choices: Array<{
    index: number;
    finish_reason: string | null;
    delta: { content?: string; tool_calls?: Array<{ index: number; id?: string }> };
  }>;
  usage?: unknown;
}
const replay = (c: Record<string, unknown>, includeUsage: boolean) =>
  chunksFromCompletion(c, { includeUsage }) as unknown as Chunk[];

const usage = { prompt_tokens: 12, completion_tokens: 40, total_tokens: 52 };

const text = 'A gateway sits between clients and models — 経路を選び、失敗を吸収します。 '.repeat(3);

const completion = (over: Record<string, unknown> = {}) => ({
  id: 'chatcmpl-abc',
  object: 'chat.completion',
  created: 1_790_000_000,
  model: 'gpt-4.1-2025-04-14',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: text, refusal: null },
      logprobs: null,
      finish_reason: 'stop',
    },
  ],
  usage,
  ...over,
});

const withTools = () =>
  completion({
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: null,
          refusal: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Osaka","unit":"c"}' },
            },
            { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{"zone":"Asia/Tokyo"}' } },
          ],
        },
        logprobs: null,
        finish_reason: 'tool_calls',
      },
    ],
  });

const twoChoices = () =>
  completion({
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'first', refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
      {
        index: 1,
        message: { role: 'assistant', content: 'second answer', refusal: null },
        logprobs: null,
        finish_reason: 'length',
      },
    ],
  });

describe('replay and reassembly', () => {
  it.each([
    ['text', completion()],
    ['tool calls', withTools()],
    ['n = 2', twoChoices()],
    [
      'reasoning text',
      completion({
        choices: [
          {
            ...completion().choices[0],
            message: { role: 'assistant', content: 'ok', refusal: null, reasoning_content: 'think '.repeat(20) },
          },
        ],
      }),
    ],
    [
      'a refusal',
      completion({
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: null, refusal: 'I cannot help with that.' },
            logprobs: null,
            finish_reason: 'stop',
          },
        ],
      }),
    ],
  ])('a replayed %s answer reassembles into the same completion', (_, c) => {
    const chunks = chunksFromCompletion(c, { includeUsage: true });
    expect(completionFromChunks(chunks, undefined)).toEqual(c);
  });

  it('replays text in pieces of bounded size, never cutting a character', () => {
    const chunks = replay(completion(), false);
    const contents = chunks.map((c) => c.choices[0]?.delta?.content).filter((x) => typeof x === 'string' && x);
    expect(contents.length).toBeGreaterThan(3);
    expect(contents.join('')).toBe(text);
    for (const p of contents) expect(Array.from(p as string).length).toBeLessThanOrEqual(32);
  });

  it('starts each choice with its role, ends it with its finish reason, and sends usage only when asked', () => {
    const chunks = replay(twoChoices(), true);
    expect(chunks[0].choices[0]).toMatchObject({ index: 0, delta: { role: 'assistant', content: '' } });
    const finishes = chunks.filter((c) => c.choices[0]?.finish_reason).map((c) => c.choices[0]);
    expect(finishes).toEqual([
      expect.objectContaining({ index: 0, finish_reason: 'stop' }),
      expect.objectContaining({ index: 1, finish_reason: 'length' }),
    ]);
    expect(chunks.at(-1)).toMatchObject({ object: 'chat.completion.chunk', choices: [], usage });
    expect(chunks.every((c) => c.id === 'chatcmpl-abc' && c.object === 'chat.completion.chunk')).toBe(true);
    const noUsage = replay(twoChoices(), false);
    expect(noUsage.some((c) => c.usage)).toBe(false);
  });

  it('sends a tool call as its id and name first, then the arguments in pieces', () => {
    const chunks = replay(withTools(), false);
    const calls = chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    expect(calls[0]).toEqual({
      index: 0,
      id: 'call_1',
      type: 'function',
      function: { name: 'get_weather', arguments: '' },
    });
    expect(calls.filter((t) => t.index === 1 && t.id)).toHaveLength(1);
  });

  it('is an SSE body ending in [DONE]', () => {
    const events = sseEvents(chunksFromCompletion(completion(), { includeUsage: false }));
    expect(events.at(-1)).toBe('data: [DONE]\n\n');
    for (const e of events.slice(0, -1)) {
      expect(e).toMatch(/^data: \{.*\}\n\n$/s);
      expect(JSON.parse(e.slice(6))).toHaveProperty('object', 'chat.completion.chunk');
    }
  });
});

describe('completionFromChunks', () => {
  const streamed = (c = completion()) => chunksFromCompletion(c, { includeUsage: false });

  it('takes the usage from the stream when the client did not ask for the usage chunk', () => {
    expect(completionFromChunks(streamed(), usage)).toEqual(completion());
  });

  it('gives nothing for an answer that is not whole', () => {
    // No usage: what it cost is unknown.
    expect(completionFromChunks(streamed(), undefined)).toBeUndefined();
    // Cut before the finish reason.
    expect(completionFromChunks(streamed().slice(0, -1), usage)).toBeUndefined();
    expect(completionFromChunks([], usage)).toBeUndefined();
  });

  it('assigns a repeated tool name instead of appending it (as the SDKs do)', () => {
    const chunk = (delta: unknown, finish: string | null = null) => ({
      id: 'x',
      created: 1,
      model: 'm',
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    const c = completionFromChunks(
      [
        chunk({
          role: 'assistant',
          tool_calls: [{ index: 0, id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a"' } }],
        }),
        chunk({ tool_calls: [{ index: 0, function: { name: 'f', arguments: ':1}' } }] }),
        chunk({}, 'tool_calls'),
      ],
      usage,
    ) as { choices: Array<{ message: { tool_calls: unknown } }> };
    expect(c.choices[0].message.tool_calls).toEqual([
      { id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
    ]);
  });
});

describe('isCompleteAnswer', () => {
  it('wants choices, each with a message and a finish reason, and real usage', () => {
    expect(isCompleteAnswer(completion())).toBe(true);
    expect(isCompleteAnswer(completion({ usage: undefined }))).toBe(false);
    expect(isCompleteAnswer(completion({ choices: [] }))).toBe(false);
    expect(
      isCompleteAnswer(completion({ choices: [{ index: 0, message: { content: 'x' }, finish_reason: null }] })),
    ).toBe(false);
    expect(isCompleteAnswer([completion()])).toBe(false);
  });
});

describe('pieces', () => {
  it('never splits a surrogate pair', () => {
    const emoji = '🙂'.repeat(5);
    expect(pieces(emoji, 2)).toEqual(['🙂🙂', '🙂🙂', '🙂']);
    expect(pieces('')).toEqual([]);
  });
});

describe('cache entry', () => {
  const entry = (now: number, ttl: number) => ({
    body: '{}',
    model: 'gpt-4.1',
    costMicros: 10,
    createdAt: now,
    expiresAt: expiresAtSeconds(now, ttl),
    scope: 'key#a',
  });

  it('is servable until its expiry, by the clock given, and only in its own scope', () => {
    const t0 = Date.UTC(2026, 11, 1, 12, 0, 0, 250);
    const e = entry(t0, 60);
    expect(isServable(e, 'key#a', t0)).toBe(true);
    expect(isServable(e, 'key#a', t0 + 59_999)).toBe(true);
    expect(isServable(e, 'key#a', t0 + 61_000)).toBe(false);
    expect(isServable(e, 'key#b', t0)).toBe(false);
    expect(ageSeconds(e, t0 + 42_900)).toBe(42);
  });

  it('measures an item as DynamoDB does: names plus values', () => {
    expect(itemBytes({ pk: 'r#ab', n: 12345 })).toBe(2 + 4 + 1 + 6);
    expect(itemBytes({ body: 'é' })).toBe(4 + 2);
  });
});
