/**
 * Validation of POST /v1/embeddings bodies (OpenAI's shape): `input` as a string, an array of
 * strings, a token array or an array of token arrays; `dimensions`; `encoding_format` float or
 * base64. Other fields (`user`) pass through to the upstream.
 */
import * as z from 'zod/mini';
import { describeIssue } from '../validation-message';
import { errors, GatewayError } from './errors';

/** OpenAI's own limit on inputs per request. */
export const MAX_EMBEDDING_INPUTS = 2048;

const tokenArray = () => z.array(z.int().check(z.gte(0))).check(z.minLength(1, 'a token array must not be empty'));

export const EmbeddingsRequestSchema = z.looseObject({
  model: z.string().check(z.minLength(1, 'must be a non-empty string naming an embedding model')),
  input: z.union([
    z.string(),
    z
      .array(z.string())
      .check(
        z.minLength(1, 'must not be empty'),
        z.maxLength(MAX_EMBEDDING_INPUTS, `at most ${MAX_EMBEDDING_INPUTS} inputs`),
      ),
    tokenArray(),
    z
      .array(tokenArray())
      .check(
        z.minLength(1, 'must not be empty'),
        z.maxLength(MAX_EMBEDDING_INPUTS, `at most ${MAX_EMBEDDING_INPUTS} inputs`),
      ),
  ]),
  dimensions: z.optional(z.nullable(z.int().check(z.positive()))),
  encoding_format: z.optional(z.nullable(z.enum(['float', 'base64']))),
});

export type EmbeddingsRequest = z.output<typeof EmbeddingsRequestSchema>;

export function parseEmbeddingsRequest(
  raw: string | null | undefined,
  isBase64: boolean,
  maxBytes: number,
): EmbeddingsRequest {
  if (raw == null || raw === '') throw errors.invalidField('body', 'the request body is empty; send a JSON object');
  const text = isBase64 ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text, 'utf8') > maxBytes) throw errors.bodyTooLarge(maxBytes);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw errors.malformedJson((e as Error).message);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw errors.invalidField('body', 'expected a JSON object');
  const parsed = EmbeddingsRequestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.') || 'body';
    const message =
      issue.code === 'invalid_union' && issue.path[0] === 'input'
        ? 'must be a string, an array of strings, a token array or an array of token arrays'
        : describeIssue(issue);
    throw errors.invalidField(param.replace('.[', '['), message);
  }
  const inputs = parsed.data.input;
  if (typeof inputs === 'string' && inputs.length === 0) throw errors.invalidField('input', 'must not be empty');
  if (Array.isArray(inputs) && inputs.some((s) => s === ''))
    throw errors.invalidField('input', 'must not contain empty strings');
  return parsed.data;
}

/** The texts to estimate tokens from (token arrays count one token per id). */
export function embeddingInputSize(input: EmbeddingsRequest['input']): { texts: string[]; tokenIds: number } {
  if (typeof input === 'string') return { texts: [input], tokenIds: 0 };
  if (input.length > 0 && typeof input[0] === 'number') return { texts: [], tokenIds: input.length };
  if (input.length > 0 && Array.isArray(input[0]))
    return { texts: [], tokenIds: (input as number[][]).reduce((n, t) => n + t.length, 0) };
  return { texts: input as string[], tokenIds: 0 };
}

export function wrongKind(model: string, kind: 'chat' | 'route'): GatewayError {
  return new GatewayError(
    400,
    kind === 'route'
      ? `${model} is a chat route: send it to /v1/chat/completions, not /v1/embeddings.`
      : `${model} is a chat model: send it to /v1/chat/completions, not /v1/embeddings.`,
    'invalid_request_error',
    'wrong_model_kind',
    'model',
  );
}
