/**
 * The slice of OpenAI's chat completion wire format the client-API translators read and write. The
 * internal request of every client API is a chat completion request; answers come back as a
 * `chat.completion` body or a stream of `chat.completion.chunk` events.
 */

export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type ChatContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: string } };

export type ChatMessage =
  | { role: 'system' | 'developer'; content: string }
  | { role: 'user'; content: string | ChatContentPart[] }
  | { role: 'assistant'; content: string | null; tool_calls?: ChatToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface ChatTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: unknown; strict?: boolean };
}

export type ChatToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

/** The internal request: what `chatCompletions` validates and routes. */
export interface ChatRequestBody {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage: boolean };
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  stop?: string[];
  tools?: ChatTool[];
  tool_choice?: ChatToolChoice;
  parallel_tool_calls?: boolean;
  response_format?: unknown;
}

export interface ChatUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
}

/** A `chat.completion` body as upstreams send it (fields optional: upstreams differ). */
export interface ChatCompletion {
  id?: string;
  created?: number;
  model?: string;
  choices?: Array<{
    index?: number;
    message?: { role?: string; content?: string | null; refusal?: string | null; tool_calls?: Partial<ChatToolCall>[] };
    finish_reason?: string | null;
  }>;
  usage?: ChatUsage | null;
}

/** One `chat.completion.chunk`. */
export interface ChatChunk {
  id?: string;
  created?: number;
  model?: string;
  choices?: Array<{
    index?: number;
    delta?: {
      role?: string;
      content?: string | null;
      refusal?: string | null;
      tool_calls?: Array<{
        index?: number;
        id?: string;
        type?: string;
        function?: { name?: string; arguments?: string };
      }>;
    };
    finish_reason?: string | null;
  }>;
  usage?: ChatUsage | null;
}

/** What the gateway's chat stream ends with when it fails after the first byte (no `[DONE]`). */
export interface ChatStreamError {
  message: string;
  type: string;
  code: string | null;
}

/** Text of a tool call's arguments as JSON input; a model that sent invalid JSON keeps its text. */
export function parseToolArguments(args: string | undefined): unknown {
  if (args === undefined || args.trim() === '') return {};
  try {
    const v = JSON.parse(args);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : { value: v };
  } catch {
    return { _raw: args };
  }
}

export function usageNumbers(u: ChatUsage | null | undefined): {
  input: number;
  cached: number;
  output: number;
  reasoning: number;
} {
  const n = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : 0);
  return {
    input: n(u?.prompt_tokens),
    cached: n(u?.prompt_tokens_details?.cached_tokens),
    output: n(u?.completion_tokens),
    reasoning: n(u?.completion_tokens_details?.reasoning_tokens),
  };
}
