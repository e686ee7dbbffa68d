/** Latency objectives: tiers and their resolution per model, the config checks, and the day's verdict in /v1/stats. */
import defaultConfig from '../../config/switchyard.json';
import { compileConfig, ConfigError } from '../../functions/core/config/compile';
import { latencyBucket } from '../../functions/core/latency-histogram';
import { DEFAULT_SLO_TIERS, resolveModelSlo, resolveSlos, sloAlarmSettings } from '../../functions/core/slo/objectives';
import { sloVerdict } from '../../functions/core/slo/verdict';
import { dayStats, statsReport, type UsageRow } from '../../functions/core/stats/stats-report';
import { parseTableRow, renderStatsTable } from '../../bin/lib/stats-table';

const hist = (latencies: number[]) => {
  const h: Record<number, number> = {};
  for (const ms of latencies) h[latencyBucket(ms)] = (h[latencyBucket(ms)] ?? 0) + 1;
  return h;
};

function configWith(edit: (cfg: any) => void): unknown {
  const cfg = structuredClone(defaultConfig) as any;
  edit(cfg);
  return cfg;
}

describe('SLO tiers and their resolution', () => {
  it('has the seed tiers (200 / 1000 / 3000 ms) as time-to-first-token targets at p95', () => {
    expect(DEFAULT_SLO_TIERS).toEqual({
      fast: { ttftMs: 200, percentile: 'p95' },
      standard: { ttftMs: 1000, percentile: 'p95' },
      premium: { ttftMs: 3000, percentile: 'p95' },
    });
  });

  it('gives a model without an slo the default tier, and none when the default tier is null', () => {
    expect(resolveModelSlo({ id: 'm' }, undefined)).toEqual({
      model: 'm',
      tier: 'premium',
      ttftMs: 3000,
      percentile: 'p95',
    });
    expect(resolveModelSlo({ id: 'm' }, { defaultTier: 'fast' })?.ttftMs).toBe(200);
    expect(resolveModelSlo({ id: 'm' }, { defaultTier: null })).toBeUndefined();
    expect(resolveModelSlo({ id: 'm', slo: null }, {})).toBeUndefined();
  });

  it("lets a model override its tier's numbers, and a changed tier apply to every model that names it", () => {
    const section = { tiers: { standard: { ttftMs: 800, totalMs: 5000, percentile: 'p99' } } };
    expect(resolveModelSlo({ id: 'a', slo: { tier: 'standard' } }, section)).toEqual({
      model: 'a',
      tier: 'standard',
      ttftMs: 800,
      totalMs: 5000,
      percentile: 'p99',
    });
    expect(resolveModelSlo({ id: 'b', slo: { tier: 'standard', totalMs: 9000, percentile: 'p90' } }, section)).toEqual({
      model: 'b',
      tier: 'standard',
      ttftMs: 800,
      totalMs: 9000,
      percentile: 'p90',
    });
    // The tiers not named in the config keep their defaults.
    expect(resolveModelSlo({ id: 'c', slo: { tier: 'fast' } }, section)?.ttftMs).toBe(200);
    // A model with numbers of its own and no tier does not inherit the default tier's ttft.
    expect(resolveModelSlo({ id: 'd', slo: { totalMs: 4000 } }, section)).toEqual({
      model: 'd',
      totalMs: 4000,
      percentile: 'p95',
    });
  });

  it('resolves the shipped config: every model with the tier the docs name', () => {
    const byModel = Object.fromEntries(resolveSlos(defaultConfig).map((s) => [s.model, [s.tier, s.ttftMs]]));
    expect(byModel).toEqual({
      'gpt-4.1': ['premium', 3000],
      'claude-sonnet-4.5': ['premium', 3000],
      'gemini-2.5-flash': ['standard', 1000],
      'deepseek-v3.2': ['standard', 1000],
      'nova-pro': ['standard', 1000],
      'text-embedding-3-small': ['fast', 200],
      'titan-embed-text-v2': ['fast', 200],
    });
    // The compiled config carries the same objectives.
    const compiled = compileConfig(defaultConfig);
    expect(compiled.models.get('gemini-2.5-flash')!.slo).toEqual(resolveSlos(defaultConfig)[2]);
  });

  it('reads the alarm windows with defaults', () => {
    expect(sloAlarmSettings(undefined)).toEqual({ periodSeconds: 300, evaluationPeriods: 3, datapointsToAlarm: 3 });
    expect(sloAlarmSettings({ alarm: { periodSeconds: 60 } }).periodSeconds).toBe(60);
  });
});

