/**
 * Walks the plan's candidates until one answers. Per candidate, cheapest checks first:
 * health and breakers (memory) -> budget reservation (1 conditional write per scope) and
 * concurrency lease (1 conditional write, capped models only), taken in parallel -> upstream call,
 * retried with backoff and full jitter (Retry-After honoured exactly) inside the request's one deadline.
 * Failures feed the endpoint's breaker; whatever was taken (lease, reservation) is given back
 * before moving on.
 */
import type { CompiledEndpoint, CompiledModel } from '../../core/config/compile';
import { worstCaseMicros, type BudgetScope } from '../../core/budget/reservation';
import { GatewayError } from '../../core/openai/errors';
import { nextRetry, parseRetryAfter } from '../../core/resilience/backoff';
import { admission, msUntilProbe } from '../../core/resilience/breaker';
import { expectedCostScaled, type Plan, type PlanRequest } from '../../core/routing/plan';
import type { AttemptSummary } from '../../core/telemetry/request-summary';
import { nextUtcMidnight, utcDay } from '../../core/time';
import type { Lease } from '../../adapters/dynamo/lease-store';
import type { Reservation, ScopeRequest } from '../../adapters/dynamo/budget-ledger';
import type { RouterDeps } from '../deps';
import type { RequestContext } from '../request-context';
import { finalError } from './errors';
import { isRetryable, type AttemptFailure } from '../upstream-attempt';

/** One way of calling an endpoint (JSON or stream); resolves once the answer can be committed to. */
export type OpenCall<T> = (
  endpoint: CompiledEndpoint,
  signal: AbortSignal,
  headersTimeoutMs: number,
) => Promise<{ ok: true; value: T; upstreamMs: number } | AttemptFailure>;

export interface Held {
  model: CompiledModel;
  endpoint: CompiledEndpoint;
  probe: boolean;
  lease?: Lease;
  reservation?: Reservation;
}

export type ChainResult<T> =
  | {
      ok: true;
      value: T;
      held: Held;
      attempts: AttemptSummary[];
      upstreamMs: number;
      fallbacks: number;
      breakersOpened: string[];
    }
  | {
      ok: false;
      error: GatewayError;
      attempts: AttemptSummary[];
      upstreamMs: number;
      lastModel: string | null;
      breakersOpened: string[];
    };

export interface ExecInput {
  ctx: RequestContext;
  deps: RouterDeps;
  plan: Plan;
  planRequest: PlanRequest;
  deadline: number;
  callerRegion?: string;
}

/** Failures that say something about the endpoint's health (not about the request or our config). */
const COUNTS_FOR_BREAKER = new Set(['rate_limited', 'server_error', 'timeout', 'connection', 'stream_error']);

export function budgetScopes(input: Pick<ExecInput, 'deps' | 'ctx'>, model: CompiledModel): ScopeRequest[] {
  const { deps, ctx } = input;
  const b = deps.config.raw.budgets;
  const scopes: ScopeRequest[] = [{ kind: 'global', id: 'global', limitMicros: Math.round(b.globalDailyUsd * 1e6) }];
  const keyBudget = ctx.key?.dailyBudgetUsd ?? b.perKeyDailyUsd;
  if (ctx.key && keyBudget !== undefined)
    scopes.push({ kind: 'key', id: `key#${ctx.key.keyId}`, limitMicros: Math.round(keyBudget * 1e6) });
  if (model.dailyBudgetUsd !== undefined)
    scopes.push({ kind: 'model', id: `model#${model.id}`, limitMicros: Math.round(model.dailyBudgetUsd * 1e6) });
  return scopes;
}

