/**
 * The chat request path against stub deps (no network): what is reserved, settled, leased and
 * reported back to the breakers on the paths that are hard to reach through real upstreams.
 */
import { Readable } from 'node:stream';
import type { UpstreamCall, UpstreamResponse } from '../../functions/ports/upstream';
import { createRouterApp } from '../../functions/router/app';
import type { RouterDeps } from '../../functions/router/deps';
import { compileConfig } from '../../functions/core/config/compile';
import { memoryQuota, type QuotaBooks, reservedMicros } from '../../local/in-memory/memory-quota';
import { stubDeps } from '../../local/in-memory/stub-deps';
import { chatEvent } from '../../local/in-memory/proxy-event';

const chatEventOf = (body: unknown, headers: Record<string, string> = {}) =>
  chatEvent(JSON.stringify(body), headers, 'req-1');

function answer(status: number, body: string, headers: Record<string, string> = {}): UpstreamResponse {
  return { status, headers, body: Readable.from([body]), text: async () => body, discard: () => undefined };
}

/** Upstream that answers per upstream model name; unknown models answer a normal completion. */
function upstreamBy(byModel: Record<string, (call: UpstreamCall) => UpstreamResponse>): RouterDeps['upstream'] {
  const ok = JSON.stringify({
    id: 'x',
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content: 'hi' } }],
    usage: { prompt_tokens: 5, completion_tokens: 1 },
  });
  return {
    send: async (call) => {
      const { model, stream } = JSON.parse(call.body!) as { model: string; stream?: boolean };
      const sse = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'ok' } }] })}\n\ndata: [DONE]\n\n`;
      return (byModel[model] ?? (() => answer(200, stream ? sse : ok)))(call);
    },
  };
}

/** Shared quota that writes down what is taken, settled and given back. */
function books() {
  const { quota, books: log } = memoryQuota();
  const deps: Partial<RouterDeps> = { quota };
  return { log, deps };
}

/** Budget admissions only (the key's own rate/concurrency admissions carry no budget scope). */
const budgetAdmissions = (log: QuotaBooks) =>
  log.admitted.filter((a) => a.needs.some((n) => n.scope.kind === 'budget'));

const messages = [{ role: 'user', content: 'hi' }];
const OFF = { 'x-switchyard-fallback': 'off' };

describe('chat request path: money', () => {
  it('reserves enough for n choices: the settled cost never exceeds the reservation', async () => {
    const { log, deps } = books();
    const usage = { prompt_tokens: 10, completion_tokens: 400 }; // 4 choices x max_tokens 100
    const body = JSON.stringify({
      id: 'x',
      choices: [0, 1, 2, 3].map((index) => ({ index, message: { role: 'assistant', content: 'x' } })),
      usage,
    });
    const app = createRouterApp(stubDeps({ ...deps, upstream: upstreamBy({ 'gpt-4.1': () => answer(200, body) }) }));
    const res = await app(chatEventOf({ model: 'gpt-4.1', messages, n: 4, max_tokens: 100 }, OFF), {});
    expect(res.statusCode).toBe(200);
    await res.afterResponse!();
    expect(log.settled).toHaveLength(1);
    expect(log.settled[0].actual[0]).toBeGreaterThan(0);
    expect(log.settled[0].actual[0]).toBeLessThanOrEqual(reservedMicros(budgetAdmissions(log)[0].needs));
  });

  it('settles an estimate, not zero, when a JSON answer carries no usage', async () => {
    const { log, deps } = books();
    const body = JSON.stringify({
      id: 'x',
      choices: [{ index: 0, message: { role: 'assistant', content: 'a reply of several words that cost money' } }],
    });
    const app = createRouterApp(stubDeps({ ...deps, upstream: upstreamBy({ 'gpt-4.1': () => answer(200, body) }) }));
    const res = await app(chatEventOf({ model: 'gpt-4.1', messages }, OFF), {});
    expect(res.statusCode).toBe(200);
    expect(Number(res.headers['x-switchyard-cost-usd'])).toBeGreaterThan(0);
    await res.afterResponse!();
    expect(log.settled[0].actual[0]).toBeGreaterThan(0);
  });

  it("gives back the failed candidate's hold before holding the next one", async () => {
    const { log, deps } = books();
    const app = createRouterApp(stubDeps({ ...deps, upstream: upstreamBy({ 'gpt-4.1': () => answer(503, '{}') }) }));
    const res = await app(chatEventOf({ model: 'gpt-4.1', messages }), {});
    expect(res.headers['x-switchyard-model']).toBe('deepseek-v3.2');
    await res.afterResponse!();
    expect(budgetAdmissions(log)).toHaveLength(2);
    expect(log.released).toHaveLength(1);
    expect(log.settled).toHaveLength(1);
    expect(log.slots.freed).toBe(log.slots.taken);
  });

  it('refuses with 503 when the shared store is unavailable and the instance holds too little (bounded mode)', async () => {
    const { quota } = memoryQuota((needs) =>
      needs.some((n) => n.scope.kind === 'budget') ? { ok: false, reason: 'unavailable', what: 'budget' } : undefined,
    );
    const app = createRouterApp(stubDeps({ quota }));
    const res = await app(chatEventOf({ model: 'gpt-4.1', messages }), {});
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(String(res.body)).error.code).toBe('shared_state_unavailable');
  });

  it('gives back the lease and the reservation when something throws mid-call', async () => {
    const { log, deps } = books();
    const base = stubDeps();
    const app = createRouterApp(
      stubDeps({
        ...deps,
        breakers: { ...base.breakers, admit: async () => Promise.reject(new Error('bug')) },
      }),
    );
    const res = await app(chatEventOf({ model: 'gpt-4.1', messages }, OFF), {});
    expect(res.statusCode).toBe(500);
    expect(log.slots.freed).toBe(log.slots.taken);
    expect(log.released).toHaveLength(log.admitted.length);
  });
});

describe('chat request path: upstream answers that are not completions', () => {
  it('treats a 2xx whose body is an error as a failed attempt and falls back', async () => {
    const app = createRouterApp(
      stubDeps({
        upstream: upstreamBy({
          'gpt-4.1': () => answer(200, JSON.stringify({ error: { message: 'overloaded', type: 'server_error' } })),
        }),
      }),
    );
    const res = await app(chatEventOf({ model: 'gpt-4.1', messages }), {});
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-switchyard-model']).toBe('deepseek-v3.2');
    expect(res.headers['x-switchyard-attempts']).toBe('gpt-4.1:server_error,gpt-4.1:server_error,deepseek-v3.2:200');
  });

  it('treats a 2xx whose JSON body is not an object as a failed attempt', async () => {
    const app = createRouterApp(stubDeps({ upstream: upstreamBy({ 'gpt-4.1': () => answer(200, '[1,2]') }) }));
    const res = await app(chatEventOf({ model: 'gpt-4.1', messages }, OFF), {});
    expect(res.statusCode).toBe(502);
    expect(JSON.parse(res.body as string).error.type).toBe('upstream_error');
  });

  it('answers 502, not the redirect status, when the upstream redirects', async () => {
    const app = createRouterApp(
      stubDeps({ upstream: upstreamBy({ 'gpt-4.1': () => answer(301, '', { location: 'https://elsewhere' }) }) }),
    );
    const res = await app(chatEventOf({ model: 'gpt-4.1', messages }, OFF), {});
    expect(res.statusCode).toBe(502);
  });
});

describe('chat request path: half-open probes always report back', () => {
  function probeDeps(now: { t: number }, onAdmit: () => void = () => undefined) {
    const calls = { admitted: 0, success: 0, failure: 0, released: 0 };
    const base = stubDeps();
    const breakers: RouterDeps['breakers'] = {
      ...base.breakers,
      admit: async () => {
        calls.admitted++;
        onAdmit();
        return { allowed: true, probe: true, retryAfterMs: 0 };
      },
      onSuccess: async () => void calls.success++,
      onFailure: async () => {
        calls.failure++;
        return true;
      },
      releaseProbe: async () => void calls.released++,
    };
    return { calls, breakers, now: () => now.t };
  }

  it('frees the probe slot without reopening the breaker when the probe gets a 400', async () => {
    const clock = { t: Date.parse('2026-11-23T10:00:00Z') };
    const { calls, breakers, now } = probeDeps(clock);
    const app = createRouterApp(
      stubDeps({
        breakers,
        now,
        upstream: upstreamBy({ 'gpt-4.1': () => answer(400, JSON.stringify({ error: { message: 'bad' } })) }),
      }),
    );
    const res = await app(chatEventOf({ model: 'gpt-4.1', messages }, OFF), {});
    expect(res.statusCode).toBe(400);
    expect(calls.failure).toBe(0);
    expect(calls.released).toBe(1);
  });

  it('frees the probe slot when the deadline passes between admission and the call', async () => {
    const clock = { t: Date.parse('2026-11-23T10:00:00Z') };
    const { calls, breakers, now } = probeDeps(clock, () => (clock.t += 10 * 60_000));
    const app = createRouterApp(stubDeps({ breakers, now }));
    const res = await app(chatEventOf({ model: 'gpt-4.1', messages }, OFF), {});
    expect(res.statusCode).toBe(504);
    expect(calls.admitted).toBe(1);
    expect(calls.success + calls.failure + calls.released).toBe(1);
  });
});

describe('chat request path: streams', () => {
  it('never cuts a committed stream at the request deadline (the deadline bounds the first byte only)', async () => {
    // The deadline is generous for reaching the first byte on a busy machine; the upstream then waits
    // until well past it (a wait that can only get longer under load) before sending the rest.
    const DEADLINE_MS = 500;
    const raw = structuredClone(stubDeps().config.settings) as any;
    raw.gateway.requestDeadlineMs = DEADLINE_MS;
    const { compileConfig } = await import('../../functions/core/config/compile');
    const config = compileConfig(raw);
    const upstream: RouterDeps['upstream'] = {
      send: async (call) => {
        async function* sse() {
          for (let i = 0; i < 6; i++) {
            if (call.signal?.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
            yield `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: `w${i} ` } }] })}\n\n`;
            if (i === 0) await new Promise((r) => setTimeout(r, DEADLINE_MS + 50));
          }
          yield 'data: [DONE]\n\n';
        }
        return { status: 200, headers: {}, body: Readable.from(sse()), text: async () => '', discard: () => undefined };
      },
    };
    const app = createRouterApp(stubDeps({ config, upstream }));
    const res = await app(chatEventOf({ model: 'gpt-4.1', messages, stream: true }, OFF), {});
    expect(res.statusCode).toBe(200);
    let text = '';
    for await (const c of res.body as Readable) text += Buffer.from(c).toString('utf8');
    await res.afterResponse!();
    expect(text).toContain('w5');
    expect(text.trim().endsWith('data: [DONE]')).toBe(true);
  });
});

describe('chat request path: stream failing right after its first event', () => {
  it('still falls back: nothing had reached the client', async () => {
    const broken = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'Hel' } }] })}\n\ndata: {not json\n\n`;
    const app = createRouterApp(stubDeps({ upstream: upstreamBy({ 'gpt-4.1': () => answer(200, broken) }) }));
    const res = await app(chatEventOf({ model: 'gpt-4.1', messages, stream: true }), {});
    let text = '';
    for await (const c of res.body as Readable) text += Buffer.from(c).toString('utf8');
    await res.afterResponse!();
    expect(res.headers['x-switchyard-attempts']).toBe('gpt-4.1:stream_error,deepseek-v3.2:200');
    expect(text).not.toContain('Hel');
  });
});

