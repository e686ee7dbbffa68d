/**
 * Latency objectives (SLOs) per model, declared once: the zod schema takes its defaults from here,
 * the router judges each day's histograms with them (/v1/stats), and the CDK stack turns them into
 * one CloudWatch alarm per model and measure. Works on the raw config JSON too (lib/ reads the
 * bundled config without the zod schema), so every input is treated as untrusted shape.
 *
 * Two measures:
 * - `ttftMs`, time to first token: a stream's first content byte, or a non-streamed answer's whole
 *   time (its first token arrives with the body). It is what a caller waits before anything useful
 *   happens, whatever the length of the answer.
 * - `totalMs`: the whole request (a stream until its last byte), which grows with the output the
 *   caller asked for, so it is opt-in per model.
 *
 * The tiers are the seed article's latency classes (fast 200 ms, standard 1,000 ms, premium
 * 3,000 ms). The article timed whole non-streamed calls, which is the time-to-first-token measure
 * above; so a tier sets `ttftMs` (at p95) and no `totalMs`. See docs/operations/slos-and-health.md.
 */

export const SLO_PERCENTILES = ['p50', 'p90', 'p95', 'p99'] as const;
export type SloPercentile = (typeof SLO_PERCENTILES)[number];

export interface SloTier {
  ttftMs?: number;
  totalMs?: number;
  percentile: SloPercentile;
}

/** The seed's tiers: users may change their numbers or add tiers of their own (`slo.tiers`). */
export const DEFAULT_SLO_TIERS: Readonly<Record<string, SloTier>> = {
  fast: { ttftMs: 200, percentile: 'p95' },
  standard: { ttftMs: 1_000, percentile: 'p95' },
  premium: { ttftMs: 3_000, percentile: 'p95' },
};

/** Models without an `slo` of their own are judged by this tier (the loosest: no alarm on a model nobody classified). */
export const DEFAULT_SLO_TIER = 'premium';

export const DEFAULT_SLO_PERCENTILE: SloPercentile = 'p95';

/** Alarm windows: a sustained breach (three 5-minute periods) pages, a slow minute does not. */
export const DEFAULT_SLO_ALARM = { periodSeconds: 300, evaluationPeriods: 3, datapointsToAlarm: 3 } as const;

export interface SloAlarmSettings {
  periodSeconds: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
}

/** One model's resolved objective. */
export interface ModelSlo {
  model: string;
  /** The tier it came from, if any (a model's own numbers override the tier's). */
  tier?: string;
  ttftMs?: number;
  totalMs?: number;
  percentile: SloPercentile;
}

export function percentileFraction(p: SloPercentile): number {
  return Number(p.slice(1)) / 100;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const posInt = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
const percentileOf = (v: unknown): SloPercentile | undefined =>
  (SLO_PERCENTILES as readonly unknown[]).includes(v) ? (v as SloPercentile) : undefined;

/** The default tiers with the config's `slo.tiers` laid over them (a tier named in the config replaces the default one). */
export function sloTiers(section: unknown): Record<string, SloTier> {
  const out: Record<string, SloTier> = { ...DEFAULT_SLO_TIERS };
  const tiers = isObject(section) && isObject(section.tiers) ? section.tiers : {};
  for (const [name, t] of Object.entries(tiers)) {
    if (!isObject(t)) continue;
    out[name] = {
      ttftMs: posInt(t.ttftMs),
      totalMs: posInt(t.totalMs),
      percentile: percentileOf(t.percentile) ?? DEFAULT_SLO_PERCENTILE,
    };
  }
  return out;
}

export function sloAlarmSettings(section: unknown): SloAlarmSettings {
  const a = isObject(section) && isObject(section.alarm) ? section.alarm : {};
  return {
    periodSeconds: posInt(a.periodSeconds) ?? DEFAULT_SLO_ALARM.periodSeconds,
    evaluationPeriods: posInt(a.evaluationPeriods) ?? DEFAULT_SLO_ALARM.evaluationPeriods,
    datapointsToAlarm: posInt(a.datapointsToAlarm) ?? DEFAULT_SLO_ALARM.datapointsToAlarm,
  };
}

/**
 * A model's objective: its own `slo` (a tier, numbers, or both: numbers win), else the default
 * tier; `"slo": null` (or `slo.defaultTier: null` for models without one) means none. Undefined
 * also when the result sets neither measure. Unknown tier names resolve to nothing here; the
 * config compiler reports them.
 */
export function resolveModelSlo(model: { id: string; slo?: unknown }, section: unknown): ModelSlo | undefined {
  if (model.slo === null) return undefined;
  const tiers = sloTiers(section);
  const own = isObject(model.slo) ? model.slo : undefined;
  const defaultTier = isObject(section) && 'defaultTier' in section ? section.defaultTier : DEFAULT_SLO_TIER;
  const tierName =
    own && typeof own.tier === 'string'
      ? own.tier
      : own && (own.ttftMs !== undefined || own.totalMs !== undefined)
        ? undefined
        : typeof defaultTier === 'string'
          ? defaultTier
          : undefined;
  const tier = tierName !== undefined ? tiers[tierName] : undefined;
  if (tierName !== undefined && !tier) return undefined;
  const ttftMs = posInt(own?.ttftMs) ?? tier?.ttftMs;
  const totalMs = posInt(own?.totalMs) ?? tier?.totalMs;
  if (ttftMs === undefined && totalMs === undefined) return undefined;
  return {
    model: model.id,
    ...(tierName !== undefined ? { tier: tierName } : {}),
    ...(ttftMs !== undefined ? { ttftMs } : {}),
    ...(totalMs !== undefined ? { totalMs } : {}),
    percentile: percentileOf(own?.percentile) ?? tier?.percentile ?? DEFAULT_SLO_PERCENTILE,
  };
}

/** Every model's objective, from a raw or parsed config (models without one are left out). */
export function resolveSlos(config: unknown): ModelSlo[] {
  const cfg = isObject(config) ? config : {};
  const models = Array.isArray(cfg.models) ? cfg.models : [];
  return models
    .filter((m): m is { id: string; slo?: unknown } => isObject(m) && typeof m.id === 'string')
    .map((m) => resolveModelSlo(m, cfg.slo))
    .filter((s): s is ModelSlo => s !== undefined);
}

/** Tier names the config uses but does not define (for the compiler's error list). */
export function sloProblems(config: { slo?: unknown; models: Array<{ slo?: unknown }> }): string[] {
  const tiers = sloTiers(config.slo);
  const problems: string[] = [];
  const known = Object.keys(tiers).join(', ');
  const section = isObject(config.slo) ? config.slo : {};
  if (typeof section.defaultTier === 'string' && !tiers[section.defaultTier])
    problems.push(`slo.defaultTier: unknown tier "${section.defaultTier}" (known: ${known})`);
  config.models.forEach((m, i) => {
    const own = isObject(m.slo) ? m.slo : undefined;
    if (own && typeof own.tier === 'string' && !tiers[own.tier])
      problems.push(`models[${i}].slo.tier: unknown tier "${own.tier}" (known: ${known})`);
  });
  return problems;
}
