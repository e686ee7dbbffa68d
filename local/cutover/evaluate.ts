/**
 * CloudWatch's alarm evaluation, reduced to what the cutover alarms use: per-period statistics of
 * exact-dimension metrics, the alarm's expression, and "M of the last N periods breaching".
 */
import {
  evaluateExpression,
  type AlarmSpec,
  type MetricQuery,
  type Statistic,
} from '../../functions/core/cutover/alarms';

/** One value a version emitted (one EMF metric value, or one Lambda invocation error). */
export interface MetricSample {
  at: number;
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  value: number;
}

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export function statistic(stat: Statistic, values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  if (stat === 'Sum') return values.reduce((s, v) => s + v, 0);
  if (stat === 'SampleCount') return values.length;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(0.99 * sorted.length) - 1)];
}

function sameDimensions(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

export function matches(q: MetricQuery, s: MetricSample): boolean {
  return s.namespace === q.namespace && s.metricName === q.metricName && sameDimensions(q.dimensions, s.dimensions);
}

/** The alarm's value for samples in [from, to), or undefined when the period has no data. */
export function periodValue(
  spec: AlarmSpec,
  samples: readonly MetricSample[],
  from: number,
  to: number,
): number | undefined {
  const values: Record<string, number | undefined> = {};
  for (const q of spec.metrics) {
    values[q.id] = statistic(
      q.statistic,
      samples.filter((s) => s.at >= from && s.at < to && matches(q, s)).map((s) => s.value),
    );
  }
  return spec.expression ? evaluateExpression(spec.expression, values) : values[spec.metrics[0].id];
}

export function breaches(spec: AlarmSpec, value: number | undefined): boolean {
  // treatMissingData notBreaching: a period without data counts as good.
  return value !== undefined && value > spec.threshold;
}

/** State after the latest period, from the values of all periods so far (oldest first). */
export function alarmState(spec: AlarmSpec, periodValues: ReadonlyArray<number | undefined>): AlarmState {
  const window = periodValues.slice(-spec.evaluationPeriods);
  if (window.filter((v) => breaches(spec, v)).length >= spec.datapointsToAlarm) return 'ALARM';
  return window.every((v) => v === undefined) ? 'INSUFFICIENT_DATA' : 'OK';
}
