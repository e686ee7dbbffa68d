/**
 * The soak's client side: a weighted mix of requests (JSON and streams, concrete models and routes,
 * tools and JSON mode, budget-limited and rate-limited keys, bad input, auth failures, client
 * disconnects), sent over an undici Pool, and each answer classified.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import type { ServerInfo } from './protocol';
import type { Rng } from './random';

/** What the answer must look like for the gateway to be right. */
export type Expect =
  /** A valid request: 2xx, or an error the upstreams, limits or budgets explain (429, 502, 503, 504). */
  | 'served'
  /** Bad client input or credentials: a 4xx, never a 5xx or a 2xx. */
  | 'client_error'
  /** Informational endpoints (models, health): 2xx. */
  | 'ok';

export interface Planned {
  kind: string;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  stream: boolean;
  expect: Expect;
  /** Hang up on purpose: after this many SSE events (streams) or this many ms (before the answer). */
  disconnect?: { afterEvents: number } | { afterMs: number };
}

export interface Outcome {
  kind: string;
  /** 0 when no response head arrived. */
  status: number;
  /** `ok`, `client_disconnect`, `<status> <code>`, `stream:<code>`, `net:<code>`. */
  cls: string;
  ms: number;
  /** x-switchyard-attempts had more than one entry. */
  retried: boolean;
  /** Answered (2xx) by another model than the first one attempted. */
  fellBack: boolean;
  /** A contract the gateway broke (the soak fails on any). */
  violation?: string;
  /** Epoch ms when the request was sent and when its answer was complete. */
  startedAt: number;
  endedAt: number;
}

// ---------------------------------------------------------------------------------------------
// The mix

const PROMPTS = {
  general: [
    'hi',
    'What should I check before a product launch?',
    'Give me three tips for a code review.',
    'こんにちは、今日の予定を手伝ってください。',
  ],
  summary: [
    'Summarize: the meeting moved the launch by a week because the load tests failed twice.',
    'tl;dr of the retry policy please',
    '要約してください: 障害は30分で復旧しました。',
  ],
  reasoning: [
    'Why do retries need jitter? Analyze step by step.',
    'Compare DynamoDB and Postgres for a ledger.',
    '为什么需要熔断器?',
  ],
  creative: ['Write a haiku about queues.', 'A short story about a lighthouse keeper.', '詩を書いて: 秋の夜'],
  code: [
    'Fix this bug in my TypeScript function: const f = (a) => a.map(x => x * 2',
    'Refactor this python code to be async.',
  ],
};

const TOOLS = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  },
];

/** A prompt long enough (> 4000 chars) for the `reasoning` rule by length. */
const LONG_PROMPT = 'Consider the following log excerpt and explain the failure. '.repeat(80);
/** Over gateway.maxBodyBytes (1 MiB): 413 from the router. */
const HUGE_PROMPT = 'x'.repeat(1_100_000);

