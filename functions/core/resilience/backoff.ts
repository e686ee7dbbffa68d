/**
 * Retry timing: exponential backoff with full jitter (AWS's recommendation: spreads retries from
 * many instances evenly instead of in waves), and Retry-After honoured exactly when the upstream
 * sends one. Nothing waits past the request's deadline.
 */

/** Retry-After as milliseconds from `now`: delta-seconds or an HTTP-date; undefined when absent or unparseable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Full jitter: uniform in [0, min(cap, base * 2^attempt)). `attempt` counts from 0. */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** attempt);
  return Math.floor(random * ceiling);
}

export interface RetryDecision {
  retry: boolean;
  waitMs: number;
}

/**
 * Whether to retry the same model, and after how long. A Retry-After the deadline cannot honour
 * means "do not retry here" (the next candidate is tried instead), never a shortened wait.
 */
export function nextRetry(opts: {
  attempt: number;
  maxAttempts: number;
  retryAfterMs: number | undefined;
  baseMs: number;
  capMs: number;
  random: number;
  msLeft: number;
}): RetryDecision {
  if (opts.attempt + 1 >= opts.maxAttempts) return { retry: false, waitMs: 0 };
  const wait = opts.retryAfterMs ?? backoffDelay(opts.attempt, opts.baseMs, opts.capMs, opts.random);
  // Leave room for the retry itself to get an answer, not just to start.
  if (wait >= opts.msLeft - 50) return { retry: false, waitMs: 0 };
  return { retry: true, waitMs: wait };
}
