/**
 * Anthropic Messages request -> the internal chat completion request.
 *
 * Rules for what has no chat completions equivalent (documented in docs/reference/apis.md):
 * - `thinking` (the setting), `top_k`, and the `thinking` / `redacted_thinking` blocks of assistant
 *   turns (with their signatures) are carried as `thinking`, `top_k` and `thinking_blocks`: Claude on
 *   Bedrock receives them; OpenAI-compatible upstreams never see them (chat completions has no field
 *   for them, and a signature is only valid for the model family that wrote it).
 * - `metadata.user_id` is accepted and not forwarded (it identifies the end user to Anthropic, not to
 *   other vendors).
 * - `cache_control` marks become a breakpoint at the end of the message that holds them (the system
 *   prompt, a turn, a tool result) or after the marked tool: Bedrock endpoints send a `cachePoint`
 *   there; chat completions has no such field, so other upstreams do not see them.
 * - A user turn's `tool_result` blocks become `tool` messages placed before the rest of that turn,
 *   which is the order chat completions requires (tool answers right after the assistant's calls).
 * - Blocks the chat format cannot carry (documents, server tools, ...) are refused with a 400 naming
 *   the block rather than silently lost.
 */
import { errors } from '../../openai/errors';
import type {
  ChatContentPart,
  ChatMessage,
  ChatRequestBody,
  ChatTool,
  ChatToolCall,
  ChatToolChoice,
  ThinkingBlock,
  CacheControl,
} from '../chat-types';
import { isRecord } from '../json-body';
import type { CountTokensRequest, MessagesRequest } from './schema';

type Block = Record<string, unknown> & { type: string };

function str(v: unknown, path: string): string {
  if (typeof v !== 'string') throw errors.invalidField(path, 'expected string');
  return v;
}

function textOfBlocks(blocks: Block[], path: string): string {
  return blocks
    .map((b, i) => {
      if (b.type !== 'text')
        throw errors.invalidField(`${path}[${i}].type`, `expected "text", got ${JSON.stringify(b.type)}`);
      return str(b.text, `${path}[${i}].text`);
    })
    .join('\n\n');
}

/** The first `cache_control` among these blocks, as the breakpoint of the message they end up in. */
function cacheMark(blocks: unknown[]): CacheControl {
  for (const b of blocks) {
    const c = isRecord(b) ? b.cache_control : undefined;
    if (isRecord(c) && typeof c.type === 'string')
      return { cache_control: { type: c.type, ...(typeof c.ttl === 'string' ? { ttl: c.ttl } : {}) } };
  }
  return {};
}

function imagePart(b: Block, path: string): ChatContentPart {
  const src = b.source;
  if (!isRecord(src)) throw errors.invalidField(`${path}.source`, 'expected an object');
  if (src.type === 'base64') {
    const mediaType = str(src.media_type, `${path}.source.media_type`);
    if (!/^image\/(png|jpeg|gif|webp)$/.test(mediaType)) {
      throw errors.invalidField(
        `${path}.source.media_type`,
        'expected one of image/png, image/jpeg, image/gif, image/webp',
      );
    }
    return {
      type: 'image_url',
      image_url: { url: `data:${mediaType};base64,${str(src.data, `${path}.source.data`)}` },
    };
  }
  if (src.type === 'url') return { type: 'image_url', image_url: { url: str(src.url, `${path}.source.url`) } };
  throw errors.invalidField(`${path}.source.type`, 'expected "base64" or "url"');
}

/** A tool result's content as the text of a `tool` message (chat tool messages carry text only). */
function toolResultText(b: Block, path: string): string {
  const c = b.content;
  let text: string;
  if (c === undefined || c === null) text = '';
  else if (typeof c === 'string') text = c;
  else if (Array.isArray(c)) {
    text = c
      .map((part, i) => {
        const p = `${path}.content[${i}]`;
        if (!isRecord(part)) throw errors.invalidField(p, 'expected an object');
        if (part.type === 'text') return str(part.text, `${p}.text`);
        if (part.type === 'image') return '[image]';
        throw errors.invalidField(`${p}.type`, 'expected "text" or "image"');
      })
      .join('\n\n');
  } else throw errors.invalidField(`${path}.content`, 'expected string or array of blocks');
  return b.is_error === true ? `Error: ${text}` : text;
}

function userTurn(content: string | Block[], path: string): ChatMessage[] {
  if (typeof content === 'string') return [{ role: 'user', content }];
  const tools: ChatMessage[] = [];
  const parts: ChatContentPart[] = [];
  content.forEach((b, i) => {
    const p = `${path}[${i}]`;
    switch (b.type) {
      case 'text':
        parts.push({ type: 'text', text: str(b.text, `${p}.text`) });
        break;
      case 'image':
        parts.push(imagePart(b, p));
        break;
      case 'tool_result':
        tools.push({
          role: 'tool',
          tool_call_id: str(b.tool_use_id, `${p}.tool_use_id`),
          content: toolResultText(b, p),
          ...cacheMark([b, ...(Array.isArray(b.content) ? b.content : [])]),
        });
        break;
      default:
        throw errors.invalidField(
          `${p}.type`,
          `block type ${JSON.stringify(b.type)} is not supported in a user turn (text, image, tool_result)`,
        );
    }
  });
  if (parts.length === 0) return tools;
  const onlyText = parts.every((x) => x.type === 'text');
  const rest = content.filter((b) => b.type !== 'tool_result');
  return [
    ...tools,
    {
      role: 'user',
      content: onlyText ? parts.map((x) => (x as { text: string }).text).join('\n\n') : parts,
      ...cacheMark(rest),
    },
  ];
}

