/** A `chat.completion` body -> an Anthropic `message` (non-stream answer of POST /v1/messages). */
import { type ChatCompletion, type ChatUsage, parseToolArguments, usageNumbers } from '../chat-types';

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'refusal';

export type ContentBlock =
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string }
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
 * Anthropic counts cache reads and writes apart from `input_tokens`; OpenAI's `prompt_tokens`
 * includes both. Writes come from the Bedrock translation (`cache_creation_input_tokens`) or
 * `prompt_tokens_details.cache_write_tokens`; upstreams that report none give 0.
 */
export function anthropicUsage(u: ChatUsage | null | undefined): AnthropicUsage {
  const n = usageNumbers(u);
  const cached = Math.min(n.cached, n.input);
  const written = Math.min(n.cacheWrite, n.input - cached);
  return {
    input_tokens: n.input - cached - written,
    output_tokens: n.output,
    cache_creation_input_tokens: written,
    cache_read_input_tokens: cached,
  };
}

/** `msg_` ids as Anthropic's; the upstream's id is kept inside it for correlation. */
export function messageId(upstreamId: string | undefined, fallback: string): string {
  const base = (upstreamId ?? '').replace(/[^A-Za-z0-9_-]/g, '') || fallback;
  return base.startsWith('msg_') ? base : `msg_${base}`;
}

/**
 * Thinking blocks of an answer, only when the client asked for thinking (as Anthropic answers): the
 * signed blocks a Bedrock Claude endpoint returned, else any upstream's reasoning text with an empty
 * signature (which the gateway never sends back to a model).
 */
function thinkingBlocks(m: NonNullable<NonNullable<ChatCompletion['choices']>[number]['message']>): ContentBlock[] {
  if (Array.isArray(m.thinking_blocks) && m.thinking_blocks.length > 0) {
    return m.thinking_blocks.map((b) =>
      b.type === 'redacted_thinking'
        ? { type: 'redacted_thinking', data: b.data }
        : { type: 'thinking', thinking: b.thinking, signature: b.signature },
    );
  }
  return m.reasoning_content ? [{ type: 'thinking', thinking: m.reasoning_content, signature: '' }] : [];
}

export function toAnthropicMessage(
  c: ChatCompletion,
  model: string,
  fallbackId: string,
  opts: { thinking?: boolean } = {},
): AnthropicMessage {
  const choice = c.choices?.[0];
  const m = choice?.message;
  const content: ContentBlock[] = opts.thinking && m ? thinkingBlocks(m) : [];
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
