/**
 * The SSE relay on its own: races between the first event, commit and late failures, and the
 * byte-level details of what is relayed (UTF-8 split across chunks, multi-line data, error events).
 */
import { SseRelay } from '../../functions/router/chat/sse-relay';

/** An upstream body that yields the given chunks, then ends (or throws `failWith`). */
async function* upstream(chunks: Array<string | Buffer>, failWith?: Error): AsyncGenerator<string | Buffer> {
  for (const c of chunks) {
    yield c;
    await new Promise((r) => setImmediate(r));
  }
  if (failWith) throw failWith;
}

/** Reads the client's body to its end, failing (instead of hanging) after `ms`. */
async function readAll(relay: SseRelay, ms = 10_000): Promise<string> {
  let text = '';
  const reading = (async () => {
    for await (const c of relay.body) text += Buffer.from(c).toString('utf8');
    return text;
  })();
  const timeout = new Promise<string>((_, reject) =>
    setTimeout(() => reject(new Error(`client stream never ended; got: ${JSON.stringify(text)}`)), ms).unref(),
  );
  return Promise.race([reading, timeout]);
}

const chunk = (content: string) => JSON.stringify({ choices: [{ index: 0, delta: { content } }] });
const events = (body: string) =>
  body
    .trim()
    .split('\n\n')
    .map((e) => e.replace(/^data: /, ''));

