/**
 * Finding 3 against the local runtime: one key cannot take more than its caps. Its own concurrency
 * cap (or the config's default for keys) holds while another key is served, and a key with no
 * budget of its own cannot reserve more than its default share of the global budget, so other keys
 * keep being served (today's finding: 20 streams from one key held 99.6% of it).
 *
 * Requests are held in flight with a hanging upstream (`hang`, `times`) that the gateway ends at its
 * own headers timeout; every assertion is made while the provider still holds them (status 0).
 */
import type { LocalGateway } from '../../local/gateway';
import { eventually, hi, post, startTestGateway, type Reply } from '../helpers/local-gateway';
import { bearer, tenantKey } from './tenant-helpers';

const HOLD_MS = 5_000;
const held = (gw: LocalGateway) =>
  gw.providers!.requests().filter((r) => r.path.endsWith('/chat/completions') && r.status === 0);
const noFallback = { 'x-switchyard-fallback': 'off' };

describe('one key cannot take more than its caps', () => {
  let gw: LocalGateway;
  beforeAll(async () => {
    gw = await startTestGateway((c) => {
      c.retry = { maxAttemptsPerModel: 1, baseDelayMs: 0, maxDelayMs: 0 };
      // Held requests end (504) this long after they start, returning what they hold.
      c.gateway.headersTimeoutMs = HOLD_MS;
      // Those timeouts come from several keys: the shared breaker must not turn them into circuit_open.
      c.breaker.failureThreshold = 1_000;
      c.keys = { defaultMaxConcurrency: 3 };
      // $1 a day for the whole gateway; a key with no budget may reserve half of it.
      c.budgets.globalDailyUsd = 1;
      c.budgets.defaultKeyShare = 0.5;
    });
  });
  afterAll(() => gw.close());
  beforeEach(() => {
    gw.providers!.clearFaults();
    gw.providers!.resetRequests();
  });

  /** Starts `n` requests for `key` that the upstream holds, and waits until it holds all of them. */
  // A small max_tokens: what is held here is a concurrency slot, not much budget.
  async function hold(key: string, n: number, body = hi('gpt-4.1', { max_tokens: 16 })): Promise<Promise<Reply>[]> {
    gw.providers!.setFault({ model: 'gpt-4.1', hang: true, times: n });
    const before = held(gw).length;
    const replies = Array.from({ length: n }, () =>
      post(gw, '/v1/chat/completions', body, { ...bearer(key), ...noFallback }),
    );
    await eventually(async () => expect(held(gw).length).toBe(before + n), 10_000);
    return replies;
  }

  it("a key's own concurrency cap refuses the next call while another key is served", async () => {
    const { key } = await tenantKey(gw, { maxConcurrency: 2, dailyBudgetUsd: 0.5 });
    const { key: other } = await tenantKey(gw, { dailyBudgetUsd: 0.5 });
    const inFlight = await hold(key, 2);
    const third = await post(gw, '/v1/chat/completions', hi('deepseek-v3.2'), bearer(key));
    expect([third.status, third.json.error.code]).toEqual([429, 'key_concurrency_limit']);
    const served = await post(gw, '/v1/chat/completions', hi('deepseek-v3.2'), bearer(other));
    expect(served.status).toBe(200);
    // Still held while the refusal was given: the cap, not a finished request, decided it.
    expect(held(gw)).toHaveLength(2);
    // Once the held calls end, the key's slots come back.
    expect((await Promise.all(inFlight)).map((r) => r.status)).toEqual([504, 504]);
    const after = await post(gw, '/v1/chat/completions', hi('deepseek-v3.2'), bearer(key));
    expect(after.status).toBe(200);
  }, 30_000);

  it("a key without a cap of its own gets the config's default (keys.defaultMaxConcurrency)", async () => {
    const { key } = await tenantKey(gw, { dailyBudgetUsd: 0.5 });
    const inFlight = await hold(key, 3);
    const fourth = await post(gw, '/v1/chat/completions', hi('deepseek-v3.2'), bearer(key));
    expect([fourth.status, fourth.json.error.code]).toEqual([429, 'key_concurrency_limit']);
    expect(fourth.json.error.message).toContain('3 requests in flight');
    expect(held(gw)).toHaveLength(3);
    await Promise.all(inFlight);
  }, 30_000);

  it('a key with no budget reserves at most its share of the global budget; other keys are still served', async () => {
    // gpt-4.1 at max_tokens 32768 reserves about $0.26: one fits in the key's $0.50 share, two do not.
    const big = hi('gpt-4.1', { max_tokens: 32_768 });
    const { key: hog, record } = await tenantKey(gw, {});
    const { key: other } = await tenantKey(gw, {});
    const inFlight = await hold(hog, 1, big);
    const more = await Promise.all(
      [1, 2].map(() => post(gw, '/v1/chat/completions', big, { ...bearer(hog), ...noFallback })),
    );
    for (const r of more) {
      expect([r.status, r.json.error.code]).toEqual([429, 'insufficient_quota']);
      expect(r.headers.get('x-switchyard-refused-by')).toBe(`key#${record.keyId}`);
      expect(r.json.error.message).toContain('$0.50');
    }
    // The global budget still has room for another key's request of the same size.
    const served = await post(gw, '/v1/chat/completions', big, bearer(other));
    expect(served.status).toBe(200);
    expect(held(gw)).toHaveLength(1);
    await Promise.all(inFlight);
  }, 30_000);
});
