/**
 * Hard daily budgets against dynalite through the real AWS SDK: quota slices hold under
 * concurrency, settlement uses real usage, a crashed instance's slices are swept, and an exhausted
 * budget moves a cost-aware route to a cheaper model.
 */
import { budgetScopes } from '../../functions/core/budget/scopes';
import type { LocalGateway } from '../../local/gateway';
import { eventually, hi, post, startTestGateway } from '../helpers/local-gateway';
import { costMicrosHeader } from '../helpers/headers';
import { budgetRow, quotaOn } from '../helpers/quota-report';

describe('global budget under 200 concurrent requests', () => {
  let gw: LocalGateway;
  // gpt-4.1, max_tokens 100, prompt "hi": worst case = (ceil(est x 1.15) + 32) x $2 + 100 x $8 per
  // million tokens = 884 micro-dollars, so this limit admits 50 worst-case reservations at once.
  const LIMIT_USD = 0.0442;
  beforeAll(async () => {
    gw = await startTestGateway((c) => {
      c.budgets.globalDailyUsd = LIMIT_USD;
      c.breaker.failureThreshold = 10_000;
      c.defaults = { maxConcurrency: null };
      delete c.models.find((m: { id: string }) => m.id === 'gpt-4.1').maxConcurrency;
    });
  });
  afterAll(() => gw.close());

  it('never settles more than the limit, and admits close to what the limit allows', async () => {
    const body = hi('gpt-4.1', { max_tokens: 100 });
    const results = await Promise.all(
      Array.from({ length: 200 }, () => post(gw, '/v1/chat/completions', body, { 'x-switchyard-fallback': 'off' })),
    );
    const admitted = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 429);
    expect(admitted.length + refused.length).toBe(200);
    for (const r of refused) {
      expect(r.json.error.code).toBe('insufficient_quota');
      expect(r.json.error.message).toContain('global');
      expect(r.json.error.message).toContain('$0.0442');
      expect(r.json.error.message).toMatch(/resets at \d{4}-\d\d-\d\dT00:00:00\.000Z/);
    }
    const costs = admitted.map((r) => costMicrosHeader(r.headers));
    const spent = costs.reduce((a, b) => a + b, 0);
    const limit = Math.round(LIMIT_USD * 1e6);
    const perRequest = costs[0];
    const ceiling = Math.floor(limit / perRequest);

    const global = await eventually(async () => {
      const row = (await budgetRow(gw, 'global'))!;
      expect(row.spentMicros).toBe(spent);
      return row;
    });
    expect(global.spentMicros).toBe(spent);
    expect(global.spentMicros).toBeLessThanOrEqual(limit);
    // Worst-case reservations alone admit 50; settlement at the real cost frees room for more.
    expect(admitted.length).toBeGreaterThanOrEqual(45);
    expect(admitted.length).toBeLessThanOrEqual(ceiling);
    console.log(
      `budget: limit ${limit} micro-USD, ${perRequest} per request -> at most ${ceiling} affordable; admitted ${admitted.length}/200, settled ${spent}`,
    );
  });
});

describe('budget scopes and routing', () => {
  let gw: LocalGateway;
  beforeAll(async () => {
    gw = await startTestGateway((c) => {
      c.models.find((m: { id: string }) => m.id === 'gpt-4.1').dailyBudgetUsd = 0.0001;
    });
  });
  afterAll(() => gw.close());

  it('answers a concrete model whose budget is spent with 429 insufficient_quota naming scope, limit and reset', async () => {
    const r = await post(gw, '/v1/chat/completions', hi('gpt-4.1'));
    expect(r.status).toBe(429);
    expect(r.json.error).toMatchObject({ type: 'insufficient_quota', code: 'insufficient_quota' });
    expect(r.json.error.message).toContain("model gpt-4.1's limit of $0.0001 ");
    expect(r.json.error.message).toContain('00:00 UTC');
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('moves a cost-aware route to a cheaper model that still fits', async () => {
    const r = await post(gw, '/v1/chat/completions', { model: 'auto', messages: [{ role: 'user', content: 'hello' }] });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-switchyard-attempts')).toMatch(/^gpt-4\.1:budget,/);
    expect(r.headers.get('x-switchyard-model')).toBe('deepseek-v3.2');
  });

  it('settles each request at the hand-computed cost, to the micro-dollar', async () => {
    const before = (await budgetRow(gw, 'global'))?.spentMicros ?? 0;
    const r = await post(gw, '/v1/chat/completions', hi('deepseek-v3.2'));
    const { prompt_tokens: p, completion_tokens: c } = r.json.usage;
    // deepseek-v3.2: $0.28 in / $0.42 out per million tokens.
    const expected = Math.ceil((p * 280_000 + c * 420_000) / 1_000_000);
    expect(r.headers.get('x-switchyard-cost-usd')).toBe((expected / 1e6).toFixed(6));
    await eventually(async () => {
      const after = (await budgetRow(gw, 'global'))!;
      expect(after.spentMicros - before).toBe(expected);
      expect(after.limitMicros).toBe(100_000_000); // the whole global limit, not the touched shards' shares
    });
  });
});

describe('quota sweep', () => {
  it('gives back, on the health-check schedule, the slices of an instance that died, and never a live one', async () => {
    const gw = await startTestGateway((c) => {
      c.budgets.globalDailyUsd = 0.01;
    });
    try {
      const model = { id: 'm' };
      const past = Date.now() - 10 * 60_000;
      // An instance that took a slice ten minutes ago and died: its record expired long since.
      const dead = quotaOn(gw, () => past).quota;
      const needs = (n: number) =>
        budgetScopes(gw.deps.config.settings, undefined, model, Date.now()).map((scope) => ({ scope, amount: n }));
      const held = await dead.admit(needs(6_000), undefined, past);
      expect(held.ok).toBe(true);
      // A live instance holds its own.
      const live = quotaOn(gw).quota;
      const liveHold = await live.admit(needs(3_000), undefined, Date.now());
      expect(liveHold.ok).toBe(true);
      // Only 1,000 of 10,000 are left unheld.
      expect((await quotaOn(gw).quota.admit(needs(2_000), undefined, Date.now())).ok).toBe(false);

      await gw.runHealthRound();
      const row = await eventually(async () => {
        const r = (await budgetRow(gw, 'global'))!;
        expect(r.spentMicros).toBe(0);
        expect(r.reservedMicros).toBeLessThanOrEqual(10_000 - 6_000);
        return r;
      });
      expect(row.limitMicros).toBe(10_000);
      expect((await quotaOn(gw).quota.admit(needs(2_000), undefined, Date.now())).ok).toBe(true);
    } finally {
      await gw.close();
    }
  });
});
