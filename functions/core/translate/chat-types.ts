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

/**
 * Claude's extended thinking in the chat format (LiteLLM's field name): a block keeps its signature
 * so it can be sent back to the model that wrote it. Only Bedrock endpoints of Claude models read or
 * write these; other upstreams never see them (upstream-fields.ts).
 */
export type ThinkingBlock =
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string };

/**
 * A prompt-cache breakpoint (Anthropic's `cache_control`) at the end of a message or after a tool
 * definition. Bedrock endpoints turn it into a Converse `cachePoint`; other upstreams never see it.
 */
export interface CacheControl {
  cache_control?: { type: string; ttl?: string };
}

export type ChatMessage = CacheControl &
  (
    | { role: 'system' | 'developer'; content: string }
    | { role: 'user'; content: string | ChatContentPart[] }
    | { role: 'assistant'; content: string | null; tool_calls?: ChatToolCall[]; thinking_blocks?: ThinkingBlock[] }
    | { role: 'tool'; tool_call_id: string; content: string }
  );

export interface ChatTool extends CacheControl {
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
  /** Anthropic's `thinking` setting, as the client sent it (Bedrock Claude endpoints only). */
  thinking?: Record<string, unknown>;
  /** Anthropic's `top_k` (Bedrock Claude endpoints only; OpenAI-compatible upstreams reject it). */
  top_k?: number;
}

export interface ChatUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number | null; cache_write_tokens?: number | null } | null;
  /** Cache writes as Anthropic names them (what the Bedrock translation reports). */
  cache_creation_input_tokens?: number | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
}

/** A `chat.completion` body as upstreams send it (fields optional: upstreams differ). */
export interface ChatCompletion {
  id?: string;
  created?: number;
  model?: string;
  choices?: Array<{
    index?: number;
    message?: {
      role?: string;
      content?: string | null;
      refusal?: string | null;
      tool_calls?: Partial<ChatToolCall>[];
      /** Reasoning text (DeepSeek's and LiteLLM's field), all blocks joined. */
      reasoning_content?: string | null;
      thinking_blocks?: ThinkingBlock[];
    };
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
      /** A piece of reasoning text. */
      reasoning_content?: string | null;
      /**
       * In a stream: `{type: 'thinking', signature}` ends the reasoning block being streamed (its text
       * came as `reasoning_content`); `{type: 'redacted_thinking', data}` is a whole redacted block.
       */
      thinking_blocks?: Array<{ type: 'thinking'; signature: string } | { type: 'redacted_thinking'; data: string }>;
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
  /** Input tokens written to a prompt cache (part of `input`). */
  cacheWrite: number;
  output: number;
  reasoning: number;
} {
  const n = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : 0);
  return {
    input: n(u?.prompt_tokens),
    cached: n(u?.prompt_tokens_details?.cached_tokens),
    cacheWrite: n(u?.prompt_tokens_details?.cache_write_tokens) || n(u?.cache_creation_input_tokens),
    output: n(u?.completion_tokens),
    reasoning: n(u?.completion_tokens_details?.reasoning_tokens),
  };
}
