/**
 * A key's allow-list with `prefix*` patterns: the matcher, the entry rules, and the planner checking
 * every candidate (the name sent, an alias's target, a route's models, fallbacks, variants and
 * `replaces`) against the patterns, never only the name the client sent.
 */
import defaultConfig from '../../config/switchyard.json';
import { compileConfig, type CompiledConfig } from '../../functions/core/config/compile';
import { keyFieldProblems } from '../../functions/core/keys';
import type { GatewayError } from '../../functions/core/openai/errors';
import { allowListEntryProblem, compileAllowList } from '../../functions/core/routing/allow-list';
import { planRequest, resolveModelName, routeModels, type PlanRequest } from '../../functions/core/routing/plan';
import { createKeyPolicy, withAliasTargets } from '../../functions/router/key-policy';
import type { CallerKey } from '../../functions/router/request-context';

/** The default config plus a cutover successor of gpt-4.1 and an A/B variant on chat-default. */
function testConfig(): CompiledConfig {
  const raw = structuredClone(defaultConfig) as any;
  const gpt = raw.models.find((m: { id: string }) => m.id === 'gpt-4.1');
  raw.models.push({
    ...gpt,
    id: 'gpt-4.1-turbo',
    replaces: 'gpt-4.1',
    fallbacks: ['claude-sonnet-4.5'],
    endpoints: [{ ...gpt.endpoints[0], id: 'turbo' }],
  });
  raw.routes['chat-default'].variants = [{ model: 'nova-pro', weight: 1 }];
  return compileConfig(raw);
}
const cfg = testConfig();

const req = (model: string, extra: Partial<PlanRequest> = {}): PlanRequest => ({
  model,
  messages: [{ role: 'user', content: 'hello' }],
  promptTokens: 10,
  ...extra,
});
const image = (model: string) =>
  req(model, { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] });

/** Candidates for `model` under `list`, or the error code when the plan is refused. */
function outcome(list: string[], r: PlanRequest, random = 0.5): string[] | string {
  try {
    return planRequest(cfg, r, { random: () => random, allowedModels: list }).candidates;
  } catch (e) {
    return `${(e as GatewayError).status} ${(e as GatewayError).code}`;
  }
}

describe('the allow-list matcher', () => {
  it('matches exact names and prefixes, nothing else', () => {
    const list = compileAllowList(['gpt-4.1', 'claude-sonnet-4-5*'])!;
    expect(list.allows('gpt-4.1')).toBe(true);
    expect(list.allows('gpt-4.1-turbo')).toBe(false);
    expect(list.allows('claude-sonnet-4-5-20250929')).toBe(true);
    expect(list.allows('claude-sonnet-4-5')).toBe(true);
    // The pattern is a prefix of names, not a glob over the model family: the dotted id differs.
    expect(list.allows('claude-sonnet-4.5')).toBe(false);
    expect(list.allows('claude-sonnet-4')).toBe(false);
    expect(list.allows('x-claude-sonnet-4-5')).toBe(false);
  });

  it('no list or an empty one allows everything (no matcher at all)', () => {
    expect(compileAllowList(undefined)).toBeUndefined();
    expect(compileAllowList([])).toBeUndefined();
  });

  it('refuses entries that are not a name or a trailing-* prefix, naming the entry', () => {
    expect(allowListEntryProblem('gpt-4*')).toBeUndefined();
    expect(allowListEntryProblem('gpt-4.1')).toBeUndefined();
    expect(allowListEntryProblem('gpt-*-mini')).toMatch(/'gpt-\*-mini': \* may only end an entry/);
    expect(allowListEntryProblem('**')).toMatch(/\* may only end an entry/);
    expect(allowListEntryProblem('*')).toMatch(/allows everything; leave the list empty/);
    expect(allowListEntryProblem(' gpt-4.1')).toMatch(/leading or trailing spaces/);
    expect(allowListEntryProblem('')).toBe('names must not be empty');
    expect(allowListEntryProblem('a'.repeat(201))).toMatch(/longer than 200/);
    expect(keyFieldProblems({ name: 'k', allowedModels: ['gpt-4.1', 'a*b', '*'] })).toEqual([
      "allowedModels: 'a*b': * may only end an entry (a prefix pattern such as claude-sonnet-4-5*)",
    ]);
    const many = Array.from({ length: 101 }, (_, i) => `m-${i}`);
    expect(keyFieldProblems({ name: 'k', allowedModels: many })).toEqual(['allowedModels: at most 100 entries']);
    expect(keyFieldProblems({ name: 'k', allowedModels: many.slice(1) })).toEqual([]);
  });
});

