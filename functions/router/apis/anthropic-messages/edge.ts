/**
 * The Anthropic Messages API at the edge: the chat route's HttpResult (a chat.completion JSON body,
 * a live chat SSE stream, or an OpenAI-shaped error) becomes the same answer in Anthropic's shapes.
 * Headers (`x-switchyard-*`, rate limits, Retry-After) and `afterResponse` are kept as they are.
 */
import type { GatewayError } from '../../../core/openai/errors';
import type { ChatCompletion } from '../../../core/translate/chat-types';
import { toAnthropicError } from '../../../core/translate/anthropic-messages/errors';
import { toAnthropicMessage } from '../../../core/translate/anthropic-messages/response';
import { MessagesStreamTranslator } from '../../../core/translate/anthropic-messages/stream';
import { translateChatStream } from '../chat-sse-transform';
import type { HttpResult } from '../../http';

export interface MessagesAnswerOptions {
  model: string;
  requestId: string;
  inputTokensEstimate?: number;
  /** The client asked for thinking (answers then carry thinking blocks). */
  thinking?: boolean;
}

function idFrom(requestId: string): string {
  return requestId.replace(/[^A-Za-z0-9]/g, '').slice(0, 32) || 'switchyard';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function anthropicErrorResult(status: number, openaiBody: unknown, headers: Record<string, string>): HttpResult {
  const mapped = toAnthropicError(status, openaiBody);
  return {
    statusCode: mapped.status,
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(mapped.body),
  };
}

export function anthropicGatewayError(err: GatewayError, headers: Record<string, string>): HttpResult {
  return anthropicErrorResult(err.status, err.toBody(), { ...err.headers, ...headers });
}

export function toMessagesResult(result: HttpResult, opts: MessagesAnswerOptions): HttpResult {
  const id = idFrom(opts.requestId);
  if (typeof result.body !== 'string') {
    const translator = new MessagesStreamTranslator({
      model: opts.model,
      fallbackId: id,
      inputTokensEstimate: opts.inputTokensEstimate,
      thinking: opts.thinking,
    });
    return { ...result, body: translateChatStream(result.body, translator) };
  }
  const json = parseJson(result.body);
  if (result.statusCode >= 400) {
    return { ...anthropicErrorResult(result.statusCode, json, result.headers), afterResponse: result.afterResponse };
  }
  return {
    ...result,
    headers: { ...result.headers, 'content-type': 'application/json' },
    body: JSON.stringify(
      toAnthropicMessage((json ?? {}) as ChatCompletion, opts.model, id, { thinking: opts.thinking }),
    ),
  };
}
