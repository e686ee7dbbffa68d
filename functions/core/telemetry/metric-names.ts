/**
 * CloudWatch metric names and dimensions, declared once: the router emits them (EMF), the dashboard
 * and alarms in lib/ read them, and the local cutover evaluator computes the same alarm rules.
 *
 * Names here are a public contract (alarms and dashboards of deployed stacks point at them): add,
 * never rename.
 */
export const METRIC_NAMESPACE = 'Switchyard';

export const METRICS = {
  /** One per chat request (value 1). */
  requests: 'Requests',
  /**
   * 5xx answered to clients, or a stream that failed after its 200 head (the client got an SSE error
   * event): 0 or 1 per request, so Average is the error rate.
   */
  serverErrors: 'ServerErrors',
  /** 4xx answered to clients: 0 or 1 per request. */
  clientErrors: 'ClientErrors',
  /** Failed upstream attempts (dimension ErrorClass on the per-model set). */
  upstreamErrors: 'UpstreamErrors',
  /** 1 when the request was served (or failed) after passing over at least one candidate, else 0: Average is the fallback rate. */
  fallbacks: 'Fallbacks',
  /** Total request time in ms (streams: until the last byte). */
  latency: 'Latency',
  /** Streams only: request start to the first content byte sent to the client. */
  timeToFirstToken: 'TimeToFirstToken',
  /**
   * Per {Model}, version-less (the SLO alarms): time to first token of every request counted for the
   * model, streamed or not: a stream's first content byte, otherwise the whole request (the first
   * token arrives with the body). Published with Latency in the same version-less set.
   */
  firstTokenLatency: 'FirstTokenLatency',
  /** Time spent in the gateway outside upstream calls (also the x-switchyard-overhead-ms header). */
  overhead: 'Overhead',
  inputTokens: 'InputTokens',
  outputTokens: 'OutputTokens',
  /** Cost in integer micro-dollars (1 USD = 1,000,000). */
  costMicros: 'CostMicroUsd',
  /** Settled cost above the call's reservation, in micro-dollars (only emitted when > 0; should never be). */
  reservationOverrun: 'ReservationOverrunMicroUsd',
  /** Breakers a request's failures opened (router, per endpoint). */
  breakerOpened: 'BreakerOpened',
  /** Health check, per {Model, Endpoint}: 1 healthy or degraded, 0 down. */
  endpointUp: 'EndpointUp',
  /** Health check, per {Model, Endpoint}: latency of successful probes. */
  endpointLatency: 'EndpointLatency',
  /**
   * Health check gauge per {Model}, published every round: endpoints of the model not marked down.
   * The "no healthy endpoint" alarm fires when its Maximum stays below 1.
   */
  healthyEndpoints: 'HealthyEndpoints',
  /**
   * Health check gauge per {Endpoint}, published every round from the state table: 1 while the
   * endpoint's breaker is not closed (open or half-open), else 0. The router cannot publish it:
   * while a breaker is open no traffic reaches the code that knows about it. "Breaker open longer
   * than N minutes" = Minimum(BreakerOpen) >= 1 for N consecutive minutes.
   */
  breakerOpen: 'BreakerOpen',
  /**
   * Health check, per {Model, Endpoint}, with every recorded result: how many consecutive recorded
   * rounds the endpoint has been marked down (0 while up). "Down for N rounds" = Maximum >= N.
   */
  endpointDownRounds: 'EndpointDownRounds',
  /**
   * Health check gauge per {Stack}, published every round: models with at least one endpoint not
   * marked down. Below 1 means the region cannot serve any model; Route 53 fails the region over on
   * that alarm (a single-metric alarm: Route 53 accepts no metric math), not on an HTTP probe that
   * a flood could fail.
   */
  availableModels: 'AvailableModels',
} as const;

export const DIMENSIONS = {
  /**
   * The CloudFormation stack (or `local`): on every metric, so two stacks in one account and region
   * (dev and prod, both numbering router versions from 1) never share an alarm, a budget or a graph.
   */
  stack: 'Stack',
  model: 'Model',
  route: 'Route',
  version: 'FunctionVersion',
  errorClass: 'ErrorClass',
  endpoint: 'Endpoint',
} as const;

/**
 * Upstream error classes (value of the ErrorClass dimension). The first four are the ones the
 * dashboard and the issue name; the rest keep configuration errors (auth, not_found) apart from
 * transient ones.
 */
export const ERROR_CLASSES = ['429', '5xx', 'timeout', 'connection', 'stream', 'auth', 'not_found', '4xx'] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

/** Environment variable with the Stack dimension's value (the stack name; lib/ sets it on every function). */
export const STACK_NAME_ENV = 'SWITCHYARD_STACK_NAME';
/** Stack dimension value when no stack name is set (the local runtime, tests). */
export const LOCAL_STACK = 'local';

/** The Stack dimension's value for this process. */
export function stackNameFrom(env: Record<string, string | undefined>): string {
  const v = env[STACK_NAME_ENV];
  return v && v.length > 0 ? v : LOCAL_STACK;
}

