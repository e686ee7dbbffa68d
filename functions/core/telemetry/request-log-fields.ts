/**
 * The fields of the one log line per request. An explicit list, not a spread of the summary: a field
 * added to RequestSummary later (say, for debugging) must not start flowing into logs unnoticed.
 */
import { microsToUsd } from '../pricing';
import type { RequestSummary } from './request-summary';

export function requestLogFields(s: RequestSummary): Record<string, unknown> {
  return {
    requestId: s.requestId,
    functionVersion: s.functionVersion,
    keyId: s.keyId,
    route: s.route,
    intent: s.intent,
    variant: s.variant,
    model: s.model,
    endpoint: s.endpoint,
    stream: s.stream,
    status: s.status,
    errorCode: s.errorCode,
    attempts: s.attempts.map((a) => ({ model: a.model, endpoint: a.endpoint, outcome: a.outcome, ms: a.ms })),
    fallbacks: s.fallbacks,
    totalMs: s.totalMs,
    upstreamMs: s.upstreamMs,
    overheadMs: s.overheadMs,
    ttftMs: s.ttftMs,
    promptTokens: s.promptTokens,
    completionTokens: s.completionTokens,
    costMicros: s.costMicros,
    costUsd: microsToUsd(s.costMicros),
    usageEstimated: s.usageEstimated,
    overrunMicros: s.overrunMicros,
    breakersOpened: s.breakersOpened.length ? s.breakersOpened : undefined,
    cache: s.cache,
  };
}

/** 5xx and reservation overruns are worth a look (upstream trouble or a gateway bug); the rest is routine. */
export function requestLogLevel(s: RequestSummary): 'info' | 'warn' {
  return s.status >= 500 || (s.overrunMicros ?? 0) > 0 ? 'warn' : 'info';
}
