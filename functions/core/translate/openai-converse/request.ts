/**
 * OpenAI chat completion request -> Converse input.
 *
 * - system and developer messages become Converse `system` blocks (in order);
 * - user content parts: text, and images given as data URIs (decoded to bytes). Remote image URLs
 *   are refused with a 400: fetching arbitrary URLs from inside the gateway would make it an SSRF
 *   relay, and Bedrock itself only takes bytes or S3 locations;
 * - assistant tool calls become `toolUse` blocks, tool messages `toolResult` blocks in a user turn
 *   (Converse wants strictly alternating user/assistant turns, so neighbours of one role merge);
 * - `tools` / `tool_choice` map to `toolConfig` (`none` drops the tools unless the history needs them);
 * - `response_format` json_object / json_schema: Converse has no JSON mode that every model honours,
 *   so the gateway forces a tool whose input schema is the requested schema and hands the tool's
 *   input back as the message content (see JSON_TOOL_NAME); tools and a JSON response_format
 *   together are refused.
 * - Claude models (an id, profile or ARN naming `anthropic.`) also take the Anthropic fields the
 *   Messages edge carries: `thinking` and `top_k` as `additionalModelRequestFields`, and earlier
 *   assistant turns' signed `thinking_blocks` as `reasoningContent` blocks (unsigned ones are dropped:
 *   Claude refuses a thinking block it cannot verify). Other Bedrock models ignore them.
 * - A message's `cache_control` (the Messages edge's prompt-cache breakpoint) becomes a `cachePoint`
 *   after that message's blocks, and a tool's after its spec, for the models Converse caches for
 *   (Claude: system, messages, tools; Amazon Nova: system and messages); others ignore it.
 */
import type {
  CachePoint,
  ConverseContentBlock,
  ConverseInput,
  ConverseMessage,
  ConverseToolChoice,
  ConverseToolSpec,
  ImageFormat,
  JsonModeTool,
} from './types';

/** The forced tool that carries a JSON-mode answer (a name clients' own tools are unlikely to use). */
export const JSON_TOOL_NAME = 'switchyard_json_response';

export class TranslationError extends Error {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(message);
    this.name = 'TranslationError';
  }
}

export interface TranslatedRequest {
  input: ConverseInput;
  /** Set when JSON mode was mapped to a forced tool: its input is the answer's content. */
  jsonTool?: JsonModeTool;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const IMAGE_FORMATS: Record<string, ImageFormat> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

function imageBlock(url: unknown, param: string): ConverseContentBlock {
  if (typeof url !== 'string') throw new TranslationError(param, 'image_url.url must be a string');
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (!m) {
    throw new TranslationError(
      param,
      'Bedrock endpoints take images as data URIs (data:image/png;base64,...); remote image URLs are not fetched by the gateway',
    );
  }
  const format = IMAGE_FORMATS[m[1].toLowerCase()];
  if (!format) throw new TranslationError(param, `image type ${m[1]} is not supported (png, jpeg, gif, webp)`);
  const bytes = Buffer.from(m[2], 'base64');
  if (bytes.length === 0) throw new TranslationError(param, 'the image data URI is empty');
  return { image: { format, source: { bytes: new Uint8Array(bytes) } } };
}

/** Text and image parts of a user or assistant message. */
function contentBlocks(content: unknown, param: string, allowImages: boolean): ConverseContentBlock[] {
  if (content == null) return [];
  if (typeof content === 'string') return content.length > 0 ? [{ text: content }] : [];
  if (!Array.isArray(content)) throw new TranslationError(param, 'content must be a string or an array of parts');
  const blocks: ConverseContentBlock[] = [];
  content.forEach((part, i) => {
    const at = `${param}[${i}]`;
    if (!isObj(part)) throw new TranslationError(at, 'a content part must be an object');
    if (part.type === 'text') {
      if (typeof part.text !== 'string') throw new TranslationError(`${at}.text`, 'must be a string');
      if (part.text.length > 0) blocks.push({ text: part.text });
    } else if (part.type === 'image_url' && allowImages) {
      const img = part.image_url;
      blocks.push(imageBlock(isObj(img) ? img.url : img, `${at}.image_url`));
    } else if (part.type === 'refusal' && typeof part.refusal === 'string') {
      blocks.push({ text: part.refusal });
    } else {
      throw new TranslationError(
        `${at}.type`,
        `content part type '${String(part.type)}' is not supported on Bedrock endpoints`,
      );
    }
  });
  return blocks;
}

/** Plain text of a system/developer/tool message (parts joined). */
function textOf(content: unknown, param: string): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw new TranslationError(param, 'content must be a string or an array of parts');
  return content
    .map((p, i) => {
      if (isObj(p) && p.type === 'text' && typeof p.text === 'string') return p.text;
      throw new TranslationError(`${param}[${i}]`, 'only text parts are allowed here');
    })
    .join('\n');
}