export function createPlanner(info: ServerInfo, rng: Rng): () => Planned {
  const models = info.models.map((m) => m.id);
  const routes = info.routes;
  const chat = '/v1/chat/completions';
  const auth = (key: string) => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });
  const admin = auth(info.keys.admin);
  const prompt = () => rng.pick(PROMPTS[rng.pick(Object.keys(PROMPTS) as Array<keyof typeof PROMPTS>)]);
  const maxTokens = () =>
    rng.weighted<number | undefined>([
      [3, undefined],
      [4, rng.int(8, 128)],
      [1, rng.int(129, 600)],
    ]);
  const messages = () =>
    rng.chance(0.1)
      ? [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: prompt() },
          { role: 'assistant', content: 'Ok.' },
          { role: 'user', content: 'More detail.' },
        ]
      : [{ role: 'user', content: rng.chance(0.03) ? LONG_PROMPT : prompt() }];
  const body = (model: string, stream: boolean, extra: Record<string, unknown> = {}) => {
    const b: Record<string, unknown> = { model, messages: messages(), ...extra };
    const mt = maxTokens();
    if (mt !== undefined) b[rng.chance(0.5) ? 'max_tokens' : 'max_completion_tokens'] = mt;
    if (stream) {
      b.stream = true;
      if (rng.chance(0.5)) b.stream_options = { include_usage: true };
    }
    if (rng.chance(0.2)) b.temperature = Math.round(rng() * 20) / 10;
    return JSON.stringify(b);
  };
  const post = (
    kind: string,
    headers: Record<string, string>,
    b: string,
    stream: boolean,
    expect: Expect,
    extra: Partial<Planned> = {},
  ): Planned => ({
    kind,
    method: 'POST',
    path: chat,
    headers,
    body: b,
    stream,
    expect,
    ...extra,
  });

  const badInputs: Array<() => Planned> = [
    () => post('bad:invalid_json', admin, '{"model": "gpt-4.1", "messages": [', false, 'client_error'),
    () => post('bad:empty_body', admin, '', false, 'client_error'),
    () => post('bad:not_object', admin, '[1,2,3]', false, 'client_error'),
    () => post('bad:no_messages', admin, JSON.stringify({ model: rng.pick(models) }), false, 'client_error'),
    () =>
      post(
        'bad:empty_messages',
        admin,
        JSON.stringify({ model: rng.pick(routes), messages: [], stream: rng.chance(0.5) }),
        false,
        'client_error',
      ),
    () =>
      post(
        'bad:bad_role',
        admin,
        JSON.stringify({ model: rng.pick(models), messages: [{ role: 'robot', content: 'hi' }] }),
        false,
        'client_error',
      ),
    () =>
      post(
        'bad:unknown_model',
        admin,
        JSON.stringify({ model: 'gpt-9-ultra', messages: [{ role: 'user', content: 'hi' }], stream: rng.chance(0.5) }),
        false,
        'client_error',
      ),
    () =>
      post(
        'bad:model_type',
        admin,
        JSON.stringify({ model: 42, messages: [{ role: 'user', content: 'hi' }] }),
        false,
        'client_error',
      ),
    () =>
      post(
        'bad:max_tokens',
        admin,
        JSON.stringify({
          model: rng.pick(models),
          messages: [{ role: 'user', content: 'hi' }],
          max_tokens: rng.pick([-1, 0, 1.5, 'ten']),
        }),
        false,
        'client_error',
      ),
    () =>
      post(
        'bad:max_tokens_over_cap',
        admin,
        JSON.stringify({
          model: rng.pick([...models, ...routes]),
          messages: [{ role: 'user', content: 'hi' }],
          max_tokens: 500_000,
        }),
        false,
        'client_error',
      ),
    () =>
      post(
        'bad:temperature',
        admin,
        JSON.stringify({ model: rng.pick(routes), messages: [{ role: 'user', content: 'hi' }], temperature: 7 }),
        false,
        'client_error',
      ),
    () =>
      post(
        'bad:stream_type',
        admin,
        JSON.stringify({ model: rng.pick(models), messages: [{ role: 'user', content: 'hi' }], stream: 'yes' }),
        false,
        'client_error',
      ),
    () =>
      post(
        'bad:n',
        admin,
        JSON.stringify({ model: rng.pick(models), messages: [{ role: 'user', content: 'hi' }], n: 0 }),
        false,
        'client_error',
      ),
    () =>
      post(
        'bad:budget_factor_header',
        { ...admin, 'x-budget-factor': rng.pick(['cheap', '-1', '1.5']) },
        body('auto', false),
        false,
        'client_error',
      ),
    () =>
      post(
        'bad:content_part',
        admin,
        JSON.stringify({ model: rng.pick(models), messages: [{ role: 'user', content: [{ text: 'no type' }] }] }),
        false,
        'client_error',
      ),
  ];
  const authProblems: Array<() => Planned> = [
    () => post('auth:no_key', { 'content-type': 'application/json' }, body('gpt-4.1', false), false, 'client_error'),
    () =>
      post(
        'auth:unknown_key',
        auth('sk-sy-not-a-real-key-' + rng.int(0, 9)),
        body('gpt-4.1', false),
        false,
        'client_error',
      ),
    () =>
      post(
        'auth:malformed',
        { authorization: 'Basic Zm9vOmJhcg==', 'content-type': 'application/json' },
        body('auto', false),
        false,
        'client_error',
      ),
  ];

  return () =>
    rng.weighted<() => Planned>([
      [22, () => post('json:model', admin, body(rng.pick(models), false), false, 'served')],
      [18, () => post('stream:model', admin, body(rng.pick(models), true), true, 'served')],
      [14, () => post('json:route', admin, body(rng.pick(routes), false), false, 'served')],
      [12, () => post('stream:route', admin, body(rng.pick(routes), true), true, 'served')],
      [
        4,
        () => {
          const stream = rng.chance(0.5);
          return post(
            `${stream ? 'stream' : 'json'}:tools`,
            admin,
            body(rng.pick([...routes, ...models]), stream, {
              tools: TOOLS,
              ...(rng.chance(0.5) ? { tool_choice: 'auto' } : {}),
            }),
            stream,
            'served',
          );
        },
      ],
      [
        4,
        () => {
          const stream = rng.chance(0.3);
          return post(
            `${stream ? 'stream' : 'json'}:json_mode`,
            admin,
            body(rng.pick([...routes, ...models]), stream, { response_format: { type: 'json_object' } }),
            stream,
            'served',
          );
        },
      ],
      [
        3,
        () =>
          post(
            'json:fallback_off',
            { ...admin, 'x-switchyard-fallback': 'off' },
            body(rng.pick(models), false),
            false,
            'served',
          ),
      ],
      [
        3,
        () => {
          const stream = rng.chance(0.5);
          return post(
            `${stream ? 'stream' : 'json'}:budget_factor`,
            { ...admin, 'x-budget-factor': String(rng.pick([0, 0.1, 0.3, 0.5, 0.9])) },
            body('auto', stream),
            stream,
            'served',
          );
        },
      ],
      [
        3,
        () =>
          post('stream:disconnect', admin, body(rng.pick([...routes, ...models]), true), true, 'served', {
            disconnect: { afterEvents: rng.int(1, 4) },
          }),
      ],
      [
        1,
        () =>
          post('json:disconnect', admin, body(rng.pick([...routes, ...models]), false), false, 'served', {
            disconnect: { afterMs: rng.int(1, 60) },
          }),
      ],
      [
        5,
        () => {
          const stream = rng.chance(0.4);
          return post(
            `${stream ? 'stream' : 'json'}:budget_key`,
            auth(info.keys.budget),
            body(rng.pick(['gpt-4.1', 'claude-sonnet-4.5', 'auto', 'chat-default']), stream),
            stream,
            'served',
          );
        },
      ],
      [
        3,
        () => {
          if (rng.chance(0.2))
            return post(
              'limited:not_allowed',
              auth(info.keys.limited),
              body(rng.pick(['gpt-4.1', 'auto']), false),
              false,
              'client_error',
            );
          return post(
            'limited:allowed',
            auth(info.keys.limited),
            body(rng.pick(info.keys.limitedModels), false),
            false,
            'served',
          );
        },
      ],
      [
        4,
        () =>
          rng.chance(0.03)
            ? post(
                'bad:too_large',
                admin,
                JSON.stringify({ model: 'gpt-4.1', messages: [{ role: 'user', content: HUGE_PROMPT }] }),
                false,
                'client_error',
              )
            : rng.pick(badInputs)(),
      ],
      [1, () => rng.pick(authProblems)()],
      [
        1,
        () => {
          const path = rng.pick(['/v1/models', '/v1/models/auto', `/v1/models/${rng.pick(models)}`, '/health']);
          // /health answers 503 when health data says every model is down (a provider-wide fault can do that).
          const expect: Expect = path === '/health' ? 'served' : 'ok';
          return {
            kind: `get:${path.startsWith('/v1/models/') ? '/v1/models/{id}' : path}`,
            method: 'GET',
            path,
            headers: { authorization: admin.authorization },
            stream: false,
            expect,
          };
        },
      ],
    ])();
}

