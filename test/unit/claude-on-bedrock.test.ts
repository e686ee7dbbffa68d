/**
 * Claude's extended thinking and top_k across the edge: Anthropic Messages -> the chat request ->
 * Converse (Claude on Bedrock) and back, both ways, streamed and not; other upstreams never see the
 * Anthropic-only fields; cache writes reach the Anthropic usage.
 */
import type { ChatRequest } from '../../functions/core/openai/chat-request';
import { forwardedBody } from '../../functions/core/openai/upstream-fields';
import { toChatRequest } from '../../functions/core/translate/anthropic-messages/request';
import { anthropicUsage, toAnthropicMessage } from '../../functions/core/translate/anthropic-messages/response';
import { MessagesRequestSchema } from '../../functions/core/translate/anthropic-messages/schema';
import { MessagesStreamTranslator } from '../../functions/core/translate/anthropic-messages/stream';
import type { ChatChunk, ChatCompletion } from '../../functions/core/translate/chat-types';
import { validate } from '../../functions/core/translate/json-body';
import {
  ConverseStreamTranslator,
  fromConverseOutput,
  isClaudeModel,
  openAIUsage,
  toConverseRequest,
} from '../../functions/core/translate/openai-converse';

const CLAUDE = 'global.anthropic.claude-sonnet-4-5-20250929-v1:0';
const NOVA = 'amazon.nova-pro-v1:0';
const meta = { id: 'chatcmpl-1', created: 1_700_000_000, model: CLAUDE };
const REDACTED = Buffer.from('opaque bytes').toString('base64');

/** What the Messages edge makes of a Claude Code turn with thinking on and an earlier signed block. */
function chatFromMessages() {
  return toChatRequest(
    validate(MessagesRequestSchema, {
      model: 'claude-sonnet-4-5-20250929',
      max_tokens: 4000,
      top_k: 40,
      thinking: { type: 'enabled', budget_tokens: 2048 },
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'I should call the tool.', signature: 'sig-1' },
            { type: 'redacted_thinking', data: REDACTED },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '18C' }] },
      ],
    }),
  );
}

describe('request: Messages -> chat -> Converse', () => {
  it('gives Claude on Bedrock the thinking setting, top_k and the signed blocks, first in their turn', () => {
    const chat = chatFromMessages();
    const body = forwardedBody(chat as unknown as ChatRequest, 'bedrock', CLAUDE, false);
    const { input } = toConverseRequest(body, CLAUDE);
    expect(input.additionalModelRequestFields).toEqual({
      thinking: { type: 'enabled', budget_tokens: 2048 },
      top_k: 40,
    });
    expect(input.inferenceConfig).toEqual({ maxTokens: 4000 });
    expect(input.messages[1]).toEqual({
      role: 'assistant',
      content: [
        { reasoningContent: { reasoningText: { text: 'I should call the tool.', signature: 'sig-1' } } },
        { reasoningContent: { redactedContent: new Uint8Array(Buffer.from('opaque bytes')) } },
        { toolUse: { toolUseId: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } } },
      ],
    });
  });

  it('drops unsigned thinking blocks (Claude refuses a block it cannot verify)', () => {
    const { input } = toConverseRequest(
      {
        messages: [
          { role: 'user', content: 'hi' },
          {
            role: 'assistant',
            content: 'Hello',
            thinking_blocks: [{ type: 'thinking', thinking: 'x', signature: '' }],
          },
          { role: 'user', content: 'again' },
        ],
      },
      CLAUDE,
    );
    expect(input.messages[1]).toEqual({ role: 'assistant', content: [{ text: 'Hello' }] });
  });

  it('gives other Bedrock models none of the Anthropic fields', () => {
    const chat = chatFromMessages();
    const body = forwardedBody(chat as unknown as ChatRequest, 'bedrock', NOVA, false);
    const { input } = toConverseRequest(body, NOVA);
    expect(input).not.toHaveProperty('additionalModelRequestFields');
    expect(JSON.stringify(input.messages)).not.toContain('reasoningContent');
  });

  it('never sends thinking, top_k or thinking_blocks to an OpenAI-compatible upstream', () => {
    const chat = chatFromMessages();
    const body = forwardedBody(chat as unknown as ChatRequest, 'openai', 'claude-sonnet-4-5', true);
    expect(body).not.toHaveProperty('thinking');
    expect(body).not.toHaveProperty('top_k');
    expect(JSON.stringify(body.messages)).not.toContain('thinking_blocks');
    // The client's request itself is left as it was (the Bedrock candidate after it still needs it).
    expect(JSON.stringify(chat.messages)).toContain('thinking_blocks');
  });

  it.each([
    [CLAUDE, true],
    ['us.anthropic.claude-3-7-sonnet-20250219-v1:0', true],
    ['anthropic.claude-3-haiku-20240307-v1:0', true],
    ['arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.anthropic.claude-sonnet-4-5-v1:0', true],
    [NOVA, false],
    ['meta.llama3-70b-instruct-v1:0', false],
  ])('isClaudeModel(%s) is %s', (id, claude) => {
    expect(isClaudeModel(id)).toBe(claude);
  });
});

