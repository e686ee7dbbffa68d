/**
 * What one request becomes in CloudWatch: a few EMF documents, each with its own dimension sets.
 * EMF applies every dimension set of a document to every metric in it and takes one value per
 * dimension name, so facts about different models (the one that answered, the ones that failed
 * before it) must go into different documents. Pure: the adapter only serialises the result.
 */
import type { FailureClass } from './failure-class';
import { DIMENSIONS, DIRECT_ROUTE, LOCAL_STACK, METRICS, type ErrorClass } from './metric-names';
import type { AttemptSummary, RequestSummary } from './request-summary';

export type MetricUnitName = 'Count' | 'Milliseconds' | 'None';

export interface MetricDatum {
  name: string;
  unit: MetricUnitName;
  value: number;
}

export interface MetricDocument {
  /** Values of every dimension named in `dimensionSets` (EMF takes one value per name per document). */
  dimensions: Record<string, string>;
  /** Each entry is one dimension set (names); `[]` is the set with no dimensions. */
  dimensionSets: string[][];
  metrics: MetricDatum[];
  /** Searchable in Logs Insights, not a metric (no cost). */
  metadata?: Record<string, string>;
}

const FAILURE_TO_ERROR_CLASS: Record<FailureClass, ErrorClass | null> = {
  rate_limited: '429',
  server_error: '5xx',
  timeout: 'timeout',
  connection: 'connection',
  stream_error: 'stream',
  auth: 'auth',
  not_found: 'not_found',
  client_error: '4xx',
  // An answer bigger than the gateway takes: the upstream misbehaving, counted with its 5xx.
  too_large: '5xx',
  // The client went away: not the upstream's fault.
  aborted: null,
  // Our own Secrets Manager read failed: visible in logs and ServerErrors, not as an upstream error.
  credentials_unavailable: null,
};

/** The ErrorClass of a failed attempt, or null for a success, a skip or a client abort. */
export function errorClassOf(outcome: AttemptSummary['outcome']): ErrorClass | null {
  if (typeof outcome === 'number') {
    if (outcome < 400) return null;
    if (outcome === 429) return '429';
    if (outcome === 408) return 'timeout';
    if (outcome === 401 || outcome === 403) return 'auth';
    if (outcome === 404) return 'not_found';
    return outcome >= 500 ? '5xx' : '4xx';
  }
  if (outcome.startsWith('skipped_')) return null;
  return FAILURE_TO_ERROR_CLASS[outcome as FailureClass] ?? null;
}

/** errorCode of a stream the client walked away from: not the gateway's failure. */
export const CLIENT_DISCONNECTED = 'client_disconnected';

/**
 * A server-side failure from the client's point of view: a 5xx, or a stream that broke after its
 * 200 head went out (the client saw an SSE error event, not a clean end).
 */
export function isServerFailure(s: Pick<RequestSummary, 'status' | 'errorCode'>): boolean {
  if (s.status >= 500) return true;
  return s.status < 400 && !!s.errorCode && s.errorCode !== CLIENT_DISCONNECTED;
}

const ms = (name: string, value: number): MetricDatum => ({ name, unit: 'Milliseconds', value });
const count = (name: string, value: number): MetricDatum => ({ name, unit: 'Count', value });

/** Drops values CloudWatch would reject (NaN, negative durations from clock skew). */
function finite(d: MetricDatum): boolean {
  return Number.isFinite(d.value) && d.value >= 0;
}

/**
 * `stack` is the Stack dimension's value (metric-names.ts `stackNameFrom`): every document carries
 * it and every dimension set starts with it.
 */
