/**
 * GET /v1/admin/state (admin keys only): what the console's models and routes views draw. Each
 * model's pool with per-endpoint health and breaker state, its concurrency cap, the routes with
 * their intents, fallbacks, A/B variants and budget-factor tiers. Read from this instance's state
 * snapshot (refreshed like any request's), never from upstreams; no URLs, no keys.
 */
import type { RouterDeps } from '../deps';
import { json, type HttpResult } from '../http';
import { requireAdmin } from '../key-policy';
import type { RequestContext } from '../request-context';

/**
 * Each capped model's slots held across the fleet (one read per slot shard). A read that fails
 * leaves the figure out (null) rather than failing the view.
 */
async function slotsInUse(deps: RouterDeps): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  await Promise.all(
    [...deps.config.models.values()].map(async (m) => {
      if (!m.maxConcurrency) return;
      try {
        out.set(m.id, await deps.report.slotsHeld(m.id, m.maxConcurrency));
      } catch (err) {
        deps.log('warn', 'concurrency slots unreadable', { model: m.id, error: (err as Error)?.name ?? String(err) });
      }
    }),
  );
  return out;
}

export async function adminState(ctx: RequestContext, deps: RouterDeps): Promise<HttpResult> {
  requireAdmin(ctx);
  await deps.state.ensureFresh();
  const health = new Map(deps.endpoints.summary().endpoints.map((e) => [e.id, e]));
  const now = deps.now();
  const inUse = await slotsInUse(deps);
  const models = [...deps.config.models.values()].map((m) => ({
    id: m.id,
    status: deps.endpoints.modelStatus(m),
    maxConcurrency: m.maxConcurrency ?? null,
    concurrencyInUse: inUse.get(m.id) ?? null,
    dailyBudgetUsd: m.dailyBudgetUsd ?? null,
    weeklyBudgetUsd: m.weeklyBudgetUsd ?? null,
    monthlyBudgetUsd: m.monthlyBudgetUsd ?? null,
    capabilities: m.capabilities,
    fallbacks: m.fallbacks,
    endpoints: m.endpoints.map((e) => {
      const h = health.get(e.id);
      const breaker = deps.breakers.view(e.id);
      return {
        id: e.id,
        region: e.region ?? null,
        status: h?.status ?? 'unknown',
        latencyEwmaMs: h?.latencyEwmaMs ?? null,
        lastError: h?.lastError ?? null,
        breaker: {
          phase: breaker.phase,
          failures: breaker.failures,
          sinceMs: breaker.changedAt ? Math.max(0, now - breaker.changedAt) : null,
        },
      };
    }),
  }));
  const b = deps.config.settings.budgets;
  const routes = [...deps.config.routes.entries()].map(([name, r]) => ({
    name,
    description: r.description ?? null,
    intents: r.intents,
    fallbacks: r.fallbacks,
    variants: r.variants ?? [],
    defaultBudgetFactor: r.defaultBudgetFactor,
  }));
  return json(
    200,
    {
      object: 'switchyard.state',
      generatedAt: new Date(now).toISOString(),
      version: ctx.functionVersion,
      config: { version: deps.config.settings.version, fingerprint: deps.config.fingerprint },
      dynamo: deps.dynamo.status(),
      models,
      routes,
      budgets: {
        globalDailyUsd: b.globalDailyUsd,
        globalWeeklyUsd: b.globalWeeklyUsd ?? null,
        globalMonthlyUsd: b.globalMonthlyUsd ?? null,
        lowFactor: b.lowFactor,
        highFactor: b.highFactor,
      },
      authorizerCacheTtlSeconds: deps.config.settings.gateway.authorizerCacheTtlSeconds,
    },
    { 'x-request-id': ctx.requestId, 'cache-control': 'no-store' },
  );
}
