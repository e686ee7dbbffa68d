/**
 * Log redaction. Secrets (client keys, upstream keys, Authorization headers) never reach a log line;
 * prompt and completion text reach one only when the operator turns on the debug flag
 * (SWITCHYARD_LOG_PROMPTS=true). Works by key name and, as a second line of defence, by scrubbing
 * key-shaped strings out of every value, because an error message can quote a header.
 */
export const REDACTED = '[redacted]';

/** Compared after lower-casing and dropping `-` and `_`. */
const SECRET_KEYS = new Set([
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'key',
  'apikey',
  'xapikey',
  'token',
  'secret',
  'password',
  'credentials',
]);
const SECRET_SUFFIXES = [
  'apikey',
  'secret',
  'password',
  'authorization',
  'accesstoken',
  'refreshtoken',
  'sessiontoken',
  'secretaccesskey',
];
const PROMPT_KEYS = new Set([
  'messages',
  'prompt',
  'content',
  'input',
  'body',
  'choices',
  'completion',
  'delta',
  'text',
  'toolcalls',
  'functioncall',
  'arguments',
  'system',
]);

// `Bearer <anything>` and anything shaped like a provider key: OpenAI-style (sk-..., sk-sy-...,
// sk-proj-...) and Anthropic (sk-ant-...), Google API keys (AIza...), AWS access key ids (AKIA...,
// ASIA...) and AWS secret access keys (40 characters of base64 with upper, lower case and a digit).
const BEARER = /\bBearer\s+[^\s"',;]+/gi;
const SK_KEY = /\bsk-[A-Za-z0-9_-]{12,}/g;
const GOOGLE_KEY = /\bAIza[0-9A-Za-z_-]{20,}/g;
const AWS_ACCESS_KEY = /\b(?:AKIA|ASIA|AROA|AIDA)[0-9A-Z]{16}\b/g;
const AWS_SECRET_KEY =
  /(?<![A-Za-z0-9/+])(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[0-9])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;

/**
 * Secret values the process has served (provider keys read from the environment or Secrets
 * Manager), scrubbed wherever they appear, whatever their shape. Filled by the secret source.
 */
const knownSecrets = new Set<string>();
/** Shorter values would scrub ordinary words; real keys are far longer. */
const MIN_KNOWN_SECRET = 8;

export function rememberSecret(value: string | undefined): void {
  if (value && value.length >= MIN_KNOWN_SECRET) knownSecrets.add(value);
}

export interface RedactOptions {
  /** Keep prompt and completion text (debug flag). Secrets are removed regardless. */
  allowPrompts?: boolean;
}

const normalise = (k: string) => k.toLowerCase().replace(/[-_]/g, '');

function isSecretKey(k: string): boolean {
  const n = normalise(k);
  return SECRET_KEYS.has(n) || SECRET_SUFFIXES.some((s) => n.endsWith(s));
}

export function scrubSecrets(text: string): string {
  let out = text;
  for (const secret of knownSecrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out
    .replace(BEARER, `Bearer ${REDACTED}`)
    .replace(SK_KEY, `sk-${REDACTED}`)
    .replace(GOOGLE_KEY, REDACTED)
    .replace(AWS_ACCESS_KEY, REDACTED)
    .replace(AWS_SECRET_KEY, REDACTED);
}

const URL_PATTERN = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi;
const IPV4 = /\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b/g;
const IPV6 = /(?<![\w:])\[?(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}\]?(?::\d{1,5})?(?![\w:])/gi;
/** A dotted name ending in a letters-only label (a TLD), with an optional port: `api.openai.com:443`. */
const HOSTNAME = /\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}(?::\d{1,5})?\b/gi;
/** Upstream text a client may see is cut to this length. */
const MAX_UPSTREAM_TEXT = 300;

/**
 * Upstream text (an error message) made fit for a client: secrets scrubbed as in logs, and URLs,
 * IP addresses and host names replaced, since they describe the gateway's own infrastructure.
 */
export function scrubUpstreamText(text: string): string {
  return scrubSecrets(text.slice(0, MAX_UPSTREAM_TEXT * 4))
    .replace(URL_PATTERN, '[url]')
    .replace(IPV4, '[address]')
    .replace(IPV6, '[address]')
    .replace(HOSTNAME, '[host]')
    .slice(0, MAX_UPSTREAM_TEXT);
}

const MAX_DEPTH = 8;

/** A copy of `value` safe to log. Never throws (cycles and odd objects become placeholders). */
export function redact(value: unknown, opts: RedactOptions = {}): unknown {
  const seen = new WeakSet<object>();
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return scrubSecrets(v);
    if (v === null || typeof v !== 'object') return typeof v === 'bigint' ? v.toString() : v;
    if (seen.has(v)) return '[circular]';
    if (depth >= MAX_DEPTH) return '[truncated]';
    seen.add(v);
    if (v instanceof Error) {
      return { name: v.name, message: scrubSecrets(v.message), ...(v.stack ? { stack: scrubSecrets(v.stack) } : {}) };
    }
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (isSecretKey(k) && (typeof x === 'string' || typeof x === 'number')) out[k] = REDACTED;
      else if (isSecretKey(k) && x !== null && typeof x === 'object' && !Array.isArray(x) && !looksLikeCallerKey(x))
        out[k] = REDACTED;
      else if (!opts.allowPrompts && PROMPT_KEYS.has(normalise(k)) && x !== undefined && x !== null) out[k] = REDACTED;
      else out[k] = walk(x, depth + 1);
    }
    return out;
  };
  return walk(value, 0);
}

/** The router's CallerKey (keyId, name, limits) is safe to log; only the key string itself is not. */
function looksLikeCallerKey(x: object): boolean {
  return typeof (x as { keyId?: unknown }).keyId === 'string';
}

export function redactFields(
  fields: Record<string, unknown> | undefined,
  opts: RedactOptions = {},
): Record<string, unknown> {
  if (!fields) return {};
  return redact(fields, opts) as Record<string, unknown>;
}

/**
 * One JSON log line, redacted the same way as the router's Powertools logs: the functions that log
 * with `console` (authorizer, health check, pre-traffic hook, secret source) all go through here.
 */
export function jsonLogLine(
  level: string,
  message: string,
  fields?: Record<string, unknown>,
  base: Record<string, unknown> = {},
): string {
  return JSON.stringify({ level, message: scrubSecrets(message), ...base, ...redactFields(fields) });
}
