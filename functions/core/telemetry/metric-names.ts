/**
 * CloudWatch metric names and dimensions, declared once: the router emits them (EMF), the dashboard
 * and alarms in lib/ read them, and the local cutover evaluator computes the same alarm rules.
 */
export const METRIC_NAMESPACE = 'Switchyard';

export const METRICS = {
  requests: 'Requests',
  /** 5xx answered to clients. */
  serverErrors: 'ServerErrors',
  clientErrors: 'ClientErrors',
  /** Failed upstream attempts (dimension ErrorClass). */
  upstreamErrors: 'UpstreamErrors',
  fallbacks: 'Fallbacks',
  latency: 'Latency',
  timeToFirstToken: 'TimeToFirstToken',
  overhead: 'Overhead',
  inputTokens: 'InputTokens',
  outputTokens: 'OutputTokens',
  costMicros: 'CostMicroUsd',
  breakerOpened: 'BreakerOpened',
  endpointUp: 'EndpointUp',
  endpointLatency: 'EndpointLatency',
} as const;

export const DIMENSIONS = {
  model: 'Model',
  route: 'Route',
  version: 'FunctionVersion',
  errorClass: 'ErrorClass',
  endpoint: 'Endpoint',
} as const;
