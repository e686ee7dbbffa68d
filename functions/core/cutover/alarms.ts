/**
 * The cutover alarms as plain data. lib/ turns each spec into a CloudWatch alarm; the local cutover
 * evaluates the very same specs (metric queries, expression, threshold, periods) on the metrics its
 * router versions emit.
 *
 * They judge the new version (green) against the old one (blue) over the same periods, because
 * during a canary blue still serves most traffic: a provider incident raises both versions' error
 * and fallback rates, and only a difference says the new version is at fault. CloudWatch cannot
 * know blue's version number when the alarm is created, so blue is the stack's total (every
 * version, the version-less [Stack] set) minus green. Every rate needs a minimum number of green
 * requests in the period, blue's side needs as many or counts as 0 (then the rule is absolute:
 * nothing to compare with), and M of the last N periods must breach.
 *
 * Every metric is pinned to this stack (Stack dimension) and green to its version number, never the
 * alias: an alarm still red from a bad version must not stop the deployment that replaces it.
 */
import { DIMENSIONS, METRIC_NAMESPACE, METRICS } from '../telemetry/metric-names';
import type { CutoverAlarmSettings } from './settings';

export type Statistic = 'Sum' | 'p99' | 'SampleCount';

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
  | { op: '+' | '-' | '*' | '/'; a: Expr; b: Expr }
  | { fill: string; value: number }
  | { ifAtLeast: [Expr, Expr]; whenTrue: Expr; whenFalse: Expr };

export type CutoverAlarmId = 'ErrorRate' | 'FallbackRate' | 'TimeToFirstToken' | 'FunctionErrors';

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
  /** `points`: percentage points of green above blue. */
  unit: 'points' | 'ms';
  periodSeconds: number;
  evaluationPeriods: number;
  /** M of the last `evaluationPeriods` (N) periods must breach. */
  datapointsToAlarm: number;
  /** No traffic on the new version is no evidence against it. */
  treatMissingData: 'notBreaching';
}

export interface AlarmTarget {
  /** The new version's number (a CDK token at synth time). */
  version: string;
  functionName: string;
  aliasName: string;
  /** The Stack dimension's value (the stack name). */
  stack: string;
}

const ref = (id: string): Expr => ({ ref: id });
const num = (n: number): Expr => ({ num: n });
const fill = (id: string): Expr => ({ fill: id, value: 0 });
const op = (o: '+' | '-' | '*' | '/', a: Expr, b: Expr): Expr => ({ op: o, a, b });
const atLeast = (x: Expr, min: Expr, whenTrue: Expr, whenFalse: Expr): Expr => ({
  ifAtLeast: [x, min],
  whenTrue,
  whenFalse,
});

/** Ids of a rate's metric queries: green's (`g…`) and the stack total's (`t…`). */
export interface RateIds {
  /** Green's request count: present whenever green served anything in the period. */
  greenRequests: string;
  /** Green's counted events (errors, fallbacks), FILLed with 0. */
  greenEvents: string[];
  totalRequests: string;
  totalEvents: string[];
}

/**
 * Green's rate minus blue's, in percentage points, for one period:
 *
 *   IF(gReq >= min, 100*gEv/gReq - IF(bReq >= min, 100*bEv/max(bReq, 1), 0), 0)
 *   where bReq = tReq - gReq and bEv = tEv - gEv
 *
 * Fewer than `min` green requests: 0 (not enough evidence). Missing green requests: missing (no
 * traffic, treated as not breaching).
 */
export function relativeRate(ids: RateIds, min: number): Expr {
  const sum = (xs: string[]) => xs.map(fill).reduce((a, b) => op('+', a, b));
  const gReq = ref(ids.greenRequests);
  const gEv = sum(ids.greenEvents);
  const bReq = op('-', fill(ids.totalRequests), fill(ids.greenRequests));
  const bEv = op('-', sum(ids.totalEvents), gEv);
  const gRate = op('/', op('*', num(100), gEv), gReq);
  // The divisor is never 0, even in periods where the IF below discards the quotient.
  const bRate = op('/', op('*', num(100), bEv), atLeast(bReq, num(1), bReq, num(1)));
  return atLeast(gReq, num(min), op('-', gRate, atLeast(bReq, num(min), bRate, num(0))), num(0));
}

/**
 * Lambda Errors per 100 invocations of the new version through the alias, in points above the old
 * version's over the same period (the alias total minus the new version). Used for the router
 * (one of its cutover alarms) and alone for the authorizer, whose every deploy is canaried too.
 */
