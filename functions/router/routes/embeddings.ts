/**
 * POST /v1/embeddings: the chat executor, reused. The plan is the embedding model and its
 * fallbacks (the config guarantees they return the same number of dimensions); budgets reserve the
 * estimated input tokens only (embedding models have no output tokens), and allow-lists, rate
 * limits, breakers, stats and the x-switchyard-* headers behave as they do for chat.
 */
import { admitCaller } from '../chat/admit-caller';
import type { CompiledEndpoint, CompiledModel } from '../../core/config/compile';
import type { ChatRequest } from '../../core/openai/chat-request';
import {
  embeddingInputSize,
  parseEmbeddingsRequest,
  wrongKind,
  type EmbeddingsRequest,
} from '../../core/openai/embeddings-request';
import { errors, GatewayError } from '../../core/openai/errors';
import { costMicros, microsToUsd, type TokenUsage } from '../../core/pricing';
import {
  allowedModelFilter,
  allowsRequestedName,
  resolveModelName,
  type Plan,
  type PlanRequest,
} from '../../core/routing/plan';
import { countTokens } from '../../core/routing/token-estimate';
import { ANSWER_RESERVE_MS, decisionHeaders } from '../chat/route';
import { executeChain, type ChainResult, type ExecInput } from '../chat/execute';
import { finishFailure, finishSuccess, reportRejected, type Accounting } from '../chat/settle';
import type { RouterDeps } from '../deps';
import { errorResult, type HttpResult } from '../http';
import type { RequestContext } from '../request-context';
import { openAttempt, type AttemptFailure } from '../upstream-attempt';

interface EmbeddingAnswer {
  text: string;
  usage?: TokenUsage;
  upstreamRequestId?: string;
}

export async function embeddings(ctx: RequestContext, deps: RouterDeps): Promise<HttpResult> {
  try {
    return await planAndExecute(ctx, deps);
  } catch (err) {
    if (err instanceof GatewayError) reportRejected(ctx, deps, err, false);
    throw err;
  }
}

/** The embedding model the request names, or a clear 4xx (unknown, a chat model, a route, a dimension it cannot give). */
function embeddingModel(deps: RouterDeps, req: EmbeddingsRequest, allowed?: readonly string[]): CompiledModel {
  const cfg = deps.config;
  const model = cfg.models.get(req.model);
  if (!model) {
    if (cfg.routes.has(req.model)) throw wrongKind(req.model, 'route');
    const known = [...cfg.models.values()]
      .filter((m) => m.kind === 'embedding' && allowsRequestedName(cfg, allowed, m.id))
      .map((m) => m.id);
    throw errors.unknownModel(req.model, known);
  }
  if (model.kind !== 'embedding') throw wrongKind(req.model, 'chat');
  if (req.dimensions != null && req.dimensions !== model.dimensions)
    throw errors.invalidField(
      'dimensions',
      `${model.id} returns ${model.dimensions} dimensions (its fallbacks too); omit dimensions or send ${model.dimensions}`,
    );
  return model;
}

async function planAndExecute(ctx: RequestContext, deps: RouterDeps): Promise<HttpResult> {
  const cfg = deps.config;
  const gw = cfg.settings.gateway;
  const req = parseEmbeddingsRequest(ctx.body, ctx.isBase64Encoded, gw.maxBodyBytes);
  deps.keyPolicy.checkModelAccess(ctx.key, req.model);
  // An alias (e.g. a client's old `text-embedding-ada-002`) stands for its target; a key must allow both.
  const target = resolveModelName(cfg, req.model).name;
  if (target !== req.model) deps.keyPolicy.checkModelAccess(ctx.key, target);
  const model = embeddingModel(deps, { ...req, model: target }, ctx.key?.allowedModels);

  const size = embeddingInputSize(req.input);
  const promptTokens = size.tokenIds + size.texts.reduce((n, t) => n + countTokens(t), 0);
  const fallbackOff = ctx.headers['x-switchyard-fallback']?.trim().toLowerCase() === 'off';
  const chain = fallbackOff ? [model.id] : [model.id, ...model.fallbacks];
  if (!fallbackOff && model.replaces) chain.push(model.replaces);
  // The key's allow-list holds for the fallbacks and the replaced model as it does for chat.
  const allowed = allowedModelFilter(cfg, ctx.key?.allowedModels, model.id);
  const skipped: Plan['skipped'] = [];
  const plan: Plan = {
    route: null,
    intent: null,
    variant: null,
    budgetFactor: 1,
    candidates: [...new Set(chain)].filter((id) => {
      if (promptTokens > (cfg.models.get(id)?.contextWindow ?? 0)) return false;
      if (!allowed || allowed(id)) return true;
      skipped.push({ model: id, reason: 'not_allowed' });
      return false;
    }),
    skipped,
  };
  if (plan.candidates.length === 0)
    throw new GatewayError(
      400,
      `This input is about ${promptTokens} tokens, more than ${model.id} takes (${model.contextWindow}).`,
      'invalid_request_error',
      'context_length_exceeded',
      'input',
    );
  // Input tokens only: the worst case is the estimated input, zero output.
  const planReq: PlanRequest = { model: req.model, messages: [], promptTokens, maxTokens: 0, choices: 1 };

  const [caller] = await Promise.all([admitCaller(ctx, deps, promptTokens), deps.state.ensureFresh()]);
  const input: ExecInput = {
    ctx,
    deps,
    plan,
    planRequest: planReq,
    deadline: ctx.startedAt + Math.min(gw.requestDeadlineMs, Math.max(0, ctx.remainingMs() - ANSWER_RESERVE_MS)),
    callerRegion: ctx.headers['x-switchyard-region'] || undefined,
  };
  const acct: Omit<Accounting, 'chain'> = {
    ctx,
    deps,
    plan,
    // The settlement reads only `stream` from the request.
    req: { model: req.model, messages: [], stream: false } as unknown as ChatRequest,
    promptTokens,
    rateHeaders: caller.headers,
    caller,
  };
  let result: ChainResult<EmbeddingAnswer>;
  try {
    result = await executeChain(input, (endpoint, signal, headersTimeoutMs) =>
      openEmbeddings(deps, req, endpoint, signal, headersTimeoutMs),
    );
  } catch (err) {
    // A bug past admission: the key's own hold must not leak.
    if (caller.hold) deps.quota.release(caller.hold, deps.now());
    throw err;
  }
  if (!result.ok) {
    const a = { ...acct, chain: result };
    return {
      ...errorResult(result.error, {
        ...caller.headers,
        ...decisionHeaders(ctx, plan, result.lastModel, result),
        'x-switchyard-overhead-ms': String(Math.max(0, deps.now() - ctx.startedAt - result.upstreamMs)),
      }),
      afterResponse: () => finishFailure(a),
    };
  }
  return answer({ ...acct, chain: result });
}

