/**
 * Finding 4: a stream is committed to only at its first chunk that carries content. An upstream that
 * sends the role chunk (and keep-alives) and then dies falls back invisibly: the client sees one
 * complete, well-formed stream from the fallback model.
 */
import type { LocalGateway } from '../../local/gateway';
import { expectedReply } from '../../local/providers/completion';
import { startTestGateway } from '../helpers/local-gateway';

const MESSAGES = [{ role: 'user', content: 'Tell me about switchyards' }];

async function stream(gw: LocalGateway, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gw.demoKey}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ stream: true, messages: MESSAGES, ...body }),
  });
  const text = await res.text();
  const events = text
    .split('\n\n')
    .map((e) => e.trim())
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice('data: '.length));
  return { res, text, events };
}

describe('streams fall back until the first token', () => {
  let gw: LocalGateway;
  beforeAll(async () => {
    gw = await startTestGateway((c) => {
      c.retry = { maxAttemptsPerModel: 1, baseDelayMs: 0, maxDelayMs: 0 };
    });
  });
  afterAll(() => gw.close());
  beforeEach(() => gw.providers!.clearFaults());

  it('role chunk then drop: the client gets one complete stream from the fallback model', async () => {
    // streamCutAfterChunks: 0 = the role chunk and a keep-alive go out, then the socket is destroyed.
    gw.providers!.setFault({ model: 'gpt-4.1', streamCutAfterChunks: 0, times: 1 });
    const { res, events } = await stream(gw, { model: 'gpt-4.1' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-attempts')).toBe('gpt-4.1:connection,deepseek-v3.2:200');
    expect(res.headers.get('x-switchyard-model')).toBe('deepseek-v3.2');

    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    expect(chunks.some((c) => c.error)).toBe(false);
    // Exactly one role chunk (the fallback's): nothing of the dead stream reached the client.
    expect(chunks.filter((c) => c.choices?.[0]?.delta?.role)).toHaveLength(1);
    expect(new Set(chunks.map((c) => c.model))).toEqual(new Set(['deepseek-chat']));
    const text = chunks.map((c) => c.choices?.[0]?.delta?.content ?? '').join('');
    expect(text).toBe(expectedReply('deepseek-chat', MESSAGES));
  });

  it('without fallback the same failure is an ordinary error answer, not a 200 with an empty stream', async () => {
    gw.providers!.setFault({ model: 'gpt-4.1', streamCutAfterChunks: 0, times: 1 });
    const { res, text } = await stream(gw, { model: 'gpt-4.1' }, { 'x-switchyard-fallback': 'off' });
    expect(res.status).toBe(502);
    expect(JSON.parse(text).error.code).toBe('upstream_error');
  });

  it('a failure after the first content chunk still ends the stream with an explicit error event', async () => {
    gw.providers!.setFault({ model: 'gpt-4.1', streamCutAfterChunks: 1, times: 1 });
    const { res, events } = await stream(gw, { model: 'gpt-4.1' });
    expect(res.status).toBe(200);
    expect(JSON.parse(events.at(-1)!).error.code).toBe('stream_interrupted');
  });
});
