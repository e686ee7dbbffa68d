/**
 * A small HTTP load generator on undici's Pool (keep-alive connections, no pipelining): one request
 * with per-phase timings, and a closed-loop run of N workers for a fixed time.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

export interface Target {
  label: string;
  pool: Pool;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface Sample {
  /** 0 when the request failed before a response (connection error). */
  status: number;
  /** Request start to response headers. */
  headersMs: number;
  /** Request start to the first body chunk (for a stream: the first SSE event). */
  firstByteMs: number;
  /** Request start to the last body byte. */
  totalMs: number;
  bytes: number;
  headers: Record<string, string | string[] | undefined>;
  /** Only when asked for (sanity checks). */
  text?: string;
  error?: string;
}

/** One keep-alive pool per origin; `connections` caps open sockets (>= the highest concurrency used). */
export function createTarget(label: string, url: string, headers: Record<string, string>, body: unknown, connections = 64): Target {
  const u = new URL(url);
  return {
    label,
    pool: new Pool(u.origin, { connections, pipelining: 1, keepAliveTimeout: 30_000 }),
    path: u.pathname + u.search,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

export async function send(t: Target, keepText = false): Promise<Sample> {
  const t0 = performance.now();
  try {
    const res = await t.pool.request({ method: 'POST', path: t.path, headers: t.headers, body: t.body });
    const headersMs = performance.now() - t0;
    let firstByteMs = Number.NaN;
    let bytes = 0;
    const chunks: Buffer[] = [];
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      if (bytes === 0) firstByteMs = performance.now() - t0;
      bytes += chunk.length;
      if (keepText) chunks.push(chunk);
    }
    const totalMs = performance.now() - t0;
    return {
      status: res.statusCode,
      headersMs,
      firstByteMs,
      totalMs,
      bytes,
      headers: res.headers,
      ...(keepText ? { text: Buffer.concat(chunks).toString('utf8') } : {}),
    };
  } catch (e) {
    const ms = performance.now() - t0;
    return { status: 0, headersMs: ms, firstByteMs: ms, totalMs: ms, bytes: 0, headers: {}, error: String(e) };
  }
}

export interface RunResult {
  ok: number;
  errors: number;
  /** First start to last completion, drain included. */
  elapsedMs: number;
  /** totalMs of the successful requests. */
  latencies: number[];
  firstError?: string;
}

/** Closed loop: `concurrency` workers each send the next request when the previous one ends, until `durationMs` has passed. */
export async function runFor(t: Target, concurrency: number, durationMs: number): Promise<RunResult> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const deadline = start + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const s = await send(t);
        if (s.status === 200) latencies.push(s.totalMs);
        else {
          errors++;
          firstError ??= s.error ?? `HTTP ${s.status}`;
        }
      }
    }),
  );
  return { ok: latencies.length, errors, elapsedMs: performance.now() - start, latencies, firstError };
}

/** Adds `b` into `a` (several time slices of the same target). */
export function mergeRuns(a: RunResult | undefined, b: RunResult): RunResult {
  if (!a) return { ...b, latencies: [...b.latencies] };
  return {
    ok: a.ok + b.ok,
    errors: a.errors + b.errors,
    elapsedMs: a.elapsedMs + b.elapsedMs,
    latencies: a.latencies.concat(b.latencies),
    firstError: a.firstError ?? b.firstError,
  };
}
