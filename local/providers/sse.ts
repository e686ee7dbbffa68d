import type { ServerResponse } from 'node:http';
import { type Sleep, sleep as timerSleep, untilAborted } from './abort';
import type { FaultSpec } from './faults';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface StreamPlan {
  id: string;
  created: number;
  model: string;
  content: string;
  finishReason: string;
  /** Set when the request asked for stream_options.include_usage. */
  usage?: Usage;
  chunkDelayMs: number;
  fault?: FaultSpec;
  /** A function call to stream instead of `content`. */
  toolCall?: { id: string; name: string; arguments: string };
}

/** The deltas of the answer: text pieces, or a tool call's head and then its arguments in pieces. */
function deltas(plan: StreamPlan): Array<Record<string, unknown>> {
  const call = plan.toolCall;
  if (!call) return splitPieces(plan.content).map((content) => ({ content }));
  const args = call.arguments.match(/.{1,12}/gs) ?? [];
  return [
    { tool_calls: [{ index: 0, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] },
    ...args.map((a) => ({ tool_calls: [{ index: 0, function: { arguments: a } }] })),
  ];
}

/** Word-ish pieces with their leading whitespace, like real token deltas; they concatenate back exactly. */
export function splitPieces(content: string): string[] {
  return content.match(/\s*\S+|\s+$/g) ?? [];
}

function chunk(plan: StreamPlan, delta: Record<string, unknown>, finishReason: string | null): string {
  return JSON.stringify({
    id: plan.id,
    object: 'chat.completion.chunk',
    created: plan.created,
    model: plan.model,
    system_fingerprint: 'fp_switchyard_sim',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    // OpenAI sends `usage: null` on every chunk once include_usage is on; parsers must cope.
    ...(plan.usage ? { usage: null } : {}),
  });
}

function write(res: ServerResponse, text: string): Promise<void> {
  return new Promise((resolve) => res.write(text, () => resolve()));
}

/**
 * Writes a chat.completion.chunk stream with the plan's faults. A fault whose chunk count is at or
 * past the end of a short reply fires after the last content chunk, so it still takes effect.
 * Headers must already be sent.
 */
export async function writeStream(
  res: ServerResponse,
  plan: StreamPlan,
  signal: AbortSignal,
  sleep: Sleep = timerSleep,
): Promise<void> {
  const { fault } = plan;
  const pieces = deltas(plan);
  const firesAt = (n: number | undefined, sent: number) =>
    n !== undefined && (n === sent || (n > sent && sent === pieces.length));

  // The socket flushes in order, so the last write's callback means everything sent so far left.
  res.write(`data: ${chunk(plan, { role: 'assistant', content: '' }, null)}\n\n`);
  let flushed = write(res, ': keep-alive\n\n');

  for (let sent = 0; sent <= pieces.length; sent++) {
    if (firesAt(fault?.streamCutAfterChunks, sent)) {
      // Let the chunks already written reach the client, then drop the connection mid-stream.
      await flushed;
      res.socket?.destroy();
      return;
    }
    if (firesAt(fault?.malformedAfterChunks, sent)) flushed = write(res, 'data: {not json\n\n');
    if (firesAt(fault?.stallAfterChunks, sent)) return untilAborted(signal);
    if (sent === pieces.length) break;
    if (!(await sleep(plan.chunkDelayMs, signal))) return;
    flushed = write(res, `data: ${chunk(plan, pieces[sent], null)}\n\n`);
  }

  res.write(`data: ${chunk(plan, {}, plan.finishReason)}\n\n`);
  if (plan.usage) {
    const usageChunk = {
      id: plan.id,
      object: 'chat.completion.chunk',
      created: plan.created,
      model: plan.model,
      system_fingerprint: 'fp_switchyard_sim',
      choices: [],
      usage: plan.usage,
    };
    res.write(`data: ${JSON.stringify(usageChunk)}\n\n`);
  }
  res.end('data: [DONE]\n\n');
}

const PIECE = 64 * 1024;

/** Writes and waits for the socket to take it (backpressure), so nothing piles up in memory. */
function drained(res: ServerResponse, text: string, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted || res.destroyed) return Promise.resolve(false);
  if (res.write(text)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

/** A 200 answer of `bytes` bytes (JSON completion or SSE), produced piece by piece as the client reads. */
export async function writeHugeBody(
  res: ServerResponse,
  bytes: number,
  stream: boolean,
  signal: AbortSignal,
): Promise<void> {
  const filler = 'a'.repeat(PIECE);
  res.writeHead(200, {
    'content-type': stream ? 'text/event-stream; charset=utf-8' : 'application/json',
  });
  let sent = 0;
  const send = async (text: string) => {
    sent += Buffer.byteLength(text);
    return drained(res, text, signal);
  };
  if (stream) {
    const head = (delta: Record<string, unknown>) =>
      `data: ${JSON.stringify({ id: 'chatcmpl-huge', object: 'chat.completion.chunk', created: 0, model: 'huge', choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;
    if (!(await send(head({ role: 'assistant', content: '' })))) return;
    while (sent < bytes) if (!(await send(head({ content: filler })))) return;
    res.end('data: [DONE]\n\n');
    return;
  }
  if (
    !(await send(
      '{"id":"chatcmpl-huge","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"',
    ))
  )
    return;
  while (sent < bytes) if (!(await send(filler))) return;
  res.end('"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}');
}
