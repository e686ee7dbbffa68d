/**
 * The gateway's errors are already OpenAI-shaped (`{"error":{message,type,param,code}}`), which is
 * the Responses API's error shape too. What changes is the vocabulary: the internal request's
 * field names (`messages`, `max_tokens`) become the Responses fields the client sent.
 */
const PARAMS: Record<string, string> = {
  messages: 'input',
  max_tokens: 'max_output_tokens',
  max_completion_tokens: 'max_output_tokens',
  response_format: 'text.format',
};

export interface OpenAIErrorLike {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export function toResponsesError(body: unknown): OpenAIErrorLike {
  const e = (body as { error?: Record<string, unknown> } | null)?.error;
  const param = typeof e?.param === 'string' ? e.param : null;
  return {
    error: {
      message: typeof e?.message === 'string' ? e.message : 'The request failed.',
      type: typeof e?.type === 'string' ? e.type : 'api_error',
      param: param === null ? null : (PARAMS[param.split(/[.[]/)[0]] ?? param),
      code: typeof e?.code === 'string' ? e.code : null,
    },
  };
}
