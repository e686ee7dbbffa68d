import defaultConfig from '../../config/switchyard.json';
import { compileConfig } from '../../functions/core/config/compile';
import { classifyIntent, conversationText } from '../../functions/core/routing/intent';
import { parseBudgetFactor, planRequest, type PlanRequest } from '../../functions/core/routing/plan';
import { GatewayError } from '../../functions/core/openai/errors';

const cfg = compileConfig(defaultConfig);
const rules = cfg.settings.intentRules;
const req = (content: string, extra: Partial<PlanRequest> = {}): PlanRequest => ({
  model: 'auto',
  messages: [{ role: 'user', content }],
  promptTokens: 50,
  ...extra,
});
const fixed = () => 0.5;

describe('intent classification from config rules', () => {
  it.each([
    ['このコードのバグを直して', 'code'],
    ['请帮我实现这个函数', 'code'],
    ['Refactor this TypeScript function', 'code'],
    ['この記事を要約してください', 'summary'],
    ['会議のメモをまとめて', 'summary'],
    ['TL;DR of this thread please', 'summary'],
    ['Why does the sky look blue? Analyze it.', 'reasoning'],
    ['AとBを比較して分析して', 'reasoning'],
    ['为什么会这样', 'reasoning'],
    ['Write a haiku about autumn', 'creative'],
    ['猫の物語を書いて', 'creative'],
    ['hello there', 'general'],
  ])('%s -> %s', (text, intent) => {
    expect(classifyIntent(rules, { text, hasTools: false })).toBe(intent);
  });

  it('treats a request with tools as code and a very long one as reasoning', () => {
    expect(classifyIntent(rules, { text: 'hello', hasTools: true })).toBe('code');
    expect(classifyIntent(rules, { text: 'x '.repeat(2500), hasTools: false })).toBe('reasoning');
  });

  it('reads only user, system and developer text', () => {
    expect(
      conversationText([
        { role: 'assistant', content: 'summarize' },
        { role: 'user', content: [{ type: 'text', text: 'hi' }] },
      ]),
    ).toBe('hi');
  });
});

describe('candidate planning', () => {
  it('keeps the intent order at a high budget factor and appends the route fallbacks', () => {
    const p = planRequest(cfg, req('fix this bug'), { budgetFactor: 1, random: fixed });
    expect(p).toMatchObject({ route: 'auto', intent: 'code' });
    expect(p.candidates).toEqual(['claude-sonnet-4.5', 'gpt-4.1', 'deepseek-v3.2', 'gemini-2.5-flash']);
  });

  it.each([
    [1, ['claude-sonnet-4.5', 'gpt-4.1', 'deepseek-v3.2', 'gemini-2.5-flash']],
    [0.7, ['claude-sonnet-4.5', 'gpt-4.1', 'deepseek-v3.2', 'gemini-2.5-flash']],
    // middle: models above $10/MTok output (claude-sonnet-4.5 at $15) are avoided
    [0.5, ['gpt-4.1', 'deepseek-v3.2', 'gemini-2.5-flash']],
    // low: cheapest expected cost first
    [0.3, ['deepseek-v3.2', 'gemini-2.5-flash', 'gpt-4.1', 'claude-sonnet-4.5']],
    [0, ['deepseek-v3.2', 'gemini-2.5-flash', 'gpt-4.1', 'claude-sonnet-4.5']],
  ])('budget factor %d orders a code request as %j', (factor, expected) => {
    expect(planRequest(cfg, req('fix this bug'), { budgetFactor: factor, random: fixed }).candidates).toEqual(expected);
  });

  it('uses the route default budget factor when none is given', () => {
    const p = planRequest(cfg, { ...req('hello'), model: 'chat-default' }, { random: fixed });
    expect(p.budgetFactor).toBe(0.5);
  });

  it('gives a concrete model its fallbacks, or nothing else when fallback is off', () => {
    expect(planRequest(cfg, req('hi', { model: 'gpt-4.1' }), { random: fixed }).candidates).toEqual([
      'gpt-4.1',
      'deepseek-v3.2',
      'gemini-2.5-flash',
    ]);
    expect(planRequest(cfg, req('hi', { model: 'gpt-4.1' }), { random: fixed, fallbackOff: true }).candidates).toEqual([
      'gpt-4.1',
    ]);
  });

  it('skips models without a required capability or room in their context window', () => {
    const image = { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:' } }] };
    const p = planRequest(cfg, { ...req('x'), messages: [image], model: 'gpt-4.1' }, { random: fixed });
    expect(p.candidates).toEqual(['gpt-4.1', 'gemini-2.5-flash']);
    expect(p.skipped).toEqual([{ model: 'deepseek-v3.2', reason: 'capability' }]);
    const big = planRequest(cfg, req('summarize', { promptTokens: 150_000 }), { random: fixed });
    expect(big.candidates).toEqual(['gemini-2.5-flash']);
    expect(big.skipped).toContainEqual({ model: 'deepseek-v3.2', reason: 'context' });
  });

  it('answers 400 context_length_exceeded when no model can hold the prompt', () => {
    expect(() =>
      planRequest(cfg, req('hi', { model: 'deepseek-v3.2', promptTokens: 200_000 }), {
        random: fixed,
        fallbackOff: true,
      }),
    ).toThrow(expect.objectContaining({ status: 400, code: 'context_length_exceeded' }));
  });

  it('keeps a replaced model as the last fallback during a cutover', () => {
    const c = structuredClone(defaultConfig) as any;
    c.models.push({
      ...structuredClone(c.models[0]),
      id: 'gpt-4.1-turbo',
      replaces: 'gpt-4.1',
      fallbacks: ['gemini-2.5-flash'],
      endpoints: [{ id: 'openai-turbo', provider: 'openai', upstreamModel: 'gpt-4.1-turbo' }],
    });
    c.routes.auto.intents.general = ['gpt-4.1-turbo'];
    const p = planRequest(compileConfig(c), req('hello'), { random: fixed });
    expect(p.candidates[0]).toBe('gpt-4.1-turbo');
    expect(p.candidates[p.candidates.length - 1]).toBe('gpt-4.1');
  });

  it('picks weighted variants by the random draw', () => {
    const c = structuredClone(defaultConfig) as any;
    c.routes.auto.variants = [
      { model: 'gpt-4.1', weight: 90 },
      { model: 'deepseek-v3.2', weight: 10 },
    ];
    const compiled = compileConfig(c);
    expect(planRequest(compiled, req('hello'), { random: () => 0.5 }).variant).toBe('gpt-4.1');
    expect(planRequest(compiled, req('hello'), { random: () => 0.95 }).variant).toBe('deepseek-v3.2');
    const counts = { 'gpt-4.1': 0, 'deepseek-v3.2': 0 } as Record<string, number>;
    for (let i = 0; i < 1000; i++) counts[planRequest(compiled, req('hello'), { random: () => i / 1000 }).variant!]++;
    expect(counts['deepseek-v3.2']).toBe(100);
  });

  it('rejects an unknown model and a bad budget factor header', () => {
    expect(() => planRequest(cfg, req('hi', { model: 'nope' }), { random: fixed })).toThrow(GatewayError);
    expect(parseBudgetFactor(undefined)).toBeUndefined();
    expect(parseBudgetFactor('0.25')).toBe(0.25);
    for (const bad of ['-1', '2', 'cheap', 'NaN'])
      expect(() => parseBudgetFactor(bad)).toThrow(expect.objectContaining({ status: 400, param: 'x-budget-factor' }));
  });
});
