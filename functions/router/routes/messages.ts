/**
 * POST /v1/messages and /v1/messages/count_tokens: the Anthropic Messages API (Claude Code's
 * `ANTHROPIC_BASE_URL`). Validate in Anthropic's terms, translate to a chat completion request,
 * run the one chat executor, translate the answer back. `anthropic-version` and `anthropic-beta`
 * are accepted and not needed: the answer's shape is the same for every version.
 */
import { GatewayError, toGatewayError } from '../../core/openai/errors';
import { namesFor, resolveModelName } from '../../core/routing/plan';
import { countTokens as countBpe } from '../../core/routing/token-estimate';
import { countInputTokens } from '../../core/translate/anthropic-messages/count-tokens';
import { toChatConversation, toChatRequest } from '../../core/translate/anthropic-messages/request';
import { CountTokensSchema, MessagesRequestSchema } from '../../core/translate/anthropic-messages/schema';
import { parseJsonObject, validate } from '../../core/translate/json-body';
import { errors } from '../../core/openai/errors';
import { chatCompletions } from '../chat/route';
import { reportRejected } from '../chat/settle';
import type { RouterDeps } from '../deps';
import type { HttpResult } from '../http';
import type { RequestContext } from '../request-context';
import { anthropicGatewayError, toMessagesResult } from '../apis/anthropic-messages/edge';

/**
 * Runs `fn`; any error leaves in Anthropic's shape (an unexpected one is logged and answered 500).
 * A body refused before the chat route ran is reported as the chat route reports its rejections
 * (count_tokens calls no model and reports nothing).
 */
async function inAnthropicShape(
  ctx: RequestContext,
  deps: RouterDeps,
  fn: (delegate: typeof chatCompletions) => Promise<HttpResult>,
  reportRejections = true,
): Promise<HttpResult> {
  let delegated = false;
  const delegate: typeof chatCompletions = (c, d) => {
    delegated = true;
    return chatCompletions(c, d);
  };
  try {
    return await fn(delegate);
  } catch (err) {
    if (err instanceof GatewayError && !delegated && reportRejections) {
      reportRejected(ctx, deps, err, /"stream"\s*:\s*true/.test(ctx.body ?? ''));
    }
    if (!(err instanceof GatewayError)) {
      deps.log('error', 'request failed inside the gateway', {
        requestId: ctx.requestId,
        error: String((err as Error)?.stack ?? err),
      });
    }
    return anthropicGatewayError(toGatewayError(err, ctx.requestId), { 'x-request-id': ctx.requestId });
  }
}

export function messages(ctx: RequestContext, deps: RouterDeps): Promise<HttpResult> {
  return inAnthropicShape(ctx, deps, async (delegate) => {
    const raw = parseJsonObject(ctx.body, ctx.isBase64Encoded, deps.config.settings.gateway.maxBodyBytes);
    const req = validate(MessagesRequestSchema, raw);
    const chat = toChatRequest(req);
    const result = await delegate({ ...ctx, body: JSON.stringify(chat), isBase64Encoded: false }, deps);
    // message_start reports 0 input tokens; message_delta carries the upstream's real usage (as
    // Anthropic's own stream does since 2025, and the SDKs take it from there).
    const thinking = req.thinking !== undefined && req.thinking.type !== 'disabled';
    return toMessagesResult(result, { model: req.model, requestId: ctx.requestId, thinking });
  });
}

/**
 * An estimate with the gateway's tokenizer (cl100k), not the upstream's: Claude Code uses it to
 * decide when to compact a conversation, for which an estimate of the right size is what matters.
 */
export function countTokens(ctx: RequestContext, deps: RouterDeps): Promise<HttpResult> {
  return inAnthropicShape(
    ctx,
    deps,
    async () => {
      const raw = parseJsonObject(ctx.body, ctx.isBase64Encoded, deps.config.settings.gateway.maxBodyBytes);
      const req = validate(CountTokensSchema, raw);
      const cfg = deps.config;
      const name = resolveModelName(cfg, req.model).name;
      if (!cfg.models.has(name) && !cfg.routes.has(name)) {
        throw errors.unknownModel(req.model, namesFor(cfg, ctx.key?.allowedModels));
      }
      deps.keyPolicy.checkModelAccess(ctx.key, req.model);
      const conversation = toChatConversation(req);
      return {
        statusCode: 200,
        headers: { 'content-type': 'application/json', 'x-request-id': ctx.requestId },
        body: JSON.stringify({ input_tokens: countInputTokens(conversation, countBpe) }),
      };
    },
    false,
  );
}