describe('answer: Converse -> chat -> Messages', () => {
  const output = {
    output: {
      message: {
        role: 'assistant',
        content: [
          { reasoningContent: { reasoningText: { text: 'Let me think.', signature: 'sig-2' } } },
          { reasoningContent: { redactedContent: new Uint8Array(Buffer.from('opaque bytes')) } },
          { text: 'It is sunny.' },
        ],
      },
    },
    stopReason: 'end_turn',
    usage: { inputTokens: 10, outputTokens: 30, cacheReadInputTokens: 100, cacheWriteInputTokens: 50 },
  };

  it('keeps the signed blocks in the chat completion and hands them to a client that asked for thinking', () => {
    const completion = fromConverseOutput(output, meta) as ChatCompletion;
    expect(completion.choices?.[0].message).toMatchObject({
      content: 'It is sunny.',
      reasoning_content: 'Let me think.',
      thinking_blocks: [
        { type: 'thinking', thinking: 'Let me think.', signature: 'sig-2' },
        { type: 'redacted_thinking', data: REDACTED },
      ],
    });
    const message = toAnthropicMessage(completion, 'claude-sonnet-4-5', 'x', { thinking: true });
    expect(message.content).toEqual([
      { type: 'thinking', thinking: 'Let me think.', signature: 'sig-2' },
      { type: 'redacted_thinking', data: REDACTED },
      { type: 'text', text: 'It is sunny.' },
    ]);
    // Anthropic counts cache reads and writes apart from input_tokens.
    expect(message.usage).toEqual({
      input_tokens: 10,
      output_tokens: 30,
      cache_read_input_tokens: 100,
      cache_creation_input_tokens: 50,
    });
    // Without thinking asked for, no thinking blocks (as Anthropic answers).
    expect(toAnthropicMessage(completion, 'm', 'x').content).toEqual([{ type: 'text', text: 'It is sunny.' }]);
  });

  it('reads cache writes from either usage spelling, never below zero input', () => {
    expect(anthropicUsage(openAIUsage({ inputTokens: 7, outputTokens: 1, cacheWriteInputTokens: 3 }) as never)).toEqual(
      { input_tokens: 7, output_tokens: 1, cache_read_input_tokens: 0, cache_creation_input_tokens: 3 },
    );
    expect(
      anthropicUsage({
        prompt_tokens: 20,
        completion_tokens: 2,
        prompt_tokens_details: { cached_tokens: 5, cache_write_tokens: 10 },
      }),
    ).toEqual({ input_tokens: 5, output_tokens: 2, cache_read_input_tokens: 5, cache_creation_input_tokens: 10 });
    expect(
      anthropicUsage({ prompt_tokens: 4, completion_tokens: 0, cache_creation_input_tokens: 9 }).input_tokens,
    ).toBe(0);
  });

  it('streams reasoning as thinking_delta, the signature as signature_delta, then the text', () => {
    const converse = new ConverseStreamTranslator(meta);
    const chunks: ChatChunk[] = [
      { messageStart: { role: 'assistant' } },
      { contentBlockDelta: { contentBlockIndex: 0, delta: { reasoningContent: { text: 'Let me ' } } } },
      { contentBlockDelta: { contentBlockIndex: 0, delta: { reasoningContent: { text: 'think.' } } } },
      { contentBlockDelta: { contentBlockIndex: 0, delta: { reasoningContent: { signature: 'sig-3' } } } },
      { contentBlockStop: { contentBlockIndex: 0 } },
      {
        contentBlockDelta: {
          contentBlockIndex: 1,
          delta: { reasoningContent: { redactedContent: new Uint8Array(Buffer.from('opaque bytes')) } },
        },
      },
      { contentBlockDelta: { contentBlockIndex: 2, delta: { text: 'Sunny.' } } },
      { messageStop: { stopReason: 'end_turn' } },
      { metadata: { usage: { inputTokens: 5, outputTokens: 9 } } },
    ].flatMap((e) => converse.push(e).map((i) => ('chunk' in i ? (i.chunk as ChatChunk) : ({} as ChatChunk))));
    const deltas = chunks.flatMap((c) => (c.choices ?? []).map((x) => x.delta));
    expect(deltas).toContainEqual({ reasoning_content: 'Let me ' });
    expect(deltas).toContainEqual({ thinking_blocks: [{ type: 'thinking', signature: 'sig-3' }] });
    expect(deltas).toContainEqual({ thinking_blocks: [{ type: 'redacted_thinking', data: REDACTED }] });

    const messages = new MessagesStreamTranslator({ model: 'm', fallbackId: 'x', thinking: true });
    const sse = chunks.map((c) => messages.chunk(c)).join('') + messages.done();
    const events = sse
      .split('\n\n')
      .filter((f) => f.trim())
      .map((f) => JSON.parse(f.split('\n')[1].slice('data: '.length)) as Record<string, unknown>);
    const shape = events
      .filter((e) => e.type !== 'ping')
      .map((e) => {
        const d = (e.delta ?? e.content_block) as Record<string, unknown> | undefined;
        return `${e.type}${d?.type ? `:${d.type}` : ''}${e.index !== undefined ? `@${e.index}` : ''}`;
      });
    expect(shape).toEqual([
      'message_start',
      'content_block_start:thinking@0',
      'content_block_delta:thinking_delta@0',
      'content_block_delta:thinking_delta@0',
      'content_block_delta:signature_delta@0',
      'content_block_stop@0',
      'content_block_start:redacted_thinking@1',
      'content_block_stop@1',
      'content_block_start:text@2',
      'content_block_delta:text_delta@2',
      'content_block_stop@2',
      'message_delta',
      'message_stop',
    ]);
    expect(events.find((e) => (e.delta as { type?: string })?.type === 'signature_delta')?.delta).toEqual({
      type: 'signature_delta',
      signature: 'sig-3',
    });

    // A client that did not ask for thinking gets the text alone.
    const plain = new MessagesStreamTranslator({ model: 'm', fallbackId: 'x' });
    const text = chunks.map((c) => plain.chunk(c)).join('') + plain.done();
    expect(text).not.toContain('thinking');
  });
});

