/**
 * Input tokens of a translated request, counted with a tokenizer the caller passes (the gateway's
 * cl100k): text of every message, tool call and tool definition, plus chat framing per message and
 * a flat allowance per image (a 512px tile costs ~170 tokens; large images more).
 */
import type { ChatRequestBody } from '../chat-types';

const PER_MESSAGE = 4;
const PER_REPLY = 3;
const PER_IMAGE = 800;

export function countInputTokens(
  req: Pick<ChatRequestBody, 'messages' | 'tools'>,
  count: (text: string) => number,
): number {
  let tokens = PER_REPLY;
  for (const m of req.messages) {
    tokens += PER_MESSAGE;
    if (typeof m.content === 'string') tokens += count(m.content);
    else if (Array.isArray(m.content)) {
      for (const p of m.content) tokens += p.type === 'text' ? count(p.text) : PER_IMAGE;
    }
    if (m.role === 'assistant' && m.tool_calls) tokens += count(JSON.stringify(m.tool_calls));
  }
  if (req.tools?.length) tokens += count(JSON.stringify(req.tools));
  return tokens;
}
