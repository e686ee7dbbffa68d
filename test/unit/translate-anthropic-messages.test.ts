/** Golden translations between the Anthropic Messages API and chat completions, both ways, per block type. */
import { GatewayError } from '../../functions/core/openai/errors';
import { toAnthropicError } from '../../functions/core/translate/anthropic-messages/errors';
import { toChatRequest } from '../../functions/core/translate/anthropic-messages/request';
import { toAnthropicMessage } from '../../functions/core/translate/anthropic-messages/response';
import { type MessagesRequest, MessagesRequestSchema } from '../../functions/core/translate/anthropic-messages/schema';
import { MessagesStreamTranslator } from '../../functions/core/translate/anthropic-messages/stream';
import { validate } from '../../functions/core/translate/json-body';

const req = (body: Record<string, unknown>): MessagesRequest =>
  validate(MessagesRequestSchema, { model: 'claude-x', max_tokens: 100, ...body });

function invalid(body: Record<string, unknown>): GatewayError {
  try {
    toChatRequest(req(body));
  } catch (e) {
    if (e instanceof GatewayError) return e;
    throw e;
  }
  throw new Error('expected a GatewayError');
}

/** Parses translator output back into [event name, data] pairs. */
function events(sse: string): Array<[string, Record<string, unknown>]> {
  return sse
    .split('\n\n')
    .filter((f) => f.trim() !== '')
    .map((frame) => {
      const [ev, data] = frame.split('\n');
      const parsed = JSON.parse(data.replace(/^data: /, ''));
      expect(parsed.type).toBe(ev.replace(/^event: /, ''));
      return [parsed.type, parsed];
    });
}

describe('Anthropic request -> chat request', () => {
  it('translates system blocks, text, image, tool_use, tool_result, thinking and the sampling fields', () => {
    const chat = toChatRequest(
      req({
        system: [
          { type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } },
          { type: 'text', text: 'Answer in English.' },
        ],
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is in this image?' },
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
              { type: 'image', source: { type: 'url', url: 'https://example.com/a.jpg' } },
            ],
          },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'Let me look.', signature: 'sig' },
              { type: 'text', text: 'Checking.' },
              { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'cat' } },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'a cat' }] },
              { type: 'text', text: 'Thanks' },
            ],
          },
          { role: 'assistant', content: 'Done.' },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_2', content: 'boom', is_error: true }] },
        ],
        tools: [{ name: 'lookup', description: 'Search', input_schema: { type: 'object', properties: {} } }],
        tool_choice: { type: 'tool', name: 'lookup', disable_parallel_tool_use: true },
        stop_sequences: ['END'],
        temperature: 0.2,
        top_p: 0.9,
        top_k: 5,
        metadata: { user_id: 'u-1' },
        thinking: { type: 'enabled', budget_tokens: 1024 },
        stream: true,
      }),
    );
    expect(chat).toEqual({
      model: 'claude-x',
      messages: [
        // The breakpoint moves to the end of the system prompt (Bedrock endpoints send a cachePoint there).
        { role: 'system', content: 'You are terse.\n\nAnswer in English.', cache_control: { type: 'ephemeral' } },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this image?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            { type: 'image_url', image_url: { url: 'https://example.com/a.jpg' } },
          ],
        },
        {
          role: 'assistant',
          content: 'Checking.',
          tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"cat"}' } }],
          // Carried for Claude on Bedrock; other upstreams never see it (upstream-fields.ts).
          thinking_blocks: [{ type: 'thinking', thinking: 'Let me look.', signature: 'sig' }],
        },
        { role: 'tool', tool_call_id: 'toolu_1', content: 'a cat' },
        { role: 'user', content: 'Thanks' },
        { role: 'assistant', content: 'Done.' },
        { role: 'tool', tool_call_id: 'toolu_2', content: 'Error: boom' },
      ],
      tools: [
        {
          type: 'function',
          function: { name: 'lookup', description: 'Search', parameters: { type: 'object', properties: {} } },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'lookup' } },
      parallel_tool_calls: false,
      max_tokens: 100,
      temperature: 0.2,
      top_p: 0.9,
      top_k: 5,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      stop: ['END'],
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it.each([
    [{ type: 'auto' }, 'auto'],
    [{ type: 'any' }, 'required'],
    [{ type: 'none' }, 'none'],
  ])('maps tool_choice %j to %j', (choice, expected) => {
    const chat = toChatRequest(
      req({
        messages: [{ role: 'user', content: 'x' }],
        tools: [{ name: 't', input_schema: { type: 'object' } }],
        tool_choice: choice,
      }),
    );
    expect(chat.tool_choice).toEqual(expected);
  });

  it.each([
    [{ messages: [{ role: 'user', content: [{ type: 'document', source: {} }] }] }, 'messages[0].content[0].type'],
    [
      {
        messages: [
          {
            role: 'user',
            content: [{ type: 'image', source: { type: 'base64', media_type: 'image/bmp', data: 'x' } }],
          },
        ],
      },
      'messages[0].content[0].source.media_type',
    ],
    [{ messages: [{ role: 'user', content: [{ type: 'tool_result' }] }] }, 'messages[0].content[0].tool_use_id'],
    [
      { messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 'a', input: {} }] }] },
      'messages[0].content[0].name',
    ],
    [
      { messages: [{ role: 'user', content: 'x' }], tools: [{ name: 'web', type: 'web_search_20250305' }] },
      'tools[0].type',
    ],
    [{ messages: [{ role: 'user', content: 'x' }], tools: [{ name: 'n' }] }, 'tools[0].input_schema'],
    [{ system: [{ type: 'image' }], messages: [{ role: 'user', content: 'x' }] }, 'system[0].type'],
    [{ messages: [{ role: 'assistant', content: [{ type: 'thinking', thinking: '' }] }] }, 'messages'],
  ])('refuses what chat completions cannot carry, naming the field (%#)', (body, param) => {
    const err = invalid(body);
    expect(err.status).toBe(400);
    expect(err.param).toBe(param);
  });

  it('validates the top-level fields with errors naming them', () => {
    const field = (body: unknown) => {
      try {
        validate(MessagesRequestSchema, body);
      } catch (e) {
        return (e as GatewayError).param;
      }
      return undefined;
    };
    expect(field({ model: 'm', messages: [{ role: 'user', content: 'x' }] })).toBe('max_tokens');
    expect(field({ model: 'm', max_tokens: 1, messages: [{ role: 'robot', content: 'x' }] })).toBe('messages[0].role');
    expect(field({ model: 'm', max_tokens: 1, messages: [] })).toBe('messages');
    expect(field({ model: 'm', max_tokens: 1, temperature: 1.5, messages: [{ role: 'user', content: 'x' }] })).toBe(
      'temperature',
    );
    expect(field({ model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 'x' }] })).toBeUndefined();
  });
});

