/**
 * Budget periods (UTC day, ISO week, calendar month), the scopes a request is checked against in
 * each, and how a refusal names the period that ran out.
 */
import fc from 'fast-check';
import defaultConfig from '../../config/switchyard.json';
import {
  isoWeek,
  parsePeriod,
  periodEnd,
  periodId,
  periodKindOf,
  periodLabel,
  periodRecordDays,
  periodStart,
  PERIOD_KINDS,
} from '../../functions/core/budget/periods';
import { budgetRefused } from '../../functions/core/budget/quota-errors';
import { budgetScopes, configuredPeriodLimits, type KeyQuota, keyPeriodUsd } from '../../functions/core/budget/scopes';
import { compileConfig } from '../../functions/core/config/compile';
import type { SwitchyardConfig } from '../../functions/core/config/schema';

const at = (iso: string) => Date.parse(iso);

describe('ISO weeks', () => {
  // Expected values from GNU date (`date -u -d DAY +%G-W%V`).
  it.each([
    ['2020-12-31', '2020-W53'],
    ['2021-01-03', '2020-W53'],
    ['2021-01-04', '2021-W01'],
    ['2024-12-29', '2024-W52'],
    ['2024-12-30', '2025-W01'],
    ['2026-01-01', '2026-W01'],
    ['2026-12-06', '2026-W49'],
    ['2026-12-27', '2026-W52'],
    ['2026-12-28', '2026-W53'],
    ['2027-01-03', '2026-W53'],
    ['2027-01-04', '2027-W01'],
    ['2015-12-31', '2015-W53'],
    ['2008-12-29', '2009-W01'],
    ['2010-01-03', '2009-W53'],
  ])('%s is %s', (day, week) => {
    expect(isoWeek(at(`${day}T00:00:00Z`))).toBe(week);
    expect(isoWeek(at(`${day}T23:59:59.999Z`))).toBe(week);
  });
});

describe('period ids and bounds', () => {
  it('names the day, the ISO week and the month of an instant, in UTC', () => {
    const t = at('2026-12-06T23:30:00Z');
    expect(periodId('day', t)).toBe('d2026-12-06');
    expect(periodId('week', t)).toBe('w2026-W49');
    expect(periodId('month', t)).toBe('m2026-12');
    expect(periodKindOf('m2026-12')).toBe('month');
    expect(periodKindOf('rolling')).toBeUndefined();
  });

  it('starts weeks on Monday 00:00 UTC and months on the 1st, and ends each where the next begins', () => {
    const t = at('2026-12-06T23:30:00Z'); // a Sunday
    expect(new Date(periodStart('week', t)).toISOString()).toBe('2026-11-30T00:00:00.000Z');
    expect(new Date(periodEnd('week', t)).toISOString()).toBe('2026-12-07T00:00:00.000Z');
    expect(new Date(periodStart('month', t)).toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(new Date(periodEnd('month', t)).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(new Date(periodEnd('month', at('2028-02-10T00:00:00Z'))).toISOString()).toBe('2028-03-01T00:00:00.000Z');
    expect(new Date(periodEnd('day', t)).toISOString()).toBe('2026-12-07T00:00:00.000Z');
  });

  it('a millisecond before midnight on the last of the month and midnight itself are different months, weeks apart or not', () => {
    const before = at('2026-11-30T23:59:59.999Z');
    const after = at('2026-12-01T00:00:00.000Z');
    expect(periodId('month', before)).toBe('m2026-11');
    expect(periodId('month', after)).toBe('m2026-12');
    // Nov 30 2026 is a Monday: both instants are in the same ISO week.
    expect(periodId('week', before)).toBe(periodId('week', after));
    expect(periodId('day', before)).not.toBe(periodId('day', after));
  });

  it('property: every instant lies in its period, periods of a kind tile time, ids round-trip', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2100, 0, 1) }),
        fc.constantFrom(...PERIOD_KINDS),
        (t, kind) => {
          const id = periodId(kind, t);
          const p = parsePeriod(id)!;
          expect(p.kind).toBe(kind);
          expect(p.start).toBeLessThanOrEqual(t);
          expect(t).toBeLessThan(p.end);
          expect(p.start).toBe(periodStart(kind, t));
          expect(p.end).toBe(periodEnd(kind, t));
          // The next period starts exactly at the end, and the last instant before it is still this one.
          expect(periodId(kind, p.end)).not.toBe(id);
          expect(periodId(kind, p.end - 1)).toBe(id);
          expect(periodStart(kind, p.end)).toBe(p.end);
          if (kind === 'week') {
            expect(new Date(p.start).getUTCDay()).toBe(1);
            expect(p.end - p.start).toBe(7 * 86_400_000);
          }
        },
      ),
      { numRuns: 2_000, seed: 7 },
    );
  });

  it('refuses ids that are not periods', () => {
    for (const bad of ['rolling', 'm2026-13', 'w2026-W54', 'w2025-W53', 'd2026-02-30', 'x2026-12', 'm2026-1'])
      expect(parsePeriod(bad)).toBeUndefined();
    expect(parsePeriod('w2026-W53')?.kind).toBe('week');
  });

  it('lists the days whose holder records may hold a period, from the day before it starts', () => {
    expect(periodRecordDays('d2026-12-01')).toEqual(['2026-11-30', '2026-12-01']);
    expect(periodRecordDays('w2026-W49')).toEqual([
      '2026-11-29',
      '2026-11-30',
      '2026-12-01',
      '2026-12-02',
      '2026-12-03',
      '2026-12-04',
      '2026-12-05',
      '2026-12-06',
    ]);
    const feb = periodRecordDays('m2028-02');
    expect(feb[0]).toBe('2028-01-31');
    expect(feb.at(-1)).toBe('2028-02-29');
    expect(feb).toHaveLength(30);
    expect(periodLabel('w2026-W49')).toBe('week 2026-W49');
    expect(periodLabel('m2026-12')).toBe('2026-12');
  });
});

