/**
 * Defaults taken from the seed articles: the intent keywords they list (実装, javascript, api, 理由,
 * 考察, 評価, 短く, 簡潔), length rules (`maxChars`, `maxTokens`) that send short prompts to the
 * cheapest model, a default concurrency cap for models without their own, and a refusal that
 * names the budget period that ran out.
 */
import defaultConfig from '../../config/switchyard.json';
import greenConfig from '../../config/green.json';
import { compileConfig } from '../../functions/core/config/compile';
import type { IntentRule } from '../../functions/core/config/schema';
import { classifyIntent, containsKeyword } from '../../functions/core/routing/intent';
import { planRequest, type PlanRequest } from '../../functions/core/routing/plan';
import { estimatePromptTokens } from '../../functions/core/routing/token-estimate';
import { createRouterApp } from '../../functions/router/app';
import { memoryQuota } from '../../local/in-memory/memory-quota';
import { chatEvent } from '../../local/in-memory/proxy-event';
import { stubDeps } from '../../local/in-memory/stub-deps';

const rules = compileConfig(defaultConfig).settings.intentRules;
const classify = (text: string) => classifyIntent(rules, { text, hasTools: false });

describe('default intent keywords from the seed articles', () => {
  it.each([
    ['この機能を実装して', 'code'],
    ['JavaScriptでソートを書いて', 'code'],
    ['Write a JavaScript debounce helper', 'code'],
    ['How do I call this API from my app?', 'code'],
    ['このAPIの使い方を教えて', 'code'],
    ['この判断の理由を教えて', 'reasoning'],
    ['この結果について考察して', 'reasoning'],
    ['二つの案を評価して', 'reasoning'],
    ['この文章を短くして', 'summary'],
    ['簡潔に説明して', 'summary'],
    // Still what it was before.
    ['hello there', 'general'],
    ['こんにちは', 'general'],
  ])('%s -> %s', (text, intent) => {
    expect(classify(text)).toBe(intent);
  });

  it('matches a Latin keyword only where a word starts, so "api" is not in "capital" or "rapid"', () => {
    expect(classify('What is the capital of France?')).toBe('general');
    expect(classify('Tell me about rapid transit')).toBe('general');
    expect(classify('Tell me the history of Rome')).toBe('general');
    expect(classify('How can I improve my essay?')).toBe('general');
    expect(containsKeyword('use the apis', 'api')).toBe(true);
    expect(containsKeyword('api_key and more', 'api')).toBe(true);
    expect(containsKeyword('(api)', 'api')).toBe(true);
    expect(containsKeyword('capital', 'api')).toBe(false);
    expect(containsKeyword('capital api', 'api')).toBe(true);
    // Non-Latin keywords stay plain substrings (no word spaces in Japanese or Chinese).
    expect(containsKeyword('機能を実装して', '実装')).toBe(true);
    expect(containsKeyword('run ```ts code```', '```')).toBe(true);
  });

  it('config/green.json has the same rules as config/switchyard.json', () => {
    expect(compileConfig(greenConfig).settings.intentRules).toEqual(rules);
  });
});

describe('length rules: maxChars and maxTokens', () => {
  const shortFirst: IntentRule[] = [
    { intent: 'code', keywords: ['bug', 'バグ'] },
    { intent: 'summary', keywords: [], maxChars: 40 },
  ];

  it('maxChars matches text up to that many characters, in any language', () => {
    const classify = (text: string) => classifyIntent(shortFirst, { text, hasTools: false });
    expect(classify('hi, how are you?')).toBe('summary');
    expect(classify('今日はいい天気ですね')).toBe('summary');
    expect(classify('x'.repeat(40))).toBe('summary');
    expect(classify('x'.repeat(41))).toBe('general');
    expect(
      classify('この長い文章は四十文字を超えているので短いプロンプトとは見なされず一般の意図に分類されるはずです'),
    ).toBe('general');
    // An earlier rule still wins.
    expect(classify('fix this bug')).toBe('code');
  });

  it('minChars and maxChars together make a band; every condition of a rule must hold', () => {
    const band: IntentRule[] = [{ intent: 'reasoning', keywords: ['why'], minChars: 10, maxChars: 20 }];
    const c = (text: string) => classifyIntent(band, { text, hasTools: false });
    expect(c('why is it so?')).toBe('reasoning');
    expect(c('why?')).toBe('general');
    expect(c('why is it so, exactly, in detail?')).toBe('general');
    expect(c('what is it, then?')).toBe('general');
  });

  it('maxTokens uses the token estimate reservations use, and does not match without one', () => {
    const byTokens: IntentRule[] = [{ intent: 'summary', keywords: [], maxTokens: 40 }];
    const c = (text: string, promptTokens?: number) =>
      classifyIntent(byTokens, { text, hasTools: false, promptTokens });
    const est = (text: string) => estimatePromptTokens([{ content: text }]);
    expect(est('hi')).toBeLessThanOrEqual(40);
    expect(c('hi', est('hi'))).toBe('summary');
    expect(c('この機能を実装して', est('この機能を実装して'))).toBe('summary');
    const long = 'Please explain in detail how the gateway reserves budget before each call.';
    expect(est(long)).toBeGreaterThan(40);
    expect(c(long, est(long))).toBe('general');
    expect(c('hi')).toBe('general');
  });

  it('a config can send short prompts to the cheapest model', () => {
    const c = structuredClone(defaultConfig) as any;
    // After the keyword rules (a short "fix this bug" is still code), before the long-prompt rule.
    c.intentRules.splice(c.intentRules.length - 1, 0, { intent: 'summary', maxChars: 80 });
    c.routes.auto.intents.summary = ['deepseek-v3.2', 'gemini-2.5-flash'];
    const cfg = compileConfig(c);
    const plan = (content: string) =>
      planRequest(
        cfg,
        {
          model: 'auto',
          messages: [{ role: 'user', content }],
          promptTokens: estimatePromptTokens([{ content }]),
        } satisfies PlanRequest,
        { random: () => 0.5 },
      );
    expect(plan('hello there')).toMatchObject({ intent: 'summary', candidates: ['deepseek-v3.2', expect.any(String)] });
    expect(plan('おはようございます').candidates[0]).toBe('deepseek-v3.2');
    expect(plan('fix this bug').intent).toBe('code');
    const longer = 'Tell me everything you know about the history of the Roman Empire, from its founding to its fall.';
    expect(longer.length).toBeGreaterThan(80);
    expect(plan(longer)).toMatchObject({
      intent: 'general',
      candidates: ['gpt-4.1', 'gemini-2.5-flash', 'deepseek-v3.2'],
    });
  });

  it('the schema refuses a negative or fractional length', () => {
    for (const bad of [{ maxChars: -1 }, { maxTokens: 1.5 }]) {
      const c = structuredClone(defaultConfig) as any;
      c.intentRules = [{ intent: 'summary', ...bad }];
      expect(() => compileConfig(c)).toThrow(/intentRules\[0\]\.max(Chars|Tokens)/);
    }
  });
});

