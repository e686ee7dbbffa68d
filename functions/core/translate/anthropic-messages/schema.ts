/**
 * Validation of POST /v1/messages and /v1/messages/count_tokens bodies (Anthropic Messages API).
 * Top-level fields are checked here; content blocks are checked by type as they are translated
 * (request.ts), so every error names the exact field, e.g. `messages[2].content[0].source.data`.
 */
import * as z from 'zod/mini';

const Block = z.looseObject({ type: z.string().check(z.minLength(1)) });

const Message = z.looseObject({
  role: z.enum(['user', 'assistant']),
  content: z.union([z.string(), z.array(Block)]),
});

const Tool = z.looseObject({
  name: z.string().check(z.minLength(1), z.maxLength(128)),
  type: z.optional(z.nullable(z.string())),
  description: z.optional(z.string()),
  input_schema: z.optional(z.looseObject({})),
});

const ToolChoice = z.looseObject({
  type: z.enum(['auto', 'any', 'tool', 'none']),
  name: z.optional(z.string()),
  disable_parallel_tool_use: z.optional(z.boolean()),
});

const common = {
  model: z.string().check(z.minLength(1, 'must be a non-empty string naming a model, alias or route')),
  messages: z.array(Message).check(z.minLength(1, 'must contain at least one message')),
  system: z.optional(z.union([z.string(), z.array(Block)])),
  tools: z.optional(z.array(Tool)),
  tool_choice: z.optional(ToolChoice),
  thinking: z.optional(z.looseObject({ type: z.string() })),
};

export const CountTokensSchema = z.looseObject(common);

export const MessagesRequestSchema = z.looseObject({
  ...common,
  max_tokens: z.int().check(z.positive()),
  stream: z.optional(z.boolean()),
  stop_sequences: z.optional(z.array(z.string())),
  temperature: z.optional(z.number().check(z.gte(0), z.lte(1))),
  top_p: z.optional(z.number().check(z.gte(0), z.lte(1))),
  top_k: z.optional(z.int().check(z.gte(0))),
  metadata: z.optional(z.looseObject({ user_id: z.optional(z.nullable(z.string())) })),
});

export type CountTokensRequest = z.output<typeof CountTokensSchema>;
export type MessagesRequest = z.output<typeof MessagesRequestSchema>;
