/** Golden translations between the OpenAI Responses API and chat completions, both ways, per item type. */
import { GatewayError } from '../../functions/core/openai/errors';
import { validate } from '../../functions/core/translate/json-body';
import { toResponsesError } from '../../functions/core/translate/openai-responses/errors';
import { toChatRequest } from '../../functions/core/translate/openai-responses/request';
import { toResponse } from '../../functions/core/translate/openai-responses/response';
import { type ResponsesRequest, ResponsesRequestSchema } from '../../functions/core/translate/openai-responses/schema';
import { ResponsesStreamTranslator } from '../../functions/core/translate/openai-responses/stream';

const req = (body: Record<string, unknown>): ResponsesRequest =>
  validate(ResponsesRequestSchema, { model: 'gpt-x', ...body });

function refused(body: Record<string, unknown>): GatewayError {
  try {
    toChatRequest(req(body));
  } catch (e) {
    if (e instanceof GatewayError) return e;
    throw e;
  }
  throw new Error('expected a GatewayError');
}

function events(sse: string): Array<Record<string, unknown>> {
  return sse
    .split('\n\n')
    .filter((f) => f.trim() !== '')
    .map((frame) => {
      const [ev, data] = frame.split('\n');
      const parsed = JSON.parse(data.replace(/^data: /, ''));
      expect(parsed.type).toBe(ev.replace(/^event: /, ''));
      return parsed;
    });
}

const IDS = { response: 'resp_r1', createdAt: 1_700_000_000 };

describe('Responses request -> chat request', () => {
  it('translates a string input with instructions and the sampling fields', () => {
    expect(
      toChatRequest(
        req({
          input: 'hi',
          instructions: 'Be brief.',
          max_output_tokens: 50,
          temperature: 0.5,
          top_p: 0.9,
          stream: true,
          store: false,
        }),
      ),
    ).toEqual({
      model: 'gpt-x',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hi' },
      ],
      max_tokens: 50,
      temperature: 0.5,
      top_p: 0.9,
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('translates every input item type, function tools, tool_choice and text.format', () => {
    const chat = toChatRequest(
      req({
        input: [
          { role: 'developer', content: 'Use tools.' },
          { role: 'system', content: [{ type: 'input_text', text: 'Be kind.' }] },
          {
            type: 'message',
            role: 'user',
            content: [
              { type: 'input_text', text: 'Look: ' },
              { type: 'input_image', image_url: 'data:image/png;base64,AAAA', detail: 'low' },
            ],
          },
          { type: 'reasoning', id: 'rs_1', summary: [] },
          { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.' }] },
          { type: 'function_call', call_id: 'call_1', name: 'lookup', arguments: '{"q":"a"}' },
          { type: 'function_call', call_id: 'call_2', name: 'lookup', arguments: '{"q":"b"}' },
          { type: 'function_call_output', call_id: 'call_1', output: 'A' },
          { type: 'function_call_output', call_id: 'call_2', output: [{ type: 'input_text', text: 'B' }] },
          { role: 'user', content: 'Thanks' },
        ],
        tools: [
          { type: 'function', name: 'lookup', description: 'Search', parameters: { type: 'object' }, strict: true },
        ],
        tool_choice: { type: 'function', name: 'lookup' },
        parallel_tool_calls: false,
        text: { format: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true } },
      }),
    );
    expect(chat).toEqual({
      model: 'gpt-x',
      messages: [
        { role: 'developer', content: 'Use tools.' },
        { role: 'system', content: 'Be kind.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Look: ' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } },
          ],
        },
        {
          role: 'assistant',
          content: 'Checking.',
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"a"}' } },
            { id: 'call_2', type: 'function', function: { name: 'lookup', arguments: '{"q":"b"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'A' },
        { role: 'tool', tool_call_id: 'call_2', content: 'B' },
        { role: 'user', content: 'Thanks' },
      ],
      tools: [
        {
          type: 'function',
          function: { name: 'lookup', description: 'Search', parameters: { type: 'object' }, strict: true },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'lookup' } },
      parallel_tool_calls: false,
      response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object' }, strict: true } },
    });
    expect(toChatRequest(req({ input: 'x', text: { format: { type: 'json_object' } } })).response_format).toEqual({
      type: 'json_object',
    });
  });

  it.each([
    [{ input: 'x', store: true }, 'store'],
    [{ input: 'x', previous_response_id: 'resp_1' }, 'previous_response_id'],
    [{ input: 'x', conversation: 'conv_1' }, 'conversation'],
    [{ input: 'x', background: true }, 'background'],
    [{ input: [{ type: 'item_reference', id: 'msg_1' }] }, 'input[0]'],
    [{ input: [{ type: 'web_search_call', id: 'ws_1' }] }, 'input[0].type'],
    [{ input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'f' }] }] }, 'input[0].content[0].type'],
    [{ input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'f' }] }] }, 'input[0].content[0].image_url'],
    [{ input: [{ role: 'critic', content: 'x' }] }, 'input[0].role'],
    [{ input: [{ type: 'function_call_output', output: 'x' }] }, 'input[0].call_id'],
    [{ input: 'x', tools: [{ type: 'web_search' }] }, 'tools[0].type'],
    [{ input: [{ role: 'system', content: 'only instructions' }] }, 'input'],
  ])('refuses %j naming %s', (body, param) => {
    const err = refused(body);
    expect(err.status).toBe(400);
    expect(err.param).toBe(param);
  });
});

