import { compileConfig, ConfigError, dollarsToMicros } from '../../functions/core/config/compile';
import { configJsonSchema } from '../../bin/lib/config-json-schema';
import defaultConfig from '../../config/switchyard.json';
import committedSchema from '../../config/switchyard.schema.json';

const clone = () => structuredClone(defaultConfig) as any;

function problemsOf(input: unknown): string[] {
  try {
    compileConfig(input);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected the config to be rejected');
}

describe('routing config', () => {
  it('compiles the default config with its models at their list prices in micro-dollars', () => {
    const cfg = compileConfig(defaultConfig);
    const prices = Object.fromEntries([...cfg.models.values()].map((m) => [m.id, m.prices]));
    expect(prices).toEqual({
      'gpt-4.1': { inputMicrosPerMTok: 2_000_000, outputMicrosPerMTok: 8_000_000, cachedInputMicrosPerMTok: 500_000 },
      'claude-sonnet-4.5': {
        inputMicrosPerMTok: 3_000_000,
        outputMicrosPerMTok: 15_000_000,
        cachedInputMicrosPerMTok: 300_000,
        cacheWriteMicrosPerMTok: 3_750_000,
      },
      'gemini-2.5-flash': {
        inputMicrosPerMTok: 300_000,
        outputMicrosPerMTok: 2_500_000,
        cachedInputMicrosPerMTok: 75_000,
      },
      'deepseek-v3.2': { inputMicrosPerMTok: 280_000, outputMicrosPerMTok: 420_000, cachedInputMicrosPerMTok: 28_000 },
      'nova-pro': { inputMicrosPerMTok: 800_000, outputMicrosPerMTok: 3_200_000, cachedInputMicrosPerMTok: 200_000 },
      'text-embedding-3-small': { inputMicrosPerMTok: 20_000, outputMicrosPerMTok: 0 },
      'titan-embed-text-v2': { inputMicrosPerMTok: 20_000, outputMicrosPerMTok: 0 },
    });
    // Bedrock serves a model of its own and is one endpoint of the Claude pool.
    expect(cfg.models.get('nova-pro')!.endpoints.map((e) => e.provider.kind)).toEqual(['bedrock']);
    expect(cfg.models.get('claude-sonnet-4.5')!.endpoints.map((e) => e.provider.kind)).toEqual(['openai', 'bedrock']);
    expect(cfg.models.get('titan-embed-text-v2')).toMatchObject({
      kind: 'embedding',
      dimensions: 1024,
      maxOutputTokens: 0,
    });
    expect(cfg.routes.has('auto')).toBe(true);
    expect(cfg.settings.budgets.globalDailyUsd).toBe(100);
  });

  describe('provider kinds and model kinds', () => {
    it('keeps configs without a kind valid: providers are OpenAI-compatible, models chat', () => {
      const cfg = compileConfig(defaultConfig);
      expect(cfg.endpoints.get('openai-gpt-4.1')!.provider).toMatchObject({ kind: 'openai' });
      expect(cfg.models.get('gpt-4.1')!.kind).toBe('chat');
    });

    it('names the field when a bedrock provider carries OpenAI-compatible fields or lacks a region', () => {
      const c = clone();
      c.providers.bedrock = { kind: 'bedrock', baseUrl: 'https://x.example/v1', apiKeyRef: 'K' };
      expect(problemsOf(c)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^providers\.bedrock\.region: /),
          expect.stringMatching(/^providers\.bedrock\.baseUrl: a bedrock provider has no baseUrl/),
          expect.stringMatching(/^providers\.bedrock\.apiKeyRef: a bedrock provider has no API key/),
        ]),
      );
    });

    it('checks the region and role ARN formats and names an unknown kind', () => {
      const c = clone();
      c.providers.bedrock = { kind: 'bedrock', region: 'virginia', roleArn: 'role/x' };
      expect(problemsOf(c)).toEqual([
        expect.stringMatching(/^providers\.bedrock\.region: must be an AWS region/),
        expect.stringMatching(/^providers\.bedrock\.roleArn: must be an IAM role ARN/),
      ]);
      const d = clone();
      d.providers.bedrock.kind = 'bedrok';
      expect(problemsOf(d)).toEqual(['providers.bedrock.kind: expected one of "openai", "bedrock"']);
    });

    it('requires dimensions of embedding models and maxOutputTokens of chat models', () => {
      const c = clone();
      delete c.models[5].dimensions;
      delete c.models[0].maxOutputTokens;
      expect(problemsOf(c)).toEqual(
        expect.arrayContaining([
          'models[0].maxOutputTokens: required for a chat model',
          expect.stringMatching(/^models\[5\]\.dimensions: required for an embedding model/),
        ]),
      );
    });

    it('allows embedding fallbacks of equal dimensions only, and never across kinds', () => {
      const c = clone();
      c.models[6].dimensions = 512;
      c.models[0].fallbacks.push('titan-embed-text-v2');
      c.routes.auto.fallbacks.push('text-embedding-3-small');
      const problems = problemsOf(c);
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^models\[5\]\.fallbacks\[0\]: "titan-embed-text-v2" returns 512 dimensions/),
          expect.stringMatching(/^models\[0\]\.fallbacks\[2\]: "titan-embed-text-v2" is an embedding model/),
          expect.stringMatching(/^routes\.auto\.fallbacks\[2\]: "text-embedding-3-small" is an embedding model/),
        ]),
      );
    });
  });

  it('names the bad field when a value is invalid', () => {
    const c = clone();
    c.models[1].pricing.outputPerMTok = -3;
    expect(problemsOf(c)).toEqual([expect.stringMatching(/^models\[1\]\.pricing\.outputPerMTok: must be >= 0$/)]);
  });

  it('rejects references to unknown providers and models', () => {
    const c = clone();
    c.models[0].endpoints[0].provider = 'nope';
    c.routes.auto.fallbacks.push('gpt-9');
    const problems = problemsOf(c);
    expect(problems).toContainEqual(
      expect.stringContaining('models[0].endpoints[0].provider: unknown provider "nope"'),
    );
    expect(problems).toContainEqual(expect.stringContaining('routes.auto.fallbacks[2]: unknown model "gpt-9"'));
  });

  it('rejects a route named like a model and a route without a general intent', () => {
    const c = clone();
    c.routes['gpt-4.1'] = { intents: { general: ['gpt-4.1'] } };
    expect(problemsOf(c)).toEqual(['routes.gpt-4.1: a route cannot share its name with a model']);
    const d = clone();
    d.routes.broken = { intents: { code: ['gpt-4.1'] } };
    expect(problemsOf(d)).toEqual(['routes.broken.intents: a route needs a "general" intent']);
  });

  it('rejects duplicate model and endpoint ids', () => {
    const c = clone();
    c.models.push(structuredClone(c.models[0]));
    const problems = problemsOf(c);
    expect(problems).toContainEqual(expect.stringContaining('duplicate model id "gpt-4.1"'));
    expect(problems).toContainEqual(expect.stringContaining('duplicate endpoint id "openai-gpt-4.1"'));
  });

  it('converts dollars to micro-dollars without float drift', () => {
    expect(dollarsToMicros(0.28)).toBe(280_000);
    expect(dollarsToMicros(0.1 + 0.2)).toBe(300_000);
  });

  it('keeps the committed JSON Schema in sync with the zod schema (run `npm run schema`)', () => {
    expect(committedSchema).toEqual(JSON.parse(JSON.stringify(configJsonSchema())));
  });
});

