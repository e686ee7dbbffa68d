/**
 * One call to one endpoint, turned into a plain outcome the resilience loop can reason about.
 * Nothing here retries or chooses: it only classifies.
 */
import type { CompiledEndpoint } from '../core/config/compile';
import type { ChatRequest } from '../core/openai/chat-request';
import { forwardedBody, providerKind } from '../core/openai/upstream-fields';
import type { FailureClass } from '../core/telemetry/failure-class';
import { scrubUpstreamText } from '../core/telemetry/redact';
import { UpstreamFailure, type UpstreamResponse } from '../ports/upstream';
import type { RouterDeps } from './deps';

export type { FailureClass };

export interface AttemptFailure {
  ok: false;
  endpoint: CompiledEndpoint;
  failure: FailureClass;
  /** HTTP status from the upstream, when there was one. */
  status?: number;
  retryAfter?: string;
  /**
   * What went wrong, for the client: the gateway's own words for transport failures, or the
   * upstream's error message after `scrubUpstreamText` (an upstream may echo our request headers).
   */
  message: string;
  /** The upstream's `x-request-id` (checked to be id-shaped), for the client to quote to the provider. */
  upstreamRequestId?: string;
  upstreamMs: number;
}

export interface AttemptOpen {
  ok: true;
  endpoint: CompiledEndpoint;
  response: UpstreamResponse;
  /** Time to response headers. */
  upstreamMs: number;
}

export type AttemptOutcome = AttemptFailure | AttemptOpen;

export function failureClassOf(status: number): FailureClass {
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not_found';
  if (status === 408) return 'timeout';
  // A redirect (or any other non-4xx) is the upstream or its URL misbehaving, never the client's fault.
  if (status >= 500 || status < 400) return 'server_error';
  return 'client_error';
}

/** Rate limits, server errors and transport failures may succeed on a retry; the rest will not. */
export function isRetryable(f: FailureClass): boolean {
  return f === 'rate_limited' || f === 'server_error' || f === 'timeout' || f === 'connection';
}

/** Only what the endpoint's provider kind accepts; a stream always asks for usage (cost is settled from it). */
export function upstreamBody(req: ChatRequest, endpoint: CompiledEndpoint, stream: boolean): string {
  return JSON.stringify(forwardedBody(req, providerKind(endpoint.provider), endpoint.upstreamModel, stream));
}

const ERROR_BODY_MAX_BYTES = 64 * 1024;

/** Only an id-looking value is passed on: the header is upstream-controlled text like any other. */
export function idShaped(value: string | undefined): string | undefined {
  return value && /^[A-Za-z0-9._:-]{1,100}$/.test(value) ? value : undefined;
}

function upstreamErrorMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const m = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? parsed.message);
    if (typeof m === 'string' && m) return m.slice(0, 500);
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 200) || 'no error body';
}

/**
 * Sends the request and waits for the response headers. On a 2xx the caller owns the body stream;
 * otherwise the body is read (it is small) to keep the upstream's explanation.
 */
export async function openAttempt(
  deps: RouterDeps,
  endpoint: CompiledEndpoint,
  body: string,
  signal: AbortSignal,
  headersTimeoutMs: number,
  operation: 'chat' | 'embeddings' = 'chat',
): Promise<AttemptOutcome> {
  const gw = deps.config.settings.gateway;
  const started = deps.now();
  let response: UpstreamResponse;
  let apiKey: string | undefined;
  const provider = endpoint.provider;
  // Bedrock speaks its own API: its client translates to and from OpenAI's format and answers with
  // the same response shape, so everything below (and the JSON reader and SSE relay) stays one path.
  const send =
    provider.kind === 'bedrock'
      ? () =>
          deps.bedrock.send({
            provider,
            upstreamModel: endpoint.upstreamModel,
            operation,
            body,
            signal,
            headersTimeoutMs,
            bodyIdleTimeoutMs: gw.bodyIdleTimeoutMs,
          })
      : () =>
          deps.upstream.send({
            baseUrl: provider.baseUrl,
            path: operation === 'embeddings' ? '/embeddings' : '/chat/completions',
            method: 'POST',
            body,
            apiKey,
            headers: provider.headers,
            signal,
            headersTimeoutMs,
            bodyIdleTimeoutMs: gw.bodyIdleTimeoutMs,
            maxBodyBytes: gw.maxUpstreamBodyBytes,
          });
  try {
    if (provider.kind !== 'bedrock') apiKey = await deps.secrets.providerKey(endpoint.providerName, provider.apiKeyRef);
  } catch {
    // Not the endpoint's failure: no retry, no breaker count, and a message without the secret's name.
    return {
      ok: false,
      endpoint,
      failure: 'credentials_unavailable',
      message: `the gateway could not read the API key of provider '${endpoint.providerName}'`,
      upstreamMs: 0,
    };
  }
  try {
    response = await send();
  } catch (err) {
    const kind = err instanceof UpstreamFailure ? err.kind : 'connection';
    return {
      ok: false,
      endpoint,
      failure: kind === 'aborted' ? 'aborted' : kind,
      message: err instanceof UpstreamFailure ? err.message : 'upstream call failed',
      upstreamMs: deps.now() - started,
    };
  }
  const upstreamMs = deps.now() - started;
  if (response.status >= 200 && response.status < 300) return { ok: true, endpoint, response, upstreamMs };
  let text = '';
  try {
    // An error body is short; one that is not is cut off here rather than read whole.
    text = await response.text(ERROR_BODY_MAX_BYTES);
  } catch {
    text = '';
  }
  return {
    ok: false,
    endpoint,
    failure: failureClassOf(response.status),
    status: response.status,
    retryAfter: response.headers['retry-after'],
    message: scrubUpstreamText(upstreamErrorMessage(text)),
    upstreamRequestId: idShaped(response.headers['x-request-id']),
    upstreamMs,
  };
}
