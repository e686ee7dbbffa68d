/**
 * The errors a quota refusal becomes, in OpenAI's shape: each names the scope that refused, so a
 * key's own budget refusal is never mistaken for a model's failure.
 */
import { GatewayError } from '../openai/errors';
import type { QuotaScope } from '../quota/scope';
import { nextUtcMidnight } from '../time';
import { parsePeriod, periodLabel } from './periods';

/** Dollars with as many decimals as the amount needs ($0.005 stays $0.005, $100 is $100.00). */
export function formatUsd(micros: number): string {
  const usd = micros / 1e6;
  for (let d = 2; d <= 6; d++)
    if (Math.abs(Math.round(usd * 10 ** d) - usd * 10 ** d) < 1e-6) return `$${usd.toFixed(d)}`;
  return `$${usd.toFixed(6)}`;
}

function label(scope: QuotaScope): string {
  if (scope.id === 'global') return 'the global';
  if (scope.id.startsWith('key#')) return "this API key's";
  return `model ${scope.id.slice('model#'.length)}'s`;
}

const PERIOD_WORDS = {
  day: { title: 'Daily', reset: '00:00 UTC' },
  week: { title: 'Weekly', reset: 'Monday 00:00 UTC' },
  month: { title: 'Monthly', reset: 'the 1st of the month, 00:00 UTC' },
} as const;

/**
 * A budget scope that cannot fit the request: 429 insufficient_quota until its period resets. The
 * message names the period that ran out (daily, weekly or monthly) and when it resets;
 * `x-switchyard-refused-period` carries the period id (`d2026-12-06`, `w2026-W49`, `m2026-12`).
 */
export function budgetRefused(scope: QuotaScope, now: number): GatewayError {
  const period = parsePeriod(scope.period);
  const kind = period?.kind ?? 'day';
  const resetAt = period?.end ?? nextUtcMidnight(now);
  const words = PERIOD_WORDS[kind];
  const which = kind === 'day' ? '' : ` for ${periodLabel(scope.period)}`;
  return new GatewayError(
    429,
    `${words.title} budget exhausted: ${label(scope)} limit of ${formatUsd(scope.limit)}${which} would be exceeded by this request. It resets at ${new Date(resetAt).toISOString()} (${words.reset}).`,
    'insufficient_quota',
    'insufficient_quota',
    null,
    {
      'retry-after': String(Math.max(0, Math.ceil((resetAt - now) / 1000))),
      'x-switchyard-refused-by': scope.id,
      'x-switchyard-refused-period': scope.period,
    },
  );
}

/** A key over its RPM or TPM: units come back 60 s after their use, so that is the longest wait. */
export function rateRefused(scope: QuotaScope, requested: number): GatewayError {
  const what = scope.kind === 'rpm' ? 'requests per min (RPM)' : 'tokens per min (TPM)';
  const tooLarge = scope.kind === 'tpm' && requested > scope.limit;
  const message = tooLarge
    ? `Request too large for API key ${scope.id.slice(4)} on ${what}: Limit ${scope.limit}, Requested ${requested}. Send fewer tokens or ask for a higher limit.`
    : `Rate limit reached for API key ${scope.id.slice(4)} on ${what}: Limit ${scope.limit}, Requested ${requested}. Please try again in 60s.`;
  return new GatewayError(429, message, 'rate_limit_error', 'rate_limit_exceeded', null, {
    'retry-after': '60',
    'retry-after-ms': '60000',
    [scope.kind === 'rpm' ? 'x-ratelimit-limit-requests' : 'x-ratelimit-limit-tokens']: String(scope.limit),
    'x-switchyard-refused-by': `${scope.kind}:${scope.id}`,
  });
}

/** The shared store failed and this instance holds too little quota to decide alone (bounded mode). */
export function quotaUnavailable(what: string): GatewayError {
  return new GatewayError(
    503,
    `The gateway cannot check the ${what === 'rate' ? 'rate limit' : what === 'concurrency' ? 'concurrency cap' : 'budget'} right now (its shared store is unavailable); retry shortly.`,
    'service_unavailable',
    'shared_state_unavailable',
    null,
    { 'retry-after': '2' },
  );
}

/** The key's own cap on calls in flight. */
export function keyConcurrencyFull(cap: number): GatewayError {
  return new GatewayError(
    429,
    `This API key already has ${cap} requests in flight, its concurrency limit; retry when one finishes.`,
    'rate_limit_error',
    'key_concurrency_limit',
    null,
    { 'retry-after': '1' },
  );
}
