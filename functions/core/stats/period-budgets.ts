/**
 * Budgets of the current ISO week and calendar month in the stats report, beside each day's daily
 * budgets: spend against each limit the config or a key sets for that period. Pure (the terminal
 * table is bin/lib/period-budgets-table.ts).
 */
import { type PeriodKind, parsePeriod, periodId, periodLabel } from '../budget/periods';
import { type BudgetRow, type BudgetStats, budgetStats, type StatsReport, withConfiguredLimits } from './stats-report';

export interface PeriodBudgetStats {
  /** `w2026-W49` or `m2026-12`. */
  period: string;
  kind: PeriodKind;
  /** `week 2026-W49`, `2026-12`. */
  label: string;
  startsAt: string;
  /** When the period's budgets reset (the next period's first instant). */
  resetsAt: string;
  budgets: BudgetStats[];
}

/** GET /v1/stats: the days, and the budgets of the current week and month (absent when none is set). */
export interface StatsWithPeriods extends StatsReport {
  periods?: PeriodBudgetStats[];
}

/** The longer periods the report shows (each day's daily budgets are in its day). */
export const REPORTED_PERIODS: readonly PeriodKind[] = ['week', 'month'];

export function currentPeriods(now: number): string[] {
  return REPORTED_PERIODS.map((kind) => periodId(kind, now));
}

const globalFirst = (a: BudgetStats, b: BudgetStats) =>
  a.scope === 'global' ? -1 : b.scope === 'global' ? 1 : a.scope.localeCompare(b.scope);

/**
 * One period's figures: the ledger's rows with the configured limits laid over them (configured
 * scopes are listed before any spend). A period without any budget is left out (undefined).
 */
export function periodBudgetStats(
  period: string,
  rows: BudgetRow[],
  configured: Record<string, number>,
): PeriodBudgetStats | undefined {
  const p = parsePeriod(period);
  if (!p) return undefined;
  const budgets = withConfiguredLimits(rows, configured).map(budgetStats).sort(globalFirst);
  if (!budgets.length) return undefined;
  return {
    period,
    kind: p.kind,
    label: periodLabel(period),
    startsAt: new Date(p.start).toISOString(),
    resetsAt: new Date(p.end).toISOString(),
    budgets,
  };
}
