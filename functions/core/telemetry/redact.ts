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

// `Bearer <anything>` and anything shaped like an OpenAI-style key (sk-..., sk-sy-..., sk-proj-...).
const BEARER = /\bBearer\s+[^\s"',;]+/gi;
const SK_KEY = /\bsk-[A-Za-z0-9_-]{12,}/g;

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
  return text.replace(BEARER, `Bearer ${REDACTED}`).replace(SK_KEY, `sk-${REDACTED}`);
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