describe('the planner checks every candidate against the patterns', () => {
  it('a model pattern keeps only matching models: fallbacks and `replaces` outside it are dropped', () => {
    // gpt-4.1's fallbacks are deepseek and gemini: not gpt-4*.
    expect(outcome(['gpt-4*'], req('gpt-4.1'))).toEqual(['gpt-4.1']);
    // The successor's fallback (claude) is dropped; the model it replaces matches the pattern and stays.
    expect(outcome(['gpt-4*'], req('gpt-4.1-turbo'))).toEqual(['gpt-4.1-turbo', 'gpt-4.1']);
    // A narrower pattern leaves out the replaced model too.
    expect(outcome(['gpt-4.1-t*'], req('gpt-4.1-turbo'))).toEqual(['gpt-4.1-turbo']);
    expect(outcome(['gemini-*'], req('gemini-2.5-flash'))).toEqual(['gemini-2.5-flash']);
  });

  it('a model pattern reaches no other model by name, route or alias', () => {
    for (const name of ['gpt-4.1', 'deepseek-v3.2', 'claude-sonnet-4.5', 'nova-pro', 'auto', 'chat-default'])
      expect([name, outcome(['gemini-*'], req(name))]).toEqual([name, '403 model_not_allowed']);
    // Aliases: one of a route holding gemini, one of a model.
    expect(outcome(['gemini-*'], req('claude-haiku-4-5-20251001'))).toBe('403 model_not_allowed');
    expect(outcome(['gemini-*'], req('claude-sonnet-4-5-20250929'))).toBe('403 model_not_allowed');
  });

  it('a request only a model outside the pattern could serve is refused, not substituted', () => {
    // deepseek has no vision; gemini (its fallback) would answer it without the list.
    expect(outcome([], image('deepseek-v3.2'))).toEqual(['gemini-2.5-flash']);
    expect(outcome(['deepseek*'], image('deepseek-v3.2'))).toBe('403 model_not_allowed');
  });

  it("an alias's own pattern allows the names it matches, only with its target allowed too", () => {
    const dated = 'claude-sonnet-4-5-20250929';
    expect(resolveModelName(cfg, dated)).toEqual({ name: 'claude-sonnet-4.5', alias: 'claude-sonnet-4-5*' });
    expect(outcome(['claude-sonnet-4-5*', 'claude-sonnet-4.5'], req(dated))).toEqual(['claude-sonnet-4.5']);
    // The pattern alone: the target is not on the list.
    expect(outcome(['claude-sonnet-4-5*'], req(dated))).toBe('403 model_not_allowed');
    // The target alone does not allow the alias name.
    expect(outcome(['claude-sonnet-4.5'], req(dated))).toBe('403 model_not_allowed');
    // A broader pattern covers the alias names and the target at once, and still no fallback.
    expect(outcome(['claude-*'], req(dated))).toEqual(['claude-sonnet-4.5']);
    expect(outcome(['claude-*'], req('claude-opus-4-1'))).toEqual(['claude-sonnet-4.5']);
    // claude-haiku-4-5* points at a route the pattern does not allow.
    expect(outcome(['claude-*'], req('claude-haiku-4-5-20251001'))).toBe('403 model_not_allowed');
  });

  it('a route pattern allows the matching routes and their models, and only through them', () => {
    const viaRoute = outcome(['chat-*'], req('chat-default'), 0.1);
    expect(viaRoute).toEqual(expect.arrayContaining(['nova-pro', 'gemini-2.5-flash']));
    expect(outcome(['chat-*'], req('auto'))).toBe('403 model_not_allowed');
    expect(outcome(['chat-*'], req('gemini-2.5-flash'))).toBe('403 model_not_allowed');
    // An alias of the route is allowed only when its name is too.
    expect(outcome(['chat-*'], req('claude-haiku-4-5-20251001'))).toBe('403 model_not_allowed');
    expect(outcome(['chat-*', 'claude-haiku-4-5*'], req('claude-haiku-4-5-20251001'), 0.1)).toEqual(viaRoute);
  });

  it('A/B variants outside the list are dropped from a route reached by an allowed model pattern', () => {
    // chat-default allowed by name, its variant nova-pro is one of its own models: kept.
    expect(outcome(['chat-default'], req('chat-default'), 0.1)).toContain('nova-pro');
    // A key allowed a model pattern, not the route: the route is refused whatever it holds.
    expect(outcome(['nova-*', 'gemini-*'], req('chat-default'))).toBe('403 model_not_allowed');
  });

  it('exhaustively: every candidate is allowed by an entry or by the allowed route that was asked for', () => {
    const entries = [
      'gpt-4*',
      'gpt-4.1',
      'gemini-*',
      'deepseek*',
      'claude-*',
      'claude-sonnet-4-5*',
      'claude-sonnet-4.5',
      'chat-*',
      'auto',
      'nova-pro',
    ];
    const names = [
      ...cfg.models.keys(),
      ...cfg.routes.keys(),
      'claude-sonnet-4-5-20250929',
      'claude-haiku-4-5-20251001',
      'claude-opus-4-1',
    ].filter((n) => cfg.models.get(n)?.kind !== 'embedding');
    const requests = (n: string) => [req(n), image(n), req(n, { tools: [{}] }), req(n, { stream: true })];
    let plans = 0;
    // Every list of one or two entries, every name, a few request shapes, both variant draws.
    for (let i = 0; i < entries.length; i++)
      for (let j = i; j < entries.length; j++) {
        const list = [...new Set([entries[i], entries[j]])];
        const allows = (n: string) => list.some((e) => (e.endsWith('*') ? n.startsWith(e.slice(0, -1)) : n === e));
        for (const name of names)
          for (const r of requests(name))
            for (const random of [0.01, 0.99]) {
              const got = outcome(list, r, random);
              const target = resolveModelName(cfg, name).name;
              if (!allows(name) || !allows(target)) {
                expect([list, name, got]).toEqual([list, name, '403 model_not_allowed']);
                continue;
              }
              if (typeof got === 'string') continue;
              plans++;
              const route = cfg.routes.get(target);
              const viaRoute = route ? routeModels(route) : [];
              for (const c of got)
                expect([list, name, c, allows(c) || viaRoute.includes(c)]).toEqual([list, name, c, true]);
            }
      }
    // The check above must have looked at real plans, not only refusals.
    expect(plans).toBeGreaterThan(100);
  });
});