function toolUseBlocks(toolCalls: unknown, param: string): ConverseContentBlock[] {
  if (toolCalls == null) return [];
  if (!Array.isArray(toolCalls)) throw new TranslationError(param, 'must be an array');
  return toolCalls.map((tc, i) => {
    const at = `${param}[${i}]`;
    const fn = isObj(tc) ? tc.function : undefined;
    if (!isObj(tc) || typeof tc.id !== 'string' || !isObj(fn) || typeof fn.name !== 'string')
      throw new TranslationError(at, 'a tool call needs an id and function.name');
    let input: unknown = {};
    const args = fn.arguments;
    if (typeof args === 'string' && args.trim() !== '') {
      try {
        input = JSON.parse(args);
      } catch {
        throw new TranslationError(`${at}.function.arguments`, 'must be a JSON string');
      }
    }
    // Converse requires the input to be a JSON object.
    return { toolUse: { toolUseId: tc.id, name: fn.name, input: isObj(input) ? input : { value: input } } };
  });
}

/** Whether the model is Claude (Anthropic's fields apply): a model id, an inference profile or an ARN. */
export function isClaudeModel(modelId: string): boolean {
  return /(^|[./:])anthropic\./.test(modelId);
}

const CACHE_POINT: CachePoint = { cachePoint: { type: 'default' } };

/** Models whose Converse input takes cache points (Claude; Amazon Nova outside tool definitions). */
function cachePointsFor(modelId: string): { messages: boolean; tools: boolean } {
  const claude = isClaudeModel(modelId);
  return { messages: claude || /(^|[./:])amazon\.nova-/.test(modelId), tools: claude };
}

const marked = (m: Obj) => isObj(m.cache_control);

/** Signed thinking blocks of an assistant message -> reasoningContent blocks (first in the turn, as Claude wants). */
function reasoningBlocks(blocks: unknown, param: string): ConverseContentBlock[] {
  if (blocks == null) return [];
  if (!Array.isArray(blocks)) throw new TranslationError(param, 'must be an array');
  const out: ConverseContentBlock[] = [];
  blocks.forEach((b, i) => {
    if (!isObj(b)) throw new TranslationError(`${param}[${i}]`, 'a thinking block must be an object');
    if (b.type === 'thinking' && typeof b.thinking === 'string') {
      if (typeof b.signature === 'string' && b.signature !== '')
        out.push({ reasoningContent: { reasoningText: { text: b.thinking, signature: b.signature } } });
    } else if (b.type === 'redacted_thinking' && typeof b.data === 'string') {
      out.push({ reasoningContent: { redactedContent: new Uint8Array(Buffer.from(b.data, 'base64')) } });
    } else {
      throw new TranslationError(`${param}[${i}]`, "expected a 'thinking' or 'redacted_thinking' block");
    }
  });
  return out;
}

