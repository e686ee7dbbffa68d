/**
 * Prompt size estimate for context-window checks and worst-case cost reservations. Uses a real BPE
 * tokenizer (o200k, GPT-4o/4.1's encoding); other vendors' tokenizers differ by a few percent,
 * which the reservation absorbs because settlement uses the upstream's real usage.
 */
import { encode } from 'gpt-tokenizer/encoding/o200k_base';

/** Per-message framing tokens OpenAI's chat format adds. */
const PER_MESSAGE = 4;
const PER_REPLY = 3;
/** Images and other non-text parts: a flat, generous allowance (a 512px tile costs ~170 tokens). */
const NON_TEXT_PART = 800;

export function estimatePromptTokens(messages: ReadonlyArray<{ content?: unknown; name?: unknown }>, tools?: unknown): number {
  let total = PER_REPLY;
  for (const m of messages) {
    total += PER_MESSAGE;
    if (typeof m.content === 'string') total += encode(m.content).length;
    else if (Array.isArray(m.content)) {
      for (const p of m.content) {
        const text = p && typeof p === 'object' ? (p as { text?: unknown }).text : undefined;
        total += typeof text === 'string' ? encode(text).length : NON_TEXT_PART;
      }
    }
    const rest = { ...(m as Record<string, unknown>) };
    delete rest.content;
    delete rest.role;
    if (Object.keys(rest).length) total += encode(JSON.stringify(rest)).length;
  }
  if (tools) total += encode(JSON.stringify(tools)).length;
  return total;
}
