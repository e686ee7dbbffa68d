import OpenAI, { NotFoundError, RateLimitError } from 'openai';
import { encode, encodeChat } from 'gpt-tokenizer';
import { connect } from 'node:net';
import {
  expectedReply,
  startSimulatedProviders,
  startUnacceptingListener,
  type SimulatedProviders,
} from '../../local/providers';
import { type Sleep, sleep as timerSleep } from '../../local/providers/abort';

const messages = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Explain circuit breakers in distributed systems with a short example please' },
];

async function chat(sim: SimulatedProviders, provider: string, body: Record<string, unknown>, signal?: AbortSignal) {
  return fetch(`${sim.baseUrlFor(provider)}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test-openai' },
    body: JSON.stringify(body),
    signal,
  });
}

/** Test assertions walk response bodies freely; fetch types them as unknown. */
const json = (res: Response): Promise<any> => res.json();

/** Reads an SSE body as far as it goes; `error` is set when the connection broke mid-stream. */
async function readEvents(res: Response): Promise<{ events: string[]; error?: unknown }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let error: unknown;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch (err) {
    error = err;
  }
  return { events: text.split('\n\n').filter((e) => e.length > 0), error };
}

function contentOf(events: string[]): string {
  return events
    .filter((e) => e.startsWith('data: {"'))
    .map((e) => JSON.parse(e.slice(6)))
    .map((c) => c.choices[0]?.delta?.content ?? '')
    .join('');
}

describe('simulated providers', () => {
  let sim: SimulatedProviders;
  // Every wait the simulator makes, in ms; `gate` (when set) decides how a wait ends instead of a timer.
  const waits: number[] = [];
  let gate: Sleep | undefined;

  beforeAll(async () => {
    sim = await startSimulatedProviders({
      timeScale: 0.01,
      sleep: (ms, signal) => {
        waits.push(ms);
        return (gate ?? timerSleep)(ms, signal);
      },
    });
  });
  afterAll(() => sim.close());
  afterEach(() => {
    sim.clearFaults();
    sim.resetRequests();
    gate = undefined;
  });

  it('answers a chat completion with real token usage and logs the request', async () => {
    const res = await chat(sim, 'openai', { model: 'gpt-4.1', messages });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
    const body = await json(res);
    expect(body).toMatchObject({ object: 'chat.completion', model: 'gpt-4.1' });
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(typeof body.created).toBe('number');
    const content = body.choices[0].message.content;
    expect(body.choices[0]).toMatchObject({ index: 0, message: { role: 'assistant' }, finish_reason: 'stop' });
    expect(content).toBe(expectedReply('gpt-4.1', messages));
    expect(content.startsWith('[gpt-4.1] ')).toBe(true);
    expect(content).toContain('Explain circuit breakers');
    const promptTokens = encodeChat(messages as Parameters<typeof encodeChat>[0], 'gpt-4o').length;
    const completionTokens = encode(content).length;
    expect(body.usage).toEqual({
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    });

    const [record] = sim.requests();
    expect(record).toMatchObject({
      provider: 'openai',
      model: 'gpt-4.1',
      path: '/openai/v1/chat/completions',
      status: 200,
      authorization: 'Bearer sk-test-openai',
      stream: false,
    });
  });

  it('gives different models different deterministic replies and truncates at max_tokens', async () => {
    expect(expectedReply('deepseek-chat', messages)).not.toBe(expectedReply('gpt-4.1', messages));
    expect(expectedReply('deepseek-chat', messages)).toBe(expectedReply('deepseek-chat', messages));

    const res = await chat(sim, 'deepseek', { model: 'deepseek-chat', messages, max_tokens: 5 });
    const body = await json(res);
    expect(body.choices[0].finish_reason).toBe('length');
    expect(body.choices[0].message.content).toBe(expectedReply('deepseek-chat', messages, 5));
    expect(body.usage.completion_tokens).toBe(5);
  });

  it('works with the official openai SDK, streaming included', async () => {
    const client = new OpenAI({ apiKey: 'sk-sdk', baseURL: sim.baseUrlFor('openai'), maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: 'gpt-4.1', messages: messages as never });
    expect(completion.choices[0].message.content).toBe(expectedReply('gpt-4.1', messages));

    const stream = await client.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: messages as never,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    const chunks = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      text += chunk.choices[0]?.delta?.content ?? '';
    }
    expect(text).toBe(expectedReply('gemini-2.5-flash', messages));
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(chunks[chunks.length - 2].choices[0].finish_reason).toBe('stop');
    const last = chunks[chunks.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({
      prompt_tokens: completion.usage!.prompt_tokens,
      completion_tokens: encode(text).length,
      total_tokens: completion.usage!.prompt_tokens + encode(text).length,
    });
    expect(sim.requests().map((r) => r.authorization)).toEqual(['Bearer sk-sdk', 'Bearer sk-sdk']);

    await expect(
      client.chat.completions.create({ model: 'gpt-9', messages: messages as never }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('streams word chunks with a keep-alive comment and no usage chunk unless asked', async () => {
    const res = await chat(sim, 'anthropic', { model: 'claude-sonnet-4-5', messages, stream: true });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const { events, error } = await readEvents(res);
    expect(error).toBeUndefined();
    expect(events).toContain(': keep-alive');
    expect(events[events.length - 1]).toBe('data: [DONE]');
    const chunks = events.filter((e) => e.startsWith('data: {')).map((e) => JSON.parse(e.slice(6)));
    expect(chunks.every((c) => c.choices.length === 1 && !('usage' in c))).toBe(true);
    expect(chunks.length).toBeGreaterThan(10);
    expect(contentOf(events)).toBe(expectedReply('claude-sonnet-4-5', messages));
    expect(sim.requests()[0]).toMatchObject({ stream: true, status: 200, model: 'claude-sonnet-4-5' });
  });

  it('answers unknown models, bad JSON and missing messages with OpenAI errors', async () => {
    const unknown = await chat(sim, 'openai', { model: 'gpt-9', messages });
    expect(unknown.status).toBe(404);
    expect(await json(unknown)).toEqual({
      error: {
        message: 'The model `gpt-9` does not exist or you do not have access to it.',
        type: 'invalid_request_error',
        param: null,
        code: 'model_not_found',
      },
    });

    const badJson = await fetch(`${sim.baseUrlFor('openai')}/chat/completions`, { method: 'POST', body: '{nope' });
    expect(badJson.status).toBe(400);
    expect((await json(badJson)).error.type).toBe('invalid_request_error');

    const noMessages = await chat(sim, 'openai', { model: 'gpt-4.1' });
    expect(noMessages.status).toBe(400);
    expect((await json(noMessages)).error.param).toBe('messages');
  });

  it('applies status faults with Retry-After for `times` requests, newest first, scoped by provider', async () => {
    sim.setFault({ provider: 'openai', status: 500 });
    sim.setFault({ provider: 'openai', model: 'gpt-4.1', status: 429, retryAfter: '2', times: 2 });

    for (let i = 0; i < 2; i++) {
      const res = await chat(sim, 'openai', { model: 'gpt-4.1', messages });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('2');
      expect((await json(res)).error).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded' });
    }
    // The 429 fault is used up; the older provider-wide 500 is next.
    expect((await chat(sim, 'openai', { model: 'gpt-4.1', messages })).status).toBe(500);
    expect((await chat(sim, 'deepseek', { model: 'deepseek-chat', messages })).status).toBe(200);
    expect(sim.requests().map((r) => r.status)).toEqual([429, 429, 500, 200]);

    const client = new OpenAI({ apiKey: 'sk', baseURL: sim.baseUrlFor('openai'), maxRetries: 0 });
    sim.setFault({ status: 429, times: 1 });
    await expect(
      client.chat.completions.create({ model: 'gpt-4.1', messages: messages as never }),
    ).rejects.toBeInstanceOf(RateLimitError);
  });

  it('delays by latencyMs, unscaled', async () => {
    sim.setFault({ model: 'gemini-2.5-flash', latencyMs: 150, times: 1 });
    waits.length = 0;
    expect((await chat(sim, 'google', { model: 'gemini-2.5-flash', messages })).status).toBe(200);
    // 150 ms as asked, not 1.5 ms at this simulator's time scale; the model's own latency comes after.
    expect(waits[0]).toBe(150);
    expect(Math.max(...waits.slice(1))).toBeLessThan(150);
  });

  it('cuts a stream after N content chunks', async () => {
    sim.setFault({ streamCutAfterChunks: 3 });
    const res = await chat(sim, 'openai', { model: 'gpt-4.1', messages, stream: true });
    expect(res.status).toBe(200);
    const { events, error } = await readEvents(res);
    expect(error).toBeDefined();
    const contentChunks = events.filter(
      (e) => e.startsWith('data: {') && JSON.parse(e.slice(6)).choices[0].delta.content,
    );
    expect(contentChunks).toHaveLength(3);
    expect(events).not.toContain('data: [DONE]');
  });

  it('emits a malformed event mid-stream and carries on', async () => {
    sim.setFault({ malformedAfterChunks: 2 });
    const res = await chat(sim, 'openai', { model: 'gpt-4.1', messages, stream: true });
    const { events, error } = await readEvents(res);
    expect(error).toBeUndefined();
    const bad = events.indexOf('data: {not json');
    expect(bad).toBeGreaterThan(0);
    expect(events.slice(0, bad).filter((e) => e.startsWith('data: {"'))).toHaveLength(3); // role chunk + 2 content
    expect(events[events.length - 1]).toBe('data: [DONE]');
    expect(contentOf(events)).toBe(expectedReply('gpt-4.1', messages));
  });

  it('stalls a stream after N chunks until the client gives up', async () => {
    sim.setFault({ stallAfterChunks: 1, times: 1 });
    const abort = new AbortController();
    const res = await chat(sim, 'openai', { model: 'gpt-4.1', messages, stream: true }, abort.signal);
    setTimeout(() => abort.abort(), 200);
    const { events, error } = await readEvents(res);
    expect(error).toMatchObject({ name: 'AbortError' });
    expect(events.filter((e) => e.startsWith('data: {"'))).toHaveLength(2); // role chunk + 1 content
    expect(events).not.toContain('data: [DONE]');
  });

  it('resets the connection before any response byte', async () => {
    sim.setFault({ model: 'gpt-4.1', reset: true, times: 1 });
    await expect(chat(sim, 'openai', { model: 'gpt-4.1', messages })).rejects.toThrow();
    expect(sim.requests().at(-1)).toMatchObject({ model: 'gpt-4.1', status: 0 });
  });

  it('sends a slow body: the headers at once, the rest after slowBodyMs (unscaled)', async () => {
    // The slow-body wait holds until the test lets it go: the headers must arrive while it holds.
    let release!: () => void;
    const released = new Promise<boolean>((resolve) => {
      release = () => resolve(true);
    });
    gate = (ms, signal) => (ms === 150 ? released : timerSleep(ms, signal));
    sim.setFault({ model: 'gpt-4.1', slowBodyMs: 150 });
    waits.length = 0;
    const res = await chat(sim, 'openai', { model: 'gpt-4.1', messages });
    expect(res.status).toBe(200);
    expect(waits).toContain(150);
    release();
    const body = await json(res);
    expect(body.choices[0].message.content).toBe(expectedReply('gpt-4.1', messages));
    const stream = await readEvents(await chat(sim, 'openai', { model: 'gpt-4.1', messages, stream: true }));
    expect(contentOf(stream.events)).toBe(expectedReply('gpt-4.1', messages));
  });

  it('cuts the body after the headers (bodyCut)', async () => {
    sim.setFault({ model: 'gpt-4.1', bodyCut: true });
    const res = await chat(sim, 'openai', { model: 'gpt-4.1', messages });
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    const stream = await readEvents(await chat(sim, 'openai', { model: 'gpt-4.1', messages, stream: true }));
    expect(stream.events.filter((e) => e.startsWith('data:'))).toEqual([]);
  });

  it('answers 200 with a body that does not parse (malformedBody)', async () => {
    sim.setFault({ model: 'gpt-4.1', malformedBody: true });
    const res = await chat(sim, 'openai', { model: 'gpt-4.1', messages });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const text = await res.text();
    expect(text.startsWith('{"id":"chatcmpl-')).toBe(true);
    expect(() => JSON.parse(text)).toThrow();
    const stream = await readEvents(await chat(sim, 'openai', { model: 'gpt-4.1', messages, stream: true }));
    expect(stream.error).toBeUndefined();
    expect(stream.events).toHaveLength(1);
    expect(() => JSON.parse(stream.events[0].slice('data: '.length))).toThrow();
  });

  it('answers 200 with the wrong content-type (contentType)', async () => {
    sim.setFault({ model: 'gpt-4.1', contentType: 'text/html; charset=utf-8', times: 2 });
    for (const stream of [false, true]) {
      const res = await chat(sim, 'openai', { model: 'gpt-4.1', messages, stream });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await res.text()).toContain('<html>');
    }
    sim.setFault({ model: 'gpt-4.1', contentType: 'application/json', times: 1 });
    const ignored = await chat(sim, 'openai', { model: 'gpt-4.1', messages, stream: true });
    expect((await json(ignored)).object).toBe('chat.completion');
  });

  it('validates the new fault fields', () => {
    expect(() => sim.setFault({ reset: 'yes' } as never)).toThrow(/'reset' must be a boolean/);
    expect(() => sim.setFault({ slowBodyMs: -1 })).toThrow(/'slowBodyMs' must be a non-negative integer/);
    expect(() => sim.setFault({ contentType: 1 } as never)).toThrow(/'contentType' must be a string/);
  });

  it('lists models, including SWITCHYARD_SIM_EXTRA_MODELS, and applies provider faults to /models', async () => {
    process.env.SWITCHYARD_SIM_EXTRA_MODELS = 'gpt-4.1-turbo';
    try {
      const list = await json(await fetch(`${sim.baseUrlFor('openai')}/models`));
      expect(list.object).toBe('list');
      expect(list.data.map((m: { id: string }) => m.id).sort()).toEqual(
        ['claude-sonnet-4-5', 'deepseek-chat', 'gemini-2.5-flash', 'gpt-4.1', 'gpt-4.1-turbo'].sort(),
      );
      expect((await chat(sim, 'openai', { model: 'gpt-4.1-turbo', messages })).status).toBe(200);
    } finally {
      delete process.env.SWITCHYARD_SIM_EXTRA_MODELS;
    }

    sim.setFault({ model: 'gpt-4.1', status: 500 }); // model-only: not a /models fault
    sim.setFault({ provider: 'google', status: 503 });
    expect((await fetch(`${sim.baseUrlFor('openai')}/models`)).status).toBe(200);
    expect((await fetch(`${sim.baseUrlFor('google')}/models`)).status).toBe(503);
    sim.setFault({ provider: 'openai', model: 'gpt-4.1', status: 502 });
    expect((await fetch(`${sim.baseUrlFor('openai')}/models`)).status).toBe(502);
  });

  it('exposes fault admin over HTTP', async () => {
    const created = await fetch(`${sim.url}/_admin/faults`, {
      method: 'POST',
      body: JSON.stringify({ provider: 'deepseek', status: 503, times: 1 }),
    });
    expect((await json(created)).id).toEqual(expect.any(String));
    expect((await chat(sim, 'deepseek', { model: 'deepseek-chat', messages })).status).toBe(503);

    const invalid = await fetch(`${sim.url}/_admin/faults`, { method: 'POST', body: JSON.stringify({ status: 'x' }) });
    expect(invalid.status).toBe(400);

    await fetch(`${sim.url}/_admin/faults`, { method: 'POST', body: JSON.stringify({ status: 500 }) });
    expect((await fetch(`${sim.url}/_admin/faults`, { method: 'DELETE' })).status).toBe(204);
    expect((await chat(sim, 'deepseek', { model: 'deepseek-chat', messages })).status).toBe(200);

    const log = await json(await fetch(`${sim.url}/_admin/requests`));
    expect(log.map((r: { status: number }) => r.status)).toEqual([503, 200]);
  });
});

describe('simulated providers close()', () => {
  it('releases hanging requests and open streams', async () => {
    const sim = await startSimulatedProviders({ timeScale: 0.01 });
    sim.setFault({ model: 'gpt-4.1', hang: true });
    sim.setFault({ model: 'deepseek-chat', stallAfterChunks: 0 });
    const hanging = chat(sim, 'openai', { model: 'gpt-4.1', messages });
    const stalled = await chat(sim, 'deepseek', { model: 'deepseek-chat', messages, stream: true });
    const reading = readEvents(stalled);
    while (sim.requests().length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(sim.requests().find((r) => r.model === 'gpt-4.1')?.status).toBe(0);

    // Released at close, not at some timeout: a request still hanging would hold this test until jest's.
    await sim.close();
    await expect(hanging).rejects.toThrow();
    expect((await reading).error).toBeDefined();
  });
});

describe('unaccepting listener (connect timeouts on loopback)', () => {
  it('takes no new connection: a connect attempt stays pending until the client gives up', async () => {
    const listener = await startUnacceptingListener();
    try {
      expect(listener.url).toBe(`http://127.0.0.1:${listener.port}`);
      const outcome = await new Promise<string>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port: listener.port });
        const timer = setTimeout(() => {
          socket.destroy();
          resolve('pending');
        }, 300);
        const settle = (result: string) => {
          clearTimeout(timer);
          socket.destroy();
          resolve(result);
        };
        socket.once('connect', () => settle('connected'));
        socket.once('error', (e) => settle(`error ${String(e)}`));
      });
      expect(outcome).toBe('pending');
    } finally {
      await listener.close();
    }
  });
});
