/**
 * POST /v1/chat/completions: validate, plan the candidates, walk them (executor), and answer with
 * either the upstream's JSON body or a live SSE relay. Settlement, counters and telemetry run
 * after the last byte is out (`afterResponse`), so the client never waits for them.
 */
import { parseChatRequest, requestedMaxTokens } from '../../core/openai/chat-request';
import { GatewayError } from '../../core/openai/errors';
import { extraPromptBytes, refusePriceChangingFields } from '../../core/openai/upstream-fields';
import { costMicros, microsToUsd } from '../../core/pricing';
import { parseBudgetFactor, planRequest, type Plan, type PlanRequest } from '../../core/routing/plan';
import { estimatePromptTokens } from '../../core/routing/token-estimate';
import type { RouterDeps } from '../deps';
import { errorResult, type HttpResult } from '../http';
import type { RequestContext } from '../request-context';
import { admitCaller } from './admit-caller';
import { executeChain, type ChainResult, type ExecInput } from './execute';
import { openJson, type JsonAnswer } from './open-json';
import { openStream } from './open-stream';
import { consultCache } from './response-cache';
import { finishFailure, finishSuccess, reportRejected, usageOrEstimate, type Accounting } from './settle';
import { STREAM_TIME_LIMIT, type SseRelay } from './sse-relay';

/**
 * Time kept back from the Lambda's remaining time to answer and settle: the request deadline ends
 * this much before the function would be killed, and so does a stream (with an explicit error event).
 */
export const ANSWER_RESERVE_MS = 1_000;

export async function chatCompletions(ctx: RequestContext, deps: RouterDeps): Promise<HttpResult> {
  try {
    return await planAndExecute(ctx, deps);
  } catch (err) {
    if (err instanceof GatewayError) reportRejected(ctx, deps, err, /"stream"\s*:\s*true/.test(ctx.body ?? ''));
    throw err;
  }
}

async function planAndExecute(ctx: RequestContext, deps: RouterDeps): Promise<HttpResult> {
  const cfg = deps.config;
  const gw = cfg.settings.gateway;
  const req = parseChatRequest(ctx.body, ctx.isBase64Encoded, gw.maxBodyBytes);
  refusePriceChangingFields(req);

  const maxTokens = requestedMaxTokens(req);
  // Everything forwarded is billed: fields a tokenizer cannot see are bounded by their bytes.
  const promptTokens = estimatePromptTokens(req.messages, req.tools) + extraPromptBytes(req);
  const planReq: PlanRequest = {
    model: req.model,
    messages: req.messages,
    tools: req.tools,
    stream: req.stream,
    response_format: (req as Record<string, unknown>).response_format,
    maxTokens,
    promptTokens,
    choices: req.n ?? 1,
  };
  const plan = planRequest(cfg, planReq, {
    budgetFactor: budgetFactorFor(parseBudgetFactor(ctx.headers['x-budget-factor']), ctx.key?.defaultBudgetFactor),
    allowedModels: ctx.key?.allowedModels,
    fallbackOff: ctx.headers['x-switchyard-fallback']?.trim().toLowerCase() === 'off',
    random: deps.random,
  });

  // Before any quota is taken: a hit costs no upstream call, no budget and no rate or concurrency slot.
  const cached = await consultCache(ctx, deps, req, plan);
  if (cached.kind === 'hit') return cached.result;
  const cache = cached.session;

  // Independent: the key's own quotas (no I/O while its slices last) and, on a cold instance only,
  // the state snapshot load.
  const [caller] = await Promise.all([
    admitCaller(ctx, deps, promptTokens + (maxTokens ?? 0), true),
    deps.state.ensureFresh(),
  ]);

  const input: ExecInput = {
    ctx,
    deps,
    plan,
    planRequest: planReq,
    // One deadline for the whole request; never past what the Lambda has left (1 s kept to answer).
    deadline: ctx.startedAt + Math.min(gw.requestDeadlineMs, Math.max(0, ctx.remainingMs() - ANSWER_RESERVE_MS)),
    callerRegion: ctx.headers['x-switchyard-region'] || undefined,
  };
  const acct: Omit<Accounting, 'chain'> = {
    ctx,
    deps,
    plan,
    req,
    promptTokens,
    rateHeaders: caller.headers,
    caller,
    cache,
  };

  try {
    if (req.stream === true) {
      const chain = await executeChain(input, (endpoint, signal, headersTimeoutMs) =>
        openStream(deps, req, endpoint, signal, headersTimeoutMs),
      );
      return chain.ok ? streamResponse({ ...acct, chain }) : failureResponse({ ...acct, chain });
    }
    const chain = await executeChain(input, (endpoint, signal, headersTimeoutMs) =>
      openJson(deps, req, endpoint, signal, headersTimeoutMs),
    );
    return chain.ok ? jsonResponse({ ...acct, chain }) : failureResponse({ ...acct, chain });
  } catch (err) {
    // A bug past admission: the key's own hold (its concurrency slot above all) must not leak.
    if (caller.hold) deps.quota.release(caller.hold, deps.now());
    throw err;
  }
}

