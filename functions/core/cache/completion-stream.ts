/**
 * The cache stores one form of an answer, a `chat.completion`, whichever way it was produced:
 * a streamed miss is assembled from its `chat.completion.chunk`s, and a streamed hit is replayed
 * as chunks again (role, content in pieces, tool calls, finish reason, the usage chunk when the
 * client asked for it), so one entry serves JSON and streaming clients alike. Pure.
 */
import { usageFromOpenAI } from '../pricing';

type Json = Record<string, unknown>;

/** Characters (code points) per replayed content or argument piece. */
export const REPLAY_PIECE_CHARS = 32;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * A whole answer worth keeping: an object with at least one choice, every choice finished (a
 * finish reason, a message) and the upstream's own usage (what a hit saves is what it cost).
 */
export function isCompleteAnswer(completion: unknown): completion is Json {
  if (!isObject(completion)) return false;
  const choices = completion.choices;
  if (!Array.isArray(choices) || choices.length === 0) return false;
  const finished = choices.every((c) => isObject(c) && isObject(c.message) && !!str(c.finish_reason));
  return finished && usageFromOpenAI(completion.usage) !== undefined;
}

interface ToolCallParts {
  id?: string;
  type?: string;
  name: string;
  arguments: string;
}

interface ChoiceParts {
  role?: string;
  content?: string;
  refusal?: string;
  reasoning?: string;
  toolCalls: Map<number, ToolCallParts>;
  functionCall?: { name: string; arguments: string };
  finishReason?: string;
}

/**
 * The `chat.completion` a client of the JSON API would have received for these chunks, or undefined
 * when they do not make a whole answer (see isCompleteAnswer). The usage is the chunks' own, or
 * `usage` when given (the relay always requests it upstream, even when the client did not).
 */
export function completionFromChunks(chunks: readonly unknown[], usage?: unknown): Json | undefined {
  let head: Json | undefined;
  const choices = new Map<number, ChoiceParts>();
  let streamedUsage: unknown;
  for (const chunk of chunks) {
    if (!isObject(chunk)) continue;
    head ??= chunk;
    if (chunk.usage !== undefined && chunk.usage !== null) streamedUsage = chunk.usage;
    for (const c of Array.isArray(chunk.choices) ? chunk.choices : []) {
      if (!isObject(c)) continue;
      const index = typeof c.index === 'number' ? c.index : 0;
      const parts: ChoiceParts = choices.get(index) ?? { toolCalls: new Map() };
      choices.set(index, parts);
      const d = isObject(c.delta) ? c.delta : {};
      if (str(d.role)) parts.role = str(d.role);
      if (str(d.content) !== undefined) parts.content = (parts.content ?? '') + d.content;
      if (str(d.refusal) !== undefined) parts.refusal = (parts.refusal ?? '') + d.refusal;
      if (str(d.reasoning_content) !== undefined) parts.reasoning = (parts.reasoning ?? '') + d.reasoning_content;
      for (const t of Array.isArray(d.tool_calls) ? d.tool_calls : []) {
        if (!isObject(t)) continue;
        const i = typeof t.index === 'number' ? t.index : parts.toolCalls.size;
        const call: ToolCallParts = parts.toolCalls.get(i) ?? { name: '', arguments: '' };
        parts.toolCalls.set(i, call);
        if (str(t.id)) call.id = str(t.id);
        if (str(t.type)) call.type = str(t.type);
        const fn = isObject(t.function) ? t.function : {};
        // Sent once (OpenAI) or repeated (some compatible servers): the SDKs assign it, never append.
        if (str(fn.name)) call.name = str(fn.name)!;
        call.arguments += str(fn.arguments) ?? '';
      }
      if (isObject(d.function_call)) {
        parts.functionCall ??= { name: '', arguments: '' };
        if (str(d.function_call.name)) parts.functionCall.name = str(d.function_call.name)!;
        parts.functionCall.arguments += str(d.function_call.arguments) ?? '';
      }
      if (str(c.finish_reason)) parts.finishReason = str(c.finish_reason);
    }
  }
  if (!head) return undefined;
  const completion: Json = {
    id: head.id,
    object: 'chat.completion',
    created: head.created,
    model: head.model,
    ...(head.system_fingerprint !== undefined ? { system_fingerprint: head.system_fingerprint } : {}),
    choices: [...choices.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, p]) => ({
        index,
        message: {
          role: p.role ?? 'assistant',
          content: p.content ?? null,
          refusal: p.refusal ?? null,
          ...(p.reasoning !== undefined ? { reasoning_content: p.reasoning } : {}),
          ...(p.toolCalls.size
            ? {
                tool_calls: [...p.toolCalls.entries()]
                  .sort(([a], [b]) => a - b)
                  .map(([, t]) => ({
                    id: t.id,
                    type: t.type ?? 'function',
                    function: { name: t.name, arguments: t.arguments },
                  })),
              }
            : {}),
          ...(p.functionCall ? { function_call: p.functionCall } : {}),
        },
        logprobs: null,
        finish_reason: p.finishReason ?? null,
      })),
    usage: usage ?? streamedUsage,
  };
  return isCompleteAnswer(completion) ? completion : undefined;
}

