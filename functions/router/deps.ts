/**
 * The router's collaborators, each behind a port in domain terms (functions/ports/) or a small
 * router-local interface. Handlers build them once per instance (default-deps.ts); tests and the
 * local runtime pass their own.
 */
import type { ProviderClient } from '../ports/bedrock';
import type { Tracing } from '../ports/tracing';
import type { StateSnapshot } from '../ports/state-snapshot';
import type { CompiledConfig, CompiledEndpoint, CompiledModel } from '../core/config/compile';
import type { BreakerStore } from '../ports/breakers';
import type { SecretSource } from '../ports/secrets';
import type { ResponseCache } from '../ports/response-cache';
import type { QuotaReport, SharedQuota } from '../ports/shared-quota';
import type { StoreHealth } from '../ports/store-health';
import type { LogFn, Telemetry } from '../ports/telemetry';
import type { UpstreamClient } from '../ports/upstream';
import type { CallerKey } from './request-context';
import type { AdminDeps } from './admin/admin-deps';

export type { LogFn, Telemetry };

export type EndpointStatus = 'healthy' | 'degraded' | 'down' | 'unknown';

/** Chooses an endpoint inside a model's pool (balancing strategy, health, region preference). */
export interface EndpointPicker {
  /** The endpoint to call next, or undefined when none is usable (all down or excluded). */
  pick(
    model: CompiledModel,
    opts: { callerRegion?: string; exclude: ReadonlySet<string> },
  ): CompiledEndpoint | undefined;
  /** `down` when health checks say every endpoint of the model is down. */
  modelStatus(model: CompiledModel): EndpointStatus;
  /** In-flight bookkeeping (least-in-flight balancing). */
  started(endpointId: string): void;
  finished(endpointId: string): void;
  /** Calls this instance has in flight to the endpoint now. */
  inFlight?(endpointId: string): number;
  /** Counts and per-endpoint status for GET /health: never URLs or keys. */
  summary(): {
    healthy: number;
    degraded: number;
    down: number;
    unknown: number;
    endpoints: Array<{
      id: string;
      model: string;
      region?: string;
      status: EndpointStatus;
      latencyEwmaMs?: number;
      lastError?: string;
    }>;
  };
}

/** What a virtual key may call: allowed models and routes (its quotas are shared state: deps.quota). */
export interface KeyPolicy {
  /** Throws a 403 GatewayError when the key may not call this model or route. */
  checkModelAccess(key: CallerKey | undefined, requested: string): void;
}

export interface RouterDeps {
  config: CompiledConfig;
  upstream: UpstreamClient;
  /** Amazon Bedrock endpoints (provider kind `bedrock`). */
  bedrock: ProviderClient;
  secrets: SecretSource;
  endpoints: EndpointPicker;
  telemetry: Telemetry;
  keyPolicy: KeyPolicy;
  /** Cached shared state (breakers, health); `ensureFresh()` once per request. */
  state: StateSnapshot;
  breakers: BreakerStore;
  /** Budgets, rate limits and concurrency caps shared by every instance (quota slices). */
  quota: SharedQuota;
  /** Usage counters and budget figures per day, for /v1/stats. */
  report: QuotaReport;
  dynamo: StoreHealth;
  now: () => number;
  random: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  log: LogFn;
  /** Admin endpoints and the console (key records, request log, cutover); absent parts answer 404. */
  admin?: AdminDeps;
  /** One span per upstream attempt (ports/tracing.ts). Absent: no tracing. */
  tracing?: Tracing;
  /** Exact-match response cache (docs/operations/response-cache.md). Absent: nothing is cached. */
  responseCache?: ResponseCache;
}