describe('budget scopes per period', () => {
  const base = compileConfig(defaultConfig).settings;
  const withBudgets = (b: Partial<SwitchyardConfig['budgets']>): SwitchyardConfig => ({
    ...base,
    budgets: { ...base.budgets, ...b },
  });
  const t = at('2026-12-06T12:00:00Z');
  const key: KeyQuota = { keyId: 'key_0123456789abcdef', admin: false };
  const ids = (cfg: SwitchyardConfig, k: KeyQuota | undefined, model: object) =>
    budgetScopes(cfg, k, { id: 'gpt-4.1', ...model }, t).map((s) => `${s.id}@${s.period}=${s.limit}`);

  it('without weekly or monthly limits, checks the daily scopes only, as before', () => {
    expect(ids(base, undefined, {})).toEqual(['global@d2026-12-06=100000000']);
    // A non-admin key without a limit gets the default share of the global daily budget.
    expect(ids(base, key, { dailyBudgetUsd: 25 })).toEqual([
      'global@d2026-12-06=100000000',
      'key#key_0123456789abcdef@d2026-12-06=50000000',
      'model#gpt-4.1@d2026-12-06=25000000',
    ]);
  });

  it('adds a scope per period with a limit, months first, then weeks, then days', () => {
    const cfg = withBudgets({ globalMonthlyUsd: 1_000, globalWeeklyUsd: 300 });
    expect(ids(cfg, { ...key, monthlyBudgetUsd: 40 }, { monthlyBudgetUsd: 500, weeklyBudgetUsd: 150 })).toEqual([
      'global@m2026-12=1000000000',
      'key#key_0123456789abcdef@m2026-12=40000000',
      'model#gpt-4.1@m2026-12=500000000',
      'global@w2026-W49=300000000',
      // No weekly limit of its own: half the global weekly budget (defaultKeyShare).
      'key#key_0123456789abcdef@w2026-W49=150000000',
      'model#gpt-4.1@w2026-W49=150000000',
      'global@d2026-12-06=100000000',
      'key#key_0123456789abcdef@d2026-12-06=50000000',
    ]);
  });

  it("a key's limit: its own, else the config's per-key limit, else a share of the global one (not for admin keys)", () => {
    const cfg = withBudgets({ globalMonthlyUsd: 1_000, perKeyWeeklyUsd: 70 });
    expect(keyPeriodUsd(cfg, { ...key, monthlyBudgetUsd: 0 }, 'month')).toBe(0);
    expect(keyPeriodUsd(cfg, key, 'month')).toBe(500);
    expect(keyPeriodUsd(cfg, key, 'week')).toBe(70);
    expect(keyPeriodUsd(cfg, { ...key, admin: true }, 'month')).toBeUndefined();
    expect(keyPeriodUsd(cfg, { ...key, admin: true }, 'week')).toBe(70);
    expect(keyPeriodUsd(base, key, 'month')).toBeUndefined();
  });

  it('spreads each period scope over shards sized by its own limit', () => {
    const cfg = withBudgets({ globalMonthlyUsd: 0.5, globalWeeklyUsd: 3_000 });
    const scopes = budgetScopes(cfg, undefined, { id: 'm' }, t);
    expect(scopes.map((s) => [s.period, s.shards])).toEqual([
      ['m2026-12', 1],
      ['w2026-W49', cfg.budgets.globalShards],
      ['d2026-12-06', cfg.budgets.globalShards],
    ]);
  });

  it('takes the period from the request start: one instant before midnight is still the old month', () => {
    const cfg = withBudgets({ globalMonthlyUsd: 10 });
    const before = budgetScopes(cfg, undefined, { id: 'm' }, at('2026-11-30T23:59:59.999Z'));
    const after = budgetScopes(cfg, undefined, { id: 'm' }, at('2026-12-01T00:00:00Z'));
    expect(before.map((s) => s.period)).toEqual(['m2026-11', 'd2026-11-30']);
    expect(after.map((s) => s.period)).toEqual(['m2026-12', 'd2026-12-01']);
  });

  it('lists the configured limits of a period for the report', () => {
    const cfg = {
      ...withBudgets({ globalMonthlyUsd: 1_000 }),
      models: base.models.map((m) => (m.id === 'gpt-4.1' ? { ...m, monthlyBudgetUsd: 250 } : m)),
    };
    expect(configuredPeriodLimits(cfg, 'month')).toEqual({ global: 1_000_000_000, 'model#gpt-4.1': 250_000_000 });
    expect(configuredPeriodLimits(cfg, 'week')).toEqual({});
  });
});