function answer(a: Accounting & { chain: Extract<ChainResult<EmbeddingAnswer>, { ok: true }> }): HttpResult {
  const { chain, ctx, deps, plan } = a;
  const estimated = !chain.value.usage;
  const usage = chain.value.usage ?? { promptTokens: a.promptTokens, completionTokens: 0 };
  const cost = costMicros(chain.held.model.prices, usage);
  const overhead = Math.max(0, deps.now() - ctx.startedAt - chain.upstreamMs);
  return {
    statusCode: 200,
    headers: {
      'content-type': 'application/json',
      ...a.rateHeaders,
      ...decisionHeaders(ctx, plan, chain.held.model.id, chain),
      'x-switchyard-cost-usd': microsToUsd(cost),
      'x-switchyard-overhead-ms': String(overhead),
      ...(chain.value.upstreamRequestId ? { 'x-upstream-request-id': chain.value.upstreamRequestId } : {}),
    },
    body: estimated ? withUsage(chain.value.text, usage.promptTokens) : chain.value.text,
    afterResponse: () => finishSuccess(a, { usage, estimated, status: 200, overheadMs: overhead }),
  };
}

/**
 * An answer whose upstream stated no token count (Cohere on Bedrock) gets the gateway's estimate, the
 * count it is billed on: OpenAI's clients read `usage` from every embeddings answer.
 */
function withUsage(text: string, promptTokens: number): string {
  const parsed = JSON.parse(text) as Record<string, unknown>;
  return JSON.stringify({ ...parsed, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } });
}

/** One embeddings call; a 2xx whose vectors are not what the model declares is the upstream's failure. */
export async function openEmbeddings(
  deps: RouterDeps,
  req: EmbeddingsRequest,
  endpoint: CompiledEndpoint,
  signal: AbortSignal,
  headersTimeoutMs: number,
): Promise<{ ok: true; value: EmbeddingAnswer; upstreamMs: number } | AttemptFailure> {
  const model = deps.config.models.get(endpoint.model)!;
  // Every candidate is asked for the declared length: that is what makes the fallbacks interchangeable.
  const body = JSON.stringify({ ...req, model: endpoint.upstreamModel, dimensions: model.dimensions });
  const outcome = await openAttempt(deps, endpoint, body, signal, headersTimeoutMs, 'embeddings');
  if (!outcome.ok) return outcome;
  const started = deps.now();
  const fail = (failure: AttemptFailure['failure'], message: string): AttemptFailure => ({
    ok: false,
    endpoint,
    failure,
    message,
    upstreamMs: outcome.upstreamMs + deps.now() - started,
  });
  let text: string;
  try {
    text = await outcome.response.text();
  } catch {
    if (signal.aborted) return fail('timeout', 'the request deadline was reached while reading the response');
    return fail('connection', 'the response body was cut off');
  }
  let parsed: { data?: unknown; usage?: { prompt_tokens?: unknown } };
  try {
    parsed = JSON.parse(text);
  } catch {
    return fail('server_error', 'the upstream answered 2xx with a body that is not JSON');
  }
  if (!parsed || typeof parsed !== 'object' || !Array.isArray(parsed.data))
    return fail('server_error', 'the upstream answered 2xx without a list of embeddings');
  const wrong = parsed.data.find((d) => {
    const v = (d as { embedding?: unknown } | null)?.embedding;
    if (typeof v === 'string') return Buffer.from(v, 'base64').length !== (model.dimensions ?? 0) * 4;
    return !Array.isArray(v) || v.length !== model.dimensions;
  });
  if (wrong !== undefined)
    return fail('server_error', `the upstream returned vectors that do not have ${model.dimensions} dimensions`);
  const prompt = parsed.usage?.prompt_tokens;
  const usage =
    typeof prompt === 'number' && Number.isFinite(prompt) && prompt >= 0
      ? { promptTokens: Math.floor(prompt), completionTokens: 0 }
      : undefined;
  return {
    ok: true,
    value: { text, usage, upstreamRequestId: outcome.response.headers['x-request-id'] },
    upstreamMs: outcome.upstreamMs + deps.now() - started,
  };
}