describe('SseRelay', () => {
  it('ends the client stream with an error event when the upstream fails between the first event and commit', async () => {
    // One TCP chunk: a valid first event, then garbage. firstEvent() resolves ok, then the failure lands before commit().
    const relay = new SseRelay(upstream([`data: ${chunk('Hel')}\n\ndata: {not json\n\n`]), () => undefined, false);
    expect(await relay.firstEvent()).toEqual({ ok: true });
    await new Promise((r) => setImmediate(r));
    relay.commit();
    const body = await readAll(relay);
    const ev = events(body);
    expect(JSON.parse(ev[0]).choices[0].delta.content).toBe('Hel');
    expect(JSON.parse(ev[ev.length - 1]).error.code).toBe('stream_malformed');
    expect(body).not.toContain('[DONE]');
    expect((await relay.done).error?.code).toBe('stream_malformed');
  });

  it('ends the client stream when the connection is cut between the first event and commit', async () => {
    const relay = new SseRelay(
      upstream([`data: ${chunk('Hel')}\n\n`], new Error('socket hang up')),
      () => undefined,
      false,
    );
    expect(await relay.firstEvent()).toEqual({ ok: true });
    await new Promise((r) => setTimeout(r, 10));
    relay.commit();
    const ev = events(await readAll(relay));
    expect(JSON.parse(ev[ev.length - 1]).error.code).toBe('stream_interrupted');
  });

  it('treats a connection error after [DONE] as a complete stream, committed late or not', async () => {
    const relay = new SseRelay(
      upstream([`data: ${chunk('Hi')}\n\ndata: [DONE]\n\n`], new Error('ECONNRESET')),
      () => undefined,
      false,
    );
    expect(await relay.firstEvent()).toEqual({ ok: true });
    await new Promise((r) => setTimeout(r, 10));
    relay.commit();
    const body = await readAll(relay);
    expect(body.trim().endsWith('data: [DONE]')).toBe(true);
    const outcome = await relay.done;
    expect(outcome.completed).toBe(true);
    expect(outcome.error).toBeUndefined();
  });

  it('decodes UTF-8 characters split across upstream chunks', async () => {
    const bytes = Buffer.from(`data: ${chunk('要約')}\n\ndata: [DONE]\n\n`, 'utf8');
    const cut = bytes.indexOf(Buffer.from('約', 'utf8')) + 1; // in the middle of a 3-byte character
    const relay = new SseRelay(upstream([bytes.subarray(0, cut), bytes.subarray(cut)]), () => undefined, false);
    expect(await relay.firstEvent()).toEqual({ ok: true });
    relay.commit();
    const body = await readAll(relay);
    expect(JSON.parse(events(body)[0]).choices[0].delta.content).toBe('要約');
    expect((await relay.done).text).toBe('要約');
  });

  it('relays a multi-line data event as valid SSE (every line prefixed with data:)', async () => {
    const relay = new SseRelay(
      upstream([`data: {"choices":[{"index":0,\ndata: "delta":{"content":"x"}}]}\n\ndata: [DONE]\n\n`]),
      () => undefined,
      false,
    );
    expect(await relay.firstEvent()).toEqual({ ok: true });
    relay.commit();
    const body = await readAll(relay);
    for (const line of body.split('\n')) expect(line === '' || line.startsWith('data: ')).toBe(true);
  });

  it('turns an `event: error` event into an explicit error, not a content chunk', async () => {
    const relay = new SseRelay(
      upstream([`data: ${chunk('a')}\n\nevent: error\ndata: {"message":"overloaded"}\n\n`]),
      () => undefined,
      false,
    );
    expect(await relay.firstEvent()).toEqual({ ok: true });
    relay.commit();
    const ev = events(await readAll(relay));
    expect(JSON.parse(ev[ev.length - 1]).error).toMatchObject({ code: 'upstream_stream_error' });
    expect(JSON.parse(ev[ev.length - 1]).error.message).toContain('overloaded');
  });

  it('drops named events other than error (they are no chunks; the SDK would hand them to user code)', async () => {
    const relay = new SseRelay(
      upstream([
        `event: ping\ndata: {}\n\ndata: ${chunk('a')}\n\nevent: message\ndata: ${chunk('b')}\n\ndata: [DONE]\n\n`,
      ]),
      () => undefined,
      false,
    );
    expect(await relay.firstEvent()).toEqual({ ok: true });
    relay.commit();
    const ev = events(await readAll(relay));
    expect(ev).toEqual([chunk('a'), chunk('b'), '[DONE]']);
  });

  it('fails over (before commit) on a data event that is JSON but not an object', async () => {
    const relay = new SseRelay(upstream(['data: 42\n\n']), () => undefined, false);
    expect(await relay.firstEvent()).toMatchObject({ ok: false, failure: 'stream_error' });
  });

  it('fails over as a server error (not a connection failure) on a 2xx body that is no event stream', async () => {
    // An HTML error page from a proxy, or a JSON body from an upstream that ignored `stream: true`: it
    // ends cleanly without a single event. A socket error before any event stays a connection failure.
    const html = new SseRelay(
      upstream(['<html><body><h1>502 Bad Gateway</h1></body></html>\n']),
      () => undefined,
      false,
    );
    expect(await html.firstEvent()).toMatchObject({ ok: false, failure: 'server_error' });
    const json = new SseRelay(
      upstream([JSON.stringify({ id: 'x', object: 'chat.completion', choices: [] })]),
      () => undefined,
      false,
    );
    expect(await json.firstEvent()).toMatchObject({ ok: false, failure: 'server_error' });
    const cut = new SseRelay(upstream([': keep-alive\n\n'], new Error('other side closed')), () => undefined, false);
    expect(await cut.firstEvent()).toMatchObject({ ok: false, failure: 'connection' });
  });

  it('keeps the text of every choice and of tool-call arguments (the estimate when a stream is cut)', async () => {
    const two = JSON.stringify({
      choices: [
        { index: 0, delta: { content: 'one ' } },
        { index: 1, delta: { content: 'two ' } },
      ],
    });
    const tool = JSON.stringify({
      choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"city":"Paris"}' } }] } }],
    });
    // Reasoning (DeepSeek's reasoner, Claude's thinking on Bedrock) is billed output as well.
    const reasoning = JSON.stringify({ choices: [{ index: 0, delta: { reasoning_content: 'hmm ' } }] });
    const relay = new SseRelay(
      upstream([`data: ${reasoning}\n\ndata: ${two}\n\ndata: ${tool}\n\n`], new Error('cut')),
      () => undefined,
      false,
    );
    expect(await relay.firstEvent()).toEqual({ ok: true });
    relay.commit();
    await readAll(relay);
    expect((await relay.done).text).toBe('hmm one two {"city":"Paris"}');
  });

  it('keeps a usage chunk without `choices` from a client that did not ask for usage', async () => {
    const usage = JSON.stringify({ id: 'x', usage: { prompt_tokens: 3, completion_tokens: 2 } });
    const relay = new SseRelay(
      upstream([`data: ${chunk('a')}\n\ndata: ${usage}\n\ndata: [DONE]\n\n`]),
      () => undefined,
      false,
    );
    expect(await relay.firstEvent()).toEqual({ ok: true });
    relay.commit();
    const body = await readAll(relay);
    expect(body).not.toContain('prompt_tokens');
    expect((await relay.done).usage).toEqual({ promptTokens: 3, completionTokens: 2 });
  });
});

