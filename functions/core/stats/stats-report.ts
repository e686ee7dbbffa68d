/**
 * What GET /v1/stats answers and `npm run report` prints: per UTC day, the usage counters per scope
 * (model, route, key, variant) and the budget ledgers. Pure: the route reads the rows, this shapes
 * them, so the JSON and the terminal table can only differ in layout.
 */
import { meanMs, mergeHistograms, quantileMs } from '../latency-histogram';
import { microsToUsd } from '../pricing';
import type { ModelSlo } from '../slo/objectives';
import { sloVerdict, type SloVerdict } from '../slo/verdict';
import type { LiveEndpoint } from './endpoint-health';

/** One usage-counter row: what the usage store returns for a scope and day. */
export interface UsageRow {
  scope: string;
  requests: number;
  successes: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  costMicros: number;
  latency: Record<number, number>;
  /** Response cache: requests answered from it, lookups that missed, and the cost the hits saved. */
  cacheHits?: number;
  cacheMisses?: number;
  savedMicros?: number;
  /** Model rows: time to first token per request (a stream's first content, else the whole request). */
  firstToken?: Record<number, number>;
}

/** One budget ledger row: what the ledger's `snapshot(day)` returns. */
export interface BudgetRow {
  scope: string;
  limitMicros: number;
  spentMicros: number;
  reservedMicros: number;
}

export interface ScopeStats {
  /** As stored: `model#gpt-4.1`, `route#auto`, `key#key_ab12...`, `variant#auto:gpt-4.1`, or `total`. */
  scope: string;
  kind: string;
  name: string;
  requests: number;
  successes: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
  costUsd: string;
  /** Upper bound of the latency bucket holding the quantile (buckets are ~12% wide); null without requests. */
  p50Ms: number | null;
  p99Ms: number | null;
  /** Response cache: hits, misses, and what the hits saved (the answers' cost when they were produced). */
  cacheHits: number;
  cacheMisses: number;
  savedMicros: number;
  savedUsd: string;
  /** successes / requests, 0..1 with four decimals; null without requests. */
  successRate: number | null;
  /** Mean latency from the histogram (buckets at their middle: within ~6%); null without requests. */
  avgMs: number | null;
  p95Ms: number | null;
  /** costMicros / requests, rounded; null without requests. */
  costPerRequestMicros: number | null;
  costPerRequestUsd: string | null;
  /** Model rows only: the day judged against the model's latency objective (null: the model has none). */
  slo?: SloVerdict | null;
}

export interface BudgetStats {
  scope: string;
  limitMicros: number;
  limitUsd: string;
  spentMicros: number;
  spentUsd: string;
  reservedMicros: number;
  reservedUsd: string;
  /** (spent + reserved) / limit, in percent with one decimal; null for a scope without a limit. */
  usedPercent: number | null;
}

export interface DayStats {
  day: string;
  /** Every request of the day: each one is counted in exactly one model row. */
  total: ScopeStats;
  models: ScopeStats[];
  /** Routes, keys, variants, endpoints (one row per upstream call) and any other scope, sorted by scope. */
  scopes: ScopeStats[];
  budgets: BudgetStats[];
}

export interface StatsReport {
  object: 'switchyard.stats';
  generatedAt: string;
  /** Each endpoint now: health, breaker, failure rate over the breaker window, calls in flight. */
  endpoints?: LiveEndpoint[];
  days: DayStats[];
}

function splitScope(scope: string): { kind: string; name: string } {
  const at = scope.indexOf('#');
  return at === -1 ? { kind: scope, name: scope } : { kind: scope.slice(0, at), name: scope.slice(at + 1) };
}

export function scopeStats(row: UsageRow): ScopeStats {
  const { kind, name } = splitScope(row.scope);
  return {
    scope: row.scope,
    kind,
    name,
    requests: row.requests,
    successes: row.successes,
    errors: row.errors,
    inputTokens: row.promptTokens,
    outputTokens: row.completionTokens,
    costMicros: row.costMicros,
    costUsd: microsToUsd(row.costMicros),
    p50Ms: quantileMs(row.latency, 0.5),
    p99Ms: quantileMs(row.latency, 0.99),
    cacheHits: row.cacheHits ?? 0,
    cacheMisses: row.cacheMisses ?? 0,
    savedMicros: row.savedMicros ?? 0,
    savedUsd: microsToUsd(row.savedMicros ?? 0),
    successRate: row.requests > 0 ? ratio(row.successes, row.requests) : null,
    avgMs: meanMs(row.latency),
    p95Ms: quantileMs(row.latency, 0.95),
    costPerRequestMicros: row.requests > 0 ? Math.round(row.costMicros / row.requests) : null,
    costPerRequestUsd: row.requests > 0 ? microsToUsd(Math.round(row.costMicros / row.requests)) : null,
  };
}

const ratio = (a: number, b: number) => Math.round((a / b) * 10_000) / 10_000;