describe('the key policy (embeddings, count_tokens) reads patterns the same way', () => {
  const policy = withAliasTargets(createKeyPolicy(), () => cfg);
  const key = (allowedModels: string[]): CallerKey => ({ keyId: 'k', keyName: 'k', admin: false, allowedModels });
  const allowed = (list: string[], model: string) => {
    try {
      policy.checkModelAccess(key(list), model);
      return true;
    } catch (e) {
      expect([(e as GatewayError).status, (e as GatewayError).code]).toEqual([403, 'model_not_allowed']);
      return false;
    }
  };

  it('allows what the planner allows and refuses what it refuses', () => {
    expect(allowed(['text-embedding-*'], 'text-embedding-3-small')).toBe(true);
    expect(allowed(['text-embedding-*'], 'titan-embed-text-v2')).toBe(false);
    expect(allowed(['claude-*'], 'claude-opus-4-1')).toBe(true);
    expect(allowed(['claude-sonnet-4-5*'], 'claude-sonnet-4-5-20250929')).toBe(false);
    expect(allowed(['claude-sonnet-4-5*', 'claude-sonnet-4.5'], 'claude-sonnet-4-5-20250929')).toBe(true);
    expect(allowed(['gpt-*'], 'claude-opus-4-1')).toBe(false);
  });
});
