/**
 * Every error a client sees has OpenAI's shape and the status OpenAI would use, so SDK retry
 * logic and error classes behave as they do against OpenAI itself.
 */
export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'insufficient_quota'
  | 'api_error'
  | 'upstream_error'
  | 'timeout_error'
  | 'service_unavailable';

export interface OpenAIErrorBody {
  error: { message: string; type: ErrorType; param: string | null; code: string | null };
}

export class GatewayError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: ErrorType,
    readonly code: string | null = null,
    readonly param: string | null = null,
    /** Extra response headers, e.g. Retry-After on 429/503. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'GatewayError';
  }

  toBody(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export const errors = {
  malformedJson: (detail: string) =>
    new GatewayError(
      400,
      `We could not parse the JSON body of your request: ${detail}`,
      'invalid_request_error',
      'invalid_json',
    ),
  invalidField: (param: string, message: string) =>
    new GatewayError(400, `Invalid value for '${param}': ${message}`, 'invalid_request_error', 'invalid_value', param),
  bodyTooLarge: (limit: number) =>
    new GatewayError(
      413,
      `Request body exceeds the ${limit}-byte limit.`,
      'invalid_request_error',
      'request_too_large',
    ),
  unknownModel: (model: string, valid: string[]) =>
    new GatewayError(
      404,
      `The model \`${model}\` does not exist. Valid models and routes: ${valid.join(', ')}.`,
      'invalid_request_error',
      'model_not_found',
      'model',
    ),
  notFound: (method: string, path: string) =>
    new GatewayError(404, `Unknown endpoint: ${method} ${path}`, 'invalid_request_error', 'unknown_url'),
  methodNotAllowed: (method: string, path: string) =>
    new GatewayError(405, `Method ${method} is not allowed on ${path}`, 'invalid_request_error', 'method_not_allowed'),
  unauthorized: (message = 'Missing API key. Send it as "Authorization: Bearer sk-...".') =>
    new GatewayError(401, message, 'invalid_request_error', 'invalid_api_key'),
  upstream: (message: string, code = 'upstream_error') => new GatewayError(502, message, 'upstream_error', code),
  upstreamTimeout: (message: string) => new GatewayError(504, message, 'timeout_error', 'upstream_timeout'),
  internal: (requestId: string) =>
    new GatewayError(
      500,
      `The gateway failed to process the request (request id ${requestId}); it has been logged.`,
      'api_error',
      'gateway_error',
    ),
};

/**
 * Any thrown value becomes a GatewayError. An unexpected exception is a gateway bug and is answered
 * 500 honestly (the fuzz tests exist to make sure no client input can reach this path).
 */
export function toGatewayError(err: unknown, requestId: string): GatewayError {
  return err instanceof GatewayError ? err : errors.internal(requestId);
}
