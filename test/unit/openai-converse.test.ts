import {
  bedrockErrorOf,
  ConverseStreamTranslator,
  fromConverseOutput,
  JSON_TOOL_NAME,
  toConverseRequest,
  TranslationError,
} from '../../functions/core/translate/openai-converse';
import { costMicros, usageFromOpenAI } from '../../functions/core/pricing';
import { failureClassOf, isRetryable } from '../../functions/router/upstream-attempt';

const MODEL = 'amazon.nova-pro-v1:0';
const meta = { id: 'chatcmpl-1', created: 1_700_000_000, model: MODEL };
const PNG_1PX = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

function rejects(body: Record<string, unknown>): TranslationError {
  try {
    toConverseRequest(body, MODEL);
  } catch (e) {
    if (e instanceof TranslationError) return e;
    throw e;
  }
  throw new Error('expected a TranslationError');
}

describe('OpenAI chat request -> Converse', () => {
  it('moves system and developer messages to system blocks and maps the sampling options', () => {
    const { input } = toConverseRequest(
      {
        model: MODEL,
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'developer', content: [{ type: 'text', text: 'Answer in English.' }] },
          { role: 'user', content: 'Hi' },
        ],
        max_completion_tokens: 50,
        temperature: 0.2,
        top_p: 0.9,
        stop: 'END',
      },
      MODEL,
    );
    expect(input).toEqual({
      modelId: MODEL,
      system: [{ text: 'Be brief.' }, { text: 'Answer in English.' }],
      messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
      inferenceConfig: { maxTokens: 50, temperature: 0.2, topP: 0.9, stopSequences: ['END'] },
    });
  });

  it('decodes image data URIs to bytes and refuses remote image URLs with the offending field', () => {
    const { input } = toConverseRequest(
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_1PX}` } },
            ],
          },
        ],
      },
      MODEL,
    );
    const image = (input.messages[0].content[1] as { image: { format: string; source: { bytes: Uint8Array } } }).image;
    expect(image.format).toBe('png');
    expect(Buffer.from(image.source.bytes).equals(Buffer.from(PNG_1PX, 'base64'))).toBe(true);

    const err = rejects({
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }],
    });
    expect(err.param).toBe('messages[0].content[0].image_url');
    expect(err.message).toMatch(/remote image URLs are not fetched/);
    expect(
      rejects({
        messages: [
          { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/bmp;base64,AA==' } }] },
        ],
      }).message,
    ).toMatch(/not supported/);
  });

  it('turns assistant tool calls into toolUse and tool messages into toolResult, merging neighbouring turns', () => {
    const { input } = toConverseRequest(
      {
        messages: [
          { role: 'user', content: 'Weather in Paris and Rome?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
              { id: 'call_2', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' } },
            ],
          },
          { role: 'tool', tool_call_id: 'call_1', content: '18C' },
          { role: 'tool', tool_call_id: 'call_2', content: '24C' },
          { role: 'user', content: 'Thanks, which is warmer?' },
        ],
        tools: [
          {
            type: 'function',
            function: { name: 'weather', description: 'Current weather', parameters: { type: 'object' } },
          },
        ],
        tool_choice: 'auto',
      },
      MODEL,
    );
    expect(input.messages).toEqual([
      { role: 'user', content: [{ text: 'Weather in Paris and Rome?' }] },
      {
        role: 'assistant',
        content: [
          { toolUse: { toolUseId: 'call_1', name: 'weather', input: { city: 'Paris' } } },
          { toolUse: { toolUseId: 'call_2', name: 'weather', input: { city: 'Rome' } } },
        ],
      },
      {
        role: 'user',
        content: [
          { toolResult: { toolUseId: 'call_1', content: [{ text: '18C' }] } },
          { toolResult: { toolUseId: 'call_2', content: [{ text: '24C' }] } },
          { text: 'Thanks, which is warmer?' },
        ],
      },
    ]);
    expect(input.toolConfig).toEqual({
      tools: [
        { toolSpec: { name: 'weather', description: 'Current weather', inputSchema: { json: { type: 'object' } } } },
      ],
      toolChoice: { auto: {} },
    });
  });

  it('maps every tool_choice, dropping tools for none unless the history needs them', () => {
    const tools = [{ type: 'function', function: { name: 'f' } }];
    const user = [{ role: 'user', content: 'x' }];
    expect(
      toConverseRequest({ messages: user, tools, tool_choice: 'required' }, MODEL).input.toolConfig?.toolChoice,
    ).toEqual({ any: {} });
    expect(
      toConverseRequest({ messages: user, tools, tool_choice: { type: 'function', function: { name: 'f' } } }, MODEL)
        .input.toolConfig?.toolChoice,
    ).toEqual({ tool: { name: 'f' } });
    expect(toConverseRequest({ messages: user, tools, tool_choice: 'none' }, MODEL).input.toolConfig).toBeUndefined();
    const history = [
      ...user,
      { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'c', content: 'ok' },
    ];
    expect(
      toConverseRequest({ messages: history, tools, tool_choice: 'none' }, MODEL).input.toolConfig?.tools,
    ).toHaveLength(1);
    expect(rejects({ messages: user, tools, tool_choice: 'sometimes' }).param).toBe('tool_choice');
  });

  it('maps JSON mode to a forced tool carrying the schema, and refuses it together with tools', () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] };
    const t = toConverseRequest(
      {
        messages: [{ role: 'user', content: 'x' }],
        response_format: { type: 'json_schema', json_schema: { name: 'answer', schema } },
      },
      MODEL,
    );
    expect(t.jsonTool).toEqual({ name: JSON_TOOL_NAME });
    expect(t.input.toolConfig).toEqual({
      tools: [{ toolSpec: expect.objectContaining({ name: JSON_TOOL_NAME, inputSchema: { json: schema } }) }],
      toolChoice: { tool: { name: JSON_TOOL_NAME } },
    });
    const jsonTool = toConverseRequest(
      { messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_object' } },
      MODEL,
    ).input.toolConfig?.tools[0];
    expect(jsonTool).toEqual({ toolSpec: expect.objectContaining({ inputSchema: { json: { type: 'object' } } }) });
    expect(
      rejects({
        messages: [{ role: 'user', content: 'x' }],
        tools: [{ type: 'function', function: { name: 'f' } }],
        response_format: { type: 'json_object' },
      }).param,
    ).toBe('response_format');
  });

  it('refuses what Converse cannot express, naming the field', () => {
    expect(rejects({ messages: [{ role: 'user', content: 'x' }], n: 2 }).param).toBe('n');
    expect(rejects({ messages: [{ role: 'system', content: 'only a system prompt' }] }).param).toBe('messages');
    expect(rejects({ messages: [{ role: 'user', content: [{ type: 'input_audio' }] }] }).param).toBe(
      'messages[0].content[0].type',
    );
    expect(
      rejects({
        messages: [
          { role: 'assistant', tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{no' } }] },
        ],
      }).param,
    ).toBe('messages[0].tool_calls[0].function.arguments');
    expect(rejects({ messages: [{ role: 'tool', content: 'x' }] }).param).toBe('messages[0].tool_call_id');
  });
});

describe('Converse output -> chat.completion', () => {
  it('gives text, tool calls, the finish reason and usage with cache tokens in OpenAI form', () => {
    const out = fromConverseOutput(
      {
        output: {
          message: {
            role: 'assistant',
            content: [
              { text: 'Let me check.' },
              { toolUse: { toolUseId: 't1', name: 'weather', input: { city: 'Paris' } } },
            ],
          },
        },
        stopReason: 'tool_use',
        usage: {
          inputTokens: 10,
          outputTokens: 5,
          totalTokens: 115,
          cacheReadInputTokens: 80,
          cacheWriteInputTokens: 20,
        },
      },
      meta,
    ) as any;
    expect(out).toMatchObject({ id: 'chatcmpl-1', object: 'chat.completion', model: MODEL });
    expect(out.choices[0]).toEqual({
      index: 0,
      message: {
        role: 'assistant',
        content: 'Let me check.',
        tool_calls: [{ id: 't1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }],
        refusal: null,
      },
      logprobs: null,
      finish_reason: 'tool_calls',
    });
    expect(out.usage).toEqual({
      prompt_tokens: 110,
      completion_tokens: 5,
      total_tokens: 115,
      prompt_tokens_details: { cached_tokens: 80 },
      cache_creation_input_tokens: 20,
    });
    // The gateway reads it back with the cache split, and prices it.
    const usage = usageFromOpenAI(out.usage)!;
    expect(usage).toEqual({ promptTokens: 110, completionTokens: 5, cacheReadTokens: 80, cacheWriteTokens: 20 });
    const prices = {
      inputMicrosPerMTok: 3_000_000,
      outputMicrosPerMTok: 15_000_000,
      cachedInputMicrosPerMTok: 300_000,
      cacheWriteMicrosPerMTok: 3_750_000,
    };
    // 10 x 3 + 80 x 0.3 + 20 x 3.75 + 5 x 15 = 30 + 24 + 75 + 75 = 204 micro-dollars (x1e-6 per token).
    expect(costMicros(prices, usage)).toBe(Math.ceil((10 * 3e6 + 80 * 3e5 + 20 * 3.75e6 + 5 * 15e6) / 1e6));
    // Without cache prices the cached tokens cost the full input price: never under-counted.
    expect(costMicros({ inputMicrosPerMTok: 3_000_000, outputMicrosPerMTok: 15_000_000 }, usage)).toBe(
      Math.ceil((110 * 3e6 + 5 * 15e6) / 1e6),
    );
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['tool_use', 'tool_calls'],
    ['content_filtered', 'content_filter'],
    ['guardrail_intervened', 'content_filter'],
  ])('maps stopReason %s to finish_reason %s', (stop, finish) => {
    const out = fromConverseOutput(
      { output: { message: { content: [{ text: 'x' }] } }, stopReason: stop },
      meta,
    ) as any;
    expect(out.choices[0].finish_reason).toBe(finish);
  });

  it('returns the forced JSON tool input as the message content with finish_reason stop', () => {
    const out = fromConverseOutput(
      {
        output: {
          message: { content: [{ toolUse: { toolUseId: 'j', name: JSON_TOOL_NAME, input: { answer: 'yes' } } }] },
        },
        stopReason: 'tool_use',
      },
      meta,
      { name: JSON_TOOL_NAME },
    ) as any;
    expect(out.choices[0].message).toEqual({ role: 'assistant', content: '{"answer":"yes"}', refusal: null });
    expect(out.choices[0].finish_reason).toBe('stop');
  });
});

describe('ConverseStream events -> chat.completion.chunk', () => {
  it('streams role, text and tool call deltas, the finish reason and the usage chunk', () => {
    const t = new ConverseStreamTranslator(meta);
    const chunks = [
      { messageStart: { role: 'assistant' } },
      { contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'Checking' } } },
      { contentBlockStop: { contentBlockIndex: 0 } },
      { contentBlockStart: { contentBlockIndex: 1, start: { toolUse: { toolUseId: 't1', name: 'weather' } } } },
      { contentBlockDelta: { contentBlockIndex: 1, delta: { toolUse: { input: '{"city":' } } } },
      { contentBlockDelta: { contentBlockIndex: 1, delta: { toolUse: { input: '"Paris"}' } } } },
      { contentBlockStop: { contentBlockIndex: 1 } },
      { messageStop: { stopReason: 'tool_use' } },
      { metadata: { usage: { inputTokens: 7, outputTokens: 9, totalTokens: 16, cacheReadInputTokens: 3 } } },
    ].flatMap((e) => t.push(e));
    const deltas = chunks.map((c) => ('chunk' in c ? (c.chunk as any) : c));
    expect(deltas.map((c) => c.object)).toEqual(Array(7).fill('chat.completion.chunk'));
    expect(deltas.slice(0, 6).map((c) => c.choices[0].delta)).toEqual([
      { role: 'assistant', content: '' },
      { content: 'Checking' },
      { tool_calls: [{ index: 0, id: 't1', type: 'function', function: { name: 'weather', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] },
      {},
    ]);
    expect(deltas[5].choices[0].finish_reason).toBe('tool_calls');
    expect(deltas[6]).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 10, completion_tokens: 9, total_tokens: 19, prompt_tokens_details: { cached_tokens: 3 } },
    });
  });

  it('streams the forced JSON tool input as content', () => {
    const t = new ConverseStreamTranslator(meta, { name: JSON_TOOL_NAME });
    const items = [
      { contentBlockStart: { contentBlockIndex: 0, start: { toolUse: { toolUseId: 'j', name: JSON_TOOL_NAME } } } },
      { contentBlockDelta: { contentBlockIndex: 0, delta: { toolUse: { input: '{"a":1}' } } } },
      { messageStop: { stopReason: 'tool_use' } },
    ].flatMap((e) => t.push(e)) as Array<{ chunk: any }>;
    expect(items.map((i) => i.chunk.choices[0].delta)).toEqual([
      { role: 'assistant', content: '' },
      { content: '{"a":1}' },
      {},
    ]);
    expect(items[2].chunk.choices[0].finish_reason).toBe('stop');
  });

  it('turns an exception event into an error item with the mapped status', () => {
    const t = new ConverseStreamTranslator(meta);
    expect(t.push({ throttlingException: { message: 'slow down' } })).toEqual([
      { error: { message: 'slow down', type: 'rate_limit_error', code: 'rate_limit_exceeded', status: 429 } },
    ]);
    expect(t.push({ modelStreamErrorException: { message: 'boom' } })[0]).toMatchObject({ error: { status: 502 } });
  });
});

describe('Bedrock exceptions -> statuses the executor classifies', () => {
  it.each([
    ['ThrottlingException', 429, 'rate_limited', true],
    ['ServiceQuotaExceededException', 429, 'rate_limited', true],
    ['ServiceUnavailableException', 503, 'server_error', true],
    ['ModelNotReadyException', 503, 'server_error', true],
    ['InternalServerException', 500, 'server_error', true],
    ['ModelErrorException', 502, 'server_error', true],
    ['ModelStreamErrorException', 502, 'server_error', true],
    ['ModelTimeoutException', 408, 'timeout', true],
    ['ValidationException', 400, 'client_error', false],
    ['AccessDeniedException', 403, 'auth', false],
    ['ResourceNotFoundException', 404, 'not_found', false],
    ['SomethingNewException', 502, 'server_error', true],
  ])('%s -> HTTP %i (%s)', (name, status, failure, retryable) => {
    const m = bedrockErrorOf(name);
    expect(m.status).toBe(status);
    expect(failureClassOf(m.status)).toBe(failure);
    expect(isRetryable(failureClassOf(m.status))).toBe(retryable);
  });
});
