/**
 * Finding 2: a key's allow-list applies to every candidate the gateway may try (fallbacks,
 * capability substitutions, routes, variants, `replaces`), not only to the name the client sent.
 * Also finding 7's budget factor: the key's factor is a ceiling the client cannot raise.
 */
import type { LocalGateway } from '../../local/gateway';
import { hi, post } from '../helpers/local-gateway';
import { bearer, tenantKey, useOneAttemptGateway } from './tenant-helpers';

const IMAGE = {
  model: 'deepseek-v3.2',
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'what is in this picture?' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
      ],
    },
  ],
};

const chatCalls = (gw: LocalGateway) => gw.providers!.requests().filter((r) => r.path.endsWith('/chat/completions'));

describe("a key's allow-list holds for every candidate", () => {
  let gw: LocalGateway;
  useOneAttemptGateway((g) => (gw = g));

  it('an image on a deepseek-only key is refused, not answered by a vision fallback', async () => {
    const { key } = await tenantKey(gw, { allowedModels: ['deepseek-v3.2'] });
    const r = await post(gw, '/v1/chat/completions', IMAGE, bearer(key));
    expect(r.status).toBe(403);
    expect(r.json.error).toMatchObject({ type: 'permission_error', code: 'model_not_allowed', param: 'model' });
    expect(r.json.error.message).toContain('deepseek-v3.2: capability');
    expect(chatCalls(gw)).toHaveLength(0);
  });

  it('a gemini-only key is not served by deepseek when gemini fails', async () => {
    const { key } = await tenantKey(gw, { allowedModels: ['gemini-2.5-flash'] });
    gw.providers!.setFault({ model: 'gemini-2.5-flash', status: 503 });
    const r = await post(gw, '/v1/chat/completions', hi('gemini-2.5-flash'), bearer(key));
    expect(r.status).toBe(502);
    expect(r.headers.get('x-switchyard-attempts')).toBe('gemini-2.5-flash:503');
    expect(chatCalls(gw).map((c) => c.model)).toEqual(['gemini-2.5-flash']);
  });

  it('a route on the list allows its models through the route only; nothing else', async () => {
    const { key } = await tenantKey(gw, { allowedModels: ['chat-default'] });
    gw.providers!.setFault({ model: 'gemini-2.5-flash', status: 503, times: 1 });
    const viaRoute = await post(gw, '/v1/chat/completions', hi('chat-default'), bearer(key));
    expect(viaRoute.status).toBe(200);
    expect(viaRoute.headers.get('x-switchyard-attempts')).toBe('gemini-2.5-flash:503,deepseek-v3.2:200');
    const byName = await post(gw, '/v1/chat/completions', hi('gemini-2.5-flash'), bearer(key));
    expect([byName.status, byName.json.error.code]).toEqual([403, 'model_not_allowed']);
    const other = await post(gw, '/v1/chat/completions', hi('claude-sonnet-4.5'), bearer(key));
    expect([other.status, other.json.error.code]).toEqual([403, 'model_not_allowed']);
    const otherRoute = await post(gw, '/v1/chat/completions', hi('auto'), bearer(key));
    expect(otherRoute.status).toBe(403);
  });

  it("a listed model's configured fallbacks are not tried unless listed too", async () => {
    // gpt-4.1 alone: its configured fallbacks (deepseek, gemini) are not on the list.
    const { key } = await tenantKey(gw, { allowedModels: ['gpt-4.1'] });
    gw.providers!.setFault({ model: 'gpt-4.1', status: 503 });
    const r = await post(gw, '/v1/chat/completions', hi('gpt-4.1'), bearer(key));
    expect(r.status).toBe(502);
    expect(new Set(chatCalls(gw).map((c) => c.model))).toEqual(new Set(['gpt-4.1']));
  });

  it("the key's budget factor is a ceiling: x-budget-factor cannot raise it", async () => {
    // chat-default at factor 0.2 (<= lowFactor) tries the cheapest model first: deepseek-v3.2.
    const { key } = await tenantKey(gw, { defaultBudgetFactor: 0.2 });
    const r = await post(gw, '/v1/chat/completions', hi('auto'), { ...bearer(key), 'x-budget-factor': '1' });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-switchyard-model')).toBe('deepseek-v3.2');
    // Without the key's factor, factor 1 keeps auto's order (gpt-4.1 first).
    const free = await post(gw, '/v1/chat/completions', hi('auto'), { 'x-budget-factor': '1' });
    expect(free.headers.get('x-switchyard-model')).toBe('gpt-4.1');
  });
});
