/**
 * GET /v1/stats?days=N (admin keys only): usage counters per scope and model, plus the budget
 * ledgers, for today and the days before (default 2: today and yesterday), and `periods`: the
 * budgets of the current ISO week and calendar month. `npm run report` prints this answer as a
 * table, so the CLI works the same against the local runtime and a deployed stack.
 *
 * Cost: per day one Query per holder-record partition (usage and open slices) and one GetItem per
 * budget shard (adapters/dynamo/quota/report.ts). The week and the month (routes/stats-periods.ts)
 * are read only when a limit of that kind exists; an instance reads their earlier days once, and
 * shares today's and yesterday's records with the day table, as do the endpoints' recent-window
 * counters. Model rows carry the day's SLO verdict; `endpoints` is each endpoint now (breaker,
 * failure rate over the breaker window, calls in flight).
 */
import { parseStatsDays, recentUtcDays } from '../../core/stats/days';
import { statsReport, withConfiguredLimits, type BudgetRow } from '../../core/stats/stats-report';
import type { RouterDeps } from '../deps';
import { GatewayError } from '../../core/openai/errors';
import { json, type HttpResult } from '../http';
import { requireAdmin } from '../key-policy';
import type { RequestContext } from '../request-context';
import { periodRows } from './stats-periods';
import { readLiveEndpoints } from '../live-endpoints';

export async function stats(ctx: RequestContext, deps: RouterDeps): Promise<HttpResult> {
  requireAdmin(ctx);
  const n = parseStatsDays(ctx.query?.days);
  const now = deps.now();
  const limits = configuredLimits(deps);
  await deps.state.ensureFresh();
  const [days, periods, endpoints] = await Promise.all([
    Promise.all(
      recentUtcDays(now, n).map(async (day) => {
        const [usage, budgets] = await Promise.all([usageRows(deps, day), budgetRows(deps, day)]);
        return { day, usage, budgets: withConfiguredLimits(budgets, limits) };
      }),
    ),
    periodRows(deps, now),
    readLiveEndpoints(deps, now),
  ]);
  const slos = [...deps.config.models.values()].flatMap((m) => (m.slo ? [m.slo] : []));
  const report = { ...statsReport(days, now, { slos, endpoints }), ...(periods.length ? { periods } : {}) };
  return json(200, report, { 'x-request-id': ctx.requestId, 'cache-control': 'no-store' });
}

/** Daily limits the config sets (ledger scope -> micro-dollars); per-key limits live in key records. */
function configuredLimits(deps: RouterDeps): Record<string, number> {
  const limits: Record<string, number> = { global: Math.round(deps.config.settings.budgets.globalDailyUsd * 1e6) };
  for (const m of deps.config.settings.models)
    if (m.dailyBudgetUsd !== undefined) limits[`model#${m.id}`] = Math.round(m.dailyBudgetUsd * 1e6);
  return limits;
}

/**
 * Usage counters are the answer itself, so an unreadable store (throttled, timed out, unreachable
 * under overload) is a 503 the caller can retry, never a 500: nothing the caller sent was wrong.
 */
async function usageRows(deps: RouterDeps, day: string) {
  try {
    return await deps.report.usage(day);
  } catch (err) {
    deps.log('warn', 'stats: usage counters unreadable', { day, error: String(err) });
    throw new GatewayError(
      503,
      'Usage statistics cannot be read right now (the shared store did not answer); retry shortly.',
      'service_unavailable',
      'stats_unavailable',
      null,
      { 'retry-after': '2' },
    );
  }
}

/** Ledger figures are a bonus: a failing ledger read still lets the usage numbers through. */
async function budgetRows(deps: RouterDeps, day: string): Promise<BudgetRow[]> {
  try {
    return await deps.report.budgets(day);
  } catch (err) {
    deps.log('warn', 'stats: budget ledger snapshot failed', { day, error: String(err) });
    return [];
  }
}
