/** Converse output -> OpenAI `chat.completion` (and the pieces the stream translator shares). */
import type { ConverseOutput, ConverseReasoning, ConverseUsage, JsonModeTool, StopReason } from './types';

/** A Converse reasoning block as a chat `thinking_blocks` entry (redacted bytes in base64, as Anthropic sends them). */
export function thinkingBlockOf(r: ConverseReasoning | undefined) {
  if (r && 'reasoningText' in r && r.reasoningText)
    return {
      type: 'thinking' as const,
      thinking: r.reasoningText.text ?? '',
      signature: r.reasoningText.signature ?? '',
    };
  if (r && 'redactedContent' in r && r.redactedContent)
    return { type: 'redacted_thinking' as const, data: Buffer.from(r.redactedContent).toString('base64') };
  return undefined;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export function finishReason(stop: StopReason | undefined, jsonMode: boolean): FinishReason {
  switch (stop) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      // The forced JSON tool is the answer itself, not a call the client must run.
      return jsonMode ? 'stop' : 'tool_calls';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter';
    default:
      return 'stop';
  }
}

/**
 * OpenAI's usage object. Bedrock's inputTokens leave out cache reads and writes; OpenAI's
 * prompt_tokens count every input token, with the cached part in prompt_tokens_details. Cache writes
 * have no OpenAI field: `cache_creation_input_tokens` (Anthropic's name) carries them.
 */
export function openAIUsage(u: ConverseUsage | undefined): Record<string, unknown> | undefined {
  if (!u || typeof u.inputTokens !== 'number' || typeof u.outputTokens !== 'number') return undefined;
  const read = u.cacheReadInputTokens ?? 0;
  const write = u.cacheWriteInputTokens ?? 0;
  const prompt = u.inputTokens + read + write;
  return {
    prompt_tokens: prompt,
    completion_tokens: u.outputTokens,
    total_tokens: prompt + u.outputTokens,
    prompt_tokens_details: { cached_tokens: read },
    ...(write > 0 ? { cache_creation_input_tokens: write } : {}),
  };
}

export interface CompletionMeta {
  id: string;
  created: number;
  /** The model name the client sees in `model` (the upstream model id, as OpenAI upstreams answer). */
  model: string;
}

export function fromConverseOutput(out: ConverseOutput, meta: CompletionMeta, jsonTool?: JsonModeTool): object {
  const blocks = out.output?.message?.content ?? [];
  let text = '';
  const toolCalls: object[] = [];
  const thinking: Array<NonNullable<ReturnType<typeof thinkingBlockOf>>> = [];
  for (const b of blocks) {
    if ('text' in b && typeof b.text === 'string') text += b.text;
    else if ('reasoningContent' in b) {
      const t = thinkingBlockOf(b.reasoningContent);
      if (t) thinking.push(t);
    } else if ('toolUse' in b && b.toolUse) {
      if (jsonTool && b.toolUse.name === jsonTool.name) text += JSON.stringify(b.toolUse.input ?? {});
      else
        toolCalls.push({
          id: b.toolUse.toolUseId,
          type: 'function',
          function: { name: b.toolUse.name, arguments: JSON.stringify(b.toolUse.input ?? {}) },
        });
    }
    // Other blocks have no chat.completion equivalent: left out.
  }
  const reasoning = thinking.map((t) => (t.type === 'thinking' ? t.thinking : '')).join('');
  const usage = openAIUsage(out.usage);
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text.length > 0 || toolCalls.length === 0 ? text : null,
          ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
          ...(thinking.length ? { reasoning_content: reasoning, thinking_blocks: thinking } : {}),
          refusal: null,
        },
        logprobs: null,
        finish_reason: finishReason(out.stopReason, !!jsonTool),
      },
    ],
    ...(usage ? { usage } : {}),
  };
}
