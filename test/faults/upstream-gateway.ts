/**
 * The gateway the upstream fault matrix runs against: the local runtime (emulator, router handler,
 * dynalite, simulated providers) with
 * - small timeouts (connect 250 ms, headers 400 ms, body idle 400 ms) and fast retries, so every
 *   timeout case costs well under a second;
 * - breakers out of the way (the matrix injects hundreds of failures; breakers have their own tests);
 * - a daily budget on every model and on the client key, so each request reserves and settles in
 *   the global, key and model ledgers;
 * - fake provider keys in the environment (the router sends them upstream, to the simulated
 *   providers too) and a created client key: none may appear in any log line;
 * - one extra model, `gpt-4.1-unreachable`, whose provider is a loopback listener that never
 *   accepts (local/providers/unaccepting-listener.ts): the connect-timeout case;
 * - every retry wait recorded (`sleeps`), so "the retry honoured Retry-After" is asserted from the
 *   wait the gateway chose, not from wall-clock time alone;
 * - every log line captured: the router's telemetry (debug level up), the emulator's request log in
 *   both formats, console.* and direct stdout/stderr writes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { captureTelemetry, type CapturedTelemetry } from '../../functions/adapters/telemetry/sinks';
import { hashApiKey, keyIdFromHash } from '../../functions/core/keys';
import { createDefaultDeps } from '../../functions/router/default-deps';
import type { RouterDeps } from '../../functions/router/deps';
import { createRouterHandler } from '../../functions/router/lambda-handler';
import type { LocalGateway } from '../../local/gateway';
import { startUnacceptingListener, type SimulatedProviders, type UnacceptingListener } from '../../local/providers';
import type { FaultSpec, RequestRecord } from '../../local/providers';
import { formatRequestLog } from '../../local/request-log';
import { eventually, post, startTestGateway, type Reply } from '../helpers/local-gateway';
import { expectSettled, readLedger, type Settled } from './ledger-check';

export const UPSTREAM_KEYS: Record<string, string> = {
  OPENAI_API_KEY: 'sk-proj-faultmatrix-openai-1111aaaa2222bbbb',
  ANTHROPIC_API_KEY: 'sk-ant-faultmatrix-anthropic-3333cccc4444',
  GEMINI_API_KEY: 'AIzaFaultMatrixGemini5555dddd6666eeee',
  DEEPSEEK_API_KEY: 'sk-faultmatrix-deepseek-7777ffff8888gggg',
  UNREACHABLE_API_KEY: 'sk-faultmatrix-unreachable-9999hhhh0000',
};
export const CLIENT_KEY = 'sk-sy-faultmatrix-client-key-0123456789abcdef0123';
export const CLIENT_KEY_ID = keyIdFromHash(hashApiKey(CLIENT_KEY));
/** Every secret and its SHA-256 (the keys table stores the hash; it must not leak either). */
export const SECRETS = [...Object.values(UPSTREAM_KEYS), CLIENT_KEY].flatMap((s) => [s, hashApiKey(s)]);
/** Models with a daily budget: their ledger must match their usage row. */
export const BUDGETED_MODELS = [
  'gpt-4.1',
  'claude-sonnet-4.5',
  'gemini-2.5-flash',
  'deepseek-v3.2',
  'gpt-4.1-unreachable',
];

export const OFF = { 'x-switchyard-fallback': 'off' };
export const MESSAGES = [{ role: 'user', content: 'Tell me about switchyards' }];

export interface FaultGateway {
  gw: LocalGateway;
  sim: SimulatedProviders;
  /** The router instance behind the emulator. */
  deps: RouterDeps;
  tel: CapturedTelemetry;
  /** Every retry wait the executor asked for, in order; clear it per case. */
  sleeps: number[];
  /** Every reply the matrix received (leak check). */
  replies: Array<{ text: string; headers: Headers }>;
  /** POST /v1/chat/completions with the client key. */
  chat(body: Record<string, unknown>, headers?: Record<string, string>): Promise<Reply>;
  /** A streamed POST /v1/chat/completions read to its end. */
  stream(body: Record<string, unknown>, headers?: Record<string, string>): Promise<StreamReply>;
  /** The router's one `request` log line for a request id (waits for it: it is written after settlement). */
  requestLog(requestId: string): Promise<Record<string, any>>;
  /** Every captured log line: telemetry, request log, console, stdout/stderr. */
  logLines(): string[];
  close(): Promise<void>;
}

export interface StreamReply {
  status: number;
  headers: Headers;
  /** Raw body as the client read it. */
  text: string;
  /** `data:` payloads in order. */
  events: string[];
  /** Parsed JSON of the `data:` payloads that are JSON. */
  chunks: Array<Record<string, any>>;
  /** Concatenated delta content the client received. */
  content: string;
  usage?: { prompt_tokens: number; completion_tokens: number };
  done: boolean;
  /** The terminal `data: {"error":...}` event, if the stream ended with one. */
  error?: { message: string; type: string; param: null; code: string };
  json?: any;
}

