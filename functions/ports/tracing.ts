/**
 * Tracing as the router sees it: one span per upstream attempt, named with the OpenTelemetry GenAI
 * semantic conventions (gen_ai.*), plus Switchyard's own route / attempt / fallback attributes.
 * No X-Ray or OpenTelemetry types here: the adapter (adapters/telemetry/powertools-tracing.ts)
 * maps them; the default is a no-op (tracing is opt-in: -c switchyard:tracing=true).
 */
import type { RequestSummary } from '../core/telemetry/request-summary';

/** Known when the attempt starts. */
export interface AttemptAttributes {
  /** gen_ai.system: the provider name of the endpoint (e.g. `openai`). */
  system: string;
  /** gen_ai.request.model: the configured model id. */
  model: string;
  /** The endpoint id (never its URL). */
  endpoint: string;
  /** gen_ai.operation.name. */
  operation: 'chat';
  /** switchyard.route: the route asked for, or null for a concrete model. */
  route: string | null;
  /** switchyard.attempt: 1-based number of this upstream call within the request. */
  attempt: number;
  /** switchyard.fallback: an earlier candidate model was passed over. */
  fallback: boolean;
  /** gen_ai.request.max_tokens, when the request set it. */
  maxTokens?: number;
}

/** Known when the attempt ends. */
export interface AttemptResult {
  /** HTTP status of the upstream answer, or the failure class (`timeout`, `connection`, ...). */
  outcome: number | string;
  ok: boolean;
  /** gen_ai.usage.*, when the attempt's answer carried usage (the request summary always does). */
  inputTokens?: number;
  outputTokens?: number;
}

export interface AttemptSpan {
  end(result: AttemptResult): void;
}

export interface Tracing {
  startAttempt(attrs: AttemptAttributes): AttemptSpan;
  /** The request's totals (gen_ai.usage.* of the answer, route, fallbacks) once it is done. */
  requestDone(summary: RequestSummary): void;
}

const NOOP_SPAN: AttemptSpan = { end: () => undefined };

export const noopTracing: Tracing = {
  startAttempt: () => NOOP_SPAN,
  requestDone: () => undefined,
};

/** The OpenTelemetry GenAI attribute names (semantic conventions), shared by adapters and tests. */
export const GEN_AI = {
  system: 'gen_ai.system',
  operation: 'gen_ai.operation.name',
  requestModel: 'gen_ai.request.model',
  maxTokens: 'gen_ai.request.max_tokens',
  responseModel: 'gen_ai.response.model',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  errorType: 'error.type',
} as const;
