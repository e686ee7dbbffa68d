import type { RouterDeps } from '../deps';
import { json, type HttpResult } from '../http';
import { requireAdmin } from '../key-policy';
import type { RequestContext } from '../request-context';
import { modelHealth } from '../../core/stats/model-health';
import { utcDay } from '../../core/time';
import { readLiveEndpoints } from '../live-endpoints';

/**
 * GET /health/deep, admin keys only: the gateway's own status plus what it knows of its endpoints;
 * never URLs or keys. 503 when health data says every model is down. DynamoDB being unreachable
 * degrades, never fails, the gateway (it keeps routing on instance-local state).
 *
 * Anonymous GET /health is answered by API Gateway itself (no Lambda): a flood of it costs no
 * router capacity. Region failover does not probe either: Route 53 watches the health check's
 * "no model available" alarm (lib/constructs/regional-domain.ts).
 *
 * Per endpoint: breaker state, failure rate over the breaker window, calls in flight and today's
 * latency; per model (`modelHealth`): the same summed over its endpoints plus today's latency and
 * SLO verdict. Those read the usage counters (one Query per holder partition and day); a failed
 * read leaves them null, never fails the call.
 */
export async function deepHealth(ctx: RequestContext, deps: RouterDeps): Promise<HttpResult> {
  requireAdmin(ctx);
  return health(ctx, deps);
}

/** The deep health body (exported for direct callers and tests). */
export async function health(ctx: RequestContext, deps: RouterDeps): Promise<HttpResult> {
  await deps.state.ensureFresh();
  const summary = deps.endpoints.summary();
  const dynamo = deps.dynamo.status();
  // Guarantees served from held quota only (bounded) or not enforced (open) while DynamoDB fails.
  const degradedGuarantees = deps.quota.degraded();
  const models = [...deps.config.models.values()];
  const modelsDown = models.filter((m) => deps.endpoints.modelStatus(m) === 'down').map((m) => m.id);
  const unavailable = models.length > 0 && modelsDown.length === models.length;
  const status = unavailable
    ? 'unavailable'
    : modelsDown.length > 0 || summary.down > 0 || !dynamo.reachable || degradedGuarantees.length > 0
      ? 'degraded'
      : 'ok';
  const { endpoints, ...counts } = summary;
  const now = deps.now();
  // Together: the report reads the holder records once for both.
  const usageRead = deps.report.usage(utcDay(now)).catch((err): undefined => {
    deps.log('warn', 'health: usage counters unreadable', { error: String(err) });
    return undefined;
  });
  const live = await readLiveEndpoints(deps, now, usageRead);
  const usage = await usageRead;
  const detail = new Map(live.map((e) => [e.id, e]));
  const list = endpoints.map((e) => {
    const d = detail.get(e.id);
    return d ? { ...e, breaker: d.breaker, window: d.window, inFlight: d.inFlight, today: d.today ?? null } : e;
  });
  return json(unavailable ? 503 : 200, {
    status,
    version: ctx.functionVersion,
    config: { version: deps.config.settings.version, fingerprint: deps.config.fingerprint },
    dynamo,
    sharedState: { degraded: degradedGuarantees },
    models: models.length,
    modelsDown,
    endpoints: { total: deps.config.endpoints.size, ...counts, list },
    modelHealth: modelHealth(
      models.map((m) => ({ id: m.id, status: deps.endpoints.modelStatus(m), slo: m.slo })),
      live,
      usage,
    ),
  });
}
