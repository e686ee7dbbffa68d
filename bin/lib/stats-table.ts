/**
 * The stats report as terminal tables (`npm run report`). It prints the very values of the JSON
 * (cost as the same USD string, percentiles as the same numbers), so the two can be compared
 * cell by cell. Columns are separated by at least two spaces; labels use single spaces.
 */
import type { LiveEndpoint } from '../../functions/core/stats/endpoint-health';
import type { BudgetStats, DayStats, ScopeStats, StatsReport } from '../../functions/core/stats/stats-report';
import type { SloMeasure } from '../../functions/core/slo/verdict';

const USAGE_HEADER = [
  '',
  'requests',
  'ok',
  'errors',
  'input tok',
  'output tok',
  'cost USD',
  'USD/request',
  'avg ms',
  'p50 ms',
  'p95 ms',
  'p99 ms',
];
const BUDGET_HEADER = ['budget', 'limit USD', 'spent USD', 'reserved USD', 'used'];
const CACHE_HEADER = ['response cache', 'hits', 'misses', 'hit rate', 'saved USD'];
const SLO_HEADER = ['', 'tier', 'percentile', 'ttft target', 'ttft', 'total target', 'total', 'met'];
const ENDPOINT_HEADER = ['endpoint now', 'health', 'breaker', 'window calls', 'failures', 'failure rate', 'in flight'];

const dash = (v: number | null | undefined) => (v === null || v === undefined ? '-' : String(v));
const verdict = (met: boolean | null) => (met === null ? '-' : met ? 'yes' : 'no');

export function usageCells(label: string, s: ScopeStats): string[] {
  return [
    label,
    String(s.requests),
    String(s.successes),
    String(s.errors),
    String(s.inputTokens),
    String(s.outputTokens),
    s.costUsd,
    s.costPerRequestUsd ?? '-',
    dash(s.avgMs),
    dash(s.p50Ms),
    dash(s.p95Ms),
    dash(s.p99Ms),
  ];
}

/** One model's SLO verdict: targets, the day's percentile per measure, and whether it was met. */
export function sloCells(m: ScopeStats): string[] | undefined {
  if (!m.slo) return undefined;
  const target = (x: SloMeasure | null) => dash(x?.targetMs);
  const seen = (x: SloMeasure | null) => dash(x?.observedMs);
  const s = m.slo;
  return [
    `slo ${m.name}`,
    s.tier ?? '-',
    s.percentile,
    target(s.ttft),
    seen(s.ttft),
    target(s.total),
    seen(s.total),
    verdict(s.met),
  ];
}

export function endpointCells(e: LiveEndpoint): string[] {
  return [
    e.id,
    e.status,
    e.breaker.state,
    dash(e.window?.calls),
    dash(e.window?.failures),
    e.window?.failureRate === null || e.window === null ? '-' : `${(e.window.failureRate * 100).toFixed(1)}%`,
    String(e.inFlight),
  ];
}

export function budgetCells(b: BudgetStats): string[] {
  return [
    b.scope,
    b.limitUsd,
    b.spentUsd,
    b.reservedUsd,
    b.usedPercent === null ? '-' : `${b.usedPercent.toFixed(1)}%`,
  ];
}

/** The hit rate among lookups (hits + misses), one decimal; `-` without lookups. */
export function cacheCells(label: string, s: ScopeStats): string[] {
  const lookups = s.cacheHits + s.cacheMisses;
  const rate = lookups ? `${((s.cacheHits / lookups) * 100).toFixed(1)}%` : '-';
  return [label, String(s.cacheHits), String(s.cacheMisses), rate, s.savedUsd];
}

/** First column left-aligned, the rest right-aligned, two spaces between columns. */
export function renderTable(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function dayTitle(d: DayStats, index: number): string {
  return index === 0 ? `${d.day} (today, UTC)` : index === 1 ? `${d.day} (yesterday)` : d.day;
}

export function renderDay(d: DayStats, index = 0): string {
  const usage = [
    USAGE_HEADER,
    usageCells('total', d.total),
    ...d.models.map((m) => usageCells(`model ${m.name}`, m)),
    ...d.scopes.map((s) => usageCells(`${s.kind} ${s.name}`, s)),
  ];
  const parts = [dayTitle(d, index), renderTable(usage)];
  const slos = d.models.map(sloCells).filter((c): c is string[] => c !== undefined);
  if (slos.length) parts.push('', renderTable([SLO_HEADER, ...slos]));
  if (d.budgets.length) parts.push('', renderTable([BUDGET_HEADER, ...d.budgets.map(budgetCells)]));
  // Only the routes and keys that used the cache (the total when any did).
  const cached = d.scopes.filter((s) => (s.kind === 'route' || s.kind === 'key') && s.cacheHits + s.cacheMisses > 0);
  if (cached.length) {
    const rows = [cacheCells('total', d.total), ...cached.map((s) => cacheCells(`${s.kind} ${s.name}`, s))];
    parts.push('', renderTable([CACHE_HEADER, ...rows]));
  }
  return parts.join('\n');
}

export function renderStatsTable(report: StatsReport): string {
  if (!report.days.length) return 'no days requested';
  const days = report.days.map((d, i) => renderDay(d, i)).join('\n\n');
  const endpoints = report.endpoints?.length
    ? `\n\n${renderTable([ENDPOINT_HEADER, ...report.endpoints.map(endpointCells)])}`
    : '';
  return days + endpoints + '\n';
}

/** Splits a rendered row back into cells (tests use it to compare the table with the JSON). */
export function parseTableRow(line: string): string[] {
  return line.trim().split(/\s{2,}/);
}
