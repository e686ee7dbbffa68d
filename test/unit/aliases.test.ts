/** Model aliases: config validation, resolution in planRequest, /v1/models, and key allow-lists. */
import defaultConfig from '../../config/switchyard.json';
import { compileConfig, ConfigError } from '../../functions/core/config/compile';
import { GatewayError } from '../../functions/core/openai/errors';
import { planRequest, resolveModelName } from '../../functions/core/routing/plan';
import { createKeyPolicy, withAliasTargets } from '../../functions/router/key-policy';
import type { CallerKey } from '../../functions/router/request-context';
import { listModels, retrieveModel } from '../../functions/router/routes/models';
import { stubDeps } from '../../local/in-memory/stub-deps';

const withAliases = (aliases: Record<string, string>) => compileConfig({ ...structuredClone(defaultConfig), aliases });
const cfg = withAliases({
  'claude-sonnet-4-5-20250929': 'gpt-4.1',
  'claude-sonnet-4-5*': 'claude-sonnet-4.5',
  'claude-*': 'deepseek-v3.2',
  'claude-haiku-4-5*': 'chat-default',
});
const plan = (model: string) =>
  planRequest(cfg, { model, messages: [{ role: 'user', content: 'hi' }], promptTokens: 10 }, { random: () => 0.5 });

describe('alias resolution', () => {
  it('prefers a real model or route, then an exact alias, then the longest prefix', () => {
    expect(resolveModelName(cfg, 'gpt-4.1')).toEqual({ name: 'gpt-4.1' });
    expect(resolveModelName(cfg, 'auto')).toEqual({ name: 'auto' });
    expect(resolveModelName(cfg, 'claude-sonnet-4-5-20250929')).toEqual({
      name: 'gpt-4.1',
      alias: 'claude-sonnet-4-5-20250929',
    });
    expect(resolveModelName(cfg, 'claude-sonnet-4-5-20991231')).toEqual({
      name: 'claude-sonnet-4.5',
      alias: 'claude-sonnet-4-5*',
    });
    expect(resolveModelName(cfg, 'claude-opus-4-1')).toEqual({ name: 'deepseek-v3.2', alias: 'claude-*' });
    expect(resolveModelName(cfg, 'gpt-9')).toEqual({ name: 'gpt-9' });
  });

  it('plans an alias of a model as that model and an alias of a route as that route', () => {
    expect(plan('claude-sonnet-4-5-20991231')).toMatchObject({
      route: null,
      alias: 'claude-sonnet-4-5*',
      candidates: ['claude-sonnet-4.5', ...cfg.models.get('claude-sonnet-4.5')!.fallbacks],
    });
    const viaRoute = plan('claude-haiku-4-5-20251001');
    expect(viaRoute.route).toBe('chat-default');
    expect(viaRoute.candidates[0]).toBe('gemini-2.5-flash');
    expect(() => plan('gpt-9')).toThrow(GatewayError);
  });

  it('refuses aliases that point nowhere or shadow a model or route, naming them', () => {
    expect(() => withAliases({ 'my-model': 'gpt-9' })).toThrow(/aliases\.my-model: unknown model or route "gpt-9"/);
    expect(() => withAliases({ 'gpt-4.1': 'deepseek-v3.2' })).toThrow(ConfigError);
    expect(() => withAliases({ 'bad name*x': 'gpt-4.1' })).toThrow(ConfigError);
  });

  it('the default config sends Claude Code dated ids somewhere sensible', () => {
    const d = compileConfig(defaultConfig);
    expect(resolveModelName(d, 'claude-sonnet-4-5-20250929').name).toBe('claude-sonnet-4.5');
    expect(resolveModelName(d, 'claude-haiku-4-5-20251001').name).toBe('chat-default');
    expect(resolveModelName(d, 'claude-3-5-haiku-20241022').name).toBe('chat-default');
  });
});

describe('/v1/models lists aliases', () => {
  const deps = stubDeps({ config: cfg });
  it('lists exact and prefix aliases with what they stand for, and retrieves a matching name', () => {
    const anyone = {} as Parameters<typeof listModels>[0];
    const list = JSON.parse(listModels(anyone, deps).body as string).data as Array<Record<string, unknown>>;
    expect(list).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 'claude-sonnet-4-5-20250929', alias_of: 'gpt-4.1', owned_by: 'switchyard' }),
        expect.objectContaining({ id: 'claude-sonnet-4-5*', alias_of: 'claude-sonnet-4.5' }),
      ]),
    );
    const ctx = { path: '/v1/models/claude-sonnet-4-5-20991231' } as Parameters<typeof retrieveModel>[0];
    expect(JSON.parse(retrieveModel(ctx, deps).body as string)).toMatchObject({
      id: 'claude-sonnet-4-5-20991231',
      alias_of: 'claude-sonnet-4.5',
    });
  });
});

