/**
 * `npx tsx bench/client-api-translation.ts`: what the Messages and Responses edges add per request,
 * in-process, beyond the chat path they share: request translation (validation included) of a
 * Claude Code-sized conversation, answer translation, and a stream of chat chunks through the
 * SSE Transform. Prints a table; not part of `npm test`.
 */
import { Readable } from 'node:stream';
import { toChatRequest as messagesToChat } from '../functions/core/translate/anthropic-messages/request';
import { toAnthropicMessage } from '../functions/core/translate/anthropic-messages/response';
import { MessagesRequestSchema } from '../functions/core/translate/anthropic-messages/schema';
import { MessagesStreamTranslator } from '../functions/core/translate/anthropic-messages/stream';
import { parseJsonObject, validate } from '../functions/core/translate/json-body';
import { toChatRequest as responsesToChat } from '../functions/core/translate/openai-responses/request';
import { ResponsesRequestSchema } from '../functions/core/translate/openai-responses/schema';
import { ResponsesStreamTranslator } from '../functions/core/translate/openai-responses/stream';
import { translateChatStream } from '../functions/router/apis/chat-sse-transform';

const N = Number(process.env.BENCH_N ?? 300);
const TURNS = 100; // user/assistant pairs, each assistant turn with a tool call and its result
const TOOLS = 20;

const tools = Array.from({ length: TOOLS }, (_, i) => ({
  name: `tool_${i}`,
  description: 'Does a thing. '.repeat(20),
  input_schema: {
    type: 'object',
    properties: { path: { type: 'string' }, n: { type: 'integer' } },
    required: ['path'],
  },
}));
const messages = Array.from({ length: TURNS }, (_, i) => [
  {
    role: 'user',
    content: [
      ...(i > 0 ? [{ type: 'tool_result', tool_use_id: `toolu_${i - 1}`, content: 'file contents '.repeat(40) }] : []),
      { type: 'text', text: `Step ${i}: please continue with the refactor.` },
    ],
  },
  {
    role: 'assistant',
    content: [
      { type: 'thinking', thinking: 'Considering. '.repeat(10), signature: 'sig' },
      { type: 'text', text: 'Reading the file.' },
      { type: 'tool_use', id: `toolu_${i}`, name: 'tool_1', input: { path: `src/file_${i}.ts` } },
    ],
  },
]).flat();
messages.push({ role: 'user', content: [{ type: 'text', text: 'Done?' }] });
const anthropicBody = JSON.stringify({
  model: 'claude-sonnet-4-5-20250929',
  max_tokens: 8192,
  system: [{ type: 'text', text: 'You are Claude Code. '.repeat(300), cache_control: { type: 'ephemeral' } }],
  tools,
  messages,
  stream: true,
});
const responsesBody = JSON.stringify({
  model: 'gpt-4.1',
  instructions: 'You are helpful. '.repeat(300),
  tools: tools.map((t) => ({ type: 'function', name: t.name, description: t.description, parameters: t.input_schema })),
  input: messages.flatMap((m, i) => [
    { role: m.role, content: `turn ${i} `.repeat(40) },
    ...(m.role === 'assistant'
      ? [
          { type: 'function_call', call_id: `call_${i}`, name: 'tool_1', arguments: '{"path":"a"}' },
          { type: 'function_call_output', call_id: `call_${i}`, output: 'ok '.repeat(100) },
        ]
      : []),
  ]),
  stream: true,
});

const completion = {
  id: 'chatcmpl-1',
  choices: [{ message: { content: 'word '.repeat(400) }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 50_000, completion_tokens: 400 },
};

function chatSse(chunks: number): string {
  let s = '';
  for (let i = 0; i < chunks; i++)
    s += `data: ${JSON.stringify({ id: 'c', choices: [{ index: 0, delta: { content: ' word' }, finish_reason: null }] })}\n\n`;
  s += `data: ${JSON.stringify({ id: 'c', choices: [], usage: { prompt_tokens: 10, completion_tokens: chunks } })}\n\ndata: [DONE]\n\n`;
  return s;
}

function time(fn: () => void): number[] {
  const out: number[] = [];
  for (let i = 0; i < 20; i++) fn(); // warm-up
  for (let i = 0; i < N; i++) {
    const t = process.hrtime.bigint();
    fn();
    out.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return out.sort((a, b) => a - b);
}

async function timeAsync(fn: () => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < 5; i++) await fn();
  for (let i = 0; i < Math.min(N, 100); i++) {
    const t = process.hrtime.bigint();
    await fn();
    out.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return out.sort((a, b) => a - b);
}

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))].toFixed(3);

async function drain(r: Readable): Promise<void> {
  for await (const _ of r) void _;
}

async function main() {
  const sse = chatSse(1000);
  const rows: Array<[string, number[]]> = [
    [
      `messages request, ${(anthropicBody.length / 1024).toFixed(0)} KB, ${messages.length} turns, ${TOOLS} tools`,
      time(() => {
        messagesToChat(validate(MessagesRequestSchema, parseJsonObject(anthropicBody, false, 4_000_000)));
      }),
    ],
    [
      `responses request, ${(responsesBody.length / 1024).toFixed(0)} KB`,
      time(() => {
        responsesToChat(validate(ResponsesRequestSchema, parseJsonObject(responsesBody, false, 4_000_000)));
      }),
    ],
    ['messages answer (400 words)', time(() => void JSON.stringify(toAnthropicMessage(completion, 'm', 'r')))],
    [
      'messages stream, 1000 chunks through the Transform',
      await timeAsync(() =>
        drain(translateChatStream(Readable.from([sse]), new MessagesStreamTranslator({ model: 'm', fallbackId: 'r' }))),
      ),
    ],
    [
      'responses stream, 1000 chunks through the Transform',
      await timeAsync(() =>
        drain(
          translateChatStream(
            Readable.from([sse]),
            new ResponsesStreamTranslator(validate(ResponsesRequestSchema, { model: 'm', input: 'x' }), {
              response: 'resp_1',
              createdAt: 0,
            }),
          ),
        ),
      ),
    ],
  ];
  console.log('| case | p50 ms | p99 ms |\n|---|---|---|');
  for (const [name, xs] of rows) console.log(`| ${name} | ${pct(xs, 50)} | ${pct(xs, 99)} |`);
}

void main();
