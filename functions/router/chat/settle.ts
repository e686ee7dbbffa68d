/**
 * After the response: settle the budget reservation with the real cost, give back the lease, count
 * usage, feed the breaker with a stream's late failure, and hand one summary to telemetry.
 * Each step is independent: one failing write never skips the others.
 */
import type { CompiledModel } from '../../core/config/compile';
import type { ChatRequest } from '../../core/openai/chat-request';
import { costMicros, type TokenUsage } from '../../core/pricing';
import type { Plan } from '../../core/routing/plan';
import { countTokens } from '../../core/routing/token-estimate';
import { CLIENT_DISCONNECTED } from '../../core/telemetry/metric-documents';
import type { RequestSummary } from '../../core/telemetry/request-summary';
import { utcDay } from '../../core/time';
import type { UsageEvent } from '../../adapters/dynamo/usage-store';
import type { RouterDeps } from '../deps';
import type { RequestContext } from '../request-context';
import { budgetScopes, type ChainResult } from './execute';
import type { StreamOutcome } from './sse-relay';

export interface Accounting {
  ctx: RequestContext;
  deps: RouterDeps;
  plan: Plan;
  req: ChatRequest;
  promptTokens: number;
  rateHeaders: Record<string, string>;
  chain: ChainResult<unknown>;
}

export function costOf(model: CompiledModel, usage: TokenUsage | undefined): number {
  return usage ? costMicros(model.prices, usage) : 0;
}

/** Usage for a stream: the upstream's own figures when its usage chunk arrived, else an estimate. */
export function streamUsage(outcome: StreamOutcome, promptTokensEstimate: number): { usage: TokenUsage; estimated: boolean } {
  if (outcome.usage) return { usage: outcome.usage, estimated: false };
  return { usage: { promptTokens: promptTokensEstimate, completionTokens: countTokens(outcome.text) }, estimated: true };
}

function usageScopes(a: Accounting): string[] {
  const scopes: string[] = [];
  if (a.plan.route) scopes.push(`route#${a.plan.route}`);
  if (a.ctx.key) scopes.push(`key#${a.ctx.key.keyId}`);
  return scopes;
}

/**
 * An A/B variant's row counts the request against the variant that was drawn: it succeeded only
 * if that model answered (a fallback answering means the variant failed).
 */
function variantRecord(a: Accounting, answeredBy: string | null, base: Omit<UsageEvent, 'onlyScopes' | 'ok'>): UsageEvent | undefined {
  if (!a.plan.variant || !a.plan.route) return undefined;
  const ok = answeredBy === a.plan.variant;
  return { ...base, ok, ...(ok ? {} : { promptTokens: 0, completionTokens: 0, costMicros: 0 }), onlyScopes: [`variant#${a.plan.route}:${a.plan.variant}`] };
}

async function settleAll(deps: RouterDeps, steps: Array<() => Promise<unknown> | unknown>): Promise<void> {
  const results = await Promise.allSettled(steps.map(async (s) => s()));
  for (const r of results) if (r.status === 'rejected') deps.log('warn', 'after-response step failed', { error: String(r.reason) });
}