describe('SLO config checks', () => {
  const problems = (cfg: unknown): string[] => {
    try {
      compileConfig(cfg);
      return [];
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      return e.problems;
    }
  };

  it('names an unknown tier, on a model and as the default', () => {
    expect(problems(configWith((c) => (c.models[0].slo = { tier: 'ludicrous' })))).toEqual([
      'models[0].slo.tier: unknown tier "ludicrous" (known: fast, standard, premium)',
    ]);
    expect(problems(configWith((c) => (c.slo = { defaultTier: 'nope' })))).toEqual([
      'slo.defaultTier: unknown tier "nope" (known: fast, standard, premium)',
    ]);
    // A tier the config defines is known.
    expect(
      problems(
        configWith((c) => {
          c.slo = { tiers: { batch: { totalMs: 60000 } } };
          c.models[0].slo = { tier: 'batch' };
        }),
      ),
    ).toEqual([]);
  });

  it('refuses an objective without a measure, a bad percentile and alarm windows over a day', () => {
    expect(problems(configWith((c) => (c.models[0].slo = { percentile: 'p95' }))).join('\n')).toMatch(
      /models\[0\]\.slo/,
    );
    expect(problems(configWith((c) => (c.models[0].slo = { ttftMs: 500, percentile: 'p97' }))).join('\n')).toMatch(
      /models\[0\]\.slo\.percentile/,
    );
    expect(problems(configWith((c) => (c.slo = { tiers: { empty: { percentile: 'p99' } } }))).join('\n')).toMatch(
      /slo\.tiers\.empty/,
    );
    expect(
      problems(configWith((c) => (c.slo = { alarm: { periodSeconds: 3600, evaluationPeriods: 25 } }))).join('\n'),
    ).toMatch(/one day/);
    expect(problems(configWith((c) => (c.models[0].slo = null)))).toEqual([]);
  });
});

describe('the day verdict', () => {
  const slo = { model: 'm', ttftMs: 500, totalMs: 2000, percentile: 'p95' as const };

  it('is met when the percentile of each measure is within its target', () => {
    const v = sloVerdict(slo, { latency: hist([900, 1000, 1100]), firstToken: hist([300, 350, 400]) });
    expect(v.met).toBe(true);
    expect(v.ttft).toEqual({ targetMs: 500, observedMs: expect.any(Number), met: true });
    expect(v.ttft!.observedMs).toBeGreaterThanOrEqual(400);
    expect(v.ttft!.observedMs).toBeLessThanOrEqual(500);
  });

  it('is missed when one measure is over, judged at the percentile (one slow request in 100 passes p95)', () => {
    const fast = Array.from({ length: 99 }, () => 300);
    expect(sloVerdict(slo, { latency: hist([1000]), firstToken: hist([...fast, 5000]) }).met).toBe(true);
    const slowTail = [...Array.from({ length: 90 }, () => 300), ...Array.from({ length: 10 }, () => 900)];
    const v = sloVerdict(slo, { latency: hist([1000]), firstToken: hist(slowTail) });
    expect(v.met).toBe(false);
    expect(v.ttft!.met).toBe(false);
    expect(v.total!.met).toBe(true);
  });

  it('says nothing (null) without requests, and judges only the measures that have data', () => {
    const none = sloVerdict(slo, { latency: {} });
    expect(none.met).toBeNull();
    expect(none.ttft).toEqual({ targetMs: 500, observedMs: null, met: null });
    // Rows from before first-token counting: the total alone decides.
    expect(sloVerdict(slo, { latency: hist([3000]) }).met).toBe(false);
  });
});

describe('the SLO column of /v1/stats and the report', () => {
  const row = (scope: string, lat: number[], ft: number[], over: Partial<UsageRow> = {}): UsageRow => ({
    scope,
    requests: lat.length,
    successes: lat.length,
    errors: 0,
    promptTokens: 0,
    completionTokens: 0,
    costMicros: 0,
    latency: hist(lat),
    firstToken: hist(ft),
    ...over,
  });
  const slos = new Map([
    ['fast-model', { model: 'fast-model', tier: 'standard', ttftMs: 1000, percentile: 'p95' as const }],
    ['slow-model', { model: 'slow-model', tier: 'fast', ttftMs: 200, percentile: 'p95' as const }],
  ]);

  it('marks each model met, missed, or without an objective', () => {
    const d = dayStats(
      '2026-12-01',
      [
        row('model#fast-model', [400, 500, 600], [400, 500, 600]),
        row('model#slow-model', [900, 1000], [900, 1000]),
        row('model#unjudged', [50], [50]),
      ],
      [],
      slos,
    );
    const by = Object.fromEntries(d.models.map((m) => [m.name, m]));
    expect(by['fast-model'].slo).toMatchObject({ tier: 'standard', met: true });
    expect(by['slow-model'].slo).toMatchObject({ tier: 'fast', met: false, ttft: { targetMs: 200, met: false } });
    expect(by.unjudged.slo).toBeNull();
    // Averages from the histogram, each bucket at its middle: within half a bucket (~6%).
    expect(Math.abs(by['fast-model'].avgMs! - 500) / 500).toBeLessThan(0.06);
    expect(Math.abs(by['slow-model'].avgMs! - 950) / 950).toBeLessThan(0.06);
  });

  it('prints one SLO row per judged model with the same values', () => {
    const report = statsReport(
      [{ day: '2026-12-01', usage: [row('model#slow-model', [900, 1000], [900, 1000])] }],
      Date.parse('2026-12-01T12:00:00Z'),
      { slos: [...slos.values()] },
    );
    const line = renderStatsTable(report)
      .split('\n')
      .find((l) => l.startsWith('slo slow-model'))!;
    const s = report.days[0].models[0].slo!;
    expect(parseTableRow(line)).toEqual([
      'slo slow-model',
      'fast',
      'p95',
      '200',
      String(s.ttft!.observedMs),
      '-',
      '-',
      'no',
    ]);
  });
});