describe('chat request path: open breakers cost nothing', () => {
  it('skips a model whose breakers are all open before reserving budget or taking a lease, and counts it as a fallback', async () => {
    const { log, deps } = books();
    const summaries: Array<{ fallbacks: number }> = [];
    const open = {
      phase: 'open' as const,
      failures: 5,
      windowStart: 0,
      changedAt: Date.now(),
      probes: 0,
      successes: 0,
      failingKeys: ['key_a', 'key_b'],
    };
    const app = createRouterApp(
      stubDeps({
        ...deps,
        breakers: {
          admit: async (id) =>
            id === 'openai-gpt-4.1'
              ? { allowed: false, probe: false, retryAfterMs: 30_000 }
              : { allowed: true, probe: false, retryAfterMs: 0 },
          onFailure: async () => false,
          onSuccess: async () => undefined,
          releaseProbe: async () => undefined,
          view: (id) => (id === 'openai-gpt-4.1' ? open : { ...open, phase: 'closed' as const }),
        },
        telemetry: { requestDone: (summary) => void summaries.push(summary) },
      }),
    );
    const res = await app(chatEventOf({ model: 'gpt-4.1', messages }), {});
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-switchyard-attempts']).toBe('gpt-4.1:open,deepseek-v3.2:200');
    await res.afterResponse?.();
    // The cutover's fallback-rate alarm relies on this: a skipped model is a candidate passed over.
    expect(summaries.map((x) => x.fallbacks)).toEqual([1]);
    // Only the candidate that was called reserved and leased.
    expect(budgetAdmissions(log)).toHaveLength(1);
    expect(log.slots.taken).toBe(1);
  });
});

