/**
 * Validation of POST /v1/chat/completions bodies. Only the fields the gateway reads or must guard
 * are checked here; what is forwarded upstream is decided per provider kind (upstream-fields.ts).
 */
import * as z from 'zod/mini';
import { describeIssue } from '../validation-message';
import { errors, GatewayError } from './errors';

const ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function'] as const;

const ContentPart = z.looseObject({ type: z.string().check(z.minLength(1)) });

const Message = z.looseObject({
  role: z.enum(ROLES),
  content: z.optional(z.nullable(z.union([z.string(), z.array(ContentPart)]))),
  name: z.optional(z.string()),
});

const positiveInt = () => z.int().check(z.positive());

export const ChatRequestSchema = z.looseObject({
  model: z.string().check(z.minLength(1, 'must be a non-empty string naming a model or route')),
  messages: z.array(Message).check(z.minLength(1, 'must contain at least one message')),
  stream: z.optional(z.nullable(z.boolean())),
  stream_options: z.optional(z.nullable(z.looseObject({ include_usage: z.optional(z.boolean()) }))),
  max_tokens: z.optional(z.nullable(positiveInt())),
  max_completion_tokens: z.optional(z.nullable(positiveInt())),
  n: z.optional(z.nullable(z.int().check(z.gte(1), z.lte(128)))),
  temperature: z.optional(z.nullable(z.number().check(z.gte(0), z.lte(2)))),
  top_p: z.optional(z.nullable(z.number().check(z.gte(0), z.lte(1)))),
  tools: z.optional(z.nullable(z.array(z.looseObject({ type: z.string() })))),
});

export type ChatRequest = z.output<typeof ChatRequestSchema>;
export type ChatMessage = ChatRequest['messages'][number];

export function fieldPath(parts: PropertyKey[]): string {
  return parts.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

/**
 * Deepest nesting of arrays and objects a body may have. JSON.parse copes with any depth, but the
 * gateway serialises the body again (upstream request, token estimate of tools) and JSON.stringify
 * recurses: ~10k levels overflow the stack and would answer 500. Real requests (JSON schemas of tools
 * and response formats included) stay far below this.
 */
export const MAX_JSON_DEPTH = 128;

/** True when valid JSON `text` nests arrays/objects deeper than `max` (brackets inside strings do not count). */
export function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/**
 * Decoding, size, JSON and depth checks every client API's body parser shares (the Messages and
 * Responses edges call it through core/translate/json-body.ts); each API then validates its fields.
 */
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

/** Decodes, size-checks, parses and validates a raw body; throws an OpenAI-style GatewayError. */
export function parseChatRequest(raw: string | null | undefined, isBase64: boolean, maxBytes: number): ChatRequest {
  return validate(ChatRequestSchema, parseJsonObject(raw, isBase64, maxBytes));
}

/**
 * The output cap the upstream may use: the larger of the two spellings (an upstream may honour
 * either, and only one is forwarded, set to this value; see upstream-fields.ts).
 */
export function requestedMaxTokens(req: ChatRequest): number | undefined {
  const a = req.max_tokens ?? undefined;
  const b = req.max_completion_tokens ?? undefined;
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

export function isGatewayError(e: unknown): e is GatewayError {
  return e instanceof GatewayError;
}
