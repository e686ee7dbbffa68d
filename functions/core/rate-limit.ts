/**
 * Per-key request and token limits as fixed one-minute windows: the math only. A store keeps one
 * counter item per key and window and applies `planAdmission` as a single conditional write, so a
 * limit holds exactly however many router instances count against it.
 *
 * RPM counts admitted requests. TPM counts real usage (prompt + completion tokens recorded after
 * each call); a request is admitted while usage so far plus its estimate fits the limit. Requests
 * already in flight are not reserved, so concurrent long requests can overshoot TPM by their own
 * usage (as with OpenAI's limits); the next request after that is refused.
 */
import { GatewayError } from './openai/errors';

export const RATE_WINDOW_MS = 60_000;

/** Counter items outlive their window by this much before TTL may delete them (cleanup only). */
const WINDOW_RETENTION_S = 3_600;

export interface RateLimitedKey {
  keyId: string;
  rpm?: number;
  tpm?: number;
}

export interface WindowCounters {
  requests: number;
  tokens: number;
}

export interface RateWindow {
  startMs: number;
  endMs: number;
  /** Sort key of the counter item, readable: `2026-11-23T10:15Z`. */
  id: string;
  /** Epoch seconds for the table's TTL attribute. */
  expiresAt: number;
}

export function rateWindow(nowMs: number, windowMs = RATE_WINDOW_MS): RateWindow {
  const startMs = Math.floor(nowMs / windowMs) * windowMs;
  const iso = new Date(startMs).toISOString();
  const id = windowMs % 60_000 === 0 ? `${iso.slice(0, 16)}Z` : iso;
  return {
    startMs,
    endMs: startMs + windowMs,
    id,
    expiresAt: Math.ceil((startMs + windowMs) / 1000) + WINDOW_RETENTION_S,
  };
}

/**
 * What the window's counters may be, before this request, for it to be admitted (inclusive).
 * `tooLarge`: the estimate alone exceeds the key's TPM, so no window can ever admit it.
 */
export type AdmissionPlan =
  | { tooLarge: false; maxRequestsBefore?: number; maxTokensBefore?: number }
  | { tooLarge: true };

export function planAdmission(key: RateLimitedKey, estimatedTokens: number): AdmissionPlan {
  const estimate = Math.max(1, Math.ceil(Number.isFinite(estimatedTokens) ? estimatedTokens : 0));
  const maxTokensBefore = key.tpm === undefined ? undefined : key.tpm - estimate;
  if (maxTokensBefore !== undefined && maxTokensBefore < 0) return { tooLarge: true };
  return { tooLarge: false, maxRequestsBefore: key.rpm === undefined ? undefined : key.rpm - 1, maxTokensBefore };
}

/** The same rule a store enforces with its conditional write (reference for tests and in-memory stores). */
export function admits(plan: AdmissionPlan, before: WindowCounters): boolean {
  if (plan.tooLarge) return false;
  if (plan.maxRequestsBefore !== undefined && before.requests > plan.maxRequestsBefore) return false;
  if (plan.maxTokensBefore !== undefined && before.tokens > plan.maxTokensBefore) return false;
  return true;
}

/**
 * Go-style durations as OpenAI writes them in `x-ratelimit-reset-*`: `120ms`, `1s`, `20.5s`, `6m0s`.
 */
export function formatResetDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms));
  if (total < 1000) return `${total}ms`;
  const minutes = Math.floor(total / 60_000);
  const seconds = (total - minutes * 60_000) / 1000;
  const s = `${Number(seconds.toFixed(3))}s`;
  return minutes > 0 ? `${minutes}m${s}` : s;
}

/** OpenAI's `x-ratelimit-*` headers for the limits the key has, from the counters after this request. */
export function rateLimitHeaders(
  key: RateLimitedKey,
  after: WindowCounters,
  nowMs: number,
  windowMs = RATE_WINDOW_MS,
): Record<string, string> {
  const reset = formatResetDuration(rateWindow(nowMs, windowMs).endMs - nowMs);
  const headers: Record<string, string> = {};
  if (key.rpm !== undefined) {
    headers['x-ratelimit-limit-requests'] = String(key.rpm);
    headers['x-ratelimit-remaining-requests'] = String(Math.max(0, key.rpm - after.requests));
    headers['x-ratelimit-reset-requests'] = reset;
  }
  if (key.tpm !== undefined) {
    headers['x-ratelimit-limit-tokens'] = String(key.tpm);
    headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, key.tpm - after.tokens));
    headers['x-ratelimit-reset-tokens'] = reset;
  }
  return headers;
}

/** Which limit refused a request, given the counters it was refused against. */
export function exceededLimit(key: RateLimitedKey, before: WindowCounters): 'requests' | 'tokens' {
  return key.rpm !== undefined && before.requests >= key.rpm ? 'requests' : 'tokens';
}

/**
 * The 429 for a refused request: OpenAI's message style, `Retry-After` (whole seconds, what most
 * clients read) and `retry-after-ms` (what the OpenAI SDKs prefer), plus the `x-ratelimit-*` headers.
 * Names the key by its public id only.
 */
export function rateLimitError(
  key: RateLimitedKey,
  before: WindowCounters,
  estimatedTokens: number,
  nowMs: number,
  windowMs = RATE_WINDOW_MS,
): GatewayError {
  const waitMs = Math.max(1, rateWindow(nowMs, windowMs).endMs - nowMs);
  const wait = formatResetDuration(waitMs);
  const headers = {
    'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))),
    'retry-after-ms': String(waitMs),
    ...rateLimitHeaders(key, before, nowMs, windowMs),
  };
  const plan = planAdmission(key, estimatedTokens);
  const requested = Math.max(1, Math.ceil(estimatedTokens));
  const message = plan.tooLarge
    ? `Request too large for API key ${key.keyId} on tokens per min (TPM): Limit ${key.tpm}, Requested ${requested}. ` +
      'Send fewer tokens or ask for a higher limit.'
    : exceededLimit(key, before) === 'requests'
      ? `Rate limit reached for API key ${key.keyId} on requests per min (RPM): Limit ${key.rpm}, Used ${before.requests}, Requested 1. ` +
        `Please try again in ${wait}.`
      : `Rate limit reached for API key ${key.keyId} on tokens per min (TPM): Limit ${key.tpm}, Used ${before.tokens}, Requested ${requested}. ` +
        `Please try again in ${wait}.`;
  return new GatewayError(429, message, 'rate_limit_error', 'rate_limit_exceeded', null, headers);
}
