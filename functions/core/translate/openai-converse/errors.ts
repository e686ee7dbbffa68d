/**
 * Bedrock exception -> the HTTP status an OpenAI-compatible upstream would have answered, so the
 * executor classifies it exactly as it does every other upstream (upstream-attempt.ts
 * failureClassOf): 429 and 5xx retryable and breaker-charged, 408 a timeout, 400 the client's,
 * 403 upstream_auth_failed, 404 upstream_model_not_found.
 */
export interface BedrockErrorMapping {
  status: number;
  type: string;
  code: string;
}

const MAP: Record<string, BedrockErrorMapping> = {
  ThrottlingException: { status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded' },
  // A hard account quota (tokens per minute, concurrent streams): also a rate limit for our purposes.
  ServiceQuotaExceededException: { status: 429, type: 'rate_limit_error', code: 'quota_exceeded' },
  ServiceUnavailableException: { status: 503, type: 'server_error', code: 'service_unavailable' },
  ModelNotReadyException: { status: 503, type: 'server_error', code: 'model_not_ready' },
  InternalServerException: { status: 500, type: 'server_error', code: 'internal_server_error' },
  // The model failed while generating (or mid-stream): the endpoint's fault, worth another endpoint.
  ModelErrorException: { status: 502, type: 'server_error', code: 'model_error' },
  ModelStreamErrorException: { status: 502, type: 'server_error', code: 'model_stream_error' },
  ModelTimeoutException: { status: 408, type: 'timeout_error', code: 'model_timeout' },
  ValidationException: { status: 400, type: 'invalid_request_error', code: 'validation_error' },
  ConflictException: { status: 409, type: 'invalid_request_error', code: 'conflict' },
  AccessDeniedException: { status: 403, type: 'permission_error', code: 'access_denied' },
  UnrecognizedClientException: { status: 403, type: 'permission_error', code: 'access_denied' },
  ExpiredTokenException: { status: 403, type: 'permission_error', code: 'access_denied' },
  ResourceNotFoundException: { status: 404, type: 'invalid_request_error', code: 'model_not_found' },
};

/** Unknown exceptions count as the upstream's failure (retryable), never as the client's. */
const UNKNOWN: BedrockErrorMapping = { status: 502, type: 'server_error', code: 'bedrock_error' };

export function bedrockErrorOf(name: string | undefined): BedrockErrorMapping {
  return (name && MAP[name]) || UNKNOWN;
}