function assistantTurn(content: string | Block[], path: string): ChatMessage[] {
  if (typeof content === 'string') return [{ role: 'assistant', content }];
  const texts: string[] = [];
  const calls: ChatToolCall[] = [];
  const thinking: ThinkingBlock[] = [];
  content.forEach((b, i) => {
    const p = `${path}[${i}]`;
    switch (b.type) {
      case 'text':
        texts.push(str(b.text, `${p}.text`));
        break;
      case 'tool_use':
        calls.push({
          id: str(b.id, `${p}.id`),
          type: 'function',
          function: { name: str(b.name, `${p}.name`), arguments: JSON.stringify(b.input ?? {}) },
        });
        break;
      case 'thinking':
        thinking.push({
          type: 'thinking',
          thinking: str(b.thinking, `${p}.thinking`),
          signature: typeof b.signature === 'string' ? b.signature : '',
        });
        break;
      case 'redacted_thinking':
        thinking.push({ type: 'redacted_thinking', data: str(b.data, `${p}.data`) });
        break;
      default:
        throw errors.invalidField(
          `${p}.type`,
          `block type ${JSON.stringify(b.type)} is not supported in an assistant turn (text, tool_use, thinking)`,
        );
    }
  });
  if (texts.length === 0 && calls.length === 0) return [];
  return [
    {
      role: 'assistant',
      content: texts.length ? texts.join('') : null,
      ...(calls.length ? { tool_calls: calls } : {}),
      ...(thinking.length ? { thinking_blocks: thinking } : {}),
      ...cacheMark(content),
    },
  ];
}

function tools(req: CountTokensRequest): ChatTool[] | undefined {
  if (!req.tools?.length) return undefined;
  return req.tools.map((t, i) => {
    if (t.type != null && t.type !== 'custom') {
      throw errors.invalidField(
        `tools[${i}].type`,
        `server tool ${JSON.stringify(t.type)} is not supported; send custom tools with input_schema`,
      );
    }
    if (!t.input_schema) throw errors.invalidField(`tools[${i}].input_schema`, 'expected an object (JSON Schema)');
    return {
      type: 'function',
      function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.input_schema },
      ...cacheMark([t]),
    };
  });
}

function toolChoice(req: CountTokensRequest): Pick<ChatRequestBody, 'tool_choice' | 'parallel_tool_calls'> {
  const c = req.tool_choice;
  if (!c) return {};
  let choice: ChatToolChoice;
  if (c.type === 'auto') choice = 'auto';
  else if (c.type === 'any') choice = 'required';
  else if (c.type === 'none') choice = 'none';
  else choice = { type: 'function', function: { name: str(c.name, 'tool_choice.name') } };
  return { tool_choice: choice, ...(c.disable_parallel_tool_use === true ? { parallel_tool_calls: false } : {}) };
}

/** The conversation (system + messages) and tools, shared by messages and count_tokens. */
export function toChatConversation(
  req: CountTokensRequest,
): Pick<ChatRequestBody, 'messages' | 'tools' | 'tool_choice' | 'parallel_tool_calls'> {
  const messages: ChatMessage[] = [];
  if (req.system !== undefined) {
    const system = typeof req.system === 'string' ? req.system : textOfBlocks(req.system as Block[], 'system');
    const mark = typeof req.system === 'string' ? {} : cacheMark(req.system);
    if (system !== '') messages.push({ role: 'system', content: system, ...mark });
  }
  req.messages.forEach((m, i) => {
    const path = `messages[${i}].content`;
    const content = m.content as string | Block[];
    messages.push(...(m.role === 'user' ? userTurn(content, path) : assistantTurn(content, path)));
  });
  if (!messages.some((m) => m.role !== 'system')) {
    throw errors.invalidField('messages', 'must contain at least one message with content');
  }
  const t = tools(req);
  return { messages, ...(t ? { tools: t } : {}), ...(t ? toolChoice(req) : {}) };
}

/** `model` is the name the gateway resolves (model, alias or route), unchanged. */
export function toChatRequest(req: MessagesRequest): ChatRequestBody {
  return {
    model: req.model,
    ...toChatConversation(req),
    max_tokens: req.max_tokens,
    ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
    ...(req.top_p !== undefined ? { top_p: req.top_p } : {}),
    ...(req.top_k !== undefined ? { top_k: req.top_k } : {}),
    ...(req.thinking !== undefined ? { thinking: req.thinking } : {}),
    ...(req.stop_sequences?.length ? { stop: req.stop_sequences } : {}),
    ...(req.stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  };
}
