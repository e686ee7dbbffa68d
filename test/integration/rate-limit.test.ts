/**
 * Per-key RPM/TPM limits as shared quota (dynalite through the real SDK): exact when several router
 * instances count against the same key at once, tokens reserved before the call, and never more
 * than the limit in any 60-second window, because a used unit only comes back 60 s after its use.
 */
import { rateScopes } from '../../functions/core/budget/scopes';
import type { SwitchyardConfig } from '../../functions/core/config/schema';
import { RATE_HOLD_MS } from '../../functions/core/quota/scope';
import type { LocalGateway } from '../../local/gateway';
import { hi, post, startTestGateway } from '../helpers/local-gateway';
import { quotaOn } from '../helpers/quota-report';

describe('per-key rate limits', () => {
  let gw: LocalGateway;
  let cfg: SwitchyardConfig;
  beforeAll(async () => {
    gw = await startTestGateway();
    cfg = gw.deps.config.settings;
  });
  afterAll(() => gw.close());

  it('admits exactly rpm=5 of 40 concurrent requests spread over four router instances', async () => {
    const key = { keyId: 'key_rpm_fleet', admin: false, rpm: 5 };
    const { rpm } = rateScopes(cfg, key);
    const t = Date.UTC(2026, 11, 6, 9, 0, 0);
    const fleet = Array.from({ length: 4 }, () => quotaOn(gw, () => t).quota);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => fleet[i % 4].admit([{ scope: rpm!, amount: 1 }], undefined, t)),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    expect(results.filter((r) => !r.ok && r.reason === 'refused')).toHaveLength(35);
  });

  it('admits exactly what fits tpm=3000 when 40 requests of 100 tokens each arrive at once', async () => {
    const key = { keyId: 'key_tpm_fleet', admin: false, tpm: 3_000 };
    const { tpm } = rateScopes(cfg, key);
    const t = Date.UTC(2026, 11, 6, 9, 0, 0);
    const fleet = Array.from({ length: 4 }, () => quotaOn(gw, () => t).quota);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => fleet[i % 4].admit([{ scope: tpm!, amount: 100 }], undefined, t)),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(30);
  });

  it('never admits more than rpm in any 60-second window, across a minute boundary', async () => {
    const key = { keyId: 'key_rpm_window', admin: false, rpm: 10 };
    const { rpm } = rateScopes(cfg, key);
    const clock = { t: Date.UTC(2026, 11, 6, 9, 0, 50) };
    const q = quotaOn(gw, () => clock.t).quota;
    const admittedAt: number[] = [];
    // One request every 2 s for 3 minutes, crossing three minute boundaries (a fixed window would
    // admit 20 in the 20 s around each boundary).
    for (let i = 0; i < 90; i++) {
      const a = await q.admit([{ scope: rpm!, amount: 1 }], undefined, clock.t);
      if (a.ok) {
        admittedAt.push(clock.t);
        q.settle(a.hold, [1], clock.t);
        await q.record([], clock.t);
      }
      clock.t += 2_000;
    }
    for (const start of admittedAt) {
      const inWindow = admittedAt.filter((x) => x >= start && x < start + RATE_HOLD_MS).length;
      expect(inWindow).toBeLessThanOrEqual(10);
    }
    // And it does not starve: units come back once their 60 s are over.
    expect(admittedAt.length).toBeGreaterThanOrEqual(20);
  }, 120_000); // 270 sequential DynamoDB calls: slow on a busy machine, and the clock is the test's anyway.

  it('answers a key over its RPM with OpenAI 429 rate_limit_exceeded and Retry-After, through the gateway', async () => {
    const apiKey = 'sk-sy-rate-limited-key-000000000000000000';
    await gw.keys.create(apiKey, { name: 'rpm 2', admin: false, rpm: 2 });
    const auth = { authorization: `Bearer ${apiKey}` };
    const replies = await Promise.all(
      Array.from({ length: 6 }, () => post(gw, '/v1/chat/completions', hi('deepseek-v3.2'), auth)),
    );
    expect(replies.filter((r) => r.status === 200)).toHaveLength(2);
    for (const r of replies.filter((x) => x.status !== 200)) {
      expect(r.status).toBe(429);
      expect(r.json.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
      expect(r.json.error.message).toContain('requests per min (RPM): Limit 2');
      expect(r.headers.get('retry-after')).toBe('60');
      expect(r.headers.get('x-ratelimit-limit-requests')).toBe('2');
    }
  });

  it('refuses up front a request whose tokens alone exceed the key TPM', async () => {
    const apiKey = 'sk-sy-small-tpm-key-00000000000000000000';
    await gw.keys.create(apiKey, { name: 'tpm 50', admin: false, tpm: 50 });
    const r = await post(gw, '/v1/chat/completions', hi('deepseek-v3.2', { max_tokens: 500 }), {
      authorization: `Bearer ${apiKey}`,
    });
    expect(r.status).toBe(429);
    expect(r.json.error.message).toContain('Request too large');
  });
});
