/**
 * After the response: settle the budget reservation with the real cost, give back the lease, count
 * usage, feed the breaker with a stream's late failure, and hand one summary to telemetry.
 * Each step is independent: one failing write never skips the others.
 */
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
import { STREAM_TIME_LIMIT, type StreamOutcome } from './sse-relay';

export interface Accounting {
  ctx: RequestContext;
  deps: RouterDeps;
  plan: Plan;
  req: ChatRequest;
  promptTokens: number;
  rateHeaders: Record<string, string>;
  chain: ChainResult<unknown>;
}

/**
 * The upstream's own usage when it sent one; otherwise an estimate from our prompt count and the
 * generated text (a cut stream, an upstream that omits usage), so a real call is never settled at zero.
 */
export function usageOrEstimate(
  real: TokenUsage | undefined,
  promptTokensEstimate: number,
  generatedText: string,
): { usage: TokenUsage; estimated: boolean } {
  if (real) return { usage: real, estimated: false };
  return {
    usage: { promptTokens: promptTokensEstimate, completionTokens: countTokens(generatedText) },
    estimated: true,
  };
}

function usageScopes(a: Accounting): string[] {
  const scopes: string[] = [];
  if (a.plan.route) scopes.push(`route#${a.plan.route}`);
  if (a.ctx.key) scopes.push(`key#${a.ctx.key.keyId}`);
  return scopes;
}

type UsageFigures = Pick<UsageEvent, 'model' | 'ok' | 'promptTokens' | 'completionTokens' | 'costMicros' | 'latencyMs'>;

/**
 * The usage rows of one request: the model's (plus route and key rows), and for an A/B route the
 * drawn variant's, which counts as a success only if that model answered (a fallback answering
 * means the variant failed).
 */
function usageSteps(
  a: Accounting,
  figures: UsageFigures,
  answeredBy: string | null,
): Array<() => Promise<void> | undefined> {
  const day = utcDay(a.ctx.startedAt);
  const steps: Array<() => Promise<void> | undefined> = [
    () => a.deps.usage.record({ ...figures, day, extraScopes: usageScopes(a) }),
  ];
  if (a.plan.variant && a.plan.route) {
    const ok = answeredBy === a.plan.variant;
    const counted = ok ? figures : { ...figures, promptTokens: 0, completionTokens: 0, costMicros: 0 };
    steps.push(() =>
      a.deps.usage.record({ ...counted, day, ok, onlyScopes: [`variant#${a.plan.route}:${a.plan.variant}`] }),
    );
  }
  return steps;
}

async function settleAll(deps: RouterDeps, steps: Array<() => Promise<unknown> | unknown>): Promise<void> {
  const results = await Promise.allSettled(steps.map(async (s) => s()));
  for (const r of results)
    if (r.status === 'rejected') deps.log('warn', 'after-response step failed', { error: String(r.reason) });
  await drainBacklog(deps);
}

/**
 * Writes kept during a DynamoDB outage are replayed here, inside an invocation (a frozen Lambda
 * would stall a replay started in the background), once DynamoDB answers again.
 */
async function drainBacklog(deps: RouterDeps): Promise<void> {
  if (!deps.backlog?.size() || !deps.dynamo.status().reachable) return;
  try {
    await deps.backlog.flush();
  } catch (err) {
    deps.log('warn', 'write backlog replay failed', { error: String(err) });
  }
}

export async function finishSuccess(
  a: Accounting,
  r: {
    usage?: TokenUsage;
    estimated?: boolean;
    stream?: StreamOutcome;
    ttftMs?: number;
    status: number;
    overheadMs: number;
  },
): Promise<void> {
  const { deps, ctx, chain } = a;
  if (!chain.ok) return;
  const { model, endpoint, lease, reservation, probe } = chain.held;
  const fromStream = r.stream ? usageOrEstimate(r.stream.usage, a.promptTokens, r.stream.text) : undefined;
  const usage = fromStream?.usage ?? r.usage ?? { promptTokens: 0, completionTokens: 0 };
  const cost = costMicros(model.prices, usage);
  const streamFailed = !!r.stream?.error && !r.stream.clientAborted;
  // Cut at the function's time limit: incomplete for the client, but no fault of the endpoint's.
  const endpointFault = streamFailed && r.stream!.error!.code !== STREAM_TIME_LIMIT.code;
  const totalMs = deps.now() - ctx.startedAt;
  deps.endpoints.finished(endpoint.id);

  const breakersOpened = [...chain.breakersOpened];
  await settleAll(deps, [
    // No reservation means DynamoDB failed when it was taken (fail open): the spend still counts.
    () =>
      reservation
        ? deps.ledger.settle(reservation, cost)
        : deps.ledger.charge(utcDay(ctx.startedAt), budgetScopes(a, model), cost),
    () => lease?.release(),
    async () => {
      if (endpointFault && (await deps.breakers.onFailure(endpoint.id, probe))) breakersOpened.push(endpoint.id);
    },
    ...usageSteps(
      a,
      {
        model: model.id,
        ok: !streamFailed,
        promptTokens: usage.promptTokens,
        completionTokens: usage.completionTokens,
        costMicros: cost,
        latencyMs: totalMs,
      },
      streamFailed ? null : model.id,
    ),
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
export function reportRejected(
  ctx: RequestContext,
  deps: RouterDeps,
  err: { status: number; code: string | null },
  stream: boolean,
): void {
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
  await settleAll(
    deps,
    chain.lastModel
      ? usageSteps(
          a,
          {
            model: chain.lastModel,
            ok: false,
            promptTokens: 0,
            completionTokens: 0,
            costMicros: 0,
            latencyMs: totalMs,
          },
          null,
        )
      : [],
  );
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

function baseSummary(
  a: Accounting,
): Pick<
  RequestSummary,
  'requestId' | 'functionVersion' | 'keyId' | 'route' | 'intent' | 'variant' | 'stream' | 'attempts'
> {
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
