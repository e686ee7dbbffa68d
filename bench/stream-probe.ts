/**
 * One streamed chat completion, timed event by event on the client: time to the first token (the
 * first SSE event whose delta carries content) and the gap between consecutive token events.
 * autocannon cannot see inside a body, so streams use undici directly with the same keep-alive
 * connection reuse; the SSE framing is parsed by eventsource-parser, as the gateway does.
 */
import { createParser } from 'eventsource-parser';
import { Pool } from 'undici';
import { recordMs, type Histogram } from './histogram';
import type { HttpTarget } from './http-load';

export interface StreamTimings {
  ttft: Histogram;
  gap: Histogram;
  ok: number;
  errors: number;
  firstError?: string;
}

export function streamClient(t: HttpTarget): { send(into: StreamTimings): Promise<void>; close(): Promise<void> } {
  const url = new URL(t.url);
  const pool = new Pool(url.origin, { connections: 1, pipelining: 1, keepAliveTimeout: 30_000 });
  const headers = { 'content-type': 'application/json', ...t.headers };
  return {
    async send(into) {
      const t0 = performance.now();
      let last: number | undefined;
      let done = false;
      const gaps: number[] = [];
      let ttft: number | undefined;
      const parser = createParser({
        onEvent: (ev) => {
          if (ev.data === '[DONE]') {
            done = true;
            return;
          }
          const now = performance.now();
          const chunk = JSON.parse(ev.data) as { choices?: Array<{ delta?: { content?: string } }> };
          if (!chunk.choices?.[0]?.delta?.content) return;
          if (last === undefined) ttft = now - t0;
          else gaps.push(now - last);
          last = now;
        },
      });
      try {
        const res = await pool.request({ method: 'POST', path: url.pathname, headers, body: t.body });
        for await (const piece of res.body as AsyncIterable<Buffer>) parser.feed(piece.toString('utf8'));
        if (res.statusCode !== 200 || !done || ttft === undefined)
          throw new Error(`HTTP ${res.statusCode}${done ? '' : ', no [DONE]'}`);
        into.ok++;
        recordMs(into.ttft, ttft);
        for (const g of gaps) recordMs(into.gap, g);
      } catch (e) {
        into.errors++;
        into.firstError ??= (e as Error).message;
      }
    },
    close: () => pool.close(),
  };
}
