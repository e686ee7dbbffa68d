/**
 * The OpenAI Responses API at the edge: the chat route's HttpResult (a chat.completion JSON body, a
 * live chat SSE stream, or an error) becomes the same answer as a `response` object, the Responses
 * event sequence, or an error naming the Responses field. Headers and `afterResponse` are kept.
 */
import type { GatewayError } from '../../../core/openai/errors';
import type { ChatCompletion } from '../../../core/translate/chat-types';
import { toResponsesError } from '../../../core/translate/openai-responses/errors';
import { type ResponseIds, toResponse } from '../../../core/translate/openai-responses/response';
import type { ResponsesRequest } from '../../../core/translate/openai-responses/schema';
import { ResponsesStreamTranslator } from '../../../core/translate/openai-responses/stream';
import type { HttpResult } from '../../http';
import { translateChatStream } from '../chat-sse-transform';

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function responsesErrorResult(status: number, body: unknown, headers: Record<string, string>): HttpResult {
  return {
    statusCode: status,
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(toResponsesError(body)),
  };
}

export function responsesGatewayError(err: GatewayError, headers: Record<string, string>): HttpResult {
  return responsesErrorResult(err.status, err.toBody(), { ...err.headers, ...headers });
}

/** `resp_` + the request id's letters and digits: unique per request, and traceable to the logs. */
export function responseIds(requestId: string, nowMs: number): ResponseIds {
  const id = requestId.replace(/[^A-Za-z0-9]/g, '').slice(0, 48) || nowMs.toString(36);
  return { response: `resp_${id}`, createdAt: Math.floor(nowMs / 1000) };
}

export function toResponsesResult(result: HttpResult, req: ResponsesRequest, ids: ResponseIds): HttpResult {
  if (typeof result.body !== 'string') {
    return { ...result, body: translateChatStream(result.body, new ResponsesStreamTranslator(req, ids)) };
  }
  const json = parseJson(result.body);
  if (result.statusCode >= 400) {
    return { ...responsesErrorResult(result.statusCode, json, result.headers), afterResponse: result.afterResponse };
  }
  return {
    ...result,
    headers: { ...result.headers, 'content-type': 'application/json' },
    body: JSON.stringify(toResponse((json ?? {}) as ChatCompletion, req, ids)),
  };
}
