/**
 * Prompt size estimate for context-window checks and worst-case cost reservations, with a real BPE
 * tokenizer. cl100k rather than o200k (GPT-4o/4.1's own): it loads in ~75 ms instead of ~170 ms
 * (cold starts pay for it), and its smaller vocabulary counts the same or more tokens, most of all
 * for Japanese and Chinese text, so the estimate errs on the safe side for reservations. Vendors'
 * tokenizers differ anyway; settlement always uses the upstream's real usage.
 */
import { encode } from 'gpt-tokenizer/encoding/cl100k_base';

export function countTokens(text: string): number {
  return encode(text).length;
}

/** Per-message framing tokens OpenAI's chat format adds. */
const PER_MESSAGE = 4;
const PER_REPLY = 3;
/** Images and other non-text parts: a flat, generous allowance (a 512px tile costs ~170 tokens). */
const NON_TEXT_PART = 800;

export function estimatePromptTokens(messages: ReadonlyArray<{ content?: unknown; name?: unknown }>, tools?: unknown): number {
  let total = PER_REPLY;
  for (const m of messages) {
    total += PER_MESSAGE;
    if (typeof m.content === 'string') total += countTokens(m.content);
    else if (Array.isArray(m.content)) {
      for (const p of m.content) {
        const text = p && typeof p === 'object' ? (p as { text?: unknown }).text : undefined;
        total += typeof text === 'string' ? countTokens(text) : NON_TEXT_PART;
      }
    }
    const rest = { ...(m as Record<string, unknown>) };
    delete rest.content;
    delete rest.role;
    if (Object.keys(rest).length) total += countTokens(JSON.stringify(rest));
  }
  if (tools) total += countTokens(JSON.stringify(tools));
  return total;
}
