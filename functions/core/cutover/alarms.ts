/**
 * The cutover alarms as plain data. lib/ turns each spec into a CloudWatch alarm on the new
 * version's metrics; the local cutover evaluates the very same specs (metric queries, expression,
 * threshold, periods) on the metrics its router versions emit.
 *
 * Every metric is pinned to the new version (FunctionVersion / ExecutedVersion), never the alias:
 * an alarm still red from a bad version must not stop the deployment that replaces it.
 */
import { DIMENSIONS, METRIC_NAMESPACE, METRICS } from '../telemetry/metric-names';
import type { CutoverAlarmSettings } from './settings';

export type Statistic = 'Sum' | 'p99';

export interface MetricQuery {
  /** Expression variable (CloudWatch requires a lower-case first letter). */
  id: string;
  namespace: string;
  metricName: string;
  /** The exact dimension set: CloudWatch matches all of them and no others. */
  dimensions: Record<string, string>;
  statistic: Statistic;
}

/** The subset of CloudWatch metric math the alarms need, as data so it can be rendered and evaluated. */
export type Expr =
  | { ref: string }
  | { num: number }
  | { op: '+' | '*' | '/'; a: Expr; b: Expr }
  | { fill: string; value: number }
  | { ifAtLeast: [Expr, Expr]; whenTrue: Expr; whenFalse: Expr };

export type CutoverAlarmId = 'ErrorRate' | 'FallbackRate' | 'LatencyP99' | 'FunctionErrors';

export interface AlarmSpec {
  id: CutoverAlarmId;
  /** Kebab-case, for alarm names. */
  slug: string;
  description: string;
  metrics: MetricQuery[];
  /** Absent: the alarm watches metrics[0] itself. */
  expression?: Expr;
  /** Breaches when the value is greater than this. */
  threshold: number;
  unit: '%' | 'ms' | 'errors';
  periodSeconds: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  /** No traffic on the new version is no evidence against it. */
  treatMissingData: 'notBreaching';
}

export interface AlarmTarget {
  /** The new version's number (a CDK token at synth time). */
  version: string;
  functionName: string;
  aliasName: string;
}

const ref = (id: string): Expr => ({ ref: id });
const num = (n: number): Expr => ({ num: n });

/** 100 * numerator / requests, or 0 while the period has fewer than `min` requests. */
function ratePercent(numerator: Expr, min: number): Expr {
  return {
    ifAtLeast: [ref('requests'), num(min)],
    whenTrue: { op: '/', a: { op: '*', a: num(100), b: numerator }, b: ref('requests') },
    whenFalse: num(0),
  };
}

export function cutoverAlarms(a: CutoverAlarmSettings, target: AlarmTarget): AlarmSpec[] {
  const byVersion = { [DIMENSIONS.version]: target.version };
  const router = (id: string, metricName: string, statistic: Statistic = 'Sum'): MetricQuery => ({
    id,
    namespace: METRIC_NAMESPACE,
    metricName,
    dimensions: byVersion,
    statistic,
  });
  const common = {
    periodSeconds: a.periodSeconds,
    evaluationPeriods: a.evaluationPeriods,
    datapointsToAlarm: a.evaluationPeriods,
    treatMissingData: 'notBreaching' as const,
  };
  const requests = router('requests', METRICS.requests);
  return [
    {
      id: 'ErrorRate',
      slug: 'error-rate',
      description: `5xx answers plus failed upstream attempts per 100 requests of the new version above ${a.errorRatePercent}`,
      metrics: [
        requests,
        router('serverErrors', METRICS.serverErrors),
        router('upstreamErrors', METRICS.upstreamErrors),
      ],
      expression: ratePercent(
        { op: '+', a: { fill: 'serverErrors', value: 0 }, b: { fill: 'upstreamErrors', value: 0 } },
        a.minRequests,
      ),
      threshold: a.errorRatePercent,
      unit: '%',
      ...common,
    },
    {
      id: 'FallbackRate',
      slug: 'fallback-rate',
      description: `Requests of the new version answered from a fallback, per 100, above ${a.fallbackRatePercent}`,
      metrics: [requests, router('fallbacks', METRICS.fallbacks)],
      expression: ratePercent({ fill: 'fallbacks', value: 0 }, a.minRequests),
      threshold: a.fallbackRatePercent,
      unit: '%',
      ...common,
    },
    {
      id: 'LatencyP99',
      slug: 'latency-p99',
      description: `p99 request latency of the new version above ${a.p99LatencyMs} ms`,
      metrics: [router('latency', METRICS.latency, 'p99')],
      threshold: a.p99LatencyMs,
      unit: 'ms',
      ...common,
    },
    {
      id: 'FunctionErrors',
      slug: 'function-errors',
      description: `Lambda Errors of the new version (executed through the ${target.aliasName} alias) above ${a.functionErrors}`,
      metrics: [
        {
          id: 'errors',
          namespace: 'AWS/Lambda',
          metricName: 'Errors',
          dimensions: {
            FunctionName: target.functionName,
            Resource: `${target.functionName}:${target.aliasName}`,
            ExecutedVersion: target.version,
          },
          statistic: 'Sum',
        },
      ],
      threshold: a.functionErrors,
      unit: 'errors',
      ...common,
    },
  ];
}

/** CloudWatch metric math text of an expression. */
export function renderExpression(e: Expr): string {
  if ('ref' in e) return e.ref;
  if ('num' in e) return String(e.num);
  if ('fill' in e) return `FILL(${e.fill}, ${e.value})`;
  if ('op' in e) return `(${renderExpression(e.a)} ${e.op} ${renderExpression(e.b)})`;
  return `IF(${renderExpression(e.ifAtLeast[0])} >= ${renderExpression(e.ifAtLeast[1])}, ${renderExpression(e.whenTrue)}, ${renderExpression(e.whenFalse)})`;
}

/**
 * Evaluates an expression for one period. `values` holds each metric's statistic for the period,
 * undefined when the metric had no data: like CloudWatch, a missing operand makes the result
 * missing unless FILL supplies it.
 */
export function evaluateExpression(e: Expr, values: Record<string, number | undefined>): number | undefined {
  if ('ref' in e) return values[e.ref];
  if ('num' in e) return e.num;
  if ('fill' in e) return values[e.fill] ?? e.value;
  if ('op' in e) {
    const a = evaluateExpression(e.a, values);
    const b = evaluateExpression(e.b, values);
    if (a === undefined || b === undefined) return undefined;
    if (e.op === '+') return a + b;
    if (e.op === '*') return a * b;
    return b === 0 ? undefined : a / b;
  }
  const [l, r] = e.ifAtLeast.map((x) => evaluateExpression(x, values));
  if (l === undefined || r === undefined) return undefined;
  return l >= r ? evaluateExpression(e.whenTrue, values) : evaluateExpression(e.whenFalse, values);
}
