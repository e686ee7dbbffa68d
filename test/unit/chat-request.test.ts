import { MAX_JSON_DEPTH, parseChatRequest, requestedMaxTokens } from '../../functions/core/openai/chat-request';
import { GatewayError } from '../../functions/core/openai/errors';

function rejection(raw: string | null, limit = 10_000): GatewayError {
  try {
    parseChatRequest(raw, false, limit);
  } catch (e) {
    if (e instanceof GatewayError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

const ok = { model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] };

describe('chat request validation', () => {
  it('passes unknown OpenAI fields through untouched', () => {
    const req = parseChatRequest(
      JSON.stringify({ ...ok, seed: 7, logit_bias: { '50256': -100 }, response_format: { type: 'json_object' } }),
      false,
      10_000,
    );
    expect(req).toMatchObject({ seed: 7, logit_bias: { '50256': -100 }, response_format: { type: 'json_object' } });
  });

  it.each([
    ['{"model":', 400, 'invalid_json', null],
    ['[]', 400, 'invalid_value', 'body'],
    ['{"messages":[{"role":"user","content":"x"}]}', 400, 'invalid_value', 'model'],
    ['{"model":"m","messages":[]}', 400, 'invalid_value', 'messages'],
    ['{"model":"m","messages":[{"role":"robot","content":"x"}]}', 400, 'invalid_value', 'messages[0].role'],
    ['{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":3}', 400, 'invalid_value', 'temperature'],
    ['{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":0}', 400, 'invalid_value', 'max_tokens'],
    ['{"model":"m","messages":[{"role":"user","content":"x"}],"stream":"yes"}', 400, 'invalid_value', 'stream'],
  ])('rejects %s with %d %s naming %s', (raw, status, code, param) => {
    const err = rejection(raw);
    expect(err.status).toBe(status);
    expect(err.code).toBe(code);
    expect(err.param).toBe(param);
    if (param) expect(err.message).toContain(`'${param}'`);
  });

  it('rejects an empty body and an oversized one', () => {
    expect(rejection(null).status).toBe(400);
    expect(rejection(JSON.stringify({ ...ok, pad: 'x'.repeat(200) }), 100).status).toBe(413);
  });

  it('refuses nesting deeper than MAX_JSON_DEPTH (the gateway re-serialises bodies; JSON.stringify overflows at ~10k levels)', () => {
    // The body object is level 1, `meta` adds depth - 1 arrays; brackets inside strings do not count.
    const nested = (depth: number) => '['.repeat(depth - 1) + '"[{\\"]}"' + ']'.repeat(depth - 1);
    expect(
      parseChatRequest(JSON.stringify(ok).replace(/}$/, `,"meta":${nested(MAX_JSON_DEPTH)}}`), false, 1e6).model,
    ).toBe('gpt-4.1');
    for (const depth of [MAX_JSON_DEPTH + 1, 20_000]) {
      const err = rejection(JSON.stringify(ok).replace(/}$/, `,"meta":${nested(depth)}}`), 1e6);
      expect([err.status, err.code, err.param]).toEqual([400, 'invalid_value', 'body']);
    }
  });

  it('decodes base64 bodies', () => {
    const raw = Buffer.from(JSON.stringify(ok)).toString('base64');
    expect(parseChatRequest(raw, true, 10_000).model).toBe('gpt-4.1');
  });

  it('takes the larger of max_completion_tokens and max_tokens (an upstream may honour either)', () => {
    expect(
      requestedMaxTokens(
        parseChatRequest(JSON.stringify({ ...ok, max_tokens: 5, max_completion_tokens: 9 }), false, 10_000),
      ),
    ).toBe(9);
    expect(
      requestedMaxTokens(
        parseChatRequest(JSON.stringify({ ...ok, max_tokens: 8192, max_completion_tokens: 1 }), false, 10_000),
      ),
    ).toBe(8192);
    expect(requestedMaxTokens(parseChatRequest(JSON.stringify({ ...ok, max_tokens: 5 }), false, 10_000))).toBe(5);
  });
});