/** Route dimension value for requests that named a concrete model. */
export const DIRECT_ROUTE = 'direct';

const { stack, model, route, version, errorClass, endpoint } = DIMENSIONS;

/**
 * Dimension sets of the metrics the router emits, per EMF document. Every custom metric is one
 * (name, dimension values) pair, so each set multiplies the bill: the router emits
 *
 *   request   metrics x [Stack], [Stack, Version], [Stack, Model, Version], [Stack, Route, Version]
 *   upstream  UpstreamErrors, BreakerOpened x [Stack], [Stack, Version];
 *             UpstreamErrors x [Stack, Model, ErrorClass, Version]; BreakerOpened x [Stack, Endpoint, Version]
 *   spend     CostMicroUsd x [Stack], [Stack, Model]   (version-less on purpose: budgets are per UTC
 *             day, not per version, and an alarm cannot sum a metric across versions)
 *   latency   Latency, FirstTokenLatency x [Stack, Model]   (version-less for the same reason: a
 *             model's SLO alarm must keep watching through cutovers and rollbacks)
 *
 * The version-less [Stack] sets are the stack's totals over every version: the cutover alarms read
 * the old version's share as total minus new (CloudWatch cannot know which version number is blue).
 * Nothing per key or per request (those live in the logs and in GET /v1/stats).
 */
export const ROUTER_DIMENSION_SETS = {
  request: [[stack], [stack, version], [stack, model, version], [stack, route, version]],
  upstreamTotals: [[stack], [stack, version]],
  upstreamErrorsByClass: [[stack, model, errorClass, version]],
  breakerOpenedByEndpoint: [[stack, endpoint, version]],
  spend: [[stack], [stack, model]],
  latencyByModel: [[stack, model]],
} as const satisfies Record<string, ReadonlyArray<ReadonlyArray<string>>>;

/** Metrics in the per-request document (all carry the `request` dimension sets). */
export const REQUEST_METRICS = [
  METRICS.requests,
  METRICS.serverErrors,
  METRICS.clientErrors,
  METRICS.fallbacks,
  METRICS.latency,
  METRICS.overhead,
  METRICS.timeToFirstToken,
  METRICS.inputTokens,
  METRICS.outputTokens,
  METRICS.costMicros,
] as const;

/** Dimension sets of the health-check function's metrics (published by that function). */
export const HEALTH_DIMENSION_SETS = {
  endpointUp: [[stack, model, endpoint]],
  endpointLatency: [[stack, model, endpoint]],
  endpointDownRounds: [[stack, model, endpoint]],
  healthyEndpoints: [[stack, model]],
  breakerOpen: [[stack, endpoint]],
  availableModels: [[stack]],
} as const satisfies Record<string, ReadonlyArray<ReadonlyArray<string>>>;

/**
 * Every dimension set each metric is published with, by the router or the health check: what an
 * alarm or a dashboard SEARCH may rely on (CloudWatch matches dimension sets exactly).
 */
export const METRIC_DIMENSION_SETS: Readonly<Record<string, ReadonlyArray<ReadonlyArray<string>>>> = (() => {
  const out: Record<string, Array<ReadonlyArray<string>>> = {};
  const add = (metric: string, sets: ReadonlyArray<ReadonlyArray<string>>) => (out[metric] ??= []).push(...sets);
  for (const m of REQUEST_METRICS) add(m, ROUTER_DIMENSION_SETS.request);
  add(METRICS.upstreamErrors, ROUTER_DIMENSION_SETS.upstreamTotals);
  add(METRICS.upstreamErrors, ROUTER_DIMENSION_SETS.upstreamErrorsByClass);
  add(METRICS.breakerOpened, ROUTER_DIMENSION_SETS.upstreamTotals);
  add(METRICS.breakerOpened, ROUTER_DIMENSION_SETS.breakerOpenedByEndpoint);
  add(METRICS.costMicros, ROUTER_DIMENSION_SETS.spend);
  add(METRICS.reservationOverrun, ROUTER_DIMENSION_SETS.spend);
  add(METRICS.latency, ROUTER_DIMENSION_SETS.latencyByModel);
  add(METRICS.firstTokenLatency, ROUTER_DIMENSION_SETS.latencyByModel);
  add(METRICS.endpointUp, HEALTH_DIMENSION_SETS.endpointUp);
  add(METRICS.endpointLatency, HEALTH_DIMENSION_SETS.endpointLatency);
  add(METRICS.endpointDownRounds, HEALTH_DIMENSION_SETS.endpointDownRounds);
  add(METRICS.healthyEndpoints, HEALTH_DIMENSION_SETS.healthyEndpoints);
  add(METRICS.breakerOpen, HEALTH_DIMENSION_SETS.breakerOpen);
  add(METRICS.availableModels, HEALTH_DIMENSION_SETS.availableModels);
  return out;
})();
