/** The chat executor opens one tracing span per upstream attempt, with the route, attempt and fallback. */
import { Readable } from 'node:stream';
import { createRouterApp } from '../../functions/router/app';
import type { RouterDeps } from '../../functions/router/deps';
import type { AttemptAttributes, AttemptResult, Tracing } from '../../functions/ports/tracing';
import { chatEvent } from '../../local/in-memory/proxy-event';
import { stubDeps } from '../../local/in-memory/stub-deps';

describe('tracing in the chat executor', () => {
  it('one span per upstream attempt: the failed gpt-4.1 tries, then the fallback that answered', async () => {
    const spans: Array<{ attrs: AttemptAttributes; result?: AttemptResult }> = [];
    const tracing: Tracing = {
      startAttempt(attrs) {
        const span: { attrs: AttemptAttributes; result?: AttemptResult } = { attrs };
        spans.push(span);
        return { end: (result) => void (span.result = result) };
      },
      requestDone: () => undefined,
    };
    const ok = JSON.stringify({
      id: 'x',
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: 'hi' } }],
      usage: { prompt_tokens: 5, completion_tokens: 1 },
    });
    const upstream: RouterDeps['upstream'] = {
      send: async (call) => {
        const { model } = JSON.parse(call.body!) as { model: string };
        const body = model === 'gpt-4.1' ? '{}' : ok;
        return {
          status: model === 'gpt-4.1' ? 503 : 200,
          headers: {},
          body: Readable.from([body]),
          text: async () => body,
          discard: () => undefined,
        };
      },
    };
    const app = createRouterApp(stubDeps({ upstream, tracing }));
    const res = await app(
      chatEvent(
        JSON.stringify({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }], max_tokens: 9 }),
        {},
        'r',
      ),
      {},
    );
    expect(res.statusCode).toBe(200);
    const answeredBy = res.headers['x-switchyard-model'];
    expect(answeredBy).not.toBe('gpt-4.1');
    expect(spans.length).toBeGreaterThanOrEqual(2);
    const failed = spans.filter((s) => s.attrs.model === 'gpt-4.1');
    expect(failed.length).toBeGreaterThan(0);
    for (const s of failed) expect(s.result).toEqual({ ok: false, outcome: 503 });
    const last = spans[spans.length - 1];
    expect(last.attrs).toMatchObject({
      model: answeredBy,
      fallback: true,
      operation: 'chat',
      route: null,
      maxTokens: 9,
    });
    expect(last.result).toEqual({ ok: true, outcome: 200 });
    expect(spans.map((s) => s.attrs.attempt)).toEqual(spans.map((_, i) => i + 1));
    expect(spans[0].attrs.fallback).toBe(false);
  });
});
