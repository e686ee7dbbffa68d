/**
 * The gateway's OpenAI-shaped errors -> Anthropic's error shape `{"type":"error","error":{type,message}}`
 * and the status codes Anthropic's API uses, so Anthropic SDKs raise their own error classes and retry
 * what they would retry against Anthropic. The OpenAI `code` (e.g. `model_not_allowed`) stays in the
 * message; the `x-switchyard-*` headers carry the rest.
 */
export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'timeout_error'
  | 'overloaded_error';

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: AnthropicErrorType; message: string };
}

/** status -> [Anthropic status, type]. 502 (every upstream failed) is Anthropic's 500; 503 its 529. */
export function anthropicStatus(status: number): { status: number; type: AnthropicErrorType } {
  if (status === 401) return { status, type: 'authentication_error' };
  if (status === 403) return { status, type: 'permission_error' };
  if (status === 404) return { status, type: 'not_found_error' };
  if (status === 413) return { status, type: 'request_too_large' };
  if (status === 429) return { status, type: 'rate_limit_error' };
  if (status === 503 || status === 529) return { status: 529, type: 'overloaded_error' };
  if (status === 504) return { status, type: 'timeout_error' };
  if (status >= 500) return { status: 500, type: 'api_error' };
  return { status: Math.max(status, 400), type: 'invalid_request_error' };
}

/** In-stream errors carry the gateway's OpenAI `type` only (the stream is already 200). */
export function anthropicStreamErrorType(openaiType: string | undefined): AnthropicErrorType {
  if (openaiType === 'timeout_error') return 'timeout_error';
  if (openaiType === 'service_unavailable') return 'overloaded_error';
  if (openaiType === 'rate_limit_error') return 'rate_limit_error';
  return 'api_error';
}

function messageOf(body: unknown): string {
  const e = (body as { error?: { message?: unknown; code?: unknown } } | null)?.error;
  const message = typeof e?.message === 'string' ? e.message : 'The request failed.';
  return typeof e?.code === 'string' && e.code !== '' ? `${message} (${e.code})` : message;
}

export function toAnthropicError(status: number, openaiBody: unknown): { status: number; body: AnthropicErrorBody } {
  const mapped = anthropicStatus(status);
  return {
    status: mapped.status,
    body: { type: 'error', error: { type: mapped.type, message: messageOf(openaiBody) } },
  };
}
