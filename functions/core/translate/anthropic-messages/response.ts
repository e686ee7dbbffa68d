/** A `chat.completion` body -> an Anthropic `message` (non-stream answer of POST /v1/messages). */
import { type ChatCompletion, type ChatUsage, parseToolArguments, usageNumbers } from '../chat-types';

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'refusal';

export type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown };

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export interface AnthropicMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: ContentBlock[];
  stop_reason: StopReason | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
}

export function stopReason(finish: string | null | undefined): StopReason {
  switch (finish) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

/**
 * Anthropic counts cached input apart from `input_tokens`; OpenAI's `prompt_tokens` includes it.
 * Chat completions does not report cache writes, so `cache_creation_input_tokens` is 0.
 */
export function anthropicUsage(u: ChatUsage | null | undefined): AnthropicUsage {
  const n = usageNumbers(u);
  return {
    input_tokens: Math.max(0, n.input - n.cached),
    output_tokens: n.output,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: n.cached,
  };
}

/** `msg_` ids as Anthropic's; the upstream's id is kept inside it for correlation. */
export function messageId(upstreamId: string | undefined, fallback: string): string {
  const base = (upstreamId ?? '').replace(/[^A-Za-z0-9_-]/g, '') || fallback;
  return base.startsWith('msg_') ? base : `msg_${base}`;
}

export function toAnthropicMessage(c: ChatCompletion, model: string, fallbackId: string): AnthropicMessage {
  const choice = c.choices?.[0];
  const m = choice?.message;
  const content: ContentBlock[] = [];
  const text = (m?.content ?? '') || (m?.refusal ?? '');
  if (text) content.push({ type: 'text', text });
  (m?.tool_calls ?? []).forEach((t, i) => {
    content.push({
      type: 'tool_use',
      id: t.id || `toolu_${fallbackId}_${i}`,
      name: t.function?.name ?? '',
      input: parseToolArguments(t.function?.arguments),
    });
  });
  const toolUse = content.some((b) => b.type === 'tool_use');
  return {
    id: messageId(c.id, fallbackId),
    type: 'message',
    role: 'assistant',
    model,
    content,
    // Some servers answer tool calls with finish_reason "stop": the calls decide.
    stop_reason: toolUse && choice?.finish_reason !== 'length' ? 'tool_use' : stopReason(choice?.finish_reason),
    stop_sequence: null,
    usage: anthropicUsage(c.usage),
  };
}
