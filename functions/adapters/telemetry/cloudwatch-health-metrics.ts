/**
 * Endpoint health as CloudWatch metrics, batched into as few PutMetricData calls as possible per
 * round. The health check runs off the request path, so a direct API call is fine here (the router
 * uses EMF instead). Names and dimension sets come from core/telemetry/metric-names.ts, which the
 * dashboard and alarms in lib/ read too:
 *
 *   EndpointUp (1 healthy or degraded, 0 down) and EndpointLatency (successful probes only), per endpoint
 *   EndpointDownRounds (consecutive recorded rounds down, 0 while up), per endpoint: "down for N rounds"
 *   HealthyEndpoints (endpoints of the model not down), per model: "no healthy endpoint" = Maximum < 1
 *   BreakerOpen (1 while the endpoint's breaker is open or half-open), per endpoint
 *
 * each with the dimension sets HEALTH_DIMENSION_SETS declares.
 */
import {
  PutMetricDataCommand,
  type CloudWatchClient,
  type Dimension,
  type MetricDatum,
} from '@aws-sdk/client-cloudwatch';
import {
  DIMENSIONS,
  HEALTH_DIMENSION_SETS,
  LOCAL_STACK,
  METRICS,
  METRIC_NAMESPACE,
} from '../../core/telemetry/metric-names';

export interface HealthRoundMetrics {
  at: number;
  /** Endpoints whose probe result this invocation recorded. */
  endpoints: Array<{ endpointId: string; model: string; up: boolean; downRounds?: number; latencyMs?: number }>;
  models: Array<{ model: string; healthyEndpoints: number }>;
  breakers: Array<{ endpointId: string; model: string; open: boolean }>;
}

export interface HealthMetrics {
  publish(round: HealthRoundMetrics): Promise<void>;
}

/** CloudWatch accepts at most 1000 data points per PutMetricData request. */
const MAX_DATUMS_PER_CALL = 1000;

type DimensionValues = Partial<Record<string, string>>;

/** Every dimension set declared for the metric, filled from `values`. */
function datums(
  name: string,
  sets: ReadonlyArray<ReadonlyArray<string>>,
  values: DimensionValues,
  base: Omit<MetricDatum, 'MetricName' | 'Dimensions'>,
): MetricDatum[] {
  return sets.map((set) => ({
    MetricName: name,
    Dimensions: set.map((d): Dimension => ({ Name: d, Value: values[d] })),
    ...base,
  }));
}

/** `stack`: the Stack dimension's value (metric-names.ts `stackNameFrom`). */
export function healthMetricData(round: HealthRoundMetrics, stack: string = LOCAL_STACK): MetricDatum[] {
  const S = { [DIMENSIONS.stack]: stack };
  const Timestamp = new Date(round.at);
  const sets = HEALTH_DIMENSION_SETS;
  const out: MetricDatum[] = [];
  for (const e of round.endpoints) {
    const dims = { ...S, [DIMENSIONS.model]: e.model, [DIMENSIONS.endpoint]: e.endpointId };
    out.push(...datums(METRICS.endpointUp, sets.endpointUp, dims, { Value: e.up ? 1 : 0, Unit: 'None', Timestamp }));
    out.push(
      ...datums(METRICS.endpointDownRounds, sets.endpointDownRounds, dims, {
        Value: e.downRounds ?? (e.up ? 0 : 1),
        Unit: 'Count',
        Timestamp,
      }),
    );
    if (e.latencyMs !== undefined) {
      out.push(
        ...datums(METRICS.endpointLatency, sets.endpointLatency, dims, {
          Value: e.latencyMs,
          Unit: 'Milliseconds',
          Timestamp,
        }),
      );
    }
  }
  for (const m of round.models) {
    const dims = { ...S, [DIMENSIONS.model]: m.model };
    out.push(
      ...datums(METRICS.healthyEndpoints, sets.healthyEndpoints, dims, {
        Value: m.healthyEndpoints,
        Unit: 'Count',
        Timestamp,
      }),
    );
  }
  if (round.models.length > 0) {
    out.push(
      ...datums(METRICS.availableModels, sets.availableModels, S, {
        Value: round.models.filter((m) => m.healthyEndpoints >= 1).length,
        Unit: 'Count',
        Timestamp,
      }),
    );
  }
  for (const b of round.breakers) {
    const dims = { ...S, [DIMENSIONS.model]: b.model, [DIMENSIONS.endpoint]: b.endpointId };
    out.push(
      ...datums(METRICS.breakerOpen, sets.breakerOpen, dims, { Value: b.open ? 1 : 0, Unit: 'None', Timestamp }),
    );
  }
  return out;
}

export function createCloudWatchHealthMetrics(
  client: CloudWatchClient,
  namespace: string = METRIC_NAMESPACE,
  stack: string = LOCAL_STACK,
): HealthMetrics {
  return {
    async publish(round) {
      const data = healthMetricData(round, stack);
      for (let i = 0; i < data.length; i += MAX_DATUMS_PER_CALL) {
        await client.send(
          new PutMetricDataCommand({ Namespace: namespace, MetricData: data.slice(i, i + MAX_DATUMS_PER_CALL) }),
        );
      }
    },
  };
}

/** The local runtime has no CloudWatch: health is visible in GET /health and the state table. */
export const discardHealthMetrics: HealthMetrics = { publish: async () => undefined };
