/**
 * Decoding, size, JSON and depth checks shared by every client API's body parser, with the same
 * limits and messages as the chat completions parser; each API then validates its own fields.
 */
import type * as z from 'zod/mini';
import { fieldPath, MAX_JSON_DEPTH, nestedDeeperThan } from '../openai/chat-request';
import { errors } from '../openai/errors';
import { describeIssue } from '../validation-message';

export function parseJsonObject(
  raw: string | null | undefined,
  isBase64: boolean,
  maxBytes: number,
): Record<string, unknown> {
  if (raw == null || raw === '') throw errors.invalidField('body', 'the request body is empty; send a JSON object');
  const text = isBase64 ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text, 'utf8') > maxBytes) throw errors.bodyTooLarge(maxBytes);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw errors.malformedJson((e as Error).message);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw errors.invalidField('body', 'expected a JSON object');
  }
  if (nestedDeeperThan(text, MAX_JSON_DEPTH)) {
    throw errors.invalidField('body', `JSON nested more than ${MAX_JSON_DEPTH} levels deep`);
  }
  return json as Record<string, unknown>;
}

/** Validates with a zod/mini schema; the first issue becomes a 400 naming its field. */
export function validate<S extends z.ZodMiniType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw errors.invalidField(fieldPath(issue.path) || 'body', describeIssue(issue));
  }
  return result.data as z.output<S>;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
