/**
 * Calling one model: pick an endpoint whose breaker admits the call, call it inside the request's
 * deadline, and retry retryable failures with backoff and full jitter (Retry-After honoured),
 * preferring another endpoint of the pool. Failures that say something about the endpoint's health
 * feed its breaker.
 */
import type { CompiledEndpoint, CompiledModel } from '../../../core/config/compile';
import { nextRetry, parseRetryAfter } from '../../../core/resilience/backoff';
import { failingKeyOf } from '../../../core/resilience/breaker';
import { isRetryable } from '../../upstream-attempt';
import type { ExecInput, OpenCall, Walk } from './types';

/** Failures that say something about the endpoint's health (not about the request or our config). */
export const COUNTS_FOR_BREAKER: ReadonlySet<string> = new Set([
  'rate_limited',
  'server_error',
  'timeout',
  'connection',
  'stream_error',
]);

export type ModelCall<T> =
  | { ok: true; value: T; endpoint: CompiledEndpoint; probe: boolean; startedAt: number }
  | { ok: false };

export async function callWithRetries<T>(
  input: ExecInput,
  model: CompiledModel,
  open: OpenCall<T>,
  walk: Walk,
): Promise<ModelCall<T>> {
  const { deps } = input;
  const retry = deps.config.settings.retry;
  const exclude = new Set<string>();
  for (let attempt = 0; attempt < retry.maxAttemptsPerModel; attempt++) {
    const picked = await pickAdmitted(input, model, exclude, walk);
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
    const span = deps.tracing?.startAttempt({
      system: endpoint.providerName,
      model: model.id,
      endpoint: endpoint.id,
      operation: 'chat',
      route: input.plan.route,
      attempt: walk.attempts.filter((a) => a.endpoint !== '-').length + 1,
      fallback: walk.attempts.some((a) => a.model !== model.id),
      maxTokens: input.planRequest.maxTokens,
    });
    let outcome: Awaited<ReturnType<OpenCall<T>>>;
    try {
      outcome = await open(endpoint, abort.signal, Math.min(left, deps.config.settings.gateway.headersTimeoutMs));
    } finally {
      clearTimeout(timer);
    }
    span?.end(outcome.ok ? { ok: true, outcome: 200 } : { ok: false, outcome: outcome.status ?? outcome.failure });
    const ms = deps.now() - started;
    walk.upstreamMs += outcome.upstreamMs;
    if (outcome.ok) {
      walk.attempts.push({ model: model.id, endpoint: endpoint.id, outcome: 200, ms });
      // Awaited: probes are rare (recovery only) and a frozen Lambda would otherwise drop the write.
      if (probe) await deps.breakers.onSuccess(endpoint.id, true);
      return { ok: true, value: outcome.value, endpoint, probe, startedAt: started };
    }
    deps.endpoints.finished(endpoint.id);
    // A deadline abort is a timeout from the client's point of view.
    const failure =
      outcome.failure === 'aborted'
        ? { ...outcome, failure: 'timeout' as const, message: 'the request deadline was reached' }
        : outcome;
    walk.attempts.push({ model: model.id, endpoint: endpoint.id, outcome: failure.status ?? failure.failure, ms });
    walk.failures.push(failure);
    if (COUNTS_FOR_BREAKER.has(failure.failure)) {
      // Attributed to the caller's key: one key's failures alone never open a shared breaker.
      if (await deps.breakers.onFailure(endpoint.id, probe, failingKeyOf(input.ctx.key?.keyId)))
        walk.breakersOpened.push(endpoint.id);
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
  input: ExecInput,
  model: CompiledModel,
  exclude: Set<string>,
  walk: Walk,
): Promise<{ endpoint: CompiledEndpoint; probe: boolean } | undefined> {
  const { deps } = input;
  const skipped = new Set(exclude);
  for (;;) {
    const endpoint = deps.endpoints.pick(model, { callerRegion: input.callerRegion, exclude: skipped });
    if (!endpoint) {
      if (skipped.size > exclude.size)
        walk.attempts.push({ model: model.id, endpoint: '-', outcome: 'skipped_open', ms: 0 });
      return undefined;
    }
    const admit = await deps.breakers.admit(endpoint.id);
    if (admit.allowed) return { endpoint, probe: admit.probe };
    walk.skips.open.push(admit.retryAfterMs);
    skipped.add(endpoint.id);
  }
}
