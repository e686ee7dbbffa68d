/**
 * Prompt size estimate for context-window checks and worst-case cost reservations.
 *
 * Short text is counted by its UTF-8 bytes: every BPE token covers at least one byte, so that is a
 * strict upper bound, costs nothing, and for a short prompt over-reserves only a few hundred tokens
 * that settlement hands back. Longer text, where the bound would be loose enough to matter (a 4x
 * over-reservation, or a model wrongly dropped for its context window), gets a real BPE count.
 *
 * The BPE tokenizer is cl100k rather than o200k (GPT-4o/4.1's own): it loads in half the time and its
 * smaller vocabulary counts the same or more tokens, most of all for Japanese and Chinese text, so the
 * estimate errs on the safe side for reservations. Vendors' tokenizers differ anyway; settlement always
 * uses the upstream's real usage. It is loaded on first use, not at cold start: its 1 MB rank table
 * is most of the router's import time, and most requests never need it. The deployed router keeps it
 * out of its bundle altogether (`sideLoadedModules` in lib/constructs/node-function.ts).
 */
import type { encode as Encode } from 'gpt-tokenizer/encoding/cl100k_base';
import { countByWindows } from './token-windows';

/** Below this many UTF-8 bytes of prompt text in total, the byte count is the estimate. */
export const EXACT_COUNT_MIN_BYTES = 2048;

let encoder: typeof Encode | undefined;
function bpe(): typeof Encode {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  encoder ??= (require('gpt-tokenizer/encoding/cl100k_base') as { encode: typeof Encode }).encode;
  return encoder;
}

// Client text may contain `<|endoftext|>` and the like: counted as the plain text it is. The
// tokenizer's default throws on them, which would turn a client's prompt into a server error.
const AS_PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/** cl100k token count (loads the tokenizer on first use); long unbroken runs in windows, see token-windows.ts. */
export function countTokens(text: string): number {
  return countByWindows(text, (piece) => bpe()(piece, AS_PLAIN_TEXT).length);
}

/** Per-message framing tokens OpenAI's chat format adds. */
const PER_MESSAGE = 4;
const PER_REPLY = 3;
/**
 * Images (the only non-text parts accepted, see upstream-fields.ts): the most one image is billed by
 * the default providers, so the reservation covers it. OpenAI's high detail tops out at 8 tiles
 * (85 + 8 x 170 = 1,445 tokens), Anthropic at ~1,600 (1.15 megapixels / 750). Gemini tiles very
 * large images at 258 tokens per 768px tile and can pass this; its price makes that cents, and a
 * settlement above the reservation is logged and alarmed (overrunMicros).
 */
const NON_TEXT_PART = 1_600;

/**
 * Never fewer tokens than cl100k would count for the text parts: their bytes while the prompt's
 * text is short in total, the real count otherwise (decided on the total, so a long conversation
 * of short messages is counted, not bounded).
 */
export function estimatePromptTokens(
  messages: ReadonlyArray<{ content?: unknown; name?: unknown }>,
  tools?: unknown,
): number {
  let framing = PER_REPLY;
  const texts: string[] = [];
  for (const m of messages) {
    framing += PER_MESSAGE;
    if (typeof m.content === 'string') texts.push(m.content);
    else if (Array.isArray(m.content)) {
      for (const p of m.content) {
        const text = p && typeof p === 'object' ? (p as { text?: unknown }).text : undefined;
        if (typeof text === 'string') texts.push(text);
        else framing += NON_TEXT_PART;
      }
    }
    const rest = { ...(m as Record<string, unknown>) };
    delete rest.content;
    delete rest.role;
    if (Object.keys(rest).length) texts.push(JSON.stringify(rest));
  }
  if (tools) texts.push(JSON.stringify(tools));
  let bytes = 0;
  for (const t of texts) bytes += Buffer.byteLength(t, 'utf8');
  if (bytes < EXACT_COUNT_MIN_BYTES) return framing + bytes;
  let tokens = 0;
  for (const t of texts) tokens += countTokens(t);
  return framing + tokens;
}
