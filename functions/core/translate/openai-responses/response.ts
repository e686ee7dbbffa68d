/** A `chat.completion` body -> a Responses API `response` object (non-stream answer of POST /v1/responses). */
import { type ChatCompletion, type ChatUsage, usageNumbers } from '../chat-types';
import type { ResponsesRequest } from './schema';

export interface OutputText {
  type: 'output_text';
  text: string;
  annotations: unknown[];
  logprobs: unknown[];
}

export type OutputItem =
  | {
      type: 'message';
      id: string;
      status: 'completed' | 'in_progress' | 'incomplete';
      role: 'assistant';
      content: OutputText[];
    }
  | {
      type: 'function_call';
      id: string;
      call_id: string;
      name: string;
      arguments: string;
      status: 'completed' | 'in_progress' | 'incomplete';
    };

export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export type ResponseStatus = 'completed' | 'incomplete' | 'in_progress' | 'failed';

export function responsesUsage(u: ChatUsage | null | undefined): ResponsesUsage {
  const n = usageNumbers(u);
  return {
    input_tokens: n.input,
    input_tokens_details: { cached_tokens: n.cached },
    output_tokens: n.output,
    output_tokens_details: { reasoning_tokens: n.reasoning },
    total_tokens: n.input + n.output,
  };
}

export interface ResponseIds {
  /** `resp_...` */
  response: string;
  createdAt: number;
}

/** The response object around `output`: the request's settings echoed, as OpenAI echoes them. */
export function responseObject(
  req: ResponsesRequest,
  ids: ResponseIds,
  status: ResponseStatus,
  output: OutputItem[],
  usage: ResponsesUsage | null,
  extra: { error?: { code: string; message: string }; incomplete?: boolean } = {},
): Record<string, unknown> {
  return {
    id: ids.response,
    object: 'response',
    created_at: ids.createdAt,
    status,
    background: false,
    error: extra.error ?? null,
    incomplete_details: extra.incomplete ? { reason: 'max_output_tokens' } : null,
    instructions: req.instructions ?? null,
    max_output_tokens: req.max_output_tokens ?? null,
    model: req.model,
    output,
    parallel_tool_calls: req.parallel_tool_calls ?? true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: false,
    temperature: req.temperature ?? 1,
    text: { format: req.text?.format ?? { type: 'text' } },
    tool_choice: req.tool_choice ?? 'auto',
    tools: req.tools ?? [],
    top_p: req.top_p ?? 1,
    truncation: 'disabled',
    usage,
    metadata: (req as { metadata?: unknown }).metadata ?? {},
  };
}

export function toResponse(c: ChatCompletion, req: ResponsesRequest, ids: ResponseIds): Record<string, unknown> {
  const choice = c.choices?.[0];
  const m = choice?.message;
  const output: OutputItem[] = [];
  const suffix = ids.response.replace(/^resp_/, '');
  const text = m?.content ?? '';
  if (text || !m?.tool_calls?.length) {
    output.push({
      type: 'message',
      id: `msg_${suffix}`,
      status: choice?.finish_reason === 'length' ? 'incomplete' : 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text: text || (m?.refusal ?? ''), annotations: [], logprobs: [] }],
    });
  }
  (m?.tool_calls ?? []).forEach((t, i) => {
    output.push({
      type: 'function_call',
      id: `fc_${suffix}_${i}`,
      call_id: t.id || `call_${suffix}_${i}`,
      name: t.function?.name ?? '',
      arguments: t.function?.arguments ?? '',
      status: 'completed',
    });
  });
  const incomplete = choice?.finish_reason === 'length';
  return responseObject(req, ids, incomplete ? 'incomplete' : 'completed', output, responsesUsage(c.usage), {
    incomplete,
  });
}