// ---------------------------------------------------------------------------------------------
// Sending and classifying

export function createClient(url: string, connections: number): Pool {
  return new Pool(url, { connections, pipelining: 1, keepAliveTimeout: 10_000, headersTimeout: 0, bodyTimeout: 0 });
}

/** An error body's `error.code` (or `type`), as OpenAI SDKs would read it. */
function errorCode(text: string): string {
  try {
    const e = (JSON.parse(text) as { error?: { code?: string | null; type?: string } }).error;
    return e?.code ?? e?.type ?? 'no_code';
  } catch {
    return 'not_json';
  }
}

function attemptsOf(header: string | string[] | undefined): string[] {
  const v = Array.isArray(header) ? header.join(',') : header;
  return v ? v.split(',').filter((s) => s.length > 0) : [];
}

/** Sends one planned request and classifies the answer. Never throws. */
export async function execute(pool: Pool, p: Planned, timeoutMs: number): Promise<Outcome> {
  const t0 = performance.now();
  const startedAt = Date.now();
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error('client timeout')), timeoutMs);
  let hungUp = false;
  let early: NodeJS.Timeout | undefined;
  if (p.disconnect && 'afterMs' in p.disconnect) {
    early = setTimeout(() => {
      hungUp = true;
      ac.abort(new Error('client disconnect'));
    }, p.disconnect.afterMs);
  }
  const out = (status: number, cls: string, extra: Partial<Outcome> = {}): Outcome => ({
    kind: p.kind,
    status,
    cls,
    ms: performance.now() - t0,
    retried: false,
    fellBack: false,
    startedAt,
    endedAt: Date.now(),
    ...extra,
  });
  try {
    const res = await pool.request({
      method: p.method,
      path: p.path,
      headers: p.headers,
      body: p.body,
      signal: ac.signal,
    });
    const status = res.statusCode;
    const attempts = attemptsOf(res.headers['x-switchyard-attempts']);
    const answeredBy = res.headers['x-switchyard-model'];
    const firstModel = attempts[0]?.split(':')[0];
    const routing = {
      retried: attempts.length > 1,
      fellBack: status < 300 && typeof answeredBy === 'string' && firstModel !== undefined && firstModel !== answeredBy,
    };
    const isSse = String(res.headers['content-type'] ?? '').startsWith('text/event-stream');

    if (status === 200 && isSse) {
      const r = await readStream(res.body as AsyncIterable<Buffer>, p, ac);
      return out(status, r.cls, { ...routing, violation: r.violation });
    }
    const text = await readText(res.body as AsyncIterable<Buffer>);
    let cls = status < 300 ? 'ok' : `${status} ${errorCode(text)}`;
    let violation: string | undefined;
    if (status < 300 && p.method === 'POST') {
      const json = tryJson(text) as { object?: string; usage?: { total_tokens?: number } } | undefined;
      if (p.stream) violation = `stream request answered ${status} ${res.headers['content-type']}`;
      else if (json?.object !== 'chat.completion' || typeof json.usage?.total_tokens !== 'number') {
        cls = '200 bad_body';
        violation = `200 without a chat.completion body: ${text.slice(0, 120)}`;
      }
    }
    violation ??= checkStatus(p, status, cls);
    return out(status, cls, { ...routing, violation });
  } catch (err) {
    if (hungUp) return out(0, 'client_disconnect');
    const e = err as { code?: string; name?: string; message?: string };
    const code = ac.signal.aborted ? 'client_timeout' : (e.code ?? e.name ?? 'error');
    return out(0, `net:${code}`, {
      violation:
        p.expect === 'served' || p.expect === 'ok' ? `no response: ${code} ${e.message ?? ''}`.trim() : undefined,
    });
  } finally {
    clearTimeout(timer);
    if (early) clearTimeout(early);
  }
}