describe('chat completion -> Responses response', () => {
  it('translates text and function calls with usage', () => {
    const r = toResponse(
      {
        choices: [
          {
            message: {
              content: 'Calling.',
              tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"a"}' } }],
            },
            finish_reason: 'tool_calls',
          },
        ],
        usage: {
          prompt_tokens: 30,
          completion_tokens: 7,
          prompt_tokens_details: { cached_tokens: 20 },
          completion_tokens_details: { reasoning_tokens: 2 },
        },
      },
      req({ input: 'x', tools: [{ type: 'function', name: 'lookup' }] }),
      IDS,
    );
    expect(r).toMatchObject({
      id: 'resp_r1',
      object: 'response',
      created_at: 1_700_000_000,
      status: 'completed',
      model: 'gpt-x',
      store: false,
      error: null,
      incomplete_details: null,
      output: [
        {
          type: 'message',
          id: 'msg_r1',
          status: 'completed',
          role: 'assistant',
          content: [{ type: 'output_text', text: 'Calling.', annotations: [], logprobs: [] }],
        },
        {
          type: 'function_call',
          id: 'fc_r1_0',
          call_id: 'call_1',
          name: 'lookup',
          arguments: '{"q":"a"}',
          status: 'completed',
        },
      ],
      usage: {
        input_tokens: 30,
        input_tokens_details: { cached_tokens: 20 },
        output_tokens: 7,
        output_tokens_details: { reasoning_tokens: 2 },
        total_tokens: 37,
      },
    });
  });

  it('marks an answer cut by the output cap incomplete', () => {
    const r = toResponse(
      { choices: [{ message: { content: 'Long' }, finish_reason: 'length' }] },
      req({ input: 'x' }),
      IDS,
    );
    expect(r).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
  });
});

