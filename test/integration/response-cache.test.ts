/**
 * The exact-match response cache through the local runtime (emulator, authorizer, router, dynalite,
 * simulated providers): a hit makes no upstream call and spends nothing, keys never share entries
 * unless the route says so, skip and refresh do what they say, TTLs hold by an injected clock, and
 * /v1/stats shows hits, misses and savings per route and key.
 */
import { Readable } from 'node:stream';
import { generateApiKey } from '../../functions/core/keys';
import type { LocalGateway } from '../../local/gateway';
import type { DayStats } from '../../functions/core/stats/stats-report';
import { type ConfigEdit, eventually, get, post, type Reply, startTestGateway } from '../helpers/local-gateway';
import { budgetRow, usageRow } from '../helpers/quota-report';
import { cacheEntries, upstreamCalls } from '../helpers/response-cache';

const configure: ConfigEdit = (c) => {
  // A busy test machine must not turn an expected hit into a timed-out lookup.
  c.cache = { lookupTimeoutMs: 5_000 };
  c.routes['chat-default'].cache = { ttlSeconds: 600 };
  c.routes.faq = { intents: { general: ['gemini-2.5-flash'] }, cache: { scope: 'shared' } };
  c.routes.stories = { intents: { general: ['deepseek-v3.2'] }, cache: { sampled: true } };
  c.routes.private = { intents: { general: ['gemini-2.5-flash'] }, cache: { enabled: false } };
};

let n = 0;
/** A question no other test asks: entries never leak between cases. */
const ask = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  temperature: 0,
  messages: [{ role: 'user', content: `Question ${++n} about ${model}: how do caches help?` }],
  ...extra,
});

const micros = (r: Reply, header: string) => Math.round(Number(r.headers.get(header)) * 1e6);

