/** The week's and month's budgets as terminal tables, after the days' (`npm run report`). */
import type { PeriodBudgetStats, StatsWithPeriods } from '../../functions/core/stats/period-budgets';
import { budgetCells, renderStatsTable, renderTable } from './stats-table';

const HEADER = ['budget', 'limit USD', 'spent USD', 'reserved USD', 'used'];

/** The `npm run report` section for the longer periods, in the daily budget table's columns. */
export function renderPeriodBudgets(periods: readonly PeriodBudgetStats[]): string {
  return periods
    .map((p) => {
      const title = `${p.kind === 'week' ? 'This week' : 'This month'} (${p.label}, UTC; resets ${p.resetsAt})`;
      return `${title}\n${renderTable([HEADER, ...p.budgets.map(budgetCells)])}`;
    })
    .join('\n\n');
}

/** `npm run report`: the days' tables, then the week's and the month's budgets. */
export function renderStatsWithPeriods(report: StatsWithPeriods): string {
  const days = renderStatsTable(report);
  if (!report.periods?.length || !report.days.length) return days;
  return `${days}\n${renderPeriodBudgets(report.periods)}\n`;
}
