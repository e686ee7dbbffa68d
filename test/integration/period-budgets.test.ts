/**
 * Monthly and weekly budgets through the whole gateway, across a month boundary: 200 concurrent
 * requests on four router instances (each its own quota slices) whose clock passes
 * 2026-12-01T00:00:00Z while the first hundred are in flight. Nov 30 2026 is a Monday, so both
 * months share ISO week 2026-W49: the requests must fit the November or December month, the week
 * and the day at once. The ledger is read back per period: no period is overspent, every admitted
 * request is charged to exactly one month and one day, and nothing stays sliced.
 */
import { scopeTotals } from '../helpers/scope-totals';
import { createDynamoClient } from '../../functions/adapters/dynamo/client';
import { createCounterOps } from '../../functions/adapters/dynamo/quota/counters';
import { COST_TABLE, tableName } from '../../functions/contracts/table-specs';
import { budgetScopes } from '../../functions/core/budget/scopes';
import type { LocalGateway } from '../../local/gateway';
import { eventually, get, hi, post, type Reply, startTestGateway } from '../helpers/local-gateway';
import { quotaOn } from '../helpers/quota-report';

const MONTH_USD = 0.0442;
const WEEK_USD = 0.075;
const micros = (usd: number) => Math.round(usd * 1e6);
const NOV_LAST = Date.UTC(2026, 10, 30, 23, 59, 59, 900);
const DEC_FIRST = Date.UTC(2026, 11, 1, 0, 0, 0, 100);

