/**
 * What of a client's chat request reaches an upstream, and what it may cost.
 *
 * The worst-case reservation can only cover what the gateway understands, so the gateway forwards
 * only fields a provider kind is known to accept (an allow-list per kind; anything else is dropped),
 * refuses fields that would change the price beyond the text rates it knows (400 naming the field),
 * and sends exactly one output cap, spelled the way the kind honours it, set to the larger of the two
 * the client may send: the reservation is taken against that same value, so an upstream that reads
 * either spelling can never bill more output than was reserved.
 */
import { requestedMaxTokens, type ChatRequest } from './chat-request';
import { errors } from './errors';

/** Upstream API families: OpenAI-compatible HTTP, and Bedrock (translated to Converse by its client). */
export type ProviderKind = 'openai' | 'bedrock';

interface KindRules {
  /** Top-level body fields forwarded (besides `model`, `messages`, `stream`, `stream_options` and the cap). */
  fields: ReadonlySet<string>;
  /**
   * The one spelling of the output cap sent upstream. OpenAI-compatible servers other than OpenAI
   * (DeepSeek, vLLM, Ollama, Anthropic's and Google's compatibility endpoints) document only
   * `max_tokens`, and OpenAI still honours it for non-reasoning models; its reasoning models need
   * `max_completion_tokens` and would need a kind of their own.
   */
  maxTokensField: 'max_tokens' | 'max_completion_tokens';
}

const OPENAI_FIELDS = [
  'temperature',
  'top_p',
  'n',
  'stop',
  'presence_penalty',
  'frequency_penalty',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'seed',
  'user',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'functions',
  'function_call',
  'response_format',
  'reasoning_effort',
  'metadata',
  'service_tier',
];

export const PROVIDER_KIND_RULES: Record<ProviderKind, KindRules> = {
  openai: { fields: new Set(OPENAI_FIELDS), maxTokensField: 'max_tokens' },
  // The Bedrock client reads what Converse can express; Claude models also take Anthropic's
  // `thinking` and `top_k` (carried by the Messages edge), which OpenAI-compatible servers reject.
  bedrock: { fields: new Set([...OPENAI_FIELDS, 'thinking', 'top_k']), maxTokensField: 'max_tokens' },
};

/**
 * Message (and tool) fields only some kinds read — Claude's signed thinking and prompt-cache
 * breakpoints, carried by the Messages edge: the other kinds must not see them (strict servers
 * refuse unknown fields).
 */
const KIND_MESSAGE_FIELDS: Record<ProviderKind, readonly string[]> = {
  openai: [],
  bedrock: ['thinking_blocks', 'cache_control'],
};
const EXTENSION_MESSAGE_FIELDS = ['thinking_blocks', 'cache_control'];

/** `items` without the fields `drop` names (the same array when none has any). */
function without<T>(items: readonly T[], drop: readonly string[]): T[] {
  if (drop.length === 0 || !items.some((m) => m && typeof m === 'object' && drop.some((f) => f in m)))
    return items as T[];
  return items.map((m) => {
    if (!m || typeof m !== 'object' || !drop.some((f) => f in m)) return m;
    const copy = { ...(m as Record<string, unknown>) };
    for (const f of drop) delete copy[f];
    return copy as T;
  });
}

/** The provider's kind; providers without one are OpenAI-compatible. */
export function providerKind(provider: object): ProviderKind {
  const kind = (provider as { kind?: unknown }).kind;
  return typeof kind === 'string' && kind in PROVIDER_KIND_RULES ? (kind as ProviderKind) : 'openai';
}

/** Content part types billed at the text/image rates the gateway prices. */
const PRICED_PART_TYPES = new Set(['text', 'image_url', 'refusal']);

/**
 * Fields that change what a request costs beyond input and output text prices (audio tokens, web
 * search calls, priority tiers, predicted outputs): refused rather than billed at the wrong rate.
 */
