/**
 * The `periods` part of GET /v1/stats: the current ISO week's and calendar month's budgets against
 * their limits. A period kind is read only when something can limit it: the config (a global,
 * per-key or model limit of that kind) or a key record with a limit of its own. Most gateways have
 * neither and then pay nothing; the key-record check is one Scan of the keys table per instance and
 * minute.
 */
import type { PeriodKind } from '../../core/budget/periods';
import { parsePeriod } from '../../core/budget/periods';
import { configuredPeriodLimits, periodInConfig } from '../../core/budget/scopes';
import { currentPeriods, type PeriodBudgetStats, periodBudgetStats } from '../../core/stats/period-budgets';
import type { BudgetRow } from '../../core/stats/stats-report';
import type { RouterDeps } from '../deps';

const KEY_CHECK_MS = 60_000;
let keyKinds: { at: number; kinds: Set<PeriodKind> } | undefined;

/** Period kinds some key record limits with its own weekly or monthly budget (all kinds when unknown). */
async function kindsKeysLimit(deps: RouterDeps, now: number): Promise<Set<PeriodKind>> {
  if (keyKinds && now - keyKinds.at < KEY_CHECK_MS && now >= keyKinds.at) return keyKinds.kinds;
  const store = deps.admin?.keys;
  if (!store) return new Set(['week', 'month']);
  try {
    const kinds = new Set<PeriodKind>();
    for (const k of await store.list()) {
      if (k.status !== 'active') continue;
      if (k.weeklyBudgetUsd !== undefined) kinds.add('week');
      if (k.monthlyBudgetUsd !== undefined) kinds.add('month');
    }
    keyKinds = { at: now, kinds };
    return kinds;
  } catch (err) {
    deps.log('warn', 'stats: key records unreadable; reading every budget period', { error: String(err) });
    return new Set(['week', 'month']);
  }
}

/** The current week's and month's budgets; a period nobody set a limit for is left out. */
export async function periodRows(deps: RouterDeps, now: number): Promise<PeriodBudgetStats[]> {
  const cfg = deps.config.settings;
  const periods = currentPeriods(now).map((period) => ({ period, kind: parsePeriod(period)!.kind }));
  const fromKeys = periods.every((p) => periodInConfig(cfg, p.kind)) ? undefined : await kindsKeysLimit(deps, now);
  const out: PeriodBudgetStats[] = [];
  for (const { period, kind } of periods) {
    if (!periodInConfig(cfg, kind) && !fromKeys?.has(kind)) continue;
    let rows: BudgetRow[] = [];
    try {
      rows = await deps.report.periodBudgets(period, now);
    } catch (err) {
      deps.log('warn', 'stats: budget ledger snapshot failed', { period, error: String(err) });
    }
    const stats = periodBudgetStats(period, rows, configuredPeriodLimits(cfg, kind));
    if (stats) out.push(stats);
  }
  return out;
}
