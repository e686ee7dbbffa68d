/**
 * Finding 2 with `prefix*` patterns on the allow-list: a key limited to a pattern reaches the models
 * the pattern names and nothing else, whichever path it tries: another model's name, a route, an
 * alias, a fallback when its own model fails, a capability substitution, or another client API
 * (Anthropic Messages, Responses, embeddings). And an alias's own pattern works for chat, as it
 * already did for count_tokens and embeddings.
 */
import type { LocalGateway } from '../../local/gateway';
import { hi, post } from '../helpers/local-gateway';
import { bearer, tenantKey, useOneAttemptGateway } from './tenant-helpers';

const upstreamCalls = (gw: LocalGateway) =>
  gw.providers!.requests().filter((r) => /\/(chat\/completions|embeddings|converse(-stream)?|invoke)$/.test(r.path));
const anthropic = (model: string) => ({ model, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
const refused = (r: { status: number; json: any }) => [r.status, r.json?.error?.code ?? r.json?.error?.type];

describe('an allow-list of patterns holds on every path', () => {
  let gw: LocalGateway;
  useOneAttemptGateway((g) => (gw = g));

  it('a gemini-* key reaches gemini and no other model by name, route or alias', async () => {
    const { key } = await tenantKey(gw, { allowedModels: ['gemini-*'] });
    const ok = await post(gw, '/v1/chat/completions', hi('gemini-2.5-flash'), bearer(key));
    expect([ok.status, ok.headers.get('x-switchyard-model')]).toEqual([200, 'gemini-2.5-flash']);
    gw.providers!.resetRequests();
    const others = [
      'gpt-4.1',
      'deepseek-v3.2',
      'claude-sonnet-4.5',
      'nova-pro',
      // Routes whose chains hold gemini.
      'auto',
      'chat-default',
      // Aliases: of a route holding gemini, and of a model.
      'claude-haiku-4-5-20251001',
      'claude-sonnet-4-5-20250929',
    ];
    for (const model of others) {
      const r = await post(gw, '/v1/chat/completions', hi(model), bearer(key));
      expect([model, r.status, r.json.error.code]).toEqual([model, 403, 'model_not_allowed']);
    }
    expect(upstreamCalls(gw)).toEqual([]);
  });

  it("a gemini-* key is not served by gemini's fallback when gemini fails, streaming or not", async () => {
    const { key } = await tenantKey(gw, { allowedModels: ['gemini-*'] });
    gw.providers!.setFault({ model: 'gemini-2.5-flash', status: 503 });
    const r = await post(gw, '/v1/chat/completions', hi('gemini-2.5-flash'), bearer(key));
    expect([r.status, r.headers.get('x-switchyard-attempts')]).toEqual([502, 'gemini-2.5-flash:503']);
    const s = await post(gw, '/v1/chat/completions', hi('gemini-2.5-flash', { stream: true }), bearer(key));
    expect(s.status).toBe(502);
    expect(new Set(upstreamCalls(gw).map((c) => c.model))).toEqual(new Set(['gemini-2.5-flash']));
  });

  it('a deepseek* key sending an image is refused, not answered by a vision model', async () => {
    const { key } = await tenantKey(gw, { allowedModels: ['deepseek*'] });
    const image = {
      model: 'deepseek-v3.2',
      messages: [
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] },
      ],
    };
    const r = await post(gw, '/v1/chat/completions', image, bearer(key));
    expect(refused(r)).toEqual([403, 'model_not_allowed']);
    expect(upstreamCalls(gw)).toEqual([]);
  });

  it('the other client APIs hold the same pattern list', async () => {
    const { key } = await tenantKey(gw, { allowedModels: ['gemini-*'] });
    const messages = await post(gw, '/v1/messages', anthropic('claude-sonnet-4-5-20250929'), bearer(key));
    expect(messages.status).toBe(403);
    expect(messages.json.type).toBe('error');
    const count = await post(gw, '/v1/messages/count_tokens', anthropic('claude-sonnet-4-5-20250929'), bearer(key));
    expect(count.status).toBe(403);
    const responses = await post(gw, '/v1/responses', { model: 'gpt-4.1', input: 'hi' }, bearer(key));
    expect(refused(responses)).toEqual([403, 'model_not_allowed']);
    const embed = await post(gw, '/v1/embeddings', { model: 'text-embedding-3-small', input: 'x' }, bearer(key));
    expect(refused(embed)).toEqual([403, 'model_not_allowed']);
    // And the allowed model through another API works.
    const ok = await post(gw, '/v1/responses', { model: 'gemini-2.5-flash', input: 'hi' }, bearer(key));
    expect(ok.status).toBe(200);
    expect(new Set(upstreamCalls(gw).map((c) => c.model))).toEqual(new Set(['gemini-2.5-flash']));
  });

  it.each([['text-embedding-*'], ['text-embedding-3-small']])(
    "an embedding model's fallback outside the list (%s) is not tried",
    async (entry) => {
      const { key } = await tenantKey(gw, { allowedModels: [entry] });
      const body = { model: 'text-embedding-3-small', input: 'points and crossings' };
      const ok = await post(gw, '/v1/embeddings', body, bearer(key));
      expect(ok.status).toBe(200);
      gw.providers!.setFault({ provider: 'openai', model: 'text-embedding-3-small', status: 503 });
      const r = await post(gw, '/v1/embeddings', body, bearer(key));
      expect([r.status, r.headers.get('x-switchyard-attempts')]).toEqual([502, 'text-embedding-3-small:503']);
      const titan = await post(gw, '/v1/embeddings', { ...body, model: 'titan-embed-text-v2' }, bearer(key));
      expect(refused(titan)).toEqual([403, 'model_not_allowed']);
      expect(upstreamCalls(gw).some((c) => c.model.includes('titan'))).toBe(false);
    },
  );

  it("a Claude Code key listing the alias's pattern and its target is served, and only by that model", async () => {
    const { key } = await tenantKey(gw, { allowedModels: ['claude-sonnet-4-5*', 'claude-sonnet-4.5'] });
    const dated = 'claude-sonnet-4-5-20250929';
    const chat = await post(gw, '/v1/chat/completions', hi(dated), bearer(key));
    expect([chat.status, chat.headers.get('x-switchyard-model')]).toEqual([200, 'claude-sonnet-4.5']);
    const messages = await post(gw, '/v1/messages', anthropic(dated), bearer(key));
    expect(messages.status).toBe(200);
    // Another alias of the same model is a name the list does not allow.
    const opus = await post(gw, '/v1/chat/completions', hi('claude-opus-4-1'), bearer(key));
    expect(refused(opus)).toEqual([403, 'model_not_allowed']);
    // Both of claude's endpoints fail: its fallbacks (gpt-4.1, gemini) are not on the list.
    gw.providers!.resetRequests();
    for (const c of gw.deps.config.models.get('claude-sonnet-4.5')!.endpoints)
      gw.providers!.setFault({ model: c.upstreamModel, status: 503 });
    const down = await post(gw, '/v1/chat/completions', hi(dated), bearer(key));
    expect(down.status).toBe(502);
    const called = upstreamCalls(gw).map((c) => c.model);
    expect(called.length).toBeGreaterThan(0);
    expect(called.filter((m) => !m.includes('claude-sonnet-4-5'))).toEqual([]);
  });

  it('a chat-* key uses its route and the route fallbacks, but no model by name and no other route', async () => {
    const { key } = await tenantKey(gw, { allowedModels: ['chat-*'] });
    gw.providers!.setFault({ model: 'gemini-2.5-flash', status: 503, times: 1 });
    const viaRoute = await post(gw, '/v1/chat/completions', hi('chat-default'), bearer(key));
    expect([viaRoute.status, viaRoute.headers.get('x-switchyard-attempts')]).toEqual([
      200,
      'gemini-2.5-flash:503,deepseek-v3.2:200',
    ]);
    for (const model of ['gemini-2.5-flash', 'deepseek-v3.2', 'auto', 'claude-haiku-4-5-20251001']) {
      const r = await post(gw, '/v1/chat/completions', hi(model), bearer(key));
      expect([model, ...refused(r)]).toEqual([model, 403, 'model_not_allowed']);
    }
  });

  it('refuses a malformed pattern when the key is made, naming the field', async () => {
    const r = await post(gw, '/v1/admin/keys', { name: 'bad', allowedModels: ['gpt-*-mini'] });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ param: 'allowedModels' });
    expect(r.json.error.message).toContain('* may only end an entry');
  });
});