describe('prompt-cache breakpoints: cache_control -> cachePoint', () => {
  const tool = { name: 'get_weather', input_schema: { type: 'object' }, cache_control: { type: 'ephemeral' } };
  function chat() {
    return toChatRequest(
      validate(MessagesRequestSchema, {
        model: 'claude-sonnet-4-5',
        max_tokens: 100,
        tools: [tool, { name: 'other', input_schema: { type: 'object' } }],
        system: [
          { type: 'text', text: 'You are Claude Code.' },
          { type: 'text', text: 'Long instructions.', cache_control: { type: 'ephemeral', ttl: '1h' } },
        ],
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'Read the file', cache_control: { type: 'ephemeral' } }] },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} }] },
          {
            role: 'user',
            content: [
              {
                type: 'tool_result',
                tool_use_id: 'toolu_1',
                content: 'contents',
                cache_control: { type: 'ephemeral' },
              },
            ],
          },
        ],
      }),
    );
  }

  it('marks the message (or tool) that held the block, at its end', () => {
    const c = chat();
    expect(c.messages.map((m) => m.cache_control ?? null)).toEqual([
      { type: 'ephemeral', ttl: '1h' },
      { type: 'ephemeral' },
      null,
      { type: 'ephemeral' },
    ]);
    expect(c.tools?.map((t) => t.cache_control ?? null)).toEqual([{ type: 'ephemeral' }, null]);
  });

  it('gives Claude on Bedrock a cachePoint after the system prompt, each marked turn and the marked tool', () => {
    const body = forwardedBody(chat() as unknown as ChatRequest, 'bedrock', CLAUDE, false);
    const { input } = toConverseRequest(body, CLAUDE);
    const point = { cachePoint: { type: 'default' } };
    expect(input.system).toEqual([{ text: 'You are Claude Code.\n\nLong instructions.' }, point]);
    expect(input.messages[0].content).toEqual([{ text: 'Read the file' }, point]);
    expect(input.messages[1].content).not.toContainEqual(point);
    expect(input.messages[2].content).toEqual([
      { toolResult: { toolUseId: 'toolu_1', content: [{ text: 'contents' }] } },
      point,
    ]);
    expect(input.toolConfig?.tools).toEqual([
      expect.objectContaining({ toolSpec: expect.objectContaining({ name: 'get_weather' }) }),
      point,
      expect.objectContaining({ toolSpec: expect.objectContaining({ name: 'other' }) }),
    ]);
  });

  it('gives Nova cache points in system and messages only, other Bedrock models none', () => {
    const body = forwardedBody(chat() as unknown as ChatRequest, 'bedrock', NOVA, false);
    const nova = toConverseRequest(body, NOVA).input;
    expect(JSON.stringify(nova.system)).toContain('cachePoint');
    expect(JSON.stringify(nova.messages)).toContain('cachePoint');
    expect(JSON.stringify(nova.toolConfig)).not.toContain('cachePoint');
    const llama = toConverseRequest(body, 'meta.llama3-70b-instruct-v1:0').input;
    expect(JSON.stringify(llama)).not.toContain('cachePoint');
  });

  it('never sends cache_control to an OpenAI-compatible upstream', () => {
    const body = forwardedBody(chat() as unknown as ChatRequest, 'openai', 'claude-sonnet-4-5', false);
    expect(JSON.stringify(body)).not.toContain('cache_control');
  });
});