describe('budget refusals name the period', () => {
  const scope = (period: string, id = 'global', limit = 1_000_000_000) => ({
    kind: 'budget' as const,
    id,
    period,
    limit,
    shards: 4,
  });

  it('monthly: 429 insufficient_quota, the month, its reset and a Retry-After to the 1st', () => {
    const now = at('2026-12-30T12:00:00Z');
    const e = budgetRefused(scope('m2026-12', 'key#key_0123456789abcdef', 40_000_000), now);
    expect(e.status).toBe(429);
    expect(e.toBody()).toEqual({
      error: {
        message:
          "Monthly budget exhausted: this API key's limit of $40.00 for 2026-12 would be exceeded by this request. It resets at 2027-01-01T00:00:00.000Z (the 1st of the month, 00:00 UTC).",
        type: 'insufficient_quota',
        param: null,
        code: 'insufficient_quota',
      },
    });
    expect(e.headers['retry-after']).toBe(String(36 * 3600));
    expect(e.headers['x-switchyard-refused-by']).toBe('key#key_0123456789abcdef');
    expect(e.headers['x-switchyard-refused-period']).toBe('m2026-12');
  });

  it('weekly: the ISO week and Monday 00:00 UTC', () => {
    const now = at('2026-12-06T23:00:00Z');
    const e = budgetRefused(scope('w2026-W49', 'model#gpt-4.1', 150_000_000), now);
    expect(e.message).toBe(
      "Weekly budget exhausted: model gpt-4.1's limit of $150.00 for week 2026-W49 would be exceeded by this request. It resets at 2026-12-07T00:00:00.000Z (Monday 00:00 UTC).",
    );
    expect(e.headers['retry-after']).toBe('3600');
  });

  it('daily: the message it always had', () => {
    const now = at('2026-12-06T23:00:00Z');
    expect(budgetRefused(scope('d2026-12-06', 'global', 100_000_000), now).message).toBe(
      'Daily budget exhausted: the global limit of $100.00 would be exceeded by this request. It resets at 2026-12-07T00:00:00.000Z (00:00 UTC).',
    );
  });

  it('a request that started in the old month and is refused after midnight may retry at once', () => {
    const e = budgetRefused(scope('m2026-11'), at('2026-12-01T00:00:00.050Z'));
    expect(e.headers['retry-after']).toBe('0');
    expect(e.message).toContain('It resets at 2026-12-01T00:00:00.000Z');
  });
});
