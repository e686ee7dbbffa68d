/** The response cache's key (core/cache/cache-key.ts): what splits entries and what must not. */
import { cacheKey, canonicalJson, normalizedRequest, type CacheKeyInput } from '../../functions/core/cache/cache-key';
import type { ChatRequest } from '../../functions/core/openai/chat-request';

const base = (request: Record<string, unknown> = {}, over: Partial<CacheKeyInput> = {}): CacheKeyInput => ({
  scope: 'key#key_0123456789abcdef',
  target: 'route#chat-default',
  primary: 'gemini-2.5-flash',
  configVersion: '1',
  request: {
    model: 'chat-default',
    messages: [{ role: 'user', content: 'What is a gateway?' }],
    temperature: 0,
    ...request,
  } as ChatRequest,
  ...over,
});

const key = (request: Record<string, unknown> = {}, over: Partial<CacheKeyInput> = {}) => cacheKey(base(request, over));

describe('cacheKey', () => {
  it('is a hex SHA-256', () => {
    expect(key()).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is the same for the same request whatever the order of its keys', () => {
    const reordered = {
      temperature: 0,
      messages: [{ content: 'What is a gateway?', role: 'user' }],
      model: 'chat-default',
      response_format: { type: 'json_object' },
    };
    expect(cacheKey(base(reordered))).toBe(key({ response_format: { type: 'json_object' } }));
  });

  it.each([
    ['stream', { stream: true }],
    ['stream_options', { stream: true, stream_options: { include_usage: true } }],
    ['user', { user: 'end-user-7' }],
    ['metadata', { metadata: { ticket: '42' } }],
    ['service_tier', { service_tier: 'auto' }],
    ['a field no upstream receives', { some_vendor_extension: true }],
    ['a top-level null (unset in OpenAI terms)', { top_p: null, seed: null }],
  ])('ignores %s (it cannot change the answer)', (_, extra) => {
    expect(key(extra)).toBe(key());
  });

  it.each([
    ['the messages', { messages: [{ role: 'user', content: 'What is a router?' }] }],
    [
      'a system message',
      {
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'What is a gateway?' },
        ],
      },
    ],
    ['the temperature', { temperature: 0.2 }],
    ['top_p', { top_p: 0.5 }],
    ['the output cap', { max_tokens: 10 }],
    ['n', { n: 2 }],
    ['stop', { stop: ['\n'] }],
    ['seed', { seed: 7 }],
    ['tools', { tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }] }],
    ['tool_choice', { tool_choice: 'required' }],
    ['response_format', { response_format: { type: 'json_object' } }],
    ['presence_penalty', { presence_penalty: 1 }],
    ['reasoning_effort', { reasoning_effort: 'high' }],
  ])('changes with %s', (_, extra) => {
    expect(key(extra)).not.toBe(key());
  });

  it('treats the two spellings of the output cap as the one cap sent upstream', () => {
    expect(key({ max_tokens: 50 })).toBe(key({ max_completion_tokens: 50 }));
    expect(key({ max_tokens: 50, max_completion_tokens: 80 })).toBe(key({ max_tokens: 80 }));
  });

  it.each([
    ['scope (another key)', { scope: 'key#key_fedcba9876543210' }],
    ['scope (shared)', { scope: 'shared#chat-default' }],
    ['target', { target: 'model#gemini-2.5-flash' }],
    ['primary model (an A/B variant, another intent)', { primary: 'deepseek-v3.2' }],
    ['config version', { configVersion: '2' }],
  ])('changes with the %s', (_, over) => {
    expect(key({}, over)).not.toBe(key());
  });
});

describe('normalizedRequest', () => {
  it('keeps the answer-shaping fields and one output cap, nothing else', () => {
    const req = {
      model: 'chat-default',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
      temperature: 0,
      max_completion_tokens: 9,
      user: 'u',
      tools: null,
    } as unknown as ChatRequest;
    expect(normalizedRequest(req)).toEqual({ messages: req.messages, temperature: 0, max_tokens: 9 });
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: [{ d: 1, c: 2 }, 3], a: 'x', u: undefined })).toBe('{"a":"x","b":[{"c":2,"d":1},3]}');
  });
});