describe('response cache', () => {
  let gw: LocalGateway;
  /** Moves the router's clock (cache entries' ages and expiry) without waiting. */
  const clock = { offset: 0 };
  const chat = (body: unknown, headers: Record<string, string> = {}) => post(gw, '/v1/chat/completions', body, headers);
  /** Waits until the after-response write of a miss has landed (stores are not on the client's path). */
  const stored = async (count: number) =>
    eventually(async () => expect((await cacheEntries(gw)).length).toBe(count), 5_000);

  beforeAll(async () => {
    gw = await startTestGateway(configure);
    const router = gw.newRouterInstance({ now: () => Date.now() + clock.offset });
    gw.setTargetSelector(() => ({ handler: router.handler, version: '1' }));
  });
  afterAll(() => gw.close());
  beforeEach(() => {
    clock.offset = 0;
  });

  async function newKey(fields: Record<string, unknown> = {}) {
    const secret = generateApiKey();
    const record = await gw.keys.create(secret, { name: `tenant ${++n}`, admin: false, ...fields });
    return { secret, keyId: record.keyId, auth: { authorization: `Bearer ${secret}` } };
  }

  it('answers a repeated request from the cache: no upstream call, no spend, the same body', async () => {
    const body = ask('chat-default');
    const entries = (await cacheEntries(gw)).length;
    const first = await chat(body);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-switchyard-cache')).toBe('miss');
    await stored(entries + 1);
    const route = await eventually(async () => {
      const row = await usageRow(gw, 'route#chat-default');
      expect(row?.cacheMisses).toBeGreaterThan(0);
      return row!;
    });
    const globalBefore = await budgetRow(gw, 'global');
    const calls = upstreamCalls(gw);

    const second = await chat(body);
    expect(second.status).toBe(200);
    expect(second.headers.get('x-switchyard-cache')).toBe('hit');
    expect(second.text).toBe(first.text);
    expect(second.headers.get('x-switchyard-model')).toBe(first.headers.get('x-switchyard-model'));
    expect(second.headers.get('x-switchyard-cost-usd')).toBe('0.000000');
    expect(micros(second, 'x-switchyard-cache-saved-usd')).toBe(micros(first, 'x-switchyard-cost-usd'));
    expect(micros(first, 'x-switchyard-cost-usd')).toBeGreaterThan(0);
    expect(upstreamCalls(gw)).toBe(calls);

    // Counted for the route (a request, a hit, what it saved) and nothing spent anywhere.
    const after = await eventually(async () => {
      const row = await usageRow(gw, 'route#chat-default');
      expect(row?.cacheHits).toBe((route.cacheHits ?? 0) + 1);
      return row!;
    });
    expect(after.requests).toBe(route.requests + 1);
    expect(after.costMicros).toBe(route.costMicros);
    expect(after.promptTokens).toBe(route.promptTokens);
    expect(after.savedMicros).toBe((route.savedMicros ?? 0) + micros(first, 'x-switchyard-cost-usd'));
    const globalAfter = await budgetRow(gw, 'global');
    expect(globalAfter?.spentMicros).toBe(globalBefore?.spentMicros);
  });

  it('takes no rate-limit or concurrency quota: a key out of RPM still gets its hits', async () => {
    const key = await newKey({ rpm: 1 });
    const body = ask('chat-default');
    const entries = (await cacheEntries(gw)).length;
    expect((await chat(body, key.auth)).headers.get('x-switchyard-cache')).toBe('miss');
    await stored(entries + 1);
    const hit = await chat(body, key.auth);
    expect(hit.status).toBe(200);
    expect(hit.headers.get('x-switchyard-cache')).toBe('hit');
    // The key's one request per minute is spent: anything that needs the upstream is refused.
    expect((await chat(ask('chat-default'), key.auth)).status).toBe(429);
  });

  it('never shares an entry between two keys unless the route says shared', async () => {
    const a = await newKey();
    const b = await newKey();
    for (const [model, shared] of [
      ['chat-default', false],
      ['faq', true],
    ] as const) {
      const body = ask(model);
      const entries = (await cacheEntries(gw)).length;
      expect((await chat(body, a.auth)).headers.get('x-switchyard-cache')).toBe('miss');
      await stored(entries + 1);
      expect((await chat(body, a.auth)).headers.get('x-switchyard-cache')).toBe('hit');
      const calls = upstreamCalls(gw);
      const other = await chat(body, b.auth);
      expect(other.status).toBe(200);
      expect(other.headers.get('x-switchyard-cache')).toBe(shared ? 'hit' : 'miss');
      expect(upstreamCalls(gw)).toBe(shared ? calls : calls + 1);
      // The other key's miss stores its own entry after its response: wait for it, or the next
      // round's count would start before it lands.
      await stored(shared ? entries + 1 : entries + 2);
    }
    const scopes = (await cacheEntries(gw)).map((e) => e.scope);
    expect(scopes).toEqual(expect.arrayContaining([`key#${a.keyId}`, `key#${b.keyId}`, 'shared#faq']));
  });

  it('skip goes upstream and stores nothing; refresh goes upstream and replaces the entry', async () => {
    const body = ask('chat-default');
    const entries = (await cacheEntries(gw)).length;
    const calls = upstreamCalls(gw);
    const skipped = await chat(body, { 'x-switchyard-cache': 'skip' });
    expect(skipped.status).toBe(200);
    expect(skipped.headers.get('x-switchyard-cache')).toBe('skip');
    expect(skipped.headers.get('x-switchyard-cache-reason')).toBe('client');
    expect(upstreamCalls(gw)).toBe(calls + 1);
    // Nothing was stored by the skip: the next request misses and stores.
    expect((await chat(body)).headers.get('x-switchyard-cache')).toBe('miss');
    await stored(entries + 1);

    clock.offset = 30_000;
    const refreshed = await chat(body, { 'x-switchyard-cache': 'refresh' });
    expect(refreshed.headers.get('x-switchyard-cache')).toBe('refresh');
    expect(upstreamCalls(gw)).toBe(calls + 3);
    const refreshedAt = Date.now() + clock.offset - 1_000;
    await eventually(async () => expect((await cacheEntries(gw)).some((e) => e.createdAt >= refreshedAt)).toBe(true));

    clock.offset = 40_000;
    const hit = await chat(body);
    expect(hit.headers.get('x-switchyard-cache')).toBe('hit');
    // Stored again 10 s ago, not 40 s ago.
    expect(Number(hit.headers.get('x-switchyard-cache-age'))).toBeLessThan(20);
    expect(upstreamCalls(gw)).toBe(calls + 3);
  });

  it('honours the TTL by its own clock (dynalite never expires items)', async () => {
    const body = ask('auto');
    const headers = { 'x-switchyard-cache': 'use', 'x-switchyard-cache-ttl': '5' };
    const entries = (await cacheEntries(gw)).length;
    expect((await chat(body, headers)).headers.get('x-switchyard-cache')).toBe('miss');
    await stored(entries + 1);
    clock.offset = 3_000;
    expect((await chat(body, headers)).headers.get('x-switchyard-cache')).toBe('hit');
    const calls = upstreamCalls(gw);
    clock.offset = 7_000;
    const expired = await chat(body, headers);
    expect(expired.status).toBe(200);
    expect(expired.headers.get('x-switchyard-cache')).toBe('miss');
    expect(upstreamCalls(gw)).toBe(calls + 1);
  });

  it('caches sampled requests only where the config says so', async () => {
    const unset = ask('chat-default', { temperature: undefined });
    for (let i = 0; i < 2; i++) {
      const r = await chat(unset);
      expect(r.headers.get('x-switchyard-cache')).toBe('skip');
      expect(r.headers.get('x-switchyard-cache-reason')).toBe('sampled');
    }
    const warm = ask('stories', { temperature: 0.9 });
    const entries = (await cacheEntries(gw)).length;
    expect((await chat(warm)).headers.get('x-switchyard-cache')).toBe('miss');
    await stored(entries + 1);
    expect((await chat(warm)).headers.get('x-switchyard-cache')).toBe('hit');
  });

  it('leaves a request alone when nobody asked, and refuses to cache a route that forbids it', async () => {
    const plain = await chat(ask('auto'));
    expect(plain.status).toBe(200);
    expect(plain.headers.get('x-switchyard-cache')).toBeNull();
    const forbidden = await chat(ask('private'), { 'x-switchyard-cache': 'use' });
    expect(forbidden.status).toBe(200);
    expect(forbidden.headers.get('x-switchyard-cache')).toBe('skip');
    expect(forbidden.headers.get('x-switchyard-cache-reason')).toBe('route');
  });

  it('answers a malformed cache header with a 400 naming it', async () => {
    const r = await chat(ask('chat-default'), { 'x-switchyard-cache-ttl': 'forever' });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ type: 'invalid_request_error', param: 'x-switchyard-cache-ttl' });
  });

  it('lets a key opt in (cacheTtlSeconds) and another opt out (0) whatever the request asks', async () => {
    const fan = await newKey({ cacheTtlSeconds: 120 });
    const body = ask('auto');
    const entries = (await cacheEntries(gw)).length;
    expect((await chat(body, fan.auth)).headers.get('x-switchyard-cache')).toBe('miss');
    await stored(entries + 1);
    expect((await chat(body, fan.auth)).headers.get('x-switchyard-cache')).toBe('hit');
    // An admin turns it off for that key (the admin API, as the console does): no lookup any more.
    const patched = await fetch(`${gw.url}/v1/admin/keys/${fan.keyId}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${gw.demoKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ cacheTtlSeconds: 0 }),
    });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as { cacheTtlSeconds?: number }).cacheTtlSeconds).toBe(0);
    const off = await chat(body, fan.auth);
    expect(off.status).toBe(200);
    expect(off.headers.get('x-switchyard-cache')).toBeNull();

    const shy = await newKey({ cacheTtlSeconds: 0 });
    const r = await chat(ask('chat-default'), { ...shy.auth, 'x-switchyard-cache': 'use' });
    expect(r.headers.get('x-switchyard-cache')).toBe('skip');
    expect(r.headers.get('x-switchyard-cache-reason')).toBe('key');
    expect((await cacheEntries(gw)).length).toBe(entries + 1);
  });

  it('serves one entry to JSON and streaming clients, and stores a streamed miss once it completed', async () => {
    const body = ask('chat-default');
    const entries = (await cacheEntries(gw)).length;
    const streamed = await chat({ ...body, stream: true });
    expect(streamed.headers.get('x-switchyard-cache')).toBe('miss');
    expect(streamed.text.trim().endsWith('data: [DONE]')).toBe(true);
    await stored(entries + 1);
    const json = await chat(body);
    expect(json.headers.get('x-switchyard-cache')).toBe('hit');
    const streamedText = streamed.text
      .split('\n\n')
      .filter((e) => e.startsWith('data: {'))
      .map((e) => JSON.parse(e.slice(6)).choices[0]?.delta?.content ?? '')
      .join('');
    expect(json.json.choices[0].message.content).toBe(streamedText);
    expect(json.json.usage.completion_tokens).toBeGreaterThan(0);
  });

  it('/v1/messages and /v1/responses share the cache of the chat request they translate into', async () => {
    const messages = {
      model: 'chat-default',
      max_tokens: 200,
      temperature: 0,
      messages: [{ role: 'user', content: `Question ${++n}: what is a cache?` }],
    };
    const entries = (await cacheEntries(gw)).length;
    const first = await post(gw, '/v1/messages', messages);
    expect(first.headers.get('x-switchyard-cache')).toBe('miss');
    await stored(entries + 1);
    const second = await post(gw, '/v1/messages', messages);
    expect(second.status).toBe(200);
    expect(second.headers.get('x-switchyard-cache')).toBe('hit');
    expect(second.json.type).toBe('message');
    expect(second.json.content).toEqual(first.json.content);

    const responses = { model: 'chat-default', temperature: 0, input: `Question ${++n}: why cache?` };
    const r1 = await post(gw, '/v1/responses', responses);
    expect(r1.headers.get('x-switchyard-cache')).toBe('miss');
    await stored(entries + 2);
    const r2 = await post(gw, '/v1/responses', { ...responses, stream: true });
    expect(r2.status).toBe(200);
    expect(r2.headers.get('x-switchyard-cache')).toBe('hit');
    const completed = r2.text
      .split('\n\n')
      .find((e) => e.startsWith('event: response.completed'))!
      .split('\ndata: ')[1];
    expect(JSON.parse(completed).response.output[0].content[0].text).toBe(r1.json.output[0].content[0].text);
  });

  it('shows hits, misses and savings per route and per key in /v1/stats', async () => {
    const key = await newKey();
    const body = ask('faq');
    const entries = (await cacheEntries(gw)).length;
    const miss = await chat(body, key.auth);
    await stored(entries + 1);
    await chat(body, key.auth);
    await chat(body, key.auth);
    const saved = 2 * micros(miss, 'x-switchyard-cost-usd');
    const day = await eventually(async () => {
      const stats = await get(gw, '/v1/stats?days=1');
      expect(stats.status).toBe(200);
      const d: DayStats = stats.json.days[0];
      const k = d.scopes.find((s) => s.scope === `key#${key.keyId}`);
      expect(k).toMatchObject({ requests: 3, cacheHits: 2, cacheMisses: 1, savedMicros: saved });
      return d;
    }, 15_000);
    const scope = (name: string) => day.scopes.find((s) => s.scope === name)!;
    const k = scope(`key#${key.keyId}`);
    expect(k.savedUsd).toBe((saved / 1e6).toFixed(6));
    expect(k.costMicros).toBe(micros(miss, 'x-switchyard-cost-usd'));
    expect(scope('route#faq').cacheHits).toBeGreaterThanOrEqual(2);
    // Hits count in the day's total through their `cached#<model>` row, never as a model's request.
    const cached = scope('cached#gemini-2.5-flash');
    expect(cached.requests).toBe(cached.cacheHits);
    expect(day.total.cacheHits).toBe(
      day.scopes.filter((s) => s.kind === 'cached').reduce((t, s) => t + s.cacheHits, 0),
    );
    expect(day.models.every((m) => m.cacheHits === 0)).toBe(true);
  });
});