describe('routing config: names and alarm limits AWS enforces', () => {
  it('rejects model and route names CloudWatch dimensions and alarm names cannot carry', () => {
    const c = clone();
    c.models[0].id = 'gpt 4.1\n';
    expect(problemsOf(c)[0]).toMatch(/^models\[0\]\.id: must be 1-100 characters/);
    const d = clone();
    d.routes['my route'] = d.routes.auto;
    expect(problemsOf(d)[0]).toMatch(/^routes\.my route: name must be 1-100 characters/);
  });

  it('rejects cutover alarms whose evaluation window exceeds one day', () => {
    const c = clone();
    c.cutover = { alarms: { periodSeconds: 3600, evaluationPeriods: 25 } };
    expect(problemsOf(c)).toEqual([
      'cutover.alarms: periodSeconds x evaluationPeriods must not exceed 86400 (one day)',
    ]);
  });
});

describe('shared state settings', () => {
  it('pages an instance holder record by key (16 by default, at most 256)', () => {
    expect(compileConfig(defaultConfig).settings.sharedState.holderPages).toBe(16);
    const withPages = (holderPages: unknown) => ({ ...defaultConfig, sharedState: { holderPages } });
    expect(compileConfig(withPages(256)).settings.sharedState.holderPages).toBe(256);
    for (const bad of [0, 257, 1.5, '16']) expect(() => compileConfig(withPages(bad))).toThrow(ConfigError);
  });
});
