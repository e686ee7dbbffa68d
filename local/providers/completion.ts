import { decode, encode, encodeChat } from 'gpt-tokenizer';
import { countByWindows } from '../../functions/core/routing/token-windows';

/**
 * What a simulated model answers and how many tokens it bills. The text is a pure function of the
 * model and the last user message so tests can assert the exact bytes the gateway passed through,
 * and the token counts come from a real tokenizer so cost accounting is exercised with real numbers.
 */

const SENTENCES = [
  'Here is a short, considered answer.',
  'The key trade-off is between latency and cost.',
  'A careful first step is to measure before changing anything.',
  'Most of the complexity comes from the edge cases, not the happy path.',
  'In practice, the simplest design that meets the requirements tends to win.',
  'It is worth writing a small test that pins the behaviour down.',
  'Keep the failure modes explicit so they can be handled on purpose.',
  'Several approaches work; the right one depends on your constraints.',
  'If the data is large, process it incrementally rather than all at once.',
  'Document the decision so the next person understands why it was made.',
  'Retries help with transient faults but need a budget and jitter.',
  'That should be enough to get started; ask again for more detail.',
];

const ECHO_WORDS = 8;

export interface Generated {
  content: string;
  finishReason: 'stop' | 'length' | 'tool_calls';
  promptTokens: number;
  completionTokens: number;
}

type Message = { role?: unknown; content?: unknown; tool_calls?: unknown };

/** Flattens string, content-part arrays and tool calls into the text a provider would bill. */
function messageText(message: unknown): string {
  if (!message || typeof message !== 'object') return '';
  const { content, tool_calls } = message as Message;
  let text = '';
  if (typeof content === 'string') text = content;
  else if (Array.isArray(content)) {
    text = content
      .map((part) => (part && typeof part === 'object' && typeof part.text === 'string' ? part.text : ''))
      .filter((t) => t.length > 0)
      .join('\n');
  }
  if (tool_calls !== undefined) text += JSON.stringify(tool_calls);
  return text;
}

function roleOf(message: unknown): string {
  const role = message && typeof message === 'object' ? (message as Message).role : undefined;
  return typeof role === 'string' ? role : 'user';
}

/** Prompt tokens the way OpenAI bills a chat: ChatML framing included (gpt-4o / o200k_base rules). */
export function countPromptTokens(messages: unknown[]): number {
  // encodeChat encodes each content on its own between the framing tokens: the framing of empty
  // messages plus each content's count is the same number, with long runs counted in windows.
  const framing = messages.map((m) => ({ role: roleOf(m), content: '' }));
  const content = messages.reduce((n: number, m) => n + countTokens(messageText(m)), 0);
  return encodeChat(framing as Parameters<typeof encodeChat>[0], 'gpt-4o').length + content;
}

/**
 * A client's text is billed as the plain text it is, `<|endoftext|>` look-alikes included, as real
 * providers do (the tokenizer's default throws on them). Long unbroken runs are counted in windows
 * (functions/core/routing/token-windows.ts): one pass is quadratic in a run's length.
 */
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

export function countTokens(text: string): number {
  return countByWindows(text, (piece) => encode(piece, PLAIN_TEXT).length);
}

/** Echoed words are cut to this many characters, so a huge unbroken prompt does not come back whole. */
const ECHO_WORD_CHARS = 64;

/** FNV-1a: cheap, stable across runs and platforms, enough to vary the reply per prompt. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function lastUserText(messages: unknown[]): string {
  const last = [...messages].reverse().find((m) => roleOf(m) === 'user') ?? messages[messages.length - 1];
  return messageText(last);
}

function fullReply(model: string, messages: unknown[]): string {
  const prompt = lastUserText(messages);
  const words = prompt
    .split(/\s+/)
    .filter((w) => w.length > 0)
    .map((w) => (w.length > ECHO_WORD_CHARS ? `${w.slice(0, ECHO_WORD_CHARS)}...` : w));
  const echo =
    words.length === 0
      ? '(empty prompt)'
      : words.slice(0, ECHO_WORDS).join(' ') + (words.length > ECHO_WORDS ? ' ...' : '');
  const h = hash(`${model}\n${prompt}`);
  const count = 3 + (h % 3);
  // A step coprime with the bank size visits distinct sentences.
  const picked = Array.from({ length: count }, (_, i) => SENTENCES[(h + i * 7) % SENTENCES.length]);
  return `[${model}] You asked: "${echo}". ${picked.join(' ')}`;
}

/** Body fields a real provider renders into the prompt and bills as input, besides the messages. */
const BILLED_FIELDS = ['tools', 'tool_choice', 'functions', 'function_call', 'response_format', 'stop'];

/** Input tokens of the billed fields besides the messages (their JSON text, as a provider renders it). */
export function extraPromptTokens(body: Record<string, unknown> | undefined): number {
  if (!body) return 0;
  return BILLED_FIELDS.reduce((n, k) => (body[k] == null ? n : n + countTokens(JSON.stringify(body[k]))), 0);
}

/** The reply a request gets, cut to `maxTokens` tokens (finish_reason 'length') like a real model. */
export function generate(
  model: string,
  messages: unknown[],
  maxTokens?: number,
  body?: Record<string, unknown>,
): Generated {
  let content = fullReply(model, messages);
  let finishReason: Generated['finishReason'] = 'stop';
  if (maxTokens !== undefined) {
    const tokens = encode(content, PLAIN_TEXT);
    if (tokens.length > maxTokens) {
      content = decode(tokens.slice(0, maxTokens));
      finishReason = 'length';
    }
  }
  return {
    content,
    finishReason,
    promptTokens: countPromptTokens(messages) + extraPromptTokens(body),
    completionTokens: countTokens(content),
  };
}

/**
 * The exact text the simulated server answers for this model and these messages; pass the
 * request's max_completion_tokens / max_tokens as `maxTokens` when it sets one.
 */
export function expectedReply(upstreamModel: string, messages: unknown[], maxTokens?: number): string {
  return generate(upstreamModel, messages, maxTokens).content;
}