/** A model row with its objective's verdict (`slos` lists the models that have one). */
function modelStats(row: UsageRow, slos: ReadonlyMap<string, ModelSlo>): ScopeStats {
  const slo = slos.get(row.scope.slice('model#'.length));
  return { ...scopeStats(row), slo: slo ? sloVerdict(slo, row) : null };
}

/** Sums rows; latency histograms merge, so the total's percentiles are real percentiles. */
export function sumRows(scope: string, rows: UsageRow[]): UsageRow {
  return rows.reduce<UsageRow>(
    (acc, r) => ({
      scope,
      requests: acc.requests + r.requests,
      successes: acc.successes + r.successes,
      errors: acc.errors + r.errors,
      promptTokens: acc.promptTokens + r.promptTokens,
      completionTokens: acc.completionTokens + r.completionTokens,
      costMicros: acc.costMicros + r.costMicros,
      latency: mergeHistograms(acc.latency, r.latency),
      cacheHits: (acc.cacheHits ?? 0) + (r.cacheHits ?? 0),
      cacheMisses: (acc.cacheMisses ?? 0) + (r.cacheMisses ?? 0),
      savedMicros: (acc.savedMicros ?? 0) + (r.savedMicros ?? 0),
    }),
    { scope, requests: 0, successes: 0, errors: 0, promptTokens: 0, completionTokens: 0, costMicros: 0, latency: {} },
  );
}

export function budgetStats(row: BudgetRow): BudgetStats {
  const used = row.spentMicros + row.reservedMicros;
  return {
    scope: row.scope,
    limitMicros: row.limitMicros,
    limitUsd: microsToUsd(row.limitMicros),
    spentMicros: row.spentMicros,
    spentUsd: microsToUsd(row.spentMicros),
    reservedMicros: row.reservedMicros,
    reservedUsd: microsToUsd(row.reservedMicros),
    usedPercent: row.limitMicros > 0 ? Math.round((used / row.limitMicros) * 1000) / 10 : null,
  };
}

/**
 * Limits from the config win over the ledger's: the ledger writes a limit only into the items (and
 * global shards) a request has touched, so its sum can be a fraction of the real limit. Configured
 * scopes are listed even before any spend, so the report always shows the global budget.
 */
export function withConfiguredLimits(rows: BudgetRow[], limits: Record<string, number>): BudgetRow[] {
  const out = new Map(rows.map((r) => [r.scope, { ...r }]));
  for (const [scope, limitMicros] of Object.entries(limits)) {
    const row = out.get(scope) ?? { scope, limitMicros, spentMicros: 0, reservedMicros: 0 };
    row.limitMicros = limitMicros;
    out.set(scope, row);
  }
  return [...out.values()];
}

const byCostThenName = (a: ScopeStats, b: ScopeStats) => b.costMicros - a.costMicros || a.name.localeCompare(b.name);
/** Global first, then the rest by scope name. */
const budgetOrder = (a: BudgetStats, b: BudgetStats) =>
  a.scope === 'global' ? -1 : b.scope === 'global' ? 1 : a.scope.localeCompare(b.scope);

export function dayStats(
  day: string,
  usage: UsageRow[],
  budgets: BudgetRow[] = [],
  slos: ReadonlyMap<string, ModelSlo> = new Map(),
): DayStats {
  const modelRows = usage.filter((r) => r.scope.startsWith('model#'));
  // The router counts every request in the row of the model that answered (or last failed), or, when
  // a key's or the global budget refused it before any model was tried, in `refused#<scope kind>`, or,
  // when the response cache answered it, in `cached#<model>`: so those rows add up to the day. A
  // `global` row, if a writer keeps one, is shown among the scopes.
  const refusedRows = usage.filter((r) => r.scope.startsWith('refused#') || r.scope.startsWith('cached#'));
  const others = usage.filter((r) => !r.scope.startsWith('model#'));
  return {
    day,
    total: scopeStats(sumRows('total', [...modelRows, ...refusedRows])),
    models: modelRows.map((r) => modelStats(r, slos)).sort(byCostThenName),
    scopes: others.map(scopeStats).sort((a, b) => a.scope.localeCompare(b.scope)),
    budgets: budgets.map(budgetStats).sort(budgetOrder),
  };
}

export function statsReport(
  days: Array<{ day: string; usage: UsageRow[]; budgets?: BudgetRow[] }>,
  now: number,
  extra: { slos?: readonly ModelSlo[]; endpoints?: LiveEndpoint[] } = {},
): StatsReport {
  const slos = new Map((extra.slos ?? []).map((s) => [s.model, s]));
  return {
    object: 'switchyard.stats',
    generatedAt: new Date(now).toISOString(),
    ...(extra.endpoints ? { endpoints: extra.endpoints } : {}),
    days: days.map((d) => dayStats(d.day, d.usage, d.budgets, slos)),
  };
}
