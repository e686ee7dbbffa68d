/**
 * OpenAI Responses request -> the internal chat completion request. Stateless by design:
 *
 * - `store: true`, `previous_response_id`, `conversation`, `background: true` and `item_reference`
 *   input items need responses stored by the server: refused with a 400 naming the field. An absent
 *   `store` is accepted (it is OpenAI's default, and SDKs leave it out), and answers say `store: false`.
 * - `reasoning` input items are dropped (chat completions has no field for them; their encrypted
 *   content is only readable by OpenAI); so is the `reasoning` setting.
 * - Only function tools; built-in tools (web search, file search, ...) are refused naming the tool.
 * - Consecutive `function_call` items (and the assistant message before them) become one assistant
 *   message with `tool_calls`; each `function_call_output` a `tool` message.
 */
import { errors, GatewayError } from '../../openai/errors';
import type { ChatContentPart, ChatMessage, ChatRequestBody, ChatTool, ChatToolChoice } from '../chat-types';
import { isRecord } from '../json-body';
import type { ResponsesRequest } from './schema';

type Obj = Record<string, unknown>;

function str(v: unknown, path: string): string {
  if (typeof v !== 'string') throw errors.invalidField(path, 'expected string');
  return v;
}

/** Refusals of what a stateless gateway cannot do; each names its field. */
export function refuseStateful(req: ResponsesRequest): void {
  const stateless = (param: string, what: string) =>
    new GatewayError(
      400,
      `${what} This gateway is stateless: it stores no responses. Send the whole conversation in 'input' (with the AI SDK: providerOptions.openai.store = false).`,
      'invalid_request_error',
      'unsupported_parameter',
      param,
    );
  if (req.store === true) throw stateless('store', "'store: true' is not supported.");
  if (req.previous_response_id != null)
    throw stateless('previous_response_id', "'previous_response_id' is not supported.");
  if ((req as Obj).conversation != null) throw stateless('conversation', "'conversation' is not supported.");
  if (req.background === true) throw stateless('background', "'background: true' is not supported.");
}

function partsText(content: unknown, path: string, kinds: string[]): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw errors.invalidField(path, 'expected string or array of content parts');
  return content
    .map((p, i) => {
      if (!isRecord(p)) throw errors.invalidField(`${path}[${i}]`, 'expected an object');
      if (!kinds.includes(String(p.type))) {
        throw errors.invalidField(
          `${path}[${i}].type`,
          `expected one of ${kinds.map((k) => JSON.stringify(k)).join(', ')}`,
        );
      }
      return str(
        p.type === 'refusal' ? p.refusal : p.text,
        `${path}[${i}].${p.type === 'refusal' ? 'refusal' : 'text'}`,
      );
    })
    .join('');
}

function userContent(content: unknown, path: string): string | ChatContentPart[] {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw errors.invalidField(path, 'expected string or array of content parts');
  const parts = content.map((p, i): ChatContentPart => {
    const at = `${path}[${i}]`;
    if (!isRecord(p)) throw errors.invalidField(at, 'expected an object');
    if (p.type === 'input_text') return { type: 'text', text: str(p.text, `${at}.text`) };
    if (p.type === 'input_image') {
      if (typeof p.image_url !== 'string') {
        throw errors.invalidField(
          `${at}.image_url`,
          'expected a URL or data URL (file_id needs stored files, which this gateway has not)',
        );
      }
      const detail = typeof p.detail === 'string' && p.detail !== 'auto' ? { detail: p.detail } : {};
      return { type: 'image_url', image_url: { url: p.image_url, ...detail } };
    }
    throw errors.invalidField(`${at}.type`, 'expected "input_text" or "input_image"');
  });
  return parts.every((p) => p.type === 'text') ? parts.map((p) => (p as { text: string }).text).join('') : parts;
}

function toolOutput(output: unknown, path: string): string {
  if (typeof output === 'string') return output;
  return partsText(output, path, ['input_text', 'output_text']);
}

