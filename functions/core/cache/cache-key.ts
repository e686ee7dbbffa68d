/**
 * The response cache's key: a SHA-256 of the normalized request, so equal questions meet and nothing
 * of the prompt is readable from the key. Pure (no I/O); the DynamoDB adapter only stores under it.
 *
 * What goes in is everything that changes the answer: who may see it (the scope: one key, or a
 * route's shared pool), what answers it (the route or model as resolved, the model the plan would
 * call first, the config version), and the request fields an upstream receives that shape the
 * output (messages, tools, response_format, sampling and output-cap parameters). What stays out
 * cannot change the answer: `stream` (one entry serves JSON and streamed requests), `stream_options`,
 * and the bookkeeping fields `user`, `metadata` and `service_tier`.
 */
import { createHash } from 'node:crypto';
import { requestedMaxTokens, type ChatRequest } from '../openai/chat-request';
import { PROVIDER_KIND_RULES } from '../openai/upstream-fields';

/** Bumped when the key derivation or the stored entry changes shape: old entries then simply miss. */
export const CACHE_KEY_VERSION = 1;

/** Forwarded upstream, yet with no bearing on the answer's content. */
const NOT_ANSWER_FIELDS = new Set(['user', 'metadata', 'service_tier']);

/**
 * The fields of every provider kind's allow-list that shape the answer. A field no kind forwards
 * never reaches an upstream, so it cannot change the answer and is left out too.
 */
const ANSWER_FIELDS: ReadonlySet<string> = new Set(
  Object.values(PROVIDER_KIND_RULES)
    .flatMap((rules) => [...rules.fields])
    .filter((f) => !NOT_ANSWER_FIELDS.has(f)),
);

/**
 * The answer-shaping part of a chat request, with a single output cap (the larger of the two
 * spellings, as forwarded). A top-level `null` means "unset" in OpenAI's API and is dropped, so
 * `{"temperature": null}` and no temperature meet.
 */
export function normalizedRequest(req: ChatRequest): Record<string, unknown> {
  const src = req as Record<string, unknown>;
  const out: Record<string, unknown> = { messages: req.messages };
  for (const k of Object.keys(src)) {
    if (ANSWER_FIELDS.has(k) && src[k] !== undefined && src[k] !== null) out[k] = src[k];
  }
  const cap = requestedMaxTokens(req);
  if (cap !== undefined) out.max_tokens = cap;
  return out;
}

/**
 * JSON with object keys sorted at every depth, so key order in the client's body cannot split the
 * cache. `undefined` members are left out, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const members = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`);
  return `{${members.join(',')}}`;
}

export interface CacheKeyInput {
  /** `key#<keyId>` (the default: one tenant's entries) or `shared#<route>`. */
  scope: string;
  /** `route#<name>` or `model#<id>`, after alias resolution. */
  target: string;
  /** The model the plan calls first (variants, intent and budget factor decide it). */
  primary: string;
  /** The routing config's `version`: a new config starts a new cache. */
  configVersion: string;
  request: ChatRequest;
}

/** Hex SHA-256 naming one cache entry. */
export function cacheKey(input: CacheKeyInput): string {
  const material = canonicalJson({
    v: CACHE_KEY_VERSION,
    scope: input.scope,
    target: input.target,
    primary: input.primary,
    config: input.configVersion,
    request: normalizedRequest(input.request),
  });
  return createHash('sha256').update(material, 'utf8').digest('hex');
}
