/**
 * The week's and month's budgets in GET /v1/stats and `npm run report`: which periods are read,
 * how their rows are shaped, and that the table prints the JSON's values.
 */
import defaultConfig from '../../config/switchyard.json';
import { parseTableRow } from '../../bin/lib/stats-table';
import { renderStatsWithPeriods } from '../../bin/lib/period-budgets-table';
import type { KeyRecord } from '../../functions/core/keys';
import { compileConfig } from '../../functions/core/config/compile';
import { currentPeriods, periodBudgetStats } from '../../functions/core/stats/period-budgets';
import { statsReport, type BudgetRow } from '../../functions/core/stats/stats-report';
import type { RouterDeps } from '../../functions/router/deps';
import { periodRows } from '../../functions/router/routes/stats-periods';
import { stubDeps } from '../../local/in-memory/stub-deps';

const DAY = 86_400_000;
// Each test its own hour apart: the key-record check is cached per instance for a minute.
let clock = Date.parse('2026-12-09T12:00:00Z');
const nextNow = () => (clock += 3_600_000);

function deps(edit: (c: any) => void, keys?: Partial<KeyRecord>[]) {
  const c = structuredClone(defaultConfig) as any;
  edit(c);
  const asked: string[] = [];
  let listed = 0;
  const d = stubDeps({
    config: compileConfig(c),
    report: {
      usage: async () => [],
      budgets: async () => [],
      recent: async () => [],
      slotsHeld: async () => 0,
      periodBudgets: async (period) => {
        asked.push(period);
        return [{ scope: 'global', limitMicros: 1, spentMicros: 7_000_000, reservedMicros: 500_000 }];
      },
    },
    ...(keys
      ? {
          admin: {
            keys: {
              list: async () => {
                listed++;
                return keys.map((k, i) => ({ keyId: `key_${i}`, status: 'active', ...k })) as KeyRecord[];
              },
            },
          } as unknown as RouterDeps['admin'],
        }
      : {}),
  });
  return { d, asked, listed: () => listed };
}

describe('which budget periods /v1/stats reads', () => {
  it('none when neither the config nor any key limits a week or a month', async () => {
    const { d, asked } = deps(() => undefined, [{ dailyBudgetUsd: 5 }]);
    expect(await periodRows(d, nextNow())).toEqual([]);
    expect(asked).toEqual([]);
  });

  it('the month when the config has a monthly limit, with the configured limit over the ledger one', async () => {
    const { d, asked, listed } = deps((c) => (c.budgets.globalMonthlyUsd = 1_000), []);
    const now = nextNow();
    const rows = await periodRows(d, now);
    expect(asked).toEqual([currentPeriods(now)[1]]);
    expect(listed()).toBe(1);
    expect(rows).toEqual([
      {
        period: 'm2026-12',
        kind: 'month',
        label: '2026-12',
        startsAt: '2026-12-01T00:00:00.000Z',
        resetsAt: '2027-01-01T00:00:00.000Z',
        budgets: [
          {
            scope: 'global',
            limitMicros: 1_000_000_000,
            limitUsd: '1000.000000',
            spentMicros: 7_000_000,
            spentUsd: '7.000000',
            reservedMicros: 500_000,
            reservedUsd: '0.500000',
            usedPercent: 0.8,
          },
        ],
      },
    ]);
  });

  it('the week when only a key record has a weekly limit; the key check is cached for a minute', async () => {
    const { d, asked, listed } = deps(
      () => undefined,
      [{ weeklyBudgetUsd: 30 }, { status: 'revoked', monthlyBudgetUsd: 9 }],
    );
    const now = nextNow();
    await periodRows(d, now);
    await periodRows(d, now + 30_000);
    expect(asked).toEqual(['w2026-W50', 'w2026-W50']);
    expect(listed()).toBe(1);
  });

  it('both when the config limits both (no key check needed)', async () => {
    const { d, asked, listed } = deps((c) => {
      c.budgets.perKeyWeeklyUsd = 10;
      c.models[0].monthlyBudgetUsd = 50;
    }, []);
    await periodRows(d, nextNow());
    expect(asked).toEqual(['w2026-W50', 'm2026-12']);
    expect(listed()).toBe(0);
  });

  it('every period when the key records cannot be read', async () => {
    const { d, asked } = deps(() => undefined);
    await periodRows({ ...d, admin: undefined }, nextNow());
    expect(asked).toEqual(['w2026-W50', 'm2026-12']);
  });
});

describe('the period tables of npm run report', () => {
  it('print the values of the JSON, after the days', () => {
    const now = Date.parse('2026-12-09T12:00:00Z');
    const ledger: BudgetRow[] = [
      { scope: 'key#key_0123456789abcdef', limitMicros: 250_000_000, spentMicros: 40_500_000, reservedMicros: 0 },
      { scope: 'global', limitMicros: 1, spentMicros: 131_204_511, reservedMicros: 884_000 },
    ];
    const month = periodBudgetStats('m2026-12', ledger, { global: 1_000_000_000 })!;
    const week = periodBudgetStats('w2026-W50', [], { global: 500_000_000 })!;
    const report = { ...statsReport([{ day: '2026-12-09', usage: [] }], now), periods: [week, month] };
    const text = renderStatsWithPeriods(report);
    const lines = text.split('\n');
    const at = lines.indexOf('This month (2026-12, UTC; resets 2027-01-01T00:00:00.000Z)');
    expect(at).toBeGreaterThan(lines.indexOf('This week (week 2026-W50, UTC; resets 2026-12-14T00:00:00.000Z)'));
    expect(lines.indexOf('This week (week 2026-W50, UTC; resets 2026-12-14T00:00:00.000Z)')).toBeGreaterThan(
      lines.indexOf('2026-12-09 (today, UTC)'),
    );
    const cells = (label: string) => parseTableRow(lines.slice(at).find((l) => l.startsWith(`${label} `))!);
    expect(month.budgets.map((b) => b.scope)).toEqual(['global', 'key#key_0123456789abcdef']);
    expect(cells('global')).toEqual(['global', '1000.000000', '131.204511', '0.884000', '13.2%']);
    expect(cells('key#key_0123456789abcdef')).toEqual([
      'key#key_0123456789abcdef',
      '250.000000',
      '40.500000',
      '0.000000',
      '16.2%',
    ]);
    expect(text.endsWith('\n')).toBe(true);
    // Without periods the report is the day tables alone.
    expect(renderStatsWithPeriods({ ...report, periods: undefined })).not.toContain('This month');
    expect(week.budgets[0]).toMatchObject({ scope: 'global', spentMicros: 0, usedPercent: 0 });
    expect(Date.parse(week.resetsAt) - Date.parse(week.startsAt)).toBe(7 * DAY);
  });
});
