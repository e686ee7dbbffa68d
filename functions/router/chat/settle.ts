/**
 * After the response: settle the quota holds with the real cost and tokens (in memory), make use
 * and usage durable with the request's one write (deps.quota.record), feed the breaker with a
 * stream's late failure, and hand one summary to telemetry.
 */
import type { ChatRequest } from '../../core/openai/chat-request';
import { costMicros, type TokenUsage } from '../../core/pricing';
import type { Plan } from '../../core/routing/plan';
import { failingKeyOf } from '../../core/resilience/breaker';
import { countTokens } from '../../core/routing/token-estimate';
import { CLIENT_DISCONNECTED } from '../../core/telemetry/metric-documents';
import type { RequestSummary } from '../../core/telemetry/request-summary';
import type { UsageRecord } from '../../ports/shared-quota';
import type { RouterDeps } from '../deps';
import type { RequestContext } from '../request-context';
import type { CallerAdmission } from './admit-caller';
import type { CacheSession } from './response-cache';
import { endpointUsage } from './endpoint-usage';
import type { ChainResult } from './execute';
import { STREAM_TIME_LIMIT, type StreamOutcome } from './sse-relay';

export interface Accounting {
  ctx: RequestContext;
  deps: RouterDeps;
  plan: Plan;
  req: ChatRequest;
  promptTokens: number;
  rateHeaders: Record<string, string>;
  /** The key's own quota hold (RPM, TPM, concurrency), settled with the request. */
  caller: CallerAdmission;
  chain: ChainResult<unknown>;
  /** The response cache's part in this request (a miss is counted on its rows; a hit never gets here). */
  cache?: CacheSession;
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

/** A lookup that missed, counted on the request's rows (the variant row is the A/B test's, left out). */
function cacheFigures(a: Accounting): Pick<UsageRecord, 'cache'> {
  return a.cache?.usage ? { cache: a.cache.usage } : {};
}

/** The rows of the request's own scopes: its route's and its key's. */
function ownDims(a: Accounting): string[] {
  const dims: string[] = [];
  if (a.plan.route) dims.push(`route#${a.plan.route}`);
  if (a.ctx.key) dims.push(`key#${a.ctx.key.keyId}`);
  return dims;
}

/**
 * The usage rows of one request: the model's, route's and key's, and for an A/B route the drawn
 * variant's, which counts as a success only if that model answered (a fallback answering means the
 * variant failed).
 */
function usageRecords(
  a: Accounting,
  figures: Omit<UsageRecord, 'dims'>,
  model: string,
  answeredBy: string | null,
): UsageRecord[] {
  const dims = [`model#${model}`, ...ownDims(a)];
  const records: UsageRecord[] = [{ ...figures, dims, ...cacheFigures(a) }];
  if (a.plan.variant && a.plan.route) {
    const ok = answeredBy === a.plan.variant;
    const counted = ok ? figures : { ...figures, promptTokens: 0, completionTokens: 0, costMicros: 0 };
    records.push({ ...counted, ok, dims: [`variant#${a.plan.route}:${a.plan.variant}`] });
  }
  return records;
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
  const { model, endpoint, probe } = chain.held;
  const fromStream = r.stream ? usageOrEstimate(r.stream.usage, a.promptTokens, r.stream.text) : undefined;
  const usage = fromStream?.usage ?? r.usage ?? { promptTokens: 0, completionTokens: 0 };
  const cost = costMicros(model.prices, usage);
  const streamFailed = !!r.stream?.error && !r.stream.clientAborted;
  // Cut at the function's time limit: incomplete for the client, but no fault of the endpoint's.
  const endpointFault = streamFailed && r.stream!.error!.code !== STREAM_TIME_LIMIT.code;
  const totalMs = deps.now() - ctx.startedAt;
  deps.endpoints.finished(endpoint.id);

  const breakersOpened = [...chain.breakersOpened];
  const now = deps.now();
  deps.quota.settle(
    chain.held.quota,
    chain.held.quota.needs.map(() => cost),
    now,
  );
  if (a.caller.hold)
    deps.quota.settle(a.caller.hold, a.caller.actual(usage.promptTokens + usage.completionTokens), now);
  try {
    if (endpointFault && (await deps.breakers.onFailure(endpoint.id, probe, failingKeyOf(ctx.key?.keyId))))
      breakersOpened.push(endpoint.id);
  } catch (err) {
    deps.log('warn', 'breaker update after a stream failure failed', { error: String(err) });
  }
  const perEndpoint = endpointUsage(chain.attempts, {
    endpoint: endpoint.id,
    ms: now - chain.held.startedAt,
    ok: !streamFailed,
    fault: endpointFault,
  });
  await deps.quota.record(
    [
      ...usageRecords(
        a,
        {
          ok: !streamFailed,
          promptTokens: usage.promptTokens,
          completionTokens: usage.completionTokens,
          costMicros: cost,
          latencyMs: totalMs,
          // A non-streamed answer's first token arrives with its body.
          firstTokenMs: r.ttftMs ?? totalMs,
        },
        model.id,
        streamFailed ? null : model.id,
      ),
      ...perEndpoint.records,
    ],
    now,
    perEndpoint.calls,
  );

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
    ...overrun(chain.held.quota.needs, cost),
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
  const now = deps.now();
  if (a.caller.hold) deps.quota.settle(a.caller.hold, a.caller.actual(0), now);
  const figures = {
    ok: false,
    promptTokens: 0,
    completionTokens: 0,
    costMicros: 0,
    latencyMs: totalMs,
    firstTokenMs: totalMs,
  };
  // Refused by the key's or the global quota before any model failed: counted on a `refused#` row
  // (part of the day's total in /v1/stats) and the request's own route and key rows, never as the
  // model's error.
  const refusedBy = chain.error.headers['x-switchyard-refused-by'];
  const records = !chain.lastModel
    ? []
    : refusedBy && !refusedBy.startsWith('model#')
      ? [{ ...figures, dims: [`refused#${refusedBy.split('#')[0]}`, ...ownDims(a)], ...cacheFigures(a) }]
      : usageRecords(a, figures, chain.lastModel, null);
  const perEndpoint = endpointUsage(chain.attempts);
  await deps.quota.record([...records, ...perEndpoint.records], now, perEndpoint.calls);
  deps.telemetry.requestDone({
    ...baseSummary(a),
    model: chain.lastModel,
    endpoint: null,
    status: chain.error.status,
    errorCode: chain.error.code ?? undefined,
    fallbacks: chain.fallbacks,
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
  'requestId' | 'functionVersion' | 'keyId' | 'route' | 'intent' | 'variant' | 'stream' | 'attempts' | 'cache'
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
    ...(a.cache?.outcome ? { cache: a.cache.outcome } : {}),
  };
}

/** Cost above the smallest budget reservation held (all are the same worst case): never silent. */
function overrun(needs: ReadonlyArray<{ amount: number }>, cost: number): { overrunMicros?: number } {
  if (needs.length === 0) return {};
  const reserved = Math.min(...needs.map((n) => n.amount));
  return cost > reserved ? { overrunMicros: cost - reserved } : {};
}