/** The key's factor is a ceiling: a client may ask for a cheaper choice, never a dearer one. */
export function budgetFactorFor(asked: number | undefined, keyFactor: number | undefined): number | undefined {
  if (asked === undefined) return keyFactor;
  return keyFactor === undefined ? asked : Math.min(asked, keyFactor);
}

export function decisionHeaders(
  ctx: RequestContext,
  plan: Plan,
  model: string | null,
  chain: ChainResult<unknown>,
): Record<string, string> {
  const attempts = chain.attempts.map((a) => `${a.model}:${String(a.outcome).replace('skipped_', '')}`).join(',');
  return {
    'x-request-id': ctx.requestId,
    'x-switchyard-route': plan.route ?? 'direct',
    ...(plan.intent ? { 'x-switchyard-intent': plan.intent } : {}),
    ...(plan.variant ? { 'x-switchyard-variant': plan.variant } : {}),
    ...(model ? { 'x-switchyard-model': model } : {}),
    'x-switchyard-attempts': attempts,
  };
}

function overheadMs(ctx: RequestContext, deps: RouterDeps, upstreamMs: number): number {
  return Math.max(0, deps.now() - ctx.startedAt - upstreamMs);
}

function jsonResponse(a: Accounting & { chain: Extract<ChainResult<JsonAnswer>, { ok: true }> }): HttpResult {
  const { chain, ctx, deps, plan } = a;
  const answer = chain.value;
  const { usage, estimated } = usageOrEstimate(answer.usage, a.promptTokens, answer.completionText ?? '');
  const cost = costMicros(chain.held.model.prices, usage);
  const overhead = overheadMs(ctx, deps, chain.upstreamMs);
  return {
    statusCode: 200,
    headers: {
      'content-type': 'application/json',
      ...a.rateHeaders,
      ...decisionHeaders(ctx, plan, chain.held.model.id, chain),
      'x-switchyard-cost-usd': microsToUsd(cost),
      'x-switchyard-overhead-ms': String(overhead),
      ...a.cache?.headers,
      ...(answer.upstreamRequestId ? { 'x-upstream-request-id': answer.upstreamRequestId } : {}),
    },
    body: answer.text,
    afterResponse: async () => {
      await finishSuccess(a, { usage, estimated, status: 200, overheadMs: overhead });
      if (!estimated) await a.cache?.storeJson(answer.text, chain.held.model, cost);
    },
  };
}

function streamResponse(a: Accounting & { chain: Extract<ChainResult<SseRelay>, { ok: true }> }): HttpResult {
  const { chain, ctx, deps, plan } = a;
  const relay = chain.value;
  const ttftMs = deps.now() - ctx.startedAt;
  const overhead = overheadMs(ctx, deps, chain.upstreamMs);
  const headers = {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
    ...a.rateHeaders,
    ...decisionHeaders(ctx, plan, chain.held.model.id, chain),
    'x-switchyard-overhead-ms': String(overhead),
    ...a.cache?.headers,
  };
  a.cache?.watch(relay);
  relay.commit();
  // The deadline bounds the first byte only: a long generation can outlive the function. End it with
  // an explicit error event (never a silent cut when the runtime kills the function), leaving the
  // same reserve to settle the tokens relayed so far.
  const timeLimit = setTimeout(
    () => relay.cutOff(STREAM_TIME_LIMIT.code, STREAM_TIME_LIMIT.message, STREAM_TIME_LIMIT.type),
    Math.max(0, ctx.remainingMs() - ANSWER_RESERVE_MS),
  );
  timeLimit.unref?.();
  void relay.done.then(() => clearTimeout(timeLimit));
  return {
    statusCode: 200,
    headers,
    body: relay.body,
    afterResponse: async () => {
      const outcome = await relay.done;
      await finishSuccess(a, { stream: outcome, ttftMs, status: 200, overheadMs: overhead });
      const model = chain.held.model;
      // Only with the upstream's own usage: what a hit saves is what the answer really cost.
      if (outcome.usage) await a.cache?.storeStream(outcome, model, costMicros(model.prices, outcome.usage));
    },
  };
}

function failureResponse(a: Accounting & { chain: Extract<ChainResult<unknown>, { ok: false }> }): HttpResult {
  const { chain, ctx, deps, plan } = a;
  return {
    ...errorResult(chain.error, {
      ...a.rateHeaders,
      ...decisionHeaders(ctx, plan, chain.lastModel, chain),
      'x-switchyard-overhead-ms': String(overheadMs(ctx, deps, chain.upstreamMs)),
      ...a.cache?.headers,
    }),
    afterResponse: () => finishFailure(a),
  };
}