export function metricDocuments(s: RequestSummary, stack: string = LOCAL_STACK): MetricDocument[] {
  const V = DIMENSIONS.version;
  const S = DIMENSIONS.stack;
  const version = { [S]: stack, [V]: s.functionVersion || '$LATEST' };
  const route = s.route ?? (s.model ? DIRECT_ROUTE : null);
  const docs: MetricDocument[] = [];

  // 1. The request, counted for the version, the model that answered (or last failed) and the route.
  // Errors and fallbacks are 0/1 on every request, so Average is a rate and an idle version reports
  // zeros rather than missing data.
  const requestDims: Record<string, string> = { ...version };
  const requestSets: string[][] = [[S], [S, V]];
  if (s.model) {
    requestDims[DIMENSIONS.model] = s.model;
    requestSets.push([S, DIMENSIONS.model, V]);
  }
  if (route) {
    requestDims[DIMENSIONS.route] = route;
    requestSets.push([S, DIMENSIONS.route, V]);
  }
  docs.push({
    dimensions: requestDims,
    dimensionSets: requestSets,
    metrics: [
      count(METRICS.requests, 1),
      count(METRICS.serverErrors, isServerFailure(s) ? 1 : 0),
      count(METRICS.clientErrors, s.status >= 400 && s.status < 500 ? 1 : 0),
      count(METRICS.fallbacks, s.fallbacks > 0 ? 1 : 0),
      ms(METRICS.latency, s.totalMs),
      ms(METRICS.overhead, s.overheadMs),
      ...(s.ttftMs !== undefined ? [ms(METRICS.timeToFirstToken, s.ttftMs)] : []),
      count(METRICS.inputTokens, s.promptTokens),
      count(METRICS.outputTokens, s.completionTokens),
      { name: METRICS.costMicros, unit: 'None' as const, value: s.costMicros },
    ].filter(finite),
    metadata: { requestId: s.requestId },
  });

  // 2. Version totals of failed attempts and opened breakers, zeros included: the cutover alarms
  // watch these per version and must see "0" rather than "no data" on a healthy version.
  const byClass = new Map<string, { model: string; errorClass: ErrorClass; n: number }>();
  let failed = 0;
  for (const a of s.attempts) {
    const errorClass = errorClassOf(a.outcome);
    if (!errorClass) continue;
    failed += 1;
    const key = `${a.model}\u0000${errorClass}`;
    const entry = byClass.get(key) ?? { model: a.model, errorClass, n: 0 };
    entry.n += 1;
    byClass.set(key, entry);
  }
  docs.push({
    dimensions: version,
    dimensionSets: [[S], [S, V]],
    metrics: [count(METRICS.upstreamErrors, failed), count(METRICS.breakerOpened, s.breakersOpened.length)],
  });

  // 3. Failed attempts per model and class: only emitted when they happen.
  for (const { model, errorClass, n } of byClass.values()) {
    docs.push({
      dimensions: { [DIMENSIONS.model]: model, [DIMENSIONS.errorClass]: errorClass, ...version },
      dimensionSets: [[S, DIMENSIONS.model, DIMENSIONS.errorClass, V]],
      metrics: [count(METRICS.upstreamErrors, n)],
    });
  }

  // 4. Which breakers opened (endpoint ids).
  for (const endpoint of new Set(s.breakersOpened)) {
    docs.push({
      dimensions: { [DIMENSIONS.endpoint]: endpoint, ...version },
      dimensionSets: [[S, DIMENSIONS.endpoint, V]],
      metrics: [count(METRICS.breakerOpened, 1)],
    });
  }

  // 5. Spend without the version, for the budget alarms and the cost-per-day widget.
  if (s.model && Number.isFinite(s.costMicros) && s.costMicros >= 0) {
    docs.push({
      dimensions: { [S]: stack, [DIMENSIONS.model]: s.model },
      dimensionSets: [[S], [S, DIMENSIONS.model]],
      metrics: [
        { name: METRICS.costMicros, unit: 'None', value: s.costMicros },
        ...(s.overrunMicros && s.overrunMicros > 0
          ? [{ name: METRICS.reservationOverrun, unit: 'None' as const, value: s.overrunMicros }]
          : []),
      ],
    });
  }

  // 6. Latency per model without the version, for the SLO alarms: the same requests the model's
  // /v1/stats row counts, so the alarm and the day's verdict judge the same population.
  if (s.model) {
    const latency = [ms(METRICS.latency, s.totalMs), ms(METRICS.firstTokenLatency, s.ttftMs ?? s.totalMs)].filter(
      finite,
    );
    if (latency.length)
      docs.push({
        dimensions: { [S]: stack, [DIMENSIONS.model]: s.model },
        dimensionSets: [[S, DIMENSIONS.model]],
        metrics: latency,
      });
  }
  return docs;
}