describe('default concurrency cap (defaults.maxConcurrency)', () => {
  const withoutOwnCap = (edit: (c: any) => void = () => undefined) => {
    const c = structuredClone(defaultConfig) as any;
    delete c.models.find((m: { id: string }) => m.id === 'deepseek-v3.2').maxConcurrency;
    edit(c);
    return compileConfig(c);
  };

  it('gives models without their own cap 10, keeps the caps models set, and none with null', () => {
    const cfg = withoutOwnCap();
    expect(cfg.settings.defaults.maxConcurrency).toBe(10);
    expect(cfg.models.get('deepseek-v3.2')!.maxConcurrency).toBe(10);
    expect(cfg.models.get('text-embedding-3-small')!.maxConcurrency).toBe(10);
    expect(cfg.models.get('gpt-4.1')!.maxConcurrency).toBe(10);
    expect(cfg.models.get('claude-sonnet-4.5')!.maxConcurrency).toBe(8);
    expect(withoutOwnCap((c) => (c.defaults = { maxConcurrency: 3 })).models.get('deepseek-v3.2')!.maxConcurrency).toBe(
      3,
    );
    const uncapped = withoutOwnCap((c) => (c.defaults = { maxConcurrency: null }));
    expect(uncapped.models.get('deepseek-v3.2')!.maxConcurrency).toBeUndefined();
    expect(uncapped.models.get('claude-sonnet-4.5')!.maxConcurrency).toBe(8);
    expect(() => withoutOwnCap((c) => (c.defaults = { maxConcurrency: 0 }))).toThrow(/defaults\.maxConcurrency/);
  });

  it('a request on such a model takes a slot under the default cap', async () => {
    const run = async (config: ReturnType<typeof compileConfig>) => {
      const { quota, books } = memoryQuota();
      const app = createRouterApp(stubDeps({ quota, config }));
      const body = JSON.stringify({ model: 'deepseek-v3.2', messages: [{ role: 'user', content: 'hi' }] });
      const res = await app(chatEvent(body, { 'x-switchyard-fallback': 'off' }), {});
      expect(res.statusCode).toBe(200);
      return books.admitted.find((a) => a.needs.some((n) => n.scope.kind === 'budget'));
    };
    expect((await run(withoutOwnCap()))?.slot).toEqual({ model: 'deepseek-v3.2', cap: 10 });
    expect((await run(withoutOwnCap((c) => (c.defaults = { maxConcurrency: null }))))?.slot).toBeUndefined();
  });
});

describe('a monthly budget through the request path', () => {
  it('checks the month beside the day, and a refusal names the month in OpenAI shape', async () => {
    const c = structuredClone(defaultConfig) as any;
    c.budgets.globalMonthlyUsd = 1_000;
    const config = compileConfig(c);
    const now = () => Date.parse('2026-12-31T22:00:00Z');
    const { quota, books } = memoryQuota((needs) => {
      const month = needs.find((n) => n.scope.period === 'm2026-12');
      return month ? { ok: false, reason: 'refused', scope: month.scope } : undefined;
    });
    let seen: string[] = [];
    const app = createRouterApp(
      stubDeps({
        config,
        now,
        quota: {
          ...quota,
          admit: (needs, slot, t) => {
            if (needs.some((n) => n.scope.kind === 'budget'))
              seen = needs.map((n) => `${n.scope.id}@${n.scope.period}`);
            return quota.admit(needs, slot, t);
          },
        },
      }),
    );
    const body = JSON.stringify({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] });
    const res = await app(chatEvent(body), {});
    expect(seen).toEqual(['global@m2026-12', 'global@d2026-12-31']);
    expect(res.statusCode).toBe(429);
    expect(JSON.parse(res.body as string)).toEqual({
      error: {
        message:
          'Monthly budget exhausted: the global limit of $1000.00 for 2026-12 would be exceeded by this request. It resets at 2027-01-01T00:00:00.000Z (the 1st of the month, 00:00 UTC).',
        type: 'insufficient_quota',
        param: null,
        code: 'insufficient_quota',
      },
    });
    expect(res.headers['retry-after']).toBe('7200');
    expect(res.headers['x-switchyard-refused-period']).toBe('m2026-12');
    expect(books.admitted).toHaveLength(0);
  });
});
