import * as apigateway from 'aws-cdk-lib/aws-apigateway';

/**
 * Errors API Gateway produces itself (before or instead of the router) rewritten into one body
 * that is both OpenAI's error shape `{"error":{"message","type","param","code"}}` and Anthropic's
 * `{"type":"error","error":{"type","message"}}`: a gateway response is set per API, not per path,
 * and its template is not VTL, so it cannot pick a shape by path; each SDK reads the fields it
 * knows and ignores the rest, and raises the usual typed errors (AuthenticationError,
 * PermissionDeniedError, RateLimitError, ...) from the status, for /v1/messages as for the others.
 *
 * `message` is a fixed text where API Gateway's own would be unhelpful or could echo client input;
 * `null` keeps API Gateway's message (`$context.error.messageString`, already a quoted JSON string).
 * `statusCode` undefined keeps API Gateway's status (the DEFAULT_* families cover several).
 */
export interface OpenAiGatewayResponse {
  readonly type: apigateway.ResponseType;
  readonly statusCode?: string;
  readonly message: string | null;
  readonly errorType: string;
  readonly code: string;
  readonly headers?: Record<string, string>;
}

export const OPENAI_GATEWAY_RESPONSES: readonly OpenAiGatewayResponse[] = [
  {
    // Missing Authorization header, or the authorizer threw/returned "Unauthorized".
    type: apigateway.ResponseType.UNAUTHORIZED,
    statusCode: '401',
    message: 'Incorrect or missing API key. Send it as "Authorization: Bearer <key>".',
    errorType: 'authentication_error',
    code: 'invalid_api_key',
  },
  {
    // The authorizer returned a Deny policy (key disabled, expired or not allowed here).
    type: apigateway.ResponseType.ACCESS_DENIED,
    statusCode: '403',
    message: 'This API key is not allowed to make this request.',
    errorType: 'permission_error',
    code: 'permission_denied',
  },
  {
    // Stage (or account) throttling: the outer guard in front of the per-key limits.
    type: apigateway.ResponseType.THROTTLED,
    statusCode: '429',
    message: 'Rate limit reached for requests. Retry after a short wait.',
    errorType: 'rate_limit_error',
    code: 'rate_limit_exceeded',
    headers: { 'Retry-After': "'1'" },
  },
  {
    // Unknown path or method: API Gateway says 403 "Missing Authentication Token", which misleads.
    type: apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN,
    statusCode: '404',
    message: 'Unknown request URL. Check the path and the HTTP method.',
    errorType: 'not_found_error',
    code: 'unknown_url',
  },
  {
    type: apigateway.ResponseType.REQUEST_TOO_LARGE,
    statusCode: '413',
    message: 'Request body too large.',
    errorType: 'request_too_large',
    code: 'request_too_large',
  },
  // The authorizer threw (not "Unauthorized"), timed out or could not be invoked: typically its key
  // store (DynamoDB) is unreachable. Auth fails closed, but the client must see a retryable 503 that
  // says so, not a bare 500 (AUTHORIZER_CONFIGURATION_ERROR is what a throwing authorizer gives).
  ...(['AUTHORIZER_CONFIGURATION_ERROR', 'AUTHORIZER_FAILURE'] as const).map(
    (name): OpenAiGatewayResponse => ({
      type: apigateway.ResponseType[name],
      statusCode: '503',
      message:
        'The API key could not be verified right now (the authorizer or its key store is unavailable). Retry shortly.',
      errorType: 'api_error',
      code: 'authorizer_unavailable',
      headers: { 'Retry-After': "'1'" },
    }),
  ),
  {
    type: apigateway.ResponseType.DEFAULT_4XX,
    message: null,
    errorType: 'invalid_request_error',
    code: 'invalid_request',
  },
  {
    // Integration timeout, authorizer failure, Lambda errors before the stream started, ...
    type: apigateway.ResponseType.DEFAULT_5XX,
    message: null,
    errorType: 'api_error',
    code: 'gateway_error',
  },
];

/** The `application/json` mapping template of one gateway response. */
export function openAiErrorTemplate(r: OpenAiGatewayResponse): string {
  const message = r.message === null ? '$context.error.messageString' : JSON.stringify(r.message);
  return `{"type":"error","error":{"message":${message},"type":${JSON.stringify(r.errorType)},"param":null,"code":${JSON.stringify(r.code)}}}`;
}

export function addOpenAiGatewayResponses(api: apigateway.RestApi): void {
  for (const r of OPENAI_GATEWAY_RESPONSES) {
    api.addGatewayResponse(`${r.type.responseType}Response`, {
      type: r.type,
      statusCode: r.statusCode,
      responseHeaders: { 'Content-Type': "'application/json'", ...r.headers },
      templates: { 'application/json': openAiErrorTemplate(r) },
    });
  }
}