describe('chat completion -> Anthropic message', () => {
  it('translates text, tool calls, stop reasons and usage with cache reads', () => {
    const msg = toAnthropicMessage(
      {
        id: 'chatcmpl-abc',
        choices: [
          {
            message: {
              role: 'assistant',
              content: 'Let me check.',
              tool_calls: [
                { id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"cat"}' } },
                { id: 'call_2', type: 'function', function: { name: 'broken', arguments: 'not json' } },
              ],
            },
            finish_reason: 'tool_calls',
          },
        ],
        usage: { prompt_tokens: 120, completion_tokens: 30, prompt_tokens_details: { cached_tokens: 100 } },
      },
      'claude-x',
      'req1',
    );
    expect(msg).toEqual({
      id: 'msg_chatcmpl-abc',
      type: 'message',
      role: 'assistant',
      model: 'claude-x',
      content: [
        { type: 'text', text: 'Let me check.' },
        { type: 'tool_use', id: 'call_1', name: 'lookup', input: { q: 'cat' } },
        { type: 'tool_use', id: 'call_2', name: 'broken', input: { _raw: 'not json' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 20, output_tokens: 30, cache_creation_input_tokens: 0, cache_read_input_tokens: 100 },
    });
  });

  it.each([
    ['stop', 'end_turn'],
    ['length', 'max_tokens'],
    ['content_filter', 'refusal'],
  ])('finish_reason %s -> stop_reason %s', (finish, stop) => {
    const msg = toAnthropicMessage({ choices: [{ message: { content: 'x' }, finish_reason: finish }] }, 'm', 'r');
    expect(msg.stop_reason).toBe(stop);
  });
});

describe('chat stream -> Anthropic events', () => {
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
    id: 'chatcmpl-s',
    choices: [{ index: 0, delta, finish_reason: finish }],
  });

  it('emits the Messages event sequence for text then a tool call, with usage at the end', () => {
    const t = new MessagesStreamTranslator({ model: 'claude-x', fallbackId: 'r' });
    const out =
      t.chunk(chunk({ role: 'assistant', content: '' })) +
      t.chunk(chunk({ content: 'Hel' })) +
      t.chunk(chunk({ content: 'lo' })) +
      t.chunk(
        chunk({
          tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '' } }],
        }),
      ) +
      t.chunk(chunk({ tool_calls: [{ index: 0, function: { arguments: '{"q":' } }] })) +
      t.chunk(chunk({ tool_calls: [{ index: 0, function: { arguments: '"cat"}' } }] })) +
      t.chunk(chunk({}, 'tool_calls')) +
      t.chunk({
        id: 'chatcmpl-s',
        choices: [],
        usage: { prompt_tokens: 50, completion_tokens: 9, prompt_tokens_details: { cached_tokens: 10 } },
      }) +
      t.done();
    expect(events(out)).toEqual([
      [
        'message_start',
        {
          type: 'message_start',
          message: {
            id: 'msg_chatcmpl-s',
            type: 'message',
            role: 'assistant',
            model: 'claude-x',
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
          },
        },
      ],
      ['ping', { type: 'ping' }],
      ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'lo' } }],
      ['content_block_stop', { type: 'content_block_stop', index: 0 }],
      [
        'content_block_start',
        {
          type: 'content_block_start',
          index: 1,
          content_block: { type: 'tool_use', id: 'call_1', name: 'lookup', input: {} },
        },
      ],
      [
        'content_block_delta',
        { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"q":' } },
      ],
      [
        'content_block_delta',
        { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '"cat"}' } },
      ],
      ['content_block_stop', { type: 'content_block_stop', index: 1 }],
      [
        'message_delta',
        {
          type: 'message_delta',
          delta: { stop_reason: 'tool_use', stop_sequence: null },
          usage: { input_tokens: 40, output_tokens: 9, cache_creation_input_tokens: 0, cache_read_input_tokens: 10 },
        },
      ],
      ['message_stop', { type: 'message_stop' }],
    ]);
  });

  it('ends a failed stream with an Anthropic error event and no message_stop', () => {
    const t = new MessagesStreamTranslator({ model: 'claude-x', fallbackId: 'r' });
    const out =
      t.chunk(chunk({ content: 'Hi' })) +
      t.error({
        message: 'The upstream connection failed mid-stream.',
        type: 'upstream_error',
        code: 'stream_interrupted',
      }) +
      t.done();
    const evs = events(out);
    expect(evs.map(([e]) => e)).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      'content_block_delta',
      'error',
    ]);
    expect(evs.at(-1)![1]).toEqual({
      type: 'error',
      error: { type: 'api_error', message: 'The upstream connection failed mid-stream. (stream_interrupted)' },
    });
    const timeout = new MessagesStreamTranslator({ model: 'm', fallbackId: 'r' });
    timeout.chunk(chunk({ content: 'x' }));
    expect(
      events(timeout.error({ message: 'late', type: 'timeout_error', code: 'stream_timeout' }))[0][1],
    ).toMatchObject({
      error: { type: 'timeout_error' },
    });
  });
});

describe('gateway errors -> Anthropic errors', () => {
  it.each([
    [400, 400, 'invalid_request_error'],
    [401, 401, 'authentication_error'],
    [403, 403, 'permission_error'],
    [404, 404, 'not_found_error'],
    [405, 405, 'invalid_request_error'],
    [413, 413, 'request_too_large'],
    [429, 429, 'rate_limit_error'],
    [500, 500, 'api_error'],
    [502, 500, 'api_error'],
    [503, 529, 'overloaded_error'],
    [504, 504, 'timeout_error'],
  ])('%i -> %i %s', (status, expected, type) => {
    const out = toAnthropicError(status, {
      error: { message: 'Something failed.', type: 'upstream_error', param: null, code: 'upstream_error' },
    });
    expect(out).toEqual({
      status: expected,
      body: { type: 'error', error: { type, message: 'Something failed. (upstream_error)' } },
    });
  });
});
