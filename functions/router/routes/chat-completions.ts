/**
 * POST /v1/chat/completions: validate, pick candidates, call upstream until one answers, return
 * its body with headers that explain the decision, and record usage after the response is out.
 */
import { parseChatRequest, type ChatRequest } from '../../core/openai/chat-request';
import { errors, GatewayError } from '../../core/openai/errors';
import { costMicros, microsToUsd, usageFromOpenAI, type TokenUsage } from '../../core/pricing';
import { utcDay } from '../../core/time';
import type { RouterDeps } from '../deps';
import type { HttpResult } from '../http';
import { errorResult } from '../http';
import type { RequestContext } from '../request-context';
import { openAttempt, upstreamBody, type AttemptFailure } from '../upstream-attempt';

interface Target {
  route: string | null;
  candidates: string[];
}

function resolveTarget(req: ChatRequest, ctx: RequestContext, deps: RouterDeps): Target {
  const { models, routes } = deps.config;
  const model = models.get(req.model);
  if (model) {
    const fallbackOff = ctx.headers['x-switchyard-fallback']?.toLowerCase() === 'off';
    return { route: null, candidates: fallbackOff ? [model.id] : [model.id, ...model.fallbacks] };
  }
  const route = routes.get(req.model);
  if (route) return { route: req.model, candidates: [...(route.intents.general ?? []), ...route.fallbacks] };
  throw errors.unknownModel(req.model, [...models.keys(), ...routes.keys()]);
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** When every candidate failed, the client learns the most telling failure, with the right status. */
export function finalError(failures: AttemptFailure[]): GatewayError {
  const last = failures[failures.length - 1];
  if (!last) return new GatewayError(503, 'No model was available to serve this request.', 'service_unavailable', 'no_candidates');
  const where = `${last.endpoint.model} (${last.endpoint.id})`;
  switch (last.failure) {
    case 'client_error':
      return new GatewayError(last.status ?? 400, `Upstream ${where} rejected the request: ${last.message}`, 'invalid_request_error', 'upstream_rejected');
    case 'auth':
      return errors.upstream(`Gateway configuration error: provider '${last.endpoint.providerName}' rejected the gateway's credentials for ${where}.`, 'upstream_auth_failed');
    case 'not_found':
      return errors.upstream(`Gateway configuration error: upstream ${where} says the model does not exist: ${last.message}`, 'upstream_model_not_found');
    case 'rate_limited':
      return new GatewayError(429, `Upstream ${where} is rate limiting; retry later.`, 'rate_limit_error', 'upstream_rate_limited', null, last.retryAfter ? { 'retry-after': last.retryAfter } : {});
    case 'timeout':
      return errors.upstreamTimeout(`Upstream ${where} did not answer in time: ${last.message}`);
    default:
      return errors.upstream(`Upstream ${where} failed: ${last.status ? `HTTP ${last.status}: ` : ''}${last.message}`);
  }
}

export async function chatCompletions(ctx: RequestContext, deps: RouterDeps): Promise<HttpResult> {
  const gw = deps.config.raw.gateway;
  const req = parseChatRequest(ctx.body, ctx.isBase64Encoded, gw.maxBodyBytes);
  if (req.stream) throw errors.invalidField('stream', 'streaming is not enabled on this gateway yet');
  const target = resolveTarget(req, ctx, deps);
  const deadline = ctx.startedAt + Math.min(gw.requestDeadlineMs, Math.max(0, ctx.remainingMs() - 1_000));

  const failures: AttemptFailure[] = [];
  const attempts: string[] = [];
  let upstreamMs = 0;
  for (const modelId of unique(target.candidates)) {
    const model = deps.config.models.get(modelId)!;
    const endpoint = model.endpoints[0];
    const left = deadline - deps.now();
    if (left <= 0) break;
    const abort = new AbortController();
    const outcome = await openAttempt(deps, endpoint, upstreamBody(req, endpoint, false), abort.signal, Math.min(left, gw.headersTimeoutMs));
    upstreamMs += outcome.upstreamMs;
    if (!outcome.ok) {
      attempts.push(`${modelId}:${outcome.status ?? outcome.failure}`);
      failures.push(outcome);
      continue;
    }
    const readStart = deps.now();
    let text: string;
    try {
      text = await outcome.response.text();
    } catch {
      upstreamMs += deps.now() - readStart;
      attempts.push(`${modelId}:body_error`);
      failures.push({ ...outcome, ok: false, failure: 'connection', message: 'the response body was cut off' });
      continue;
    }
    upstreamMs += deps.now() - readStart;
    let parsed: { usage?: unknown } | undefined;
    try {
      parsed = JSON.parse(text);
    } catch {
      attempts.push(`${modelId}:bad_json`);
      failures.push({ ...outcome, ok: false, failure: 'server_error', status: outcome.response.status, message: 'the upstream answered with invalid JSON' });
      continue;
    }
    attempts.push(`${modelId}:${outcome.response.status}`);
    const usage: TokenUsage = usageFromOpenAI(parsed?.usage) ?? { promptTokens: 0, completionTokens: 0 };
    const cost = costMicros(model.prices, usage);
    const totalMs = deps.now() - ctx.startedAt;
    return {
      statusCode: 200,
      headers: {
        'content-type': 'application/json',
        ...decisionHeaders(ctx, target, modelId, attempts),
        'x-switchyard-cost-usd': microsToUsd(cost),
        'x-switchyard-overhead-ms': String(Math.max(0, totalMs - upstreamMs)),
        ...(outcome.response.headers['x-request-id'] ? { 'x-upstream-request-id': outcome.response.headers['x-request-id'] } : {}),
      },
      body: text,
      afterResponse: () =>
        deps.usage.record({
          day: utcDay(ctx.startedAt),
          model: modelId,
          ok: true,
          promptTokens: usage.promptTokens,
          completionTokens: usage.completionTokens,
          costMicros: cost,
          latencyMs: totalMs,
          extraScopes: target.route ? [`route#${target.route}`] : [],
        }),
    };
  }

  const err = finalError(failures);
  const totalMs = deps.now() - ctx.startedAt;
  const failedModel = failures[failures.length - 1]?.endpoint.model;
  return {
    ...errorResult(err, {
      ...decisionHeaders(ctx, target, failedModel, attempts),
      'x-switchyard-overhead-ms': String(Math.max(0, totalMs - upstreamMs)),
    }),
    afterResponse: failedModel
      ? () =>
          deps.usage.record({
            day: utcDay(ctx.startedAt),
            model: failedModel,
            ok: false,
            promptTokens: 0,
            completionTokens: 0,
            costMicros: 0,
            latencyMs: totalMs,
          })
      : undefined,
  };
}

function decisionHeaders(ctx: RequestContext, target: Target, model: string | undefined, attempts: string[]): Record<string, string> {
  return {
    'x-request-id': ctx.requestId,
    'x-switchyard-route': target.route ?? 'direct',
    ...(model ? { 'x-switchyard-model': model } : {}),
    'x-switchyard-attempts': attempts.join(','),
  };
}