describe('allow-lists hold for the alias target as well as the name sent', () => {
  const policy = withAliasTargets(createKeyPolicy(), () => cfg);
  const key = (allowedModels: string[]): CallerKey => ({ keyId: 'k', keyName: 'k', admin: false, allowedModels });
  const allowed = (k: CallerKey, model: string) => {
    try {
      policy.checkModelAccess(k, model);
      return true;
    } catch (e) {
      expect((e as GatewayError).status).toBe(403);
      return false;
    }
  };

  it('needs the alias (its name or its pattern) and its target', () => {
    expect(allowed(key(['claude-sonnet-4-5*', 'claude-sonnet-4.5']), 'claude-sonnet-4-5-20991231')).toBe(true);
    expect(allowed(key(['claude-sonnet-4-5-20991231', 'claude-sonnet-4.5']), 'claude-sonnet-4-5-20991231')).toBe(true);
    // The target alone does not allow the alias name, and the alias cannot reach a target the key may not use.
    expect(allowed(key(['claude-sonnet-4.5']), 'claude-sonnet-4-5-20991231')).toBe(false);
    expect(allowed(key(['claude-sonnet-4-5*']), 'claude-sonnet-4-5-20991231')).toBe(false);
    expect(allowed(key(['gpt-4.1']), 'claude-opus-4-1')).toBe(false);
    expect(allowed(key(['gpt-4.1']), 'gpt-4.1')).toBe(true);
    expect(allowed({ keyId: 'k', keyName: 'k', admin: false }, 'claude-opus-4-1')).toBe(true);
  });
});

describe('/v1/models for a key with an allow-list', () => {
  const deps = stubDeps({ config: compileConfig(defaultConfig) });
  const caller = (allowedModels?: string[]) =>
    ({ key: { keyId: 'k', keyName: 'k', admin: false, allowedModels } }) as Parameters<typeof listModels>[0];
  const ids = (allowedModels?: string[]) =>
    (JSON.parse(listModels(caller(allowedModels), deps).body as string).data as Array<{ id: string }>).map((m) => m.id);

  it('lists only what the key may send, and everything for a key without a list', () => {
    const all = ids();
    expect(all).toEqual(expect.arrayContaining(['gpt-4.1', 'gemini-2.5-flash', 'chat-default']));
    const gemini = ids(['gemini-*']);
    expect(gemini).toContain('gemini-2.5-flash');
    expect(gemini.every((id) => id.startsWith('gemini-'))).toBe(true);
    expect(gemini.length).toBeLessThan(all.length);
  });

  it('retrieving a model outside the list is a 404 that names only allowed ones', () => {
    const ctx = { ...caller(['gemini-*']), path: '/v1/models/gpt-4.1' } as Parameters<typeof retrieveModel>[0];
    let err: unknown;
    try {
      retrieveModel(ctx, deps);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).status).toBe(404);
    const named = (err as GatewayError).message.split('Valid models and routes: ')[1].replace(/\.$/, '').split(', ');
    expect(named.length).toBeGreaterThan(0);
    expect(named.every((id) => id.startsWith('gemini-'))).toBe(true);
    const ok = { ...caller(['gemini-*']), path: '/v1/models/gemini-2.5-flash' } as Parameters<typeof retrieveModel>[0];
    expect(JSON.parse(retrieveModel(ok, deps).body as string).id).toBe('gemini-2.5-flash');
  });

  it("a chat request for an unknown name the key's pattern covers: the 404 lists only what the key may send", () => {
    const cfg = compileConfig(defaultConfig);
    let err: unknown;
    try {
      planRequest(
        cfg,
        { model: 'gemini-9-ultra', messages: [{ role: 'user', content: 'hi' }], promptTokens: 10 },
        { random: () => 0.5, allowedModels: ['gemini-*'] },
      );
    } catch (e) {
      err = e;
    }
    expect((err as GatewayError).status).toBe(404);
    const named = (err as GatewayError).message.split('Valid models and routes: ')[1].replace(/\.$/, '').split(', ');
    expect(named).toEqual(['gemini-2.5-flash']);
  });
});
