/**
 * Hard daily budgets against dynalite through the real AWS SDK: reservations hold under
 * concurrency, settlement uses real usage, crashed reservations are swept, and an exhausted
 * budget moves a cost-aware route to a cheaper model.
 */
import { createDynamoClient } from '../../functions/adapters/dynamo/client';
import { createDynamoBudgetLedger, type BudgetLedger } from '../../functions/adapters/dynamo/budget-ledger';
import { COST_TABLE, tableName } from '../../functions/contracts/table-specs';
import { utcDay } from '../../functions/core/time';
import type { LocalGateway } from '../../local/gateway';
import { eventually, hi, post, startTestGateway } from '../helpers/local-gateway';

const today = () => utcDay(Date.now());

function ledgerOf(gw: LocalGateway, shards = 8): BudgetLedger {
  return createDynamoBudgetLedger({
    ddb: createDynamoClient(gw.env),
    table: tableName(COST_TABLE, gw.env),
    globalShards: shards,
    random: Math.random,
  });
}

describe('global budget under 200 concurrent requests', () => {
  let gw: LocalGateway;
  // gpt-4.1, max_tokens 100, prompt "hi": worst case = (ceil(est x 1.15) + 32) x $2 + 100 x $8 per
  // million tokens = 884 micro-dollars, so this limit admits 50 worst-case reservations at once.
  const LIMIT_USD = 0.0442;
  beforeAll(async () => {
    gw = await startTestGateway((c) => {
      c.budgets.globalDailyUsd = LIMIT_USD;
      c.breaker.failureThreshold = 10_000;
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
      expect(r.json.error.message).toContain('$0.04');
      expect(r.json.error.message).toMatch(/resets at \d{4}-\d\d-\d\dT00:00:00\.000Z/);
    }
    const costs = admitted.map((r) => Math.round(Number(r.headers.get('x-switchyard-cost-usd')) * 1e6));
    const spent = costs.reduce((a, b) => a + b, 0);
    const limit = Math.round(LIMIT_USD * 1e6);
    const perRequest = costs[0];
    const ceiling = Math.floor(limit / perRequest);

    const global = await eventually(async () => {
      const row = (await ledgerOf(gw).snapshot(today())).find((x) => x.scope === 'global')!;
      expect(row.reservedMicros).toBe(0);
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
    expect(r.json.error.message).toContain("model gpt-4.1's limit of $0.00");
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
    const before = (await ledgerOf(gw).snapshot(today())).find((x) => x.scope === 'global')?.spentMicros ?? 0;
    const r = await post(gw, '/v1/chat/completions', hi('deepseek-v3.2'));
    const { prompt_tokens: p, completion_tokens: c } = r.json.usage;
    // deepseek-v3.2: $0.28 in / $0.42 out per million tokens.
    const expected = Math.ceil((p * 280_000 + c * 420_000) / 1_000_000);
    expect(r.headers.get('x-switchyard-cost-usd')).toBe((expected / 1e6).toFixed(6));
    await eventually(async () => {
      const after = (await ledgerOf(gw).snapshot(today())).find((x) => x.scope === 'global')!;
      expect(after.spentMicros - before).toBe(expected);
      expect(after.limitMicros).toBe(100_000_000); // the whole global limit, not the touched shards' shares
    });
  });
});

describe('reservation sweep', () => {
  it('releases, on the health-check schedule, a reservation left by a crashed call, and never a live one', async () => {
    const gw = await startTestGateway();
    try {
      const ledger = ledgerOf(gw, 1);
      const day = today();
      const scopes = [{ kind: 'global' as const, id: 'global', limitMicros: 10_000 }];
      const now = Date.now();
      const crashed = await ledger.reserve(day, scopes, 6_000, 'crashed-call', now - 1);
      const live = await ledger.reserve(day, scopes, 3_000, 'live-call', now + 60_000);
      expect(crashed.ok && live.ok).toBe(true);
      // The crashed reservation blocks this one until the sweep gives it back.
      expect((await ledger.reserve(day, scopes, 2_000, 'blocked', now + 60_000)).ok).toBe(false);

      // The sweep runs with the scheduled health check (here: one round of the local timer).
      await gw.runHealthRound();
      const row = (await ledger.snapshot(day)).find((x) => x.scope === 'global')!;
      expect(row.reservedMicros).toBe(3_000);
      expect((await ledger.reserve(day, scopes, 2_000, 'now-fits', now + 60_000)).ok).toBe(true);

      // A late settlement of the swept call still counts its real spend.
      if (crashed.ok) await ledger.settle(crashed.reservation, 1_234);
      expect((await ledger.snapshot(day)).find((x) => x.scope === 'global')!.spentMicros).toBe(1_234);
    } finally {
      await gw.close();
    }
  });
});
