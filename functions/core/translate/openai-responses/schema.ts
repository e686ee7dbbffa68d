/**
 * Validation of POST /v1/responses bodies (OpenAI Responses API, stateless). Top-level fields are
 * checked here; input items and tools are checked by type as they are translated (request.ts).
 * Parameters the gateway does not use (`include`, `metadata`, `user`, `reasoning`, `truncation`,
 * `service_tier`, ...) are accepted and ignored, as the chat route ignores unknown fields.
 */
import * as z from 'zod/mini';

const Item = z.looseObject({ type: z.optional(z.string()), role: z.optional(z.string()) });

export const ResponsesRequestSchema = z.looseObject({
  model: z.string().check(z.minLength(1, 'must be a non-empty string naming a model, alias or route')),
  input: z.union([z.string(), z.array(Item).check(z.minLength(1, 'must contain at least one item'))]),
  instructions: z.optional(z.nullable(z.string())),
  tools: z.optional(z.nullable(z.array(z.looseObject({ type: z.string() })))),
  tool_choice: z.optional(
    z.nullable(z.union([z.enum(['auto', 'none', 'required']), z.looseObject({ type: z.string() })])),
  ),
  parallel_tool_calls: z.optional(z.nullable(z.boolean())),
  max_output_tokens: z.optional(z.nullable(z.int().check(z.positive()))),
  temperature: z.optional(z.nullable(z.number().check(z.gte(0), z.lte(2)))),
  top_p: z.optional(z.nullable(z.number().check(z.gte(0), z.lte(1)))),
  text: z.optional(
    z.nullable(
      z.looseObject({
        format: z.optional(z.nullable(z.looseObject({ type: z.enum(['text', 'json_object', 'json_schema']) }))),
      }),
    ),
  ),
  stream: z.optional(z.nullable(z.boolean())),
  store: z.optional(z.nullable(z.boolean())),
  previous_response_id: z.optional(z.nullable(z.string())),
  background: z.optional(z.nullable(z.boolean())),
});

export type ResponsesRequest = z.output<typeof ResponsesRequestSchema>;
