/**
 * POST /v1/responses: the OpenAI Responses API, stateless (the default of the current OpenAI and
 * Vercel AI SDKs). Validate in Responses terms, translate to a chat completion request, run the one
 * chat executor, translate the answer back.
 */
import { GatewayError, toGatewayError } from '../../core/openai/errors';
import { parseJsonObject, validate } from '../../core/translate/json-body';
import { toChatRequest } from '../../core/translate/openai-responses/request';
import { ResponsesRequestSchema } from '../../core/translate/openai-responses/schema';
import { responseIds, responsesGatewayError, toResponsesResult } from '../apis/openai-responses/edge';
import { chatCompletions } from '../chat/route';
import { reportRejected } from '../chat/settle';
import type { RouterDeps } from '../deps';
import type { HttpResult } from '../http';
import type { RequestContext } from '../request-context';

export async function responses(ctx: RequestContext, deps: RouterDeps): Promise<HttpResult> {
  let delegated = false;
  try {
    const raw = parseJsonObject(ctx.body, ctx.isBase64Encoded, deps.config.settings.gateway.maxBodyBytes);
    const req = validate(ResponsesRequestSchema, raw);
    const chat = toChatRequest(req);
    delegated = true;
    const result = await chatCompletions({ ...ctx, body: JSON.stringify(chat), isBase64Encoded: false }, deps);
    return toResponsesResult(result, req, responseIds(ctx.requestId, ctx.startedAt));
  } catch (err) {
    // A body refused before the chat route ran is reported as the chat route reports its rejections.
    if (err instanceof GatewayError && !delegated)
      reportRejected(ctx, deps, err, /"stream"\s*:\s*true/.test(ctx.body ?? ''));
    if (!(err instanceof GatewayError)) {
      deps.log('error', 'request failed inside the gateway', {
        requestId: ctx.requestId,
        error: String((err as Error)?.stack ?? err),
      });
    }
    return responsesGatewayError(toGatewayError(err, ctx.requestId), { 'x-request-id': ctx.requestId });
  }
}