function push(messages: ConverseMessage[], role: ConverseMessage['role'], blocks: ConverseContentBlock[]): void {
  if (blocks.length === 0) return;
  const last = messages[messages.length - 1];
  if (last && last.role === role) last.content.push(...blocks);
  else messages.push({ role, content: blocks });
}

function toolSpecs(tools: unknown, cachePoints: boolean): Array<ConverseToolSpec | CachePoint> {
  if (tools == null) return [];
  if (!Array.isArray(tools)) throw new TranslationError('tools', 'must be an array');
  return tools.flatMap((t, i): Array<ConverseToolSpec | CachePoint> => {
    const fn = isObj(t) ? t.function : undefined;
    if (!isObj(t) || t.type !== 'function' || !isObj(fn) || typeof fn.name !== 'string')
      throw new TranslationError(`tools[${i}]`, "only tools of type 'function' with a function.name are supported");
    const parameters = isObj(fn.parameters) ? fn.parameters : { type: 'object', properties: {} };
    const spec: ConverseToolSpec = {
      toolSpec: {
        name: fn.name,
        ...(typeof fn.description === 'string' && fn.description ? { description: fn.description } : {}),
        inputSchema: { json: parameters },
      },
    };
    return cachePoints && marked(t) ? [spec, CACHE_POINT] : [spec];
  });
}

function toolChoice(choice: unknown): ConverseToolChoice | 'none' | undefined {
  if (choice == null || choice === 'auto') return choice == null ? undefined : { auto: {} };
  if (choice === 'required') return { any: {} };
  if (choice === 'none') return 'none';
  const fn = isObj(choice) ? choice.function : undefined;
  if (isObj(choice) && choice.type === 'function' && isObj(fn) && typeof fn.name === 'string')
    return { tool: { name: fn.name } };
  throw new TranslationError('tool_choice', "must be 'auto', 'none', 'required' or a function choice");
}

function jsonModeTool(format: unknown): { spec: ConverseToolSpec; tool: JsonModeTool } | undefined {
  if (!isObj(format) || format.type === 'text' || format.type === undefined) return undefined;
  if (format.type === 'json_object') {
    return {
      tool: { name: JSON_TOOL_NAME },
      spec: {
        toolSpec: {
          name: JSON_TOOL_NAME,
          description: 'Answer with a JSON object.',
          inputSchema: { json: { type: 'object' } },
        },
      },
    };
  }
  if (format.type === 'json_schema') {
    const js = format.json_schema;
    if (!isObj(js) || !isObj(js.schema))
      throw new TranslationError('response_format.json_schema.schema', 'must be a JSON Schema object');
    return {
      tool: { name: JSON_TOOL_NAME },
      spec: {
        toolSpec: {
          name: JSON_TOOL_NAME,
          description:
            typeof js.description === 'string' && js.description
              ? js.description
              : `Answer with JSON matching the schema${typeof js.name === 'string' ? ` "${js.name}"` : ''}.`,
          inputSchema: { json: js.schema },
        },
      },
    };
  }
  throw new TranslationError('response_format.type', `'${String(format.type)}' is not supported`);
}

function stopSequences(stop: unknown): string[] | undefined {
  if (stop == null) return undefined;
  if (typeof stop === 'string') return [stop];
  if (Array.isArray(stop) && stop.every((s) => typeof s === 'string')) return stop as string[];
  throw new TranslationError('stop', 'must be a string or an array of strings');
}