export function functionErrorRateAlarm(a: CutoverAlarmSettings, target: Omit<AlarmTarget, 'stack'>): AlarmSpec {
  const lambda = (id: string, metricName: string, version?: string): MetricQuery => ({
    id,
    namespace: 'AWS/Lambda',
    metricName,
    // Lambda publishes alias metrics per [FunctionName, Resource] and per executed version.
    dimensions: {
      FunctionName: target.functionName,
      Resource: `${target.functionName}:${target.aliasName}`,
      ...(version === undefined ? {} : { ExecutedVersion: version }),
    },
    statistic: 'Sum',
  });
  return {
    id: 'FunctionErrors',
    slug: 'function-errors',
    description: `Lambda Errors per 100 invocations of the new version (through the ${target.aliasName} alias) more than ${a.functionErrorRatePercent} points higher than the old version's over the same period (${a.datapointsToAlarm} of ${a.evaluationPeriods} periods, at least ${a.minRequests} invocations)`,
    metrics: [
      lambda('gInv', 'Invocations', target.version),
      lambda('gErr', 'Errors', target.version),
      lambda('tInv', 'Invocations'),
      lambda('tErr', 'Errors'),
    ],
    expression: relativeRate(
      { greenRequests: 'gInv', greenEvents: ['gErr'], totalRequests: 'tInv', totalEvents: ['tErr'] },
      a.minRequests,
    ),
    threshold: a.functionErrorRatePercent,
    unit: 'points',
    periodSeconds: a.periodSeconds,
    evaluationPeriods: a.evaluationPeriods,
    datapointsToAlarm: a.datapointsToAlarm,
    treatMissingData: 'notBreaching',
  };
}

export function cutoverAlarms(a: CutoverAlarmSettings, target: AlarmTarget): AlarmSpec[] {
  const stack = { [DIMENSIONS.stack]: target.stack };
  const green = { ...stack, [DIMENSIONS.version]: target.version };
  const q = (id: string, metricName: string, dimensions: Record<string, string>, statistic: Statistic = 'Sum') => ({
    id,
    namespace: METRIC_NAMESPACE,
    metricName,
    dimensions,
    statistic,
  });
  const common = {
    periodSeconds: a.periodSeconds,
    evaluationPeriods: a.evaluationPeriods,
    datapointsToAlarm: a.datapointsToAlarm,
    treatMissingData: 'notBreaching' as const,
  };
  const than = `than the old version's over the same period (${a.datapointsToAlarm} of ${a.evaluationPeriods} periods, at least ${a.minRequests} requests)`;
  return [
    {
      id: 'ErrorRate',
      slug: 'error-rate',
      description: `5xx answers plus failed upstream attempts per 100 requests of the new version more than ${a.errorRatePercent} points higher ${than}`,
      metrics: [
        q('gReq', METRICS.requests, green),
        q('gSrv', METRICS.serverErrors, green),
        q('gUp', METRICS.upstreamErrors, green),
        q('tReq', METRICS.requests, stack),
        q('tSrv', METRICS.serverErrors, stack),
        q('tUp', METRICS.upstreamErrors, stack),
      ],
      expression: relativeRate(
        { greenRequests: 'gReq', greenEvents: ['gSrv', 'gUp'], totalRequests: 'tReq', totalEvents: ['tSrv', 'tUp'] },
        a.minRequests,
      ),
      threshold: a.errorRatePercent,
      unit: 'points',
      ...common,
    },
    {
      id: 'FallbackRate',
      slug: 'fallback-rate',
      description: `Requests of the new version answered from a fallback, per 100, more than ${a.fallbackRatePercent} points higher ${than}`,
      metrics: [
        q('gReq', METRICS.requests, green),
        q('gFb', METRICS.fallbacks, green),
        q('tReq', METRICS.requests, stack),
        q('tFb', METRICS.fallbacks, stack),
      ],
      expression: relativeRate(
        { greenRequests: 'gReq', greenEvents: ['gFb'], totalRequests: 'tReq', totalEvents: ['tFb'] },
        a.minRequests,
      ),
      threshold: a.fallbackRatePercent,
      unit: 'points',
      ...common,
    },
    {
      id: 'TimeToFirstToken',
      slug: 'ttft-p99',
      description: `p99 time to first token of the new version's streams above ${a.ttftP99Ms} ms (at least ${a.minRequests} streams a period; whole-stream time grows with the answer and is not judged)`,
      metrics: [
        q('gTtft', METRICS.timeToFirstToken, green, 'p99'),
        q('gStreams', METRICS.timeToFirstToken, green, 'SampleCount'),
      ],
      expression: atLeast(ref('gStreams'), num(a.minRequests), ref('gTtft'), num(0)),
      threshold: a.ttftP99Ms,
      unit: 'ms',
      ...common,
    },
    functionErrorRateAlarm(a, target),
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
    if (e.op === '-') return a - b;
    if (e.op === '*') return a * b;
    return b === 0 ? undefined : a / b;
  }
  const [l, r] = e.ifAtLeast.map((x) => evaluateExpression(x, values));
  if (l === undefined || r === undefined) return undefined;
  return l >= r ? evaluateExpression(e.whenTrue, values) : evaluateExpression(e.whenFalse, values);
}