export function quotaError(scope: BudgetScope, now: number): GatewayError {
  const resetAt = nextUtcMidnight(now);
  const label =
    scope.kind === 'global'
      ? 'the global'
      : scope.kind === 'key'
        ? "this API key's"
        : `model ${scope.id.slice('model#'.length)}'s`;
  return new GatewayError(
    429,
    `Daily budget exhausted: ${label} limit of $${(scope.scopeLimitMicros / 1e6).toFixed(2)} would be exceeded by this request. It resets at ${new Date(resetAt).toISOString()} (00:00 UTC).`,
    'insufficient_quota',
    'insufficient_quota',
    null,
    { 'retry-after': String(Math.ceil((resetAt - now) / 1000)) },
  );
}

export async function executeChain<T>(input: ExecInput, open: OpenCall<T>): Promise<ChainResult<T>> {
  const { deps, ctx, plan } = input;
  const cfg = deps.config;
  const breakerSettings = cfg.raw.breaker;
  const attempts: AttemptSummary[] = [];
  const failures: AttemptFailure[] = [];
  const breakersOpened: string[] = [];
  const skips = { down: [] as string[], open: [] as number[], full: 0, budget: undefined as BudgetScope | undefined };
  let upstreamMs = 0;
  let lastModel: string | null = null;
  let candidates = [...plan.candidates];
  const worstCaseOf = (m: CompiledModel) =>
    worstCaseMicros(m, input.planRequest.promptTokens, input.planRequest.maxTokens, input.planRequest.choices);

  for (let i = 0; i < candidates.length; i++) {
    const model = cfg.models.get(candidates[i])!;
    if (deps.now() >= input.deadline) break;
    lastModel = model.id;

    if (deps.endpoints.modelStatus(model) === 'down') {
      attempts.push({ model: model.id, endpoint: '-', outcome: 'skipped_down', ms: 0 });
      skips.down.push(model.id);
      continue;
    }
    // Every endpoint's breaker open (cached view, no I/O): skip before spending writes on a budget
    // reservation and a lease. Breakers due for a probe pass here and are claimed in tryModel.
    const now = deps.now();
    const waits = model.endpoints.map((e) => {
      const breaker = deps.breakers.view(e.id);
      return admission(breaker, now, breakerSettings) === 'reject' ? msUntilProbe(breaker, now, breakerSettings) : 0;
    });
    if (waits.every((w) => w > 0)) {
      attempts.push({ model: model.id, endpoint: '-', outcome: 'skipped_open', ms: 0 });
      skips.open.push(Math.max(1_000, Math.min(...waits)));
      continue;
    }

    // Budget reservation and concurrency lease are independent conditional writes: issue them
    // together so the client waits for one DynamoDB round trip, not two; undo whichever succeeded
    // when the other refuses.
    const worst = worstCaseOf(model);
    const [budget, lease] = await Promise.all([
      reserveBudget(model, worst),
      model.maxConcurrency !== undefined
        ? deps.leases.acquire(model.id, model.maxConcurrency, ctx.requestId, ctx.startedAt + ctx.remainingMs() + 5_000)
        : Promise.resolve(null),
    ]);
    if (budget.refused) {
      await lease?.release();
      attempts.push({ model: model.id, endpoint: '-', outcome: 'skipped_budget', ms: 0 });
      skips.budget = budget.refused;
      // A concrete model the caller named is refused outright; its configured fallbacks are only
      // skipped (the primary's own failure stays the answer if nothing else can serve).
      if (!plan.route && i === 0) return fail(quotaError(budget.refused, deps.now()));
      if (!plan.route) continue;
      // Cost-aware route: only cheaper candidates can still fit.
      const cost = (id: string) => expectedCostScaled(cfg.models.get(id)!, input.planRequest);
      const rest = candidates.slice(i + 1).filter((id) => worstCaseOf(cfg.models.get(id)!) < worst);
      candidates = [...candidates.slice(0, i + 1), ...rest.sort((a, b) => cost(a) - cost(b))];
      continue;
    }
    const reservation = budget.reservation;
    if (lease === undefined) {
      attempts.push({ model: model.id, endpoint: '-', outcome: 'skipped_full', ms: 0 });
      skips.full++;
      await releaseQuietly(reservation);
      continue;
    }

    let result: Awaited<ReturnType<typeof tryModel>>;
    try {
      result = await tryModel(model);
    } catch (err) {
      // A bug or an adapter breaking its contract: still give back what this candidate holds.
      await lease?.release();
      await releaseQuietly(reservation);
      throw err;
    }
    if (result.ok) {
      return {
        ok: true,
        value: result.value,
        held: { model, endpoint: result.endpoint, probe: result.probe, lease: lease ?? undefined, reservation },
        attempts,
        upstreamMs,
        // Every candidate passed over counts, skipped (breaker open, down, full, out of budget) or
        // tried: once a failing model's breaker opens it is only skipped, and the fallback rate is
        // then what still shows that its requests are served by something else.
        fallbacks: new Set(attempts.filter((a) => a.model !== model.id).map((a) => a.model)).size,
        breakersOpened,
      };
    }
    await lease?.release();
    await releaseQuietly(reservation);
  }

  return fail(noAnswer());

  /** Reserves the worst case in every budget scope; DynamoDB unreachable = serve without (fail open). */
  async function reserveBudget(
    model: CompiledModel,
    worst: number,
  ): Promise<{ reservation?: Reservation; refused?: BudgetScope }> {
    try {
      // One reservation id per candidate: if giving back a failed candidate's reservation fails, the
      // next candidate's must not overwrite it in the same ledger item (the sweep could then never
      // find it, and the day's budget would stay blocked by money nobody spent).
      const id = `${ctx.requestId}.${model.id}`;
      const r = await deps.ledger.reserve(
        utcDay(ctx.startedAt),
        budgetScopes(input, model),
        worst,
        id,
        ctx.startedAt + Math.max(ctx.remainingMs(), 60_000) + 60_000,
      );
      if (!r.ok) return { refused: r.scope };
      deps.dynamo.ok();
      return { reservation: r.reservation };
    } catch (err) {
      // The outage is logged once a minute and reported by /health.
      deps.dynamo.failed('budget reserve', err);
      return {};
    }
  }

  async function releaseQuietly(r: Reservation | undefined) {
    if (!r) return;
    try {
      await deps.ledger.release(r);
    } catch (err) {
      deps.dynamo.failed('budget release', err);
    }
  }

  function fail(error: GatewayError): ChainResult<T> {
    return { ok: false, error, attempts, upstreamMs, lastModel, breakersOpened };
  }

  function noAnswer(): GatewayError {
    if (failures.length > 0) return finalError(failures);
    if (skips.budget) return quotaError(skips.budget, deps.now());
    if (skips.full > 0) {
      return new GatewayError(
        429,
        `Every candidate model is at its concurrency limit (${plan.candidates.join(', ')}); retry shortly.`,
        'rate_limit_error',
        'concurrency_limit',
        null,
        { 'retry-after': '1' },
      );
    }
    if (skips.open.length > 0) {
      const wait = Math.ceil(Math.min(...skips.open) / 1000);
      return new GatewayError(
        503,
        `Every candidate model is failing and its circuit breaker is open (${plan.candidates.join(', ')}); retry in ${wait}s.`,
        'service_unavailable',
        'circuit_open',
        null,
        { 'retry-after': String(wait) },
      );
    }
    if (skips.down.length > 0) {
      const wait = Math.ceil(deps.config.raw.health.probeIntervalMs / 1000);
      return new GatewayError(
        503,
        `No healthy backend available for model ${skips.down.join(', ')}.`,
        'service_unavailable',
        'no_healthy_backend',
        null,
        { 'retry-after': String(wait) },
      );
    }
    return new GatewayError(
      504,
      'The request deadline passed before any model could answer.',
      'timeout_error',
      'deadline_exceeded',
    );
  }

  /** Calls one model, retrying retryable failures (preferring another endpoint of its pool). */
  async function tryModel(
    model: CompiledModel,
  ): Promise<{ ok: true; value: T; endpoint: CompiledEndpoint; probe: boolean } | { ok: false }> {
    const retry = cfg.raw.retry;
    const exclude = new Set<string>();
    for (let attempt = 0; attempt < retry.maxAttemptsPerModel; attempt++) {
      const picked = await pickAdmitted(model, exclude);
      if (!picked) return { ok: false };
      const { endpoint, probe } = picked;
      const left = input.deadline - deps.now();
      if (left <= 0) {
        // Admission used up the time; a claimed half-open slot must not wait a cooldown to come back.
        if (probe) await deps.breakers.releaseProbe(endpoint.id);
        return { ok: false };
      }
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), left);
      deps.endpoints.started(endpoint.id);
      const started = deps.now();
      let outcome: Awaited<ReturnType<OpenCall<T>>>;
      try {
        outcome = await open(endpoint, abort.signal, Math.min(left, cfg.raw.gateway.headersTimeoutMs));
      } finally {
        clearTimeout(timer);
      }
      const ms = deps.now() - started;
      upstreamMs += outcome.upstreamMs;
      if (outcome.ok) {
        attempts.push({ model: model.id, endpoint: endpoint.id, outcome: 200, ms });
        // Awaited: probes are rare (recovery only) and a frozen Lambda would otherwise drop the write.
        if (probe) await deps.breakers.onSuccess(endpoint.id, true);
        return { ok: true, value: outcome.value, endpoint, probe };
      }
      deps.endpoints.finished(endpoint.id);
      // A deadline abort is a timeout from the client's point of view.
      const failure =
        outcome.failure === 'aborted'
          ? { ...outcome, failure: 'timeout' as const, message: 'the request deadline was reached' }
          : outcome;
      attempts.push({ model: model.id, endpoint: endpoint.id, outcome: failure.status ?? failure.failure, ms });
      failures.push(failure);
      if (COUNTS_FOR_BREAKER.has(failure.failure)) {
        if (await deps.breakers.onFailure(endpoint.id, probe)) breakersOpened.push(endpoint.id);
      } else if (probe) {
        // A 4xx says nothing about the endpoint's health: free the probe slot without reopening the
        // breaker, or one client's bad request would keep the endpoint closed to everyone.
        await deps.breakers.releaseProbe(endpoint.id);
      }
      if (!isRetryable(failure.failure)) return { ok: false };
      const decision = nextRetry({
        attempt,
        maxAttempts: retry.maxAttemptsPerModel,
        retryAfterMs: parseRetryAfter(failure.retryAfter, deps.now()),
        baseMs: retry.baseDelayMs,
        capMs: retry.maxDelayMs,
        random: deps.random(),
        msLeft: input.deadline - deps.now(),
      });
      if (!decision.retry) return { ok: false };
      if (model.endpoints.length > exclude.size + 1) exclude.add(endpoint.id);
      await deps.sleep(decision.waitMs);
    }
    return { ok: false };
  }

  /** An endpoint of the model whose breaker admits this call; open breakers are skipped. */
  async function pickAdmitted(
    model: CompiledModel,
    exclude: Set<string>,
  ): Promise<{ endpoint: CompiledEndpoint; probe: boolean } | undefined> {
    const skipped = new Set(exclude);
    for (;;) {
      const endpoint = deps.endpoints.pick(model, { callerRegion: input.callerRegion, exclude: skipped });
      if (!endpoint) {
        if (skipped.size > exclude.size)
          attempts.push({ model: model.id, endpoint: '-', outcome: 'skipped_open', ms: 0 });
        return undefined;
      }
      const admit = await deps.breakers.admit(endpoint.id);
      if (admit.allowed) return { endpoint, probe: admit.probe };
      skips.open.push(admit.retryAfterMs);
      skipped.add(endpoint.id);
    }
  }
}
