/**
 * Faults in the response itself: the request was accepted, and then the answer goes wrong at the
 * transport level (reset, cut body, slow body) or at the format level (malformed JSON or SSE, the
 * wrong content-type). Each fires instead of the normal answer; `false` means "answer normally".
 */
import type { ServerResponse } from 'node:http';
import { type Sleep, sleep as timerSleep } from './abort';
import type { FaultSpec } from './faults';

/** What a misconfigured proxy or a captive portal in front of an API sends instead of JSON or SSE. */
const HTML_PAGE =
  '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body><h1>Bad Gateway</h1><p>The upstream server is temporarily unavailable.</p></body></html>\n';

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
};

export interface BodyFaultAnswer {
  /** The non-stream `chat.completion` object this request would get. */
  completion: { id: string; created: number; model: string };
  stream: boolean;
  requestId: string;
}

function written(res: ServerResponse, text: string): Promise<void> {
  return new Promise((resolve) => res.write(text, () => resolve()));
}

/** Resets the connection (RST, not a clean FIN) without sending a byte of the response. */
export function resetConnection(res: ServerResponse): void {
  const socket = res.socket;
  if (socket && typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket?.destroy();
}

/**
 * Applies a body fault of `fault` (slowBodyMs, bodyCut, malformedBody, contentType) to this answer.
 * Returns false when the fault has none, so the caller answers normally; for a stream with
 * `slowBodyMs` it returns 'then-stream': the headers are out and the wait is over, write the stream.
 */
export async function bodyFault(
  res: ServerResponse,
  fault: FaultSpec | undefined,
  answer: BodyFaultAnswer,
  signal: AbortSignal,
  sleep: Sleep = timerSleep,
): Promise<boolean | 'then-stream'> {
  if (!fault) return false;
  const head = (contentType: string, extra: Record<string, string | number> = {}) =>
    res.writeHead(200, { 'content-type': contentType, 'x-request-id': answer.requestId, ...extra });
  const json = JSON.stringify(answer.completion);
  const half = json.slice(0, Math.floor(json.length / 2));

  if (fault.contentType !== undefined) {
    const type = fault.contentType;
    const body = /html/i.test(type) ? HTML_PAGE : /json/i.test(type) ? json : 'upstream temporarily unavailable\n';
    head(type, { 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return true;
  }
  if (fault.malformedBody) {
    if (answer.stream) {
      head(SSE_HEADERS['content-type'], { 'cache-control': 'no-cache' });
      const { id, created, model } = answer.completion;
      const roleChunk = JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
      });
      res.end(`data: ${roleChunk.slice(0, Math.floor(roleChunk.length / 2))}\n\n`);
    } else {
      head('application/json', { 'content-length': Buffer.byteLength(half) });
      res.end(half);
    }
    return true;
  }
  if (fault.bodyCut) {
    if (answer.stream) {
      res.writeHead(200, { ...SSE_HEADERS, 'x-request-id': answer.requestId });
      await written(res, ': keep-alive\n\n');
    } else {
      // The full length is announced, so the client knows the body is incomplete when the socket closes.
      head('application/json', { 'content-length': Buffer.byteLength(json) });
      await written(res, half);
    }
    res.socket?.destroy();
    return true;
  }
  if (fault.slowBodyMs !== undefined) {
    if (answer.stream) {
      res.writeHead(200, { ...SSE_HEADERS, 'x-request-id': answer.requestId });
      res.flushHeaders();
      return (await sleep(fault.slowBodyMs, signal)) ? 'then-stream' : true;
    }
    head('application/json', { 'content-length': Buffer.byteLength(json) });
    await written(res, half);
    if (await sleep(fault.slowBodyMs, signal)) res.end(json.slice(half.length));
    return true;
  }
  return false;
}