describe('chat stream -> Responses events', () => {
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
    choices: [{ index: 0, delta, finish_reason: finish }],
  });

  it('emits the Responses event sequence for text then a function call, with usage at the end', () => {
    const t = new ResponsesStreamTranslator(req({ input: 'x' }), IDS);
    const out =
      t.chunk(chunk({ role: 'assistant', content: '' })) +
      t.chunk(chunk({ content: 'Hi' })) +
      t.chunk(chunk({ tool_calls: [{ index: 0, id: 'call_1', function: { name: 'lookup', arguments: '{"q":' } }] })) +
      t.chunk(chunk({ tool_calls: [{ index: 0, function: { arguments: '"a"}' } }] })) +
      t.chunk(chunk({}, 'tool_calls')) +
      t.chunk({ choices: [], usage: { prompt_tokens: 10, completion_tokens: 4 } }) +
      t.done();
    const evs = events(out);
    expect(evs.map((e) => e.sequence_number)).toEqual(evs.map((_, i) => i));
    const msg = { id: 'msg_r1_0', type: 'message', role: 'assistant' };
    const part = { type: 'output_text', text: 'Hi', annotations: [], logprobs: [] };
    const fc = { type: 'function_call', id: 'fc_r1_0', call_id: 'call_1', name: 'lookup' };
    expect(evs.map(({ sequence_number: _, response: __, ...rest }) => rest)).toEqual([
      { type: 'response.created' },
      { type: 'response.in_progress' },
      { type: 'response.output_item.added', output_index: 0, item: { ...msg, status: 'in_progress', content: [] } },
      {
        type: 'response.content_part.added',
        item_id: 'msg_r1_0',
        output_index: 0,
        content_index: 0,
        part: { ...part, text: '' },
      },
      {
        type: 'response.output_text.delta',
        item_id: 'msg_r1_0',
        output_index: 0,
        content_index: 0,
        delta: 'Hi',
        logprobs: [],
      },
      {
        type: 'response.output_text.done',
        item_id: 'msg_r1_0',
        output_index: 0,
        content_index: 0,
        text: 'Hi',
        logprobs: [],
      },
      { type: 'response.content_part.done', item_id: 'msg_r1_0', output_index: 0, content_index: 0, part },
      { type: 'response.output_item.done', output_index: 0, item: { ...msg, status: 'completed', content: [part] } },
      { type: 'response.output_item.added', output_index: 1, item: { ...fc, arguments: '', status: 'in_progress' } },
      { type: 'response.function_call_arguments.delta', item_id: 'fc_r1_0', output_index: 1, delta: '{"q":' },
      { type: 'response.function_call_arguments.delta', item_id: 'fc_r1_0', output_index: 1, delta: '"a"}' },
      {
        type: 'response.function_call_arguments.done',
        item_id: 'fc_r1_0',
        output_index: 1,
        name: 'lookup',
        arguments: '{"q":"a"}',
      },
      {
        type: 'response.output_item.done',
        output_index: 1,
        item: { ...fc, arguments: '{"q":"a"}', status: 'completed' },
      },
      { type: 'response.completed' },
    ]);
    expect(evs[0].response).toMatchObject({ id: 'resp_r1', status: 'in_progress', output: [] });
    expect(evs.at(-1)!.response).toMatchObject({
      status: 'completed',
      output: [{ type: 'message' }, { type: 'function_call', arguments: '{"q":"a"}' }],
      usage: { input_tokens: 10, output_tokens: 4, total_tokens: 14 },
    });
  });

  it('ends a failed stream with error and response.failed, never response.completed', () => {
    const t = new ResponsesStreamTranslator(req({ input: 'x' }), IDS);
    const out =
      t.chunk(chunk({ content: 'Hi' })) +
      t.error({
        message: 'The upstream connection failed mid-stream.',
        type: 'upstream_error',
        code: 'stream_interrupted',
      }) +
      t.done();
    const evs = events(out);
    expect(evs.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'error',
      'response.failed',
    ]);
    expect(evs[5]).toMatchObject({
      code: 'stream_interrupted',
      message: 'The upstream connection failed mid-stream.',
      param: null,
    });
    expect(evs[6].response).toMatchObject({
      status: 'failed',
      error: { code: 'stream_interrupted', message: 'The upstream connection failed mid-stream.' },
    });
  });
});

describe('gateway errors -> Responses errors', () => {
  it('keeps the OpenAI shape and renames internal chat fields to the Responses ones', () => {
    const body = (param: string | null) => ({
      error: { message: 'm', type: 'invalid_request_error', param, code: 'c' },
    });
    expect(toResponsesError(body('messages'))).toEqual({
      error: { message: 'm', type: 'invalid_request_error', param: 'input', code: 'c' },
    });
    expect(toResponsesError(body('max_tokens')).error.param).toBe('max_output_tokens');
    expect(toResponsesError(body('x-budget-factor')).error.param).toBe('x-budget-factor');
    expect(toResponsesError(body(null)).error.param).toBeNull();
  });
});
