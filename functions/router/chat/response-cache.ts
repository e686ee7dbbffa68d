/**
 * The chat route's side of the response cache: decide (core/cache/policy.ts), look up before any
 * quota is taken, answer a hit without an upstream call or any budget (JSON as stored, or replayed
 * as a chunked SSE stream), and store a miss's answer after the response went out, if it is whole.
 *
 * /v1/messages and /v1/responses translate into this route, so they share its cache: the key is
 * derived from the translated chat request, and their edges translate a hit like any answer.
 */
import { Readable } from 'node:stream';
import { cacheKey } from '../../core/cache/cache-key';
import {
  chunksFromCompletion,
  completionFromChunks,
  isCompleteAnswer,
  sseEvents,
} from '../../core/cache/completion-stream';
import { ageSeconds, type CachedAnswer, expiresAtSeconds } from '../../core/cache/entry';
import { type CacheDecision, decideCache } from '../../core/cache/policy';
import type { CompiledModel } from '../../core/config/compile';
import type { ChatRequest } from '../../core/openai/chat-request';
import { microsToUsd } from '../../core/pricing';
import { type Plan, resolveModelName } from '../../core/routing/plan';
import type { ResponseCache } from '../../ports/response-cache';
import type { UsageRecord } from '../../ports/shared-quota';
import type { RouterDeps } from '../deps';
import type { HttpResult } from '../http';
import { isPreTrafficInvocation } from '../pre-traffic-marker';
import type { RequestContext } from '../request-context';
import type { SseRelay, StreamOutcome } from './sse-relay';

/** What a request that was not answered from the cache carries through to its response and settlement. */
export interface CacheSession {
  /** `x-switchyard-cache` (and `-reason` for a skip) on the response; empty when the cache is not involved. */
  readonly headers: Record<string, string>;
  /** Counted on the request's usage rows: a lookup that missed. */
  readonly usage?: UsageRecord['cache'];
  /** For the request log and metrics. */
  readonly outcome?: 'miss' | 'refresh';
  /** After a JSON answer went out: store it if it is whole. */
  storeJson(text: string, model: CompiledModel, costMicros: number): Promise<void>;
  /** Before a stream is committed: collect what the client receives. */
  watch(relay: SseRelay): void;
  /** After the stream ended: store it if it completed. */
  storeStream(outcome: StreamOutcome, model: CompiledModel, costMicros: number): Promise<void>;
}

export type CacheStep = { kind: 'hit'; result: HttpResult } | { kind: 'go'; session: CacheSession };

const inert: CacheSession = {
  headers: {},
  storeJson: async () => undefined,
  watch: () => undefined,
  storeStream: async () => undefined,
};

/** Where a key's entries live: its own scope, or the route's shared pool. */
function scopeOf(decision: Extract<CacheDecision, { kind: 'use' | 'refresh' }>, ctx: RequestContext, plan: Plan) {
  return decision.scope === 'shared' && plan.route ? `shared#${plan.route}` : `key#${ctx.key?.keyId}`;
}

export async function consultCache(
  ctx: RequestContext,
  deps: RouterDeps,
  req: ChatRequest,
  plan: Plan,
): Promise<CacheStep> {
  const cache = deps.responseCache;
  // The pre-traffic check must reach the models it checks.
  if (!cache || isPreTrafficInvocation(ctx)) return { kind: 'go', session: inert };
  const cfg = deps.config;
  const decision = decideCache({
    config: cfg.settings.cache,
    route: plan.route ? cfg.routes.get(plan.route)?.cache : undefined,
    keyTtlSeconds: ctx.key?.cacheTtlSeconds,
    headers: ctx.headers,
    request: req as ChatRequest & { logprobs?: unknown },
    hasKey: !!ctx.key,
  });
  if (decision.kind === 'off') return { kind: 'go', session: inert };
  if (decision.kind === 'skip') {
    return {
      kind: 'go',
      session: { ...inert, headers: { 'x-switchyard-cache': 'skip', 'x-switchyard-cache-reason': decision.reason } },
    };
  }
  const scope = scopeOf(decision, ctx, plan);
  const key = cacheKey({
    scope,
    target: plan.route ? `route#${plan.route}` : `model#${resolveModelName(cfg, req.model).name}`,
    primary: plan.candidates[0],
    configVersion: cfg.settings.version,
    request: req,
  });
  if (decision.kind === 'use') {
    const found = await cache.lookup(key, scope, deps.now());
    const completion = found.status === 'hit' ? parseAnswer(found.answer.body) : undefined;
    if (found.status === 'hit' && completion) {
      return { kind: 'hit', result: hitResponse(ctx, deps, req, plan, found.answer, completion) };
    }
  }
  return { kind: 'go', session: storingSession(deps, cache, key, scope, decision) };
}

