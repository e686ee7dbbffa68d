/**
 * The slice of Amazon Bedrock's Converse API the gateway speaks, as plain data. Declared here
 * rather than imported from the AWS SDK: core stays free of I/O packages, and the shapes are the
 * wire shapes (the SDK's command input and output are the same objects).
 */

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';

export type ConverseContentBlock =
  | { text: string }
  | { image: { format: ImageFormat; source: { bytes: Uint8Array } } }
  | { toolUse: { toolUseId: string; name: string; input: unknown } }
  | {
      toolResult: {
        toolUseId: string;
        content: Array<{ text: string } | { json: unknown }>;
        status?: 'success' | 'error';
      };
    }
  | CachePoint
  | { reasoningContent: ConverseReasoning };

/** A prompt-cache breakpoint: everything before it is cached (Claude, Amazon Nova). */
export interface CachePoint {
  cachePoint: { type: 'default' };
}

/** A reasoning block (Claude's extended thinking): signed text, or redacted (encrypted) bytes. */
export type ConverseReasoning =
  | { reasoningText: { text: string; signature?: string } }
  | { redactedContent: Uint8Array };

export interface ConverseMessage {
  role: 'user' | 'assistant';
  content: ConverseContentBlock[];
}

export interface ConverseToolSpec {
  toolSpec: { name: string; description?: string; inputSchema: { json: unknown } };
}

export type ConverseToolChoice =
  | { auto: Record<string, never> }
  | { any: Record<string, never> }
  | { tool: { name: string } };

export interface ConverseInput {
  modelId: string;
  messages: ConverseMessage[];
  system?: Array<{ text: string } | CachePoint>;
  inferenceConfig?: { maxTokens?: number; temperature?: number; topP?: number; stopSequences?: string[] };
  toolConfig?: { tools: Array<ConverseToolSpec | CachePoint>; toolChoice?: ConverseToolChoice };
  /** Model-specific fields Converse passes through (Claude: `thinking`, `top_k`). */
  additionalModelRequestFields?: Record<string, unknown>;
}

export interface ConverseUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

export type StopReason =
  | 'end_turn'
  | 'tool_use'
  | 'max_tokens'
  | 'stop_sequence'
  | 'guardrail_intervened'
  | 'content_filtered'
  | 'malformed_model_output'
  | 'malformed_tool_use'
  | 'model_context_window_exceeded'
  | (string & {});

export interface ConverseOutput {
  output?: { message?: { role?: string; content?: ConverseContentBlock[] } };
  stopReason?: StopReason;
  usage?: ConverseUsage;
}

/** One ConverseStream event, as the SDK yields it (one member set). */
export interface ConverseStreamEvent {
  messageStart?: { role?: string };
  contentBlockStart?: { contentBlockIndex?: number; start?: { toolUse?: { toolUseId?: string; name?: string } } };
  contentBlockDelta?: {
    contentBlockIndex?: number;
    delta?: {
      text?: string;
      toolUse?: { input?: string };
      reasoningContent?: { text?: string; signature?: string; redactedContent?: Uint8Array };
    };
  };
  contentBlockStop?: { contentBlockIndex?: number };
  messageStop?: { stopReason?: StopReason };
  metadata?: { usage?: ConverseUsage; metrics?: { latencyMs?: number } };
  internalServerException?: { message?: string };
  modelStreamErrorException?: { message?: string };
  validationException?: { message?: string };
  throttlingException?: { message?: string };
  serviceUnavailableException?: { message?: string };
}

/** How the OpenAI request's JSON mode was mapped: a forced tool whose input is the JSON answer. */
export interface JsonModeTool {
  name: string;
}