describe('SseRelay at the end of the upstream body', () => {
  it('completes a stream whose final `data: [DONE]` has no closing blank line', async () => {
    const relay = new SseRelay(upstream([`data: ${chunk('Hi')}\n\ndata: [DONE]`]), () => undefined, false);
    expect(await relay.firstEvent()).toEqual({ ok: true });
    relay.commit();
    const body = await readAll(relay);
    expect(body.trim().endsWith('data: [DONE]')).toBe(true);
    expect((await relay.done).completed).toBe(true);
  });

  describe('commits only at the first chunk that carries content', () => {
    const role = JSON.stringify({ choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] });
    const empty = JSON.stringify({ choices: [{ index: 0, delta: {} }] });

    it('a role chunk, an empty delta and a keep-alive, then a cut: a failure before commit (falls back)', async () => {
      const relay = new SseRelay(
        upstream([`data: ${role}\n\n: keep-alive\n\ndata: ${empty}\n\n`], new Error('socket hang up')),
        () => undefined,
        false,
      );
      expect(await relay.firstEvent()).toEqual({ ok: false, failure: 'connection', message: expect.any(String) });
    });

    it('held-back chunks are relayed in order once content arrives', async () => {
      const relay = new SseRelay(
        upstream([`data: ${role}\n\n`, `data: ${empty}\n\n`, `data: ${chunk('Hi')}\n\n`, 'data: [DONE]\n\n']),
        () => undefined,
        false,
      );
      expect(await relay.firstEvent()).toEqual({ ok: true });
      relay.commit();
      expect(events(await readAll(relay))).toEqual([role, empty, chunk('Hi'), '[DONE]']);
    });

    it('a tool call, a refusal or a finish reason counts as content; a whole empty answer commits', async () => {
      const tool = JSON.stringify({ choices: [{ delta: { tool_calls: [{ index: 0, function: { name: 'f' } }] } }] });
      const refusal = JSON.stringify({ choices: [{ delta: { refusal: 'no' } }] });
      const finish = JSON.stringify({ choices: [{ delta: {}, finish_reason: 'stop' }] });
      for (const first of [tool, refusal, finish]) {
        const relay = new SseRelay(upstream([`data: ${role}\n\ndata: ${first}\n\n`]), () => undefined, false);
        expect(await relay.firstEvent()).toEqual({ ok: true });
        relay.abandon();
      }
      const whole = new SseRelay(upstream([`data: ${role}\n\ndata: [DONE]\n\n`]), () => undefined, false);
      expect(await whole.firstEvent()).toEqual({ ok: true });
      whole.commit();
      expect(events(await readAll(whole))).toEqual([role, '[DONE]']);
    });
  });

  it('fails the stream once the upstream sends more than maxBytes, before or after commit', async () => {
    const big = `data: ${chunk('x'.repeat(600))}\n\n`;
    const before = new SseRelay(upstream([big + big]), () => undefined, false, 1_000);
    expect(await before.firstEvent()).toEqual({ ok: false, failure: 'too_large', message: expect.any(String) });

    const after = new SseRelay(upstream([big, big]), () => undefined, false, 1_000);
    const first = after.firstEvent();
    expect(await first).toEqual({ ok: true });
    after.commit();
    const ev = events(await readAll(after));
    expect(JSON.parse(ev[ev.length - 1]).error.code).toBe('upstream_response_too_large');
  });
});
