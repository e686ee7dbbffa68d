import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { createDynamoRateLimiter } from '../../functions/adapters/dynamo/rate-limit-store';
import { GatewayError } from '../../functions/core/openai/errors';
import {
  admits,
  exceededLimit,
  formatResetDuration,
  planAdmission,
  rateLimitError,
  rateLimitHeaders,
  rateWindow,
} from '../../functions/core/rate-limit';

const T0 = Date.UTC(2026, 10, 23, 10, 15, 0); // a window start

describe('rate-limit windows', () => {
  it('aligns one-minute windows to the clock and names them readably', () => {
    const w = rateWindow(T0 + 12_345);
    expect(w.startMs).toBe(T0);
    expect(w.endMs).toBe(T0 + 60_000);
    expect(w.id).toBe('2026-11-23T10:15Z');
    expect(rateWindow(T0 + 59_999).id).toBe(w.id);
    expect(rateWindow(T0 + 60_000).id).toBe('2026-11-23T10:16Z');
    // Kept an hour past its end, for TTL cleanup only.
    expect(w.expiresAt).toBe((T0 + 60_000) / 1000 + 3600);
  });
});

describe('admission plan', () => {
  it('admits while requests < rpm and used tokens + estimate <= tpm', () => {
    const plan = planAdmission({ keyId: 'k', rpm: 3, tpm: 100 }, 30);
    expect(plan).toEqual({ tooLarge: false, maxRequestsBefore: 2, maxTokensBefore: 70 });
    expect(admits(plan, { requests: 2, tokens: 70 })).toBe(true);
    expect(admits(plan, { requests: 3, tokens: 0 })).toBe(false);
    expect(admits(plan, { requests: 0, tokens: 71 })).toBe(false);
  });

  it('counts at least one token, so a key whose TPM is used up admits nothing', () => {
    const plan = planAdmission({ keyId: 'k', tpm: 100 }, 0);
    expect(admits(plan, { requests: 50, tokens: 99 })).toBe(true);
    expect(admits(plan, { requests: 50, tokens: 100 })).toBe(false);
  });

  it('refuses an estimate larger than the whole TPM (no window could admit it)', () => {
    expect(planAdmission({ keyId: 'k', tpm: 100 }, 101)).toEqual({ tooLarge: true });
  });

  it('ignores limits the key does not have', () => {
    const plan = planAdmission({ keyId: 'k' }, 1_000_000);
    expect(admits(plan, { requests: 1e9, tokens: 1e12 })).toBe(true);
  });

  it('never admits more than rpm requests in a window (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 0, max: 2000 }), (rpm, attempts) => {
        const plan = planAdmission({ keyId: 'k', rpm }, 1);
        let requests = 0;
        for (let i = 0; i < attempts; i++) if (admits(plan, { requests, tokens: 0 })) requests++;
        return requests === Math.min(rpm, attempts);
      }),
    );
  });
});

describe('OpenAI rate-limit headers', () => {
  it('formats reset durations the way OpenAI does', () => {
    expect(formatResetDuration(17)).toBe('17ms');
    expect(formatResetDuration(1000)).toBe('1s');
    expect(formatResetDuration(20_500)).toBe('20.5s');
    expect(formatResetDuration(59_806)).toBe('59.806s');
    expect(formatResetDuration(360_000)).toBe('6m0s');
    expect(formatResetDuration(-5)).toBe('0ms');
  });

  it('sends the request and token families for the limits the key has', () => {
    expect(rateLimitHeaders({ keyId: 'k', rpm: 60, tpm: 1000 }, { requests: 3, tokens: 250 }, T0 + 40_000)).toEqual({
      'x-ratelimit-limit-requests': '60',
      'x-ratelimit-remaining-requests': '57',
      'x-ratelimit-reset-requests': '20s',
      'x-ratelimit-limit-tokens': '1000',
      'x-ratelimit-remaining-tokens': '750',
      'x-ratelimit-reset-tokens': '20s',
    });
    expect(Object.keys(rateLimitHeaders({ keyId: 'k', rpm: 5 }, { requests: 1, tokens: 9 }, T0))).toEqual([
      'x-ratelimit-limit-requests',
      'x-ratelimit-remaining-requests',
      'x-ratelimit-reset-requests',
    ]);
    // Overshoot (TPM counts real usage after the fact) never shows a negative remainder.
    expect(
      rateLimitHeaders({ keyId: 'k', tpm: 10 }, { requests: 1, tokens: 25 }, T0)['x-ratelimit-remaining-tokens'],
    ).toBe('0');
  });

  it('answers a refused request with a 429 in OpenAI shape, Retry-After and the counters', () => {
    const key = { keyId: 'key_0123456789abcdef', rpm: 2, tpm: 1000 };
    const err = rateLimitError(key, { requests: 2, tokens: 10 }, 5, T0 + 45_200);
    expect(err.status).toBe(429);
    expect(err.toBody().error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded', param: null });
    expect(err.message).toMatch(/requests per min \(RPM\): Limit 2, Used 2, Requested 1\. Please try again in 14\.8s/);
    expect(err.headers).toMatchObject({
      'retry-after': '15',
      'retry-after-ms': '14800',
      'x-ratelimit-limit-requests': '2',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '14.8s',
      'x-ratelimit-remaining-tokens': '990',
    });
    expect(exceededLimit(key, { requests: 1, tokens: 999 })).toBe('tokens');
    expect(rateLimitError(key, { requests: 1, tokens: 999 }, 5, T0).message).toMatch(
      /tokens per min \(TPM\): Limit 1000, Used 999, Requested 5/,
    );
    expect(rateLimitError(key, { requests: 0, tokens: 0 }, 5000, T0).message).toMatch(
      /^Request too large .* Limit 1000, Requested 5000/,
    );
  });
});

describe('DynamoDB rate limiter on a refused request', () => {
  it('still answers 429 (never 500) when the counters of the refused window cannot be read', async () => {
    const fail = (name: string) => Object.assign(new Error(name), { name });
    const sent: string[] = [];
    const ddb = {
      send: async (cmd: { constructor: { name: string } }) => {
        sent.push(cmd.constructor.name);
        throw fail(cmd.constructor.name === 'UpdateItemCommand' ? 'ConditionalCheckFailedException' : 'TimeoutError');
      },
    } as unknown as DynamoDBClient;
    const warnings: unknown[] = [];
    const limiter = createDynamoRateLimiter(ddb, 'keys', {
      now: () => T0 + 45_000,
      log: (...a) => void warnings.push(a),
    });
    const refusal = await limiter.admit({ keyId: 'key_full', rpm: 2, tpm: 1_000 }, 10).catch((e: unknown) => e);
    expect(sent).toEqual(['UpdateItemCommand', 'GetItemCommand']);
    expect(refusal).toBeInstanceOf(GatewayError);
    expect(refusal).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    expect((refusal as GatewayError).headers).toMatchObject({
      'retry-after': '15',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-remaining-tokens': '0',
    });
    expect(JSON.stringify(warnings)).toContain('key_full');
  });
});