export function refusePriceChangingFields(req: ChatRequest): void {
  const body = req as Record<string, unknown>;
  const tier = body.service_tier;
  if (tier != null && tier !== 'auto' && tier !== 'default') {
    throw unpriced('service_tier', `only "auto" or "default" is supported (other tiers are billed at other prices)`);
  }
  const modalities = body.modalities;
  if (modalities != null && (!Array.isArray(modalities) || modalities.some((m) => m !== 'text'))) {
    throw unpriced('modalities', 'only ["text"] is supported (audio output is billed at audio prices)');
  }
  for (const field of ['audio', 'web_search_options', 'prediction'] as const) {
    if (body[field] != null) throw unpriced(field, 'this parameter is billed at prices the gateway does not meter');
  }
  req.messages.forEach((m, i) => {
    if ((m as Record<string, unknown>).audio != null)
      throw unpriced(`messages[${i}].audio`, 'audio is billed at prices the gateway does not meter');
    if (!Array.isArray(m.content)) return;
    m.content.forEach((p, j) => {
      if (!PRICED_PART_TYPES.has(p.type)) {
        throw unpriced(
          `messages[${i}].content[${j}].type`,
          `content parts of type '${p.type}' are not supported (supported: ${[...PRICED_PART_TYPES].join(', ')})`,
        );
      }
    });
  });
}

function unpriced(param: string, why: string) {
  return errors.invalidField(param, why);
}

/**
 * The body sent upstream: allowed fields only, the endpoint's model name, one output cap, and for
 * a stream the usage chunk always requested (cost is settled from it).
 */
export function forwardedBody(
  req: ChatRequest,
  kind: ProviderKind,
  upstreamModel: string,
  stream: boolean,
): Record<string, unknown> {
  const rules = PROVIDER_KIND_RULES[kind];
  const src = req as Record<string, unknown>;
  const drop = EXTENSION_MESSAGE_FIELDS.filter((f) => !KIND_MESSAGE_FIELDS[kind].includes(f));
  const body: Record<string, unknown> = { model: upstreamModel, messages: without(req.messages, drop) };
  for (const k of Object.keys(src)) if (rules.fields.has(k) && src[k] !== undefined) body[k] = src[k];
  if (Array.isArray(body.tools))
    body.tools = without(body.tools, drop.includes('cache_control') ? ['cache_control'] : []);
  const cap = requestedMaxTokens(req);
  if (cap !== undefined) body[rules.maxTokensField] = cap;
  if (stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  return body;
}

/** Fields whose text the message estimate already counts, or that carry no billed text. */
const NOT_PROMPT_TEXT = new Set([
  'model',
  'messages',
  'tools',
  'stream',
  'stream_options',
  'max_tokens',
  'max_completion_tokens',
  'n',
  'temperature',
  'top_p',
  'seed',
  'presence_penalty',
  'frequency_penalty',
  'logprobs',
  'top_logprobs',
  'parallel_tool_calls',
  'service_tier',
  'user',
  'metadata',
  'logit_bias',
  'reasoning_effort',
  'thinking',
  'top_k',
]);

/**
 * UTF-8 bytes of the forwarded fields a provider turns into prompt tokens the gateway cannot count
 * exactly (a `response_format` schema, `stop` sequences, legacy `functions`, a `tool_choice`): a
 * provider renders them into its own prompt format, which no tokenizer here sees, so they are
 * bounded by their JSON size (every token covers at least one byte).
 */
export function extraPromptBytes(req: ChatRequest, kind?: ProviderKind): number {
  // Before a candidate is chosen the kind is unknown: the largest any kind would forward.
  if (kind === undefined)
    return Math.max(...(Object.keys(PROVIDER_KIND_RULES) as ProviderKind[]).map((k) => extraPromptBytes(req, k)));
  const rules = PROVIDER_KIND_RULES[kind];
  const src = req as Record<string, unknown>;
  let bytes = 0;
  for (const k of Object.keys(src)) {
    if (NOT_PROMPT_TEXT.has(k) || !rules.fields.has(k) || src[k] == null) continue;
    bytes += Buffer.byteLength(JSON.stringify(src[k]), 'utf8');
  }
  return bytes;
}