export function toChatMessages(req: ResponsesRequest): ChatMessage[] {
  const out: ChatMessage[] = [];
  if (req.instructions) out.push({ role: 'system', content: req.instructions });
  if (typeof req.input === 'string') {
    out.push({ role: 'user', content: req.input });
    return out;
  }
  req.input.forEach((item: Obj, i) => {
    const at = `input[${i}]`;
    const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
    switch (type) {
      case 'message': {
        const role = item.role;
        if (role === 'user') out.push({ role: 'user', content: userContent(item.content, `${at}.content`) });
        else if (role === 'system' || role === 'developer') {
          out.push({ role, content: partsText(item.content, `${at}.content`, ['input_text']) });
        } else if (role === 'assistant') {
          out.push({
            role: 'assistant',
            content: partsText(item.content, `${at}.content`, ['output_text', 'input_text', 'refusal']),
          });
        } else throw errors.invalidField(`${at}.role`, 'expected one of "user", "assistant", "system", "developer"');
        break;
      }
      case 'function_call': {
        const call = {
          id: str(item.call_id, `${at}.call_id`),
          type: 'function' as const,
          function: { name: str(item.name, `${at}.name`), arguments: str(item.arguments, `${at}.arguments`) },
        };
        const prev = out[out.length - 1];
        if (prev?.role === 'assistant') prev.tool_calls = [...(prev.tool_calls ?? []), call];
        else out.push({ role: 'assistant', content: null, tool_calls: [call] });
        break;
      }
      case 'function_call_output':
        out.push({
          role: 'tool',
          tool_call_id: str(item.call_id, `${at}.call_id`),
          content: toolOutput(item.output, `${at}.output`),
        });
        break;
      case 'reasoning':
        break; // see the module comment
      case 'item_reference':
        throw new GatewayError(
          400,
          `Invalid value for '${at}': item references need stored responses and this gateway is stateless. Send the items themselves (with the AI SDK: providerOptions.openai.store = false).`,
          'invalid_request_error',
          'unsupported_parameter',
          at,
        );
      default:
        throw errors.invalidField(
          `${at}.type`,
          `item type ${JSON.stringify(type)} is not supported (message, function_call, function_call_output, reasoning)`,
        );
    }
  });
  if (!out.some((m) => m.role !== 'system' && m.role !== 'developer')) {
    throw errors.invalidField('input', 'must contain at least one message');
  }
  return out;
}

function tools(req: ResponsesRequest): ChatTool[] | undefined {
  if (!req.tools?.length) return undefined;
  return req.tools.map((t: Obj, i) => {
    if (t.type !== 'function') {
      throw errors.invalidField(
        `tools[${i}].type`,
        `tool type ${JSON.stringify(t.type)} is not supported; only "function" tools are`,
      );
    }
    return {
      type: 'function',
      function: {
        name: str(t.name, `tools[${i}].name`),
        ...(typeof t.description === 'string' ? { description: t.description } : {}),
        ...(t.parameters != null ? { parameters: t.parameters } : {}),
        ...(typeof t.strict === 'boolean' ? { strict: t.strict } : {}),
      },
    };
  });
}

function toolChoice(c: ResponsesRequest['tool_choice']): ChatToolChoice | undefined {
  if (c == null) return undefined;
  if (typeof c === 'string') return c;
  if (c.type === 'function') return { type: 'function', function: { name: str((c as Obj).name, 'tool_choice.name') } };
  if (c.type === 'auto' || c.type === 'none' || c.type === 'required') return c.type;
  throw errors.invalidField('tool_choice.type', 'expected "function" (built-in tools are not supported)');
}

function responseFormat(req: ResponsesRequest): unknown {
  const f = req.text?.format as Obj | null | undefined;
  if (!f || f.type === 'text') return undefined;
  if (f.type === 'json_object') return { type: 'json_object' };
  return {
    type: 'json_schema',
    json_schema: {
      name: str(f.name, 'text.format.name'),
      ...(f.schema !== undefined ? { schema: f.schema } : {}),
      ...(typeof f.strict === 'boolean' ? { strict: f.strict } : {}),
      ...(typeof f.description === 'string' ? { description: f.description } : {}),
    },
  };
}

export function toChatRequest(req: ResponsesRequest): ChatRequestBody {
  refuseStateful(req);
  const t = tools(req);
  const choice = t ? toolChoice(req.tool_choice) : undefined;
  const format = responseFormat(req);
  return {
    model: req.model,
    messages: toChatMessages(req),
    ...(t ? { tools: t } : {}),
    ...(choice ? { tool_choice: choice } : {}),
    ...(t && req.parallel_tool_calls != null ? { parallel_tool_calls: req.parallel_tool_calls } : {}),
    ...(req.max_output_tokens != null ? { max_tokens: req.max_output_tokens } : {}),
    ...(req.temperature != null ? { temperature: req.temperature } : {}),
    ...(req.top_p != null ? { top_p: req.top_p } : {}),
    ...(format ? { response_format: format } : {}),
    ...(req.stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  };
}