function checkStatus(p: Planned, status: number, cls: string): string | undefined {
  if (status === 500) return `HTTP 500 (${cls}) for ${p.kind}`;
  if (p.expect === 'client_error' && !(status >= 400 && status < 500)) return `bad input ${p.kind} answered ${cls}`;
  if (p.expect === 'ok' && status !== 200) return `${p.kind} answered ${cls}`;
  if (p.expect === 'served' && status >= 400 && status < 500 && status !== 429) {
    return `valid request ${p.kind} refused ${cls}`;
  }
  return undefined;
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function readText(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Reads an SSE answer to its end: `[DONE]` (ok), an explicit `{"error":...}` event (the gateway's
 * terminal error, classified by its code), or neither (a silent truncation: a violation).
 */
async function readStream(
  body: AsyncIterable<Buffer>,
  p: Planned,
  ac: AbortController,
): Promise<{ cls: string; violation?: string }> {
  const decoder = new TextDecoder();
  let buffered = '';
  let events = 0;
  let done = false;
  let errorCodeSeen: string | undefined;
  let badEvent: string | undefined;
  const hangUpAfter = p.disconnect && 'afterEvents' in p.disconnect ? p.disconnect.afterEvents : undefined;
  try {
    for await (const chunk of body) {
      buffered += decoder.decode(chunk, { stream: true });
      let at: number;
      while ((at = buffered.indexOf('\n\n')) !== -1) {
        const raw = buffered.slice(0, at);
        buffered = buffered.slice(at + 2);
        const data = raw
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trimStart())
          .join('\n');
        if (!data) continue;
        if (done || errorCodeSeen) badEvent ??= `event after the end: ${data.slice(0, 80)}`;
        if (data === '[DONE]') {
          done = true;
          continue;
        }
        const json = tryJson(data) as { error?: { code?: string }; object?: string } | undefined;
        if (!json) badEvent ??= `unparseable event: ${data.slice(0, 80)}`;
        else if (json.error) errorCodeSeen = json.error.code ?? 'no_code';
        else if (json.object !== 'chat.completion.chunk') badEvent ??= `not a chunk: ${data.slice(0, 80)}`;
        events++;
        if (hangUpAfter !== undefined && events >= hangUpAfter && !done && !errorCodeSeen) {
          ac.abort(new Error('client disconnect'));
          return { cls: 'client_disconnect' };
        }
      }
    }
  } catch (err) {
    if (ac.signal.aborted)
      return { cls: 'stream:client_timeout', violation: 'stream still open at the client timeout' };
    const code = (err as { code?: string }).code ?? 'error';
    return { cls: `stream:net:${code}`, violation: `stream broke without an error event (${code})` };
  }
  if (badEvent) return { cls: 'stream:bad_event', violation: badEvent };
  if (errorCodeSeen) return { cls: `stream:${errorCodeSeen}` };
  if (done) return { cls: 'ok' };
  return { cls: 'stream:truncated', violation: 'stream ended without [DONE] or an error event' };
}