describe('chat request path: provider keys that cannot be read', () => {
  it('moves to the next model without blaming the endpoint, and says what failed', async () => {
    let breakerFailures = 0;
    const secrets: RouterDeps['secrets'] = {
      providerKey: async (provider) => {
        if (provider === 'openai') throw new Error('AccessDeniedException: arn:aws:secretsmanager:...:secret:openai');
        return 'sk-other';
      },
    };
    const base = stubDeps();
    const app = createRouterApp(
      stubDeps({ secrets, breakers: { ...base.breakers, onFailure: async () => (breakerFailures++, false) } }),
    );
    const served = await app(chatEventOf({ model: 'gpt-4.1', messages }), {});
    expect(served.statusCode).toBe(200);
    expect(served.headers['x-switchyard-attempts']).toBe('gpt-4.1:credentials_unavailable,deepseek-v3.2:200');
    expect(breakerFailures).toBe(0);

    const refused = await app(chatEventOf({ model: 'gpt-4.1', messages }, OFF), {});
    expect(refused.statusCode).toBe(502);
    const body = JSON.parse(refused.body as string);
    expect(body.error.code).toBe('credentials_unavailable');
    expect(body.error.message).not.toContain('arn:');
  });
});

describe('chat request path: budgets on a concrete model chain', () => {
  it("skips a fallback whose budget is spent and keeps the primary's own failure as the answer", async () => {
    const { quota } = memoryQuota((needs) => {
      const spent = needs.find((n) => n.scope.id === 'model#deepseek-v3.2');
      return spent ? { ok: false, reason: 'refused', scope: spent.scope } : undefined;
    });
    const base = stubDeps();
    const config = compileConfig({
      ...(base.config.settings as object),
      models: base.config.settings.models.map((m) =>
        m.id === 'deepseek-v3.2' ? { ...m, dailyBudgetUsd: 0.000001 } : m,
      ),
    });
    const app = createRouterApp(
      stubDeps({
        quota,
        config,
        upstream: upstreamBy({ 'gpt-4.1': () => answer(503, '{"error":{"message":"overloaded"}}') }),
      }),
    );
    const res = await app(chatEventOf({ model: 'gpt-4.1', messages }), {});
    expect(res.headers['x-switchyard-attempts']).toMatch(
      /^gpt-4\.1:503,.*deepseek-v3\.2:budget,gemini-2\.5-flash:200$/,
    );
    expect(res.statusCode).toBe(200);
  });
});
