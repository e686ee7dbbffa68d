/**
 * Decoding, size, JSON and depth checks shared by every client API's body parser, with the same
 * limits and messages as the chat completions parser; each API then validates its own fields.
 */
export { parseJsonObject, validate } from '../openai/chat-request';

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