/** Translates an OpenAI chat request body (as sent upstream) for the Bedrock model `modelId`. */
export function toConverseRequest(body: Obj, modelId: string): TranslatedRequest {
  if (typeof body.n === 'number' && body.n > 1)
    throw new TranslationError('n', 'Bedrock endpoints return one choice per request');
  if (!Array.isArray(body.messages)) throw new TranslationError('messages', 'must be an array');

  const claude = isClaudeModel(modelId);
  const caching = cachePointsFor(modelId);
  const system: NonNullable<ConverseInput['system']> = [];
  const messages: ConverseMessage[] = [];
  let historyHasTools = false;
  const withCachePoint = (blocks: ConverseContentBlock[], m: Obj) =>
    blocks.length > 0 && caching.messages && marked(m) ? [...blocks, CACHE_POINT] : blocks;
  for (const [i, raw] of body.messages.entries()) {
    const at = `messages[${i}]`;
    if (!isObj(raw)) throw new TranslationError(at, 'a message must be an object');
    switch (raw.role) {
      case 'system':
      case 'developer': {
        const text = textOf(raw.content, `${at}.content`);
        if (text) system.push({ text });
        if (text && caching.messages && marked(raw)) system.push(CACHE_POINT);
        continue;
      }
      case 'user':
        push(messages, 'user', withCachePoint(contentBlocks(raw.content, `${at}.content`, true), raw));
        continue;
      case 'assistant': {
        const uses = toolUseBlocks(raw.tool_calls, `${at}.tool_calls`);
        if (uses.length) historyHasTools = true;
        const reasoning = claude ? reasoningBlocks(raw.thinking_blocks, `${at}.thinking_blocks`) : [];
        const blocks = [...reasoning, ...contentBlocks(raw.content, `${at}.content`, false), ...uses];
        push(messages, 'assistant', withCachePoint(blocks, raw));
        continue;
      }
      case 'tool': {
        if (typeof raw.tool_call_id !== 'string')
          throw new TranslationError(`${at}.tool_call_id`, 'a tool message needs the tool_call_id it answers');
        historyHasTools = true;
        const text = textOf(raw.content, `${at}.content`);
        push(
          messages,
          'user',
          withCachePoint(
            [{ toolResult: { toolUseId: raw.tool_call_id, content: [{ text: text || '(empty)' }] } }],
            raw,
          ),
        );
        continue;
      }
      default:
        throw new TranslationError(`${at}.role`, `role '${String(raw.role)}' is not supported on Bedrock endpoints`);
    }
  }
  if (messages.length === 0)
    throw new TranslationError(
      'messages',
      'Bedrock needs at least one user or assistant message besides the system prompt',
    );

  const inference: NonNullable<ConverseInput['inferenceConfig']> = {};
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (typeof maxTokens === 'number') inference.maxTokens = maxTokens;
  if (typeof body.temperature === 'number') inference.temperature = body.temperature;
  if (typeof body.top_p === 'number') inference.topP = body.top_p;
  const stops = stopSequences(body.stop);
  if (stops?.length) inference.stopSequences = stops;

  let tools = toolSpecs(body.tools, caching.tools);
  const choice = toolChoice(body.tool_choice);
  const json = jsonModeTool(body.response_format);
  let toolConfig: ConverseInput['toolConfig'];
  if (json) {
    if (tools.length > 0)
      throw new TranslationError(
        'response_format',
        'tools and a JSON response_format cannot be combined on Bedrock endpoints',
      );
    toolConfig = { tools: [json.spec], toolChoice: { tool: { name: json.tool.name } } };
  } else {
    // Converse has no "none": drop the tools, unless earlier turns used them (Bedrock then requires them).
    if (choice === 'none' && !historyHasTools) tools = [];
    if (tools.length > 0) toolConfig = { tools, ...(choice && choice !== 'none' ? { toolChoice: choice } : {}) };
  }

  const additional: Obj = {};
  if (claude) {
    if (isObj(body.thinking)) additional.thinking = body.thinking;
    if (typeof body.top_k === 'number') additional.top_k = body.top_k;
  }

  const input: ConverseInput = {
    modelId,
    messages,
    ...(system.length ? { system } : {}),
    ...(Object.keys(inference).length ? { inferenceConfig: inference } : {}),
    ...(toolConfig ? { toolConfig } : {}),
    ...(Object.keys(additional).length ? { additionalModelRequestFields: additional } : {}),
  };
  return { input, ...(json ? { jsonTool: json.tool } : {}) };
}
