/**
 * HTTP load through autocannon (a kept load generator: keep-alive connections, closed loop, its own
 * HTTP parser). Each response's time, as autocannon measures it, also goes into our µs histogram,
 * because autocannon's own latency histogram has whole-millisecond resolution, too coarse for
 * sub-millisecond differences on loopback.
 */
import type { EventEmitter } from 'node:events';
import autocannon from 'autocannon';
import { latencyHistogram, recordMs, type Histogram } from './histogram';

export interface HttpTarget {
  label: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  /** The server process, for its CPU time. */
  pid?: number;
}

export interface LoadResult {
  /** 2xx response times. */
  latency: Histogram;
  ok: number;
  /** Non-2xx answers, connection errors and timeouts. */
  errors: number;
  /** Wall time of the runs, summed. */
  durationMs: number;
  firstError?: string;
}

export function emptyResult(): LoadResult {
  return { latency: latencyHistogram(), ok: 0, errors: 0, durationMs: 0 };
}

export interface LoadOptions {
  connections: number;
  /** Stop after this many requests... */
  amount?: number;
  /** ...or after this many seconds. */
  durationSec?: number;
}

/** One autocannon run against `t`, added into `into`. */
export async function runLoad(t: HttpTarget, opts: LoadOptions, into: LoadResult = emptyResult()): Promise<LoadResult> {
  const started = performance.now();
  // Without a callback autocannon returns its tracker (an EventEmitter) made thenable; the types
  // only know the promise half.
  const instance = autocannon({
    url: t.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...t.headers },
    body: t.body,
    connections: opts.connections,
    pipelining: 1,
    timeout: 10,
    ...(opts.amount !== undefined ? { amount: opts.amount } : { duration: opts.durationSec ?? 1 }),
  }) as unknown as EventEmitter & PromiseLike<autocannon.Result>;
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode >= 200 && statusCode < 300) {
      into.ok++;
      recordMs(into.latency, responseTime);
    } else {
      into.errors++;
      into.firstError ??= `HTTP ${statusCode}`;
    }
  });
  instance.on('reqError', (err: Error) => {
    into.errors++;
    into.firstError ??= String(err?.message ?? err);
  });
  const result = await instance;
  into.errors += result.timeouts;
  if (result.timeouts > 0) into.firstError ??= `${result.timeouts} timeouts`;
  into.durationMs += performance.now() - started;
  return into;
}
