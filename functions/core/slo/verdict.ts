/**
 * Did a model meet its latency objective on a day? Judged on the day's histograms (the usage
 * counters every request adds to): the objective's percentile is read back as the upper bound of
 * the bucket holding it, so the verdict errs towards "missed" by at most one bucket (~12%), never
 * towards "met". The CloudWatch alarm judges the same percentile on exact samples, per period.
 */
import { quantileMs } from '../latency-histogram';
import { type ModelSlo, percentileFraction, type SloPercentile } from './objectives';

export interface SloMeasure {
  targetMs: number;
  /** The day's percentile (bucket upper bound); null without requests. */
  observedMs: number | null;
  /** null: no requests to judge. */
  met: boolean | null;
}

export interface SloVerdict {
  percentile: SloPercentile;
  tier: string | null;
  ttft: SloMeasure | null;
  total: SloMeasure | null;
  /** Every measure with data met its target; null when no measure had data. */
  met: boolean | null;
}

function measure(targetMs: number | undefined, hist: Record<number, number>, q: number): SloMeasure | null {
  if (targetMs === undefined) return null;
  const observedMs = quantileMs(hist, q);
  return { targetMs, observedMs, met: observedMs === null ? null : observedMs <= targetMs };
}

export function sloVerdict(
  slo: ModelSlo,
  hist: { latency: Record<number, number>; firstToken?: Record<number, number> },
): SloVerdict {
  const q = percentileFraction(slo.percentile);
  const ttft = measure(slo.ttftMs, hist.firstToken ?? {}, q);
  const total = measure(slo.totalMs, hist.latency, q);
  const judged = [ttft, total].filter((m): m is SloMeasure => m !== null && m.met !== null);
  return {
    percentile: slo.percentile,
    tier: slo.tier ?? null,
    ttft,
    total,
    met: judged.length === 0 ? null : judged.every((m) => m.met),
  };
}
