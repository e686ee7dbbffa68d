import type { APIGatewayProxyEvent } from 'aws-lambda';

/** A minimal v1 proxy event for POST /v1/chat/completions, for driving the router app without HTTP. */
export function chatEvent(
  body: string | null,
  headers: Record<string, string> = {},
  requestId = 'test',
): APIGatewayProxyEvent {
  return {
    httpMethod: 'POST',
    path: '/v1/chat/completions',
    resource: '/v1/chat/completions',
    headers,
    multiValueHeaders: {},
    body,
    isBase64Encoded: false,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: { requestId } as APIGatewayProxyEvent['requestContext'],
  };
}