function parseAnswer(body: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    return isCompleteAnswer(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function storingSession(
  deps: RouterDeps,
  cache: ResponseCache,
  key: string,
  scope: string,
  decision: Extract<CacheDecision, { kind: 'use' | 'refresh' }>,
): CacheSession {
  const outcome = decision.kind === 'use' ? 'miss' : 'refresh';
  const put = async (body: string, model: CompiledModel, costMicros: number) => {
    const now = deps.now();
    const answer: CachedAnswer = {
      body,
      model: model.id,
      costMicros,
      createdAt: now,
      expiresAt: expiresAtSeconds(now, decision.ttlSeconds),
      scope,
    };
    await cache.store(key, answer);
  };
  // A streamed answer is collected as it goes out; one far past what could be stored is let go.
  const collectLimit = 4 * deps.config.settings.cache.maxEntryBytes;
  const chunks: object[] = [];
  let collected = 0;
  let oversized = false;
  return {
    headers: { 'x-switchyard-cache': outcome },
    usage: decision.kind === 'use' ? { hit: false } : undefined,
    outcome,
    async storeJson(text, model, costMicros) {
      if (parseAnswer(text)) await put(text, model, costMicros);
    },
    watch(relay) {
      relay.onChunk = (chunk, bytes) => {
        if (oversized) return;
        collected += bytes;
        if (collected > collectLimit) {
          oversized = true;
          chunks.length = 0;
        } else chunks.push(chunk);
      };
    },
    async storeStream(o, model, costMicros) {
      if (oversized || !o.completed || o.error || o.clientAborted) return;
      const completion = completionFromChunks(chunks);
      if (completion) await put(JSON.stringify(completion), model, costMicros);
    },
  };
}

function hitResponse(
  ctx: RequestContext,
  deps: RouterDeps,
  req: ChatRequest,
  plan: Plan,
  answer: CachedAnswer,
  completion: Record<string, unknown>,
): HttpResult {
  const stream = req.stream === true;
  const now = deps.now();
  const headers: Record<string, string> = {
    'x-request-id': ctx.requestId,
    'x-switchyard-route': plan.route ?? 'direct',
    ...(plan.intent ? { 'x-switchyard-intent': plan.intent } : {}),
    ...(plan.variant ? { 'x-switchyard-variant': plan.variant } : {}),
    'x-switchyard-model': answer.model,
    'x-switchyard-cache': 'hit',
    'x-switchyard-cache-age': String(ageSeconds(answer, now)),
    'x-switchyard-cost-usd': microsToUsd(0),
    'x-switchyard-cache-saved-usd': microsToUsd(answer.costMicros),
    'x-switchyard-overhead-ms': String(Math.max(0, now - ctx.startedAt)),
  };
  const afterResponse = async () => {
    const totalMs = deps.now() - ctx.startedAt;
    // Counted for the route and the key, and in a `cached#<model>` row that adds to the day's total
    // (no model was called, so no model row); no tokens, no cost: the saving is its own counter.
    const dims = [`cached#${answer.model}`];
    if (plan.route) dims.push(`route#${plan.route}`);
    if (ctx.key) dims.push(`key#${ctx.key.keyId}`);
    await deps.quota.record(
      [
        {
          dims,
          ok: true,
          promptTokens: 0,
          completionTokens: 0,
          costMicros: 0,
          latencyMs: totalMs,
          cache: { hit: true, savedMicros: answer.costMicros },
        },
      ],
      deps.now(),
    );
    deps.telemetry.requestDone({
      requestId: ctx.requestId,
      functionVersion: ctx.functionVersion,
      keyId: ctx.key?.keyId,
      route: plan.route,
      intent: plan.intent,
      variant: plan.variant,
      // No model answered this request: model metrics and the cutover's latency alarms see only real calls.
      model: null,
      endpoint: null,
      stream,
      status: 200,
      attempts: [],
      fallbacks: 0,
      totalMs,
      upstreamMs: 0,
      overheadMs: totalMs,
      promptTokens: 0,
      completionTokens: 0,
      costMicros: 0,
      breakersOpened: [],
      cache: 'hit',
    });
  };
  if (!stream) {
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json', ...headers },
      body: answer.body,
      afterResponse,
    };
  }
  const events = sseEvents(
    chunksFromCompletion(completion, { includeUsage: req.stream_options?.include_usage === true }),
  );
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      ...headers,
    },
    body: Readable.from(events.map((e) => Buffer.from(e, 'utf8'))),
    afterResponse,
  };
}