/** Splits text into pieces of at most `size` code points (a surrogate pair is never cut). */
export function pieces(text: string, size = REPLAY_PIECE_CHARS): string[] {
  const points = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < points.length; i += size) out.push(points.slice(i, i + size).join(''));
  return out;
}

/**
 * The chunks of a stream that delivers `completion`: per choice a role chunk, the reasoning,
 * content and refusal text in pieces, each tool call (id and name first, then its arguments in
 * pieces), and a finish chunk; then, when asked for, the usage chunk (`choices: []`).
 */
export function chunksFromCompletion(completion: Json, opts: { includeUsage: boolean }): Json[] {
  const base = {
    id: completion.id,
    object: 'chat.completion.chunk',
    created: completion.created,
    model: completion.model,
    ...(completion.system_fingerprint !== undefined ? { system_fingerprint: completion.system_fingerprint } : {}),
  };
  const out: Json[] = [];
  const choices = Array.isArray(completion.choices) ? completion.choices.filter(isObject) : [];
  choices.forEach((c, position) => {
    const index = typeof c.index === 'number' ? c.index : position;
    const chunk = (delta: Json, finish: unknown = null) =>
      out.push({ ...base, choices: [{ index, delta, logprobs: null, finish_reason: finish }] });
    const m = isObject(c.message) ? c.message : {};
    const content = str(m.content);
    chunk({ role: str(m.role) ?? 'assistant', content: content === undefined ? null : '' });
    for (const p of pieces(str(m.reasoning_content) ?? '')) chunk({ reasoning_content: p });
    for (const p of pieces(content ?? '')) chunk({ content: p });
    for (const p of pieces(str(m.refusal) ?? '')) chunk({ refusal: p });
    const calls = Array.isArray(m.tool_calls) ? m.tool_calls.filter(isObject) : [];
    calls.forEach((t, i) => {
      const fn = isObject(t.function) ? t.function : {};
      chunk({
        tool_calls: [{ index: i, id: t.id, type: t.type ?? 'function', function: { name: fn.name, arguments: '' } }],
      });
      for (const p of pieces(str(fn.arguments) ?? ''))
        chunk({ tool_calls: [{ index: i, function: { arguments: p } }] });
    });
    if (isObject(m.function_call)) {
      chunk({ function_call: { name: m.function_call.name, arguments: '' } });
      for (const p of pieces(str(m.function_call.arguments) ?? '')) chunk({ function_call: { arguments: p } });
    }
    chunk({}, c.finish_reason ?? 'stop');
  });
  if (opts.includeUsage && completion.usage !== undefined) out.push({ ...base, choices: [], usage: completion.usage });
  return out;
}

/** The chunks as the SSE body the gateway relays: one `data:` event each, then `[DONE]`. */
export function sseEvents(chunks: readonly Json[]): string[] {
  return [...chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`), 'data: [DONE]\n\n'];
}