describe('monthly and weekly budgets across a month boundary', () => {
  let gw: LocalGateway;
  const clock = { t: NOV_LAST };
  const now = () => clock.t;
  let instances: ReturnType<typeof quotaOn>[];
  let selected = 0;

  beforeAll(async () => {
    gw = await startTestGateway(
      (c) => {
        c.budgets.globalMonthlyUsd = MONTH_USD;
        c.budgets.globalWeeklyUsd = WEEK_USD;
        c.breaker.failureThreshold = 10_000;
        c.defaults = { maxConcurrency: null };
        delete c.models.find((m: { id: string }) => m.id === 'gpt-4.1').maxConcurrency;
      },
      { authorizerCacheTtlMs: 600_000 },
    );
    instances = [0, 1, 2, 3].map(() => quotaOn(gw, now));
    const routers = instances.map((q) => gw.newRouterInstance({ now, quota: q.quota, report: q.report }));
    gw.setTargetSelector(() => ({ handler: routers[selected++ % routers.length].handler, version: '1' }));
  });
  afterAll(() => gw.close());

  /** A global budget scope's shards, summed: what is left, spent for good, and out in slices. */
  async function shards(period: string, at: number) {
    const scope = budgetScopes(gw.deps.config.settings, undefined, { id: 'gpt-4.1' }, at).find(
      (s) => s.id === 'global' && s.period === period,
    )!;
    const ddb = createDynamoClient(gw.env);
    try {
      return {
        limit: scope.limit,
        ...(await scopeTotals(createCounterOps(ddb, tableName(COST_TABLE, gw.env)), scope)),
      };
    } finally {
      ddb.destroy();
    }
  }

  it('never overspends the November month, the December month, the week or either day', async () => {
    const body = hi('gpt-4.1', { max_tokens: 100 });
    const send = () => post(gw, '/v1/chat/completions', body, { 'x-switchyard-fallback': 'off' });

    // The first hundred start in November; once every one of them is inside a handler (its start
    // time taken), the clock passes midnight and the second hundred start in December, while the
    // first are still reserving, calling and settling.
    let firstDone = 0;
    const first = Array.from({ length: 100 }, () => send().finally(() => firstDone++));
    // (A request answered before reaching a router, which must not happen here, ends the wait too.)
    await eventually(async () => expect(selected >= 100 || firstDone === 100).toBe(true), 60_000);
    clock.t = DEC_FIRST;
    const second = Array.from({ length: 100 }, send);
    const results: Reply[] = await Promise.all([...first, ...second]);

    const admitted = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status !== 200);
    for (const r of refused) {
      expect(r.status).toBe(429);
      expect(r.json.error.code).toBe('insufficient_quota');
      const period = r.headers.get('x-switchyard-refused-period');
      // The month or the week ran out (the daily budget is $100): the message says which, and when it resets.
      if (period === 'm2026-11' || period === 'm2026-12') {
        expect(r.json.error.message).toMatch(
          /^Monthly budget exhausted: the global limit of \$0\.0442 for 2026-1[12] /,
        );
        expect(r.json.error.message).toContain(
          period === 'm2026-11' ? 'resets at 2026-12-01T00:00:00.000Z' : 'resets at 2027-01-01T00:00:00.000Z',
        );
      } else {
        expect(period).toBe('w2026-W49');
        expect(r.json.error.message).toMatch(
          /^Weekly budget exhausted: the global limit of \$0\.075 for week 2026-W49 .* resets at 2026-12-07T00:00:00\.000Z \(Monday 00:00 UTC\)\.$/,
        );
      }
    }
    const costs = admitted.map((r) => Math.round(Number(r.headers.get('x-switchyard-cost-usd')) * 1e6));
    const total = costs.reduce((a, b) => a + b, 0);

    // A minute later every instance writes once more (those still on their November record move to a
    // new one), then all four stop for good: ten minutes on, the sweep (run by a fifth instance)
    // returns what their records list. A slice listed in two records would come back twice.
    clock.t = DEC_FIRST + 60_000;
    for (const q of instances) await q.quota.record([], clock.t);
    clock.t = DEC_FIRST + 10 * 60_000;
    await quotaOn(gw, now).quota.maintain(clock.t);

    const month = micros(MONTH_USD);
    const week = micros(WEEK_USD);
    const day = micros(gw.deps.config.settings.budgets.globalDailyUsd);
    const [nov, dec, w49, nov30, dec1] = await eventually(async () => {
      const figures = await Promise.all([
        shards('m2026-11', NOV_LAST),
        shards('m2026-12', DEC_FIRST),
        shards('w2026-W49', DEC_FIRST),
        shards('d2026-11-30', NOV_LAST),
        shards('d2026-12-01', DEC_FIRST),
      ]);
      for (const f of figures) expect(f.sliced).toBe(0);
      // Each admitted request is charged to exactly one month and one day, and to the week.
      expect(figures[0].spent + figures[1].spent).toBe(total);
      expect(figures[2].spent).toBe(total);
      expect(figures[3].spent + figures[4].spent).toBe(total);
      return figures;
    }, 10_000);
    expect([nov.limit, dec.limit, w49.limit, nov30.limit, dec1.limit]).toEqual([month, month, week, day, day]);
    for (const f of [nov, dec, w49, nov30, dec1]) {
      expect(f.spent).toBeLessThanOrEqual(f.limit);
      expect(f.avail + f.spent).toBe(f.limit);
    }
    // Both months served and both refused: the race really crossed the boundary at the limits.
    expect(nov.spent).toBeGreaterThan(0);
    expect(dec.spent).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    expect(admitted.length).toBeGreaterThan(0);
    console.log(
      `month boundary: admitted ${admitted.length}/200; spent Nov ${nov.spent}, Dec ${dec.spent} (limit ${month} each), week ${w49.spent}/${week}; refused by month ${refused.filter((r) => r.headers.get('x-switchyard-refused-period')?.startsWith('m')).length}, by week ${refused.filter((r) => r.headers.get('x-switchyard-refused-period')?.startsWith('w')).length}`,
    );

    // /v1/stats (and `npm run report`) show the week's and December's budgets against their limits.
    const stats = await get(gw, '/v1/stats?days=1');
    expect(stats.status).toBe(200);
    const byPeriod = Object.fromEntries(
      (stats.json.periods as Array<{ period: string; budgets: Array<{ scope: string }> }>).map((p) => [p.period, p]),
    );
    expect(byPeriod['m2026-12']).toMatchObject({
      kind: 'month',
      label: '2026-12',
      resetsAt: '2027-01-01T00:00:00.000Z',
      budgets: [{ scope: 'global', limitMicros: month, spentMicros: dec.spent, reservedMicros: 0 }],
    });
    expect(byPeriod['w2026-W49']).toMatchObject({
      kind: 'week',
      startsAt: '2026-11-30T00:00:00.000Z',
      resetsAt: '2026-12-07T00:00:00.000Z',
      budgets: [{ scope: 'global', limitMicros: week, spentMicros: w49.spent, reservedMicros: 0 }],
    });
    expect(stats.json.days[0].day).toBe('2026-12-01');
  }, 180_000);

  it("lists a key's monthly budget in the month's report days after its last spend", async () => {
    // January 2027: a fresh month and week. A key with a monthly limit of its own spends on the 5th.
    clock.t = Date.UTC(2027, 0, 5, 10);
    const key = 'sk-sy-period-budgets-tenant-key-0000000000';
    const record = await gw.keys.create(key, { name: 'monthly tenant', admin: false, monthlyBudgetUsd: 2 });
    const r = await post(gw, '/v1/chat/completions', hi('gpt-4.1', { max_tokens: 100 }), {
      authorization: `Bearer ${key}`,
    });
    expect(r.status).toBe(200);
    const cost = Math.round(Number(r.headers.get('x-switchyard-cost-usd')) * 1e6);
    // Three days later every instance has moved to a new record; the 5th's records are old history.
    clock.t = Date.UTC(2027, 0, 8, 10);
    for (const q of instances) await q.quota.record([], clock.t);
    const row = await eventually(async () => {
      const rows = await quotaOn(gw, now).report.periodBudgets('m2027-01', clock.t);
      const mine = rows.find((x) => x.scope === `key#${record.keyId}`);
      expect(mine).toMatchObject({ limitMicros: 2_000_000, spentMicros: cost, reservedMicros: 0 });
      return mine!;
    }, 10_000);
    expect(cost).toBeGreaterThan(0);
    // A non-admin key without a weekly limit of its own gets half the global weekly budget.
    const week = await quotaOn(gw, now).report.periodBudgets('w2027-W01', clock.t);
    expect(week.find((x) => x.scope === `key#${record.keyId}`)).toMatchObject({
      limitMicros: micros(WEEK_USD) / 2,
      spentMicros: row.spentMicros,
    });
  }, 60_000);
});