export async function finishSuccess(
  a: Accounting,
  r: { usage?: TokenUsage; estimated?: boolean; stream?: StreamOutcome; ttftMs?: number; status: number; overheadMs: number },
): Promise<void> {
  const { deps, ctx, chain } = a;
  if (!chain.ok) return;
  const { model, endpoint, lease, reservation, probe } = chain.held;
  const fromStream = r.stream ? streamUsage(r.stream, a.promptTokens) : undefined;
  const usage = fromStream?.usage ?? r.usage ?? { promptTokens: 0, completionTokens: 0 };
  const cost = costOf(model, usage);
  const streamFailed = !!r.stream?.error && !r.stream.clientAborted;
  const totalMs = deps.now() - ctx.startedAt;
  deps.endpoints.finished(endpoint.id);

  const breakersOpened = [...chain.breakersOpened];
  await settleAll(deps, [
    // No reservation means DynamoDB failed when it was taken (fail open): the spend still counts.
    () => (reservation ? deps.ledger.settle(reservation, cost) : deps.ledger.charge(utcDay(ctx.startedAt), budgetScopes(a, model), cost)),
    () => lease?.release(),
    async () => {
      if (streamFailed && (await deps.breakers.onFailure(endpoint.id, probe))) breakersOpened.push(endpoint.id);
    },
    () =>
      deps.usage.record({
        day: utcDay(ctx.startedAt),
        model: model.id,
        ok: !streamFailed,
        promptTokens: usage.promptTokens,
        completionTokens: usage.completionTokens,
        costMicros: cost,
        latencyMs: totalMs,
        extraScopes: usageScopes(a),
      }),
    () => {
      const v = variantRecord(a, streamFailed ? null : model.id, { day: utcDay(ctx.startedAt), model: model.id, promptTokens: usage.promptTokens, completionTokens: usage.completionTokens, costMicros: cost, latencyMs: totalMs });
      return v && deps.usage.record(v);
    },
    () => deps.keyPolicy.recordTokens(ctx.key, usage.promptTokens + usage.completionTokens),
  ]);

  const summary: RequestSummary = {
    ...baseSummary(a),
    model: model.id,
    endpoint: endpoint.id,
    status: r.status,
    errorCode: streamFailed ? r.stream!.error!.code : r.stream?.clientAborted ? CLIENT_DISCONNECTED : undefined,
    fallbacks: chain.fallbacks,
    upstreamMs: chain.upstreamMs,
    // The value sent in x-switchyard-overhead-ms: gateway time up to the moment the answer left.
    overheadMs: r.overheadMs,
    totalMs,
    ttftMs: r.ttftMs,
    promptTokens: usage.promptTokens,
    completionTokens: usage.completionTokens,
    costMicros: cost,
    usageEstimated: fromStream?.estimated ?? r.estimated ?? false,
    breakersOpened,
  };
  deps.telemetry.requestDone(summary);
}

/**
 * A chat request refused before any candidate was tried (bad body, unknown model, key not allowed,
 * rate limited): no usage to count, but logs and metrics must still see it.
 */
export function reportRejected(ctx: RequestContext, deps: RouterDeps, err: { status: number; code: string | null }, stream: boolean): void {
  const totalMs = deps.now() - ctx.startedAt;
  deps.telemetry.requestDone({
    requestId: ctx.requestId,
    functionVersion: ctx.functionVersion,
    keyId: ctx.key?.keyId,
    route: null,
    intent: null,
    variant: null,
    stream,
    attempts: [],
    model: null,
    endpoint: null,
    status: err.status,
    errorCode: err.code ?? undefined,
    fallbacks: 0,
    upstreamMs: 0,
    overheadMs: totalMs,
    totalMs,
    promptTokens: 0,
    completionTokens: 0,
    costMicros: 0,
    breakersOpened: [],
  });
}

export async function finishFailure(a: Accounting): Promise<void> {
  const { deps, ctx, chain } = a;
  if (chain.ok) return;
  const totalMs = deps.now() - ctx.startedAt;
  if (chain.lastModel) {
    await settleAll(deps, [
      () =>
        deps.usage.record({
          day: utcDay(ctx.startedAt),
          model: chain.lastModel!,
          ok: false,
          promptTokens: 0,
          completionTokens: 0,
          costMicros: 0,
          latencyMs: totalMs,
          extraScopes: usageScopes(a),
        }),
      () => {
        const v = variantRecord(a, null, { day: utcDay(ctx.startedAt), model: chain.lastModel!, promptTokens: 0, completionTokens: 0, costMicros: 0, latencyMs: totalMs });
        return v && deps.usage.record(v);
      },
    ]);
  }
  deps.telemetry.requestDone({
    ...baseSummary(a),
    model: chain.lastModel,
    endpoint: null,
    status: chain.error.status,
    errorCode: chain.error.code ?? undefined,
    fallbacks: Math.max(0, new Set(chain.attempts.map((x) => x.model)).size - 1),
    upstreamMs: chain.upstreamMs,
    overheadMs: Math.max(0, totalMs - chain.upstreamMs),
    totalMs,
    promptTokens: 0,
    completionTokens: 0,
    costMicros: 0,
    breakersOpened: chain.breakersOpened,
  });
}

function baseSummary(a: Accounting): Pick<RequestSummary, 'requestId' | 'functionVersion' | 'keyId' | 'route' | 'intent' | 'variant' | 'stream' | 'attempts'> {
  return {
    requestId: a.ctx.requestId,
    functionVersion: a.ctx.functionVersion,
    keyId: a.ctx.key?.keyId,
    route: a.plan.route,
    intent: a.plan.intent,
    variant: a.plan.variant,
    stream: a.req.stream === true,
    attempts: a.chain.attempts,
  };
}