function parseSse(text: string): Pick<StreamReply, 'events' | 'chunks' | 'content' | 'usage' | 'done' | 'error'> {
  const events = text
    .split('\n\n')
    .map((block) =>
      block
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n'),
    )
    .filter((d) => d.length > 0);
  const chunks: Array<Record<string, any>> = [];
  for (const e of events) {
    try {
      chunks.push(JSON.parse(e));
    } catch {
      // [DONE]
    }
  }
  const last = chunks.at(-1);
  return {
    events,
    chunks,
    content: chunks.map((c) => c.choices?.[0]?.delta?.content ?? '').join(''),
    usage: chunks.find((c) => c.usage)?.usage,
    done: events.at(-1) === '[DONE]',
    error: events.at(-1) !== '[DONE]' && last?.error ? last.error : undefined,
  };
}

export async function startUpstreamFaultGateway(): Promise<FaultGateway> {
  const tel = captureTelemetry();
  const requestLogLines: string[] = [];
  const consoleLines: string[] = [];
  const sleeps: number[] = [];
  const replies: FaultGateway['replies'] = [];

  // Capture (and still show) everything written to the console and the process streams.
  const spies: jest.SpyInstance[] = [
    ...(['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => {
      const original = console[m].bind(console);
      return jest.spyOn(console, m).mockImplementation((...args: unknown[]) => {
        consoleLines.push(args.map(String).join(' '));
        original(...args);
      });
    }),
    ...[process.stdout, process.stderr].map((stream) => {
      const original = stream.write.bind(stream) as (...a: unknown[]) => boolean;
      return jest.spyOn(stream, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
        consoleLines.push(String(chunk));
        return original(chunk, ...rest);
      }) as never);
    }),
  ];

  let listener: UnacceptingListener | undefined;
  let gw: LocalGateway | undefined;
  const savedLevel = process.env.POWERTOOLS_LOG_LEVEL;
  try {
    listener = await startUnacceptingListener();
    // Powertools reads its level from the process environment when the logger is built.
    process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
    gw = await startTestGateway(
      (c) => {
        Object.assign(c.gateway, {
          connectTimeoutMs: 250,
          headersTimeoutMs: 400,
          bodyIdleTimeoutMs: 400,
          requestDeadlineMs: 10_000,
        });
        c.retry = { maxAttemptsPerModel: 2, baseDelayMs: 20, maxDelayMs: 40 };
        c.breaker.failureThreshold = 1_000_000;
        c.budgets.perKeyDailyUsd = 50;
        c.providers.unreachable = {
          baseUrl: 'http://127.0.0.1:9/v1',
          region: 'us-east-1',
          apiKeyRef: 'UNREACHABLE_API_KEY',
        };
        const gpt = c.models.find((m: { id: string }) => m.id === 'gpt-4.1');
        c.models.push({
          ...structuredClone(gpt),
          id: 'gpt-4.1-unreachable',
          endpoints: [
            { id: 'unreachable-gpt-4.1', provider: 'unreachable', upstreamModel: 'gpt-4.1', region: 'us-east-1' },
          ],
          fallbacks: ['deepseek-v3.2'],
        });
        for (const m of c.models) m.dailyBudgetUsd = 20;
      },
      {
        env: UPSTREAM_KEYS,
        telemetry: tel.sink,
        onRequest: (l) => requestLogLines.push(formatRequestLog(l, 'json'), formatRequestLog(l, 'text')),
      },
    );
    await gw.keys.create(CLIENT_KEY, { name: 'fault matrix', admin: false, dailyBudgetUsd: 25 });

    // The router instance the emulator invokes: the same config, except that the unreachable
    // provider really is unreachable (the runtime points every provider at the simulator).
    const cfg = structuredClone(gw.configJson) as { providers: Record<string, { baseUrl: string }> };
    cfg.providers.unreachable.baseUrl = `${listener.url}/v1`;
    const deps: RouterDeps = {
      ...createDefaultDeps(gw.env, { configJson: cfg, telemetrySink: tel.sink }),
      sleep: async (ms, signal) => {
        sleeps.push(ms);
        await sleep(ms, undefined, { signal });
      },
    };
    const handler = createRouterHandler(deps);
    gw.track(deps);
    gw.setTargetSelector(() => ({ handler, version: '1' }));

    const g = gw;
    const l = listener;
    const auth = { authorization: `Bearer ${CLIENT_KEY}` };
    return {
      gw: g,
      sim: g.providers!,
      deps,
      tel,
      sleeps,
      replies,
      async chat(body, headers = {}) {
        const r = await post(g, '/v1/chat/completions', body, { ...auth, ...headers });
        replies.push(r);
        return r;
      },
      async stream(body, headers = {}) {
        const res = await fetch(`${g.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ ...body, stream: true }),
        });
        const text = await res.text();
        replies.push({ text, headers: res.headers });
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        return { status: res.status, headers: res.headers, text, json, ...parseSse(text) };
      },
      requestLog: (requestId) =>
        eventually(async () => {
          const line = tel.logs
            .map((x) => JSON.parse(x.line))
            .find((x) => x.message === 'request' && x.requestId === requestId);
          expect(line).toBeDefined();
          return line;
        }),
      logLines: () => [...tel.metrics, ...tel.logs.map((x) => x.line), ...requestLogLines, ...consoleLines],
      async close() {
        for (const s of spies) s.mockRestore();
        restoreLevel();
        await g.close();
        await l.close();
      },
    };
  } catch (e) {
    for (const s of spies) s.mockRestore();
    restoreLevel();
    await gw?.close();
    await listener?.close();
    throw e;
  }

  function restoreLevel() {
    if (savedLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
    else process.env.POWERTOOLS_LOG_LEVEL = savedLevel;
  }
}

/** Secrets (or their hashes) found in any of the texts. */
export function leaks(texts: string[]): Array<{ secret: string; text: string }> {
  const found: Array<{ secret: string; text: string }> = [];
  for (const text of texts) {
    for (const secret of SECRETS)
      if (text.includes(secret))
        found.push({ secret: `${secret.slice(0, 8)}...`, text: text.replaceAll(secret, '<SECRET>').slice(0, 300) });
  }
  return found;
}

export interface PairRun<R> {
  /** The request that may fall back. */
  fallback: R;
  /** The same request with `x-switchyard-fallback: off`. */
  off: R;
  /** The ledger once both are settled, and what they changed. */
  settled: Settled;
  /** Retry waits asked for by both requests, ascending. */
  sleeps: number[];
  /** What the simulated providers received. */
  upstream: RequestRecord[];
}

/**
 * One fault, two requests at once: one that may fall back and one with fallback off. Running them
 * together halves the suite's time (a timeout costs ~1 s: undici's timers tick at 0.5-1 s) and puts
 * two requests in flight against the same ledger and lease items.
 */
export async function runPair<R>(
  f: FaultGateway,
  fault: FaultSpec | undefined,
  send: (headers: Record<string, string>) => Promise<R>,
): Promise<PairRun<R>> {
  f.sim.clearFaults();
  f.sim.resetRequests();
  f.sleeps.length = 0;
  const before = await readLedger(f.gw);
  if (fault) f.sim.setFault(fault);
  let fallback: R;
  let off: R;
  try {
    [fallback, off] = await Promise.all([send({}), send(OFF)]);
  } finally {
    f.sim.clearFaults();
  }
  const settled = await expectSettled(f.gw, before, { requests: 2, modelsWithBudget: BUDGETED_MODELS }).catch((e) => {
    console.log('DEBUG', JSON.stringify(f.tel.logs.filter((l) => l.level === 'error').slice(-3)));
    throw e;
  });
  return { fallback, off, settled, sleeps: [...f.sleeps].sort((a, b) => a - b), upstream: f.sim.requests() };
}

/** Retry waits: `n` full-jitter backoffs (each below retry.maxDelayMs = 40), or exactly these values. */
export type Sleeps = { backoffs: number } | number[];

/** One row of the pre-response fault tables (JSON and stream files). */
export interface FaultCase {
  name: string;
  /** Applied to the `gpt-4.1` upstream model. */
  fault?: FaultSpec;
  /** The model asked for; default gpt-4.1. */
  model?: string;
  /** The failed attempts, as `x-switchyard-attempts` lists them. */
  attempts: string;
  /** Retry waits one request asks for. */
  sleeps: Sleeps;
  /** What the client gets without a fallback. */
  off: { status: number; type: string; code: string; retryAfter?: string | null; message?: RegExp };
}

/** The same outcome on two attempts of one model (the first try and its retry). */
export const twice = (outcome: string, model = 'gpt-4.1') => `${model}:${outcome},${model}:${outcome}`;
export const backoff = { backoffs: 1 };
export const upstreamError = { status: 502, type: 'upstream_error', code: 'upstream_error' };
export const upstreamTimeout = { status: 504, type: 'timeout_error', code: 'upstream_timeout' };
export const rateLimited = { status: 429, type: 'rate_limit_error', code: 'upstream_rate_limited' };

export function expectSleeps(actual: number[], expected: Sleeps): void {
  if (Array.isArray(expected)) {
    expect(actual).toEqual(expected);
    return;
  }
  expect(actual).toHaveLength(expected.backoffs);
  for (const ms of actual) {
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThan(40);
  }
}

/** The OpenAI error shape, exactly: `{"error":{"message","type","param","code"}}`. */
export function expectOpenAIError(
  r: { status: number; headers: Headers; json?: any },
  e: { status: number; type: string; code: string; message?: RegExp },
): void {
  expect(r.status).toBe(e.status);
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  expect(r.json).toEqual({ error: { message: expect.any(String), type: e.type, param: null, code: e.code } });
  if (e.message) expect(r.json.error.message).toMatch(e.message);
}