describe('response cache size limit', () => {
  let gw: LocalGateway;
  let upstream = 0;
  beforeAll(async () => {
    gw = await startTestGateway((c) => {
      configure(c);
      c.cache = { ...c.cache, maxEntryBytes: 4_096 };
    });
    // An upstream whose answer is larger than the limit (the simulated one answers a few hundred bytes).
    const big = JSON.stringify({
      id: 'chatcmpl-big',
      object: 'chat.completion',
      created: 1,
      model: 'gemini-2.5-flash',
      choices: [{ index: 0, message: { role: 'assistant', content: 'z'.repeat(8_000) }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 10, completion_tokens: 1_000, total_tokens: 1_010 },
    });
    const router = gw.newRouterInstance({
      upstream: {
        send: async () => {
          upstream++;
          return {
            status: 200,
            headers: {},
            body: Readable.from([big]),
            text: async () => big,
            discard: () => undefined,
          };
        },
      },
    });
    gw.setTargetSelector(() => ({ handler: router.handler, version: '1' }));
  });
  afterAll(() => gw.close());

  it('does not cache an answer over the item limit: every request goes upstream, none fails', async () => {
    const body = ask('chat-default');
    for (let i = 0; i < 3; i++) {
      const r = await post(gw, '/v1/chat/completions', body);
      expect(r.status).toBe(200);
      expect(r.headers.get('x-switchyard-cache')).toBe('miss');
      expect(r.json.choices[0].message.content).toHaveLength(8_000);
    }
    expect(upstream).toBe(3);
    expect(await cacheEntries(gw)).toEqual([]);
  });
});
