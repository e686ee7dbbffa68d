/**
 * The router's collaborators, each behind a small interface. Handlers build them once per
 * instance (default-deps.ts); tests and the local runtime pass their own.
 */
import type { CompiledConfig, CompiledEndpoint, CompiledModel } from '../core/config/compile';
import type { RequestSummary } from '../core/telemetry/request-summary';
import type { UpstreamClient } from '../ports/upstream';
import type { ProviderClient } from '../ports/bedrock';
import type { UsageStore } from '../adapters/dynamo/usage-store';
import type { SecretSource } from '../adapters/secrets/types';
import type { DynamoHealth } from '../adapters/dynamo/dynamo-health';
import type { BreakerStore } from '../adapters/dynamo/breaker-store';
import type { LeaseStore } from '../adapters/dynamo/lease-store';
import type { BudgetLedger } from '../adapters/dynamo/budget-ledger';
import type { StateSnapshot } from '../adapters/dynamo/state-snapshot';
import type { WriteBacklog } from '../adapters/dynamo/write-backlog';
import type { CallerKey } from './request-context';

export type LogFn = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

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

/** Structured logs and metrics for a finished request; synchronous, no network I/O. */
export interface Telemetry {
  requestDone(summary: RequestSummary): void;
}

export interface RateAdmission {
  /** x-ratelimit-* headers to attach to the response. */
  headers: Record<string, string>;
}

/** What a virtual key may do: allowed models, requests and tokens per minute. */
export interface KeyPolicy {
  /** Throws a 403 GatewayError when the key may not call this model or route. */
  checkModelAccess(key: CallerKey | undefined, requested: string): void;
  /** Counts one request against the key's RPM/TPM; throws a 429 GatewayError (with Retry-After) when over. */
  admit(key: CallerKey | undefined, estimatedTokens: number): Promise<RateAdmission>;
  /** Adds the real token usage after the call (TPM counts real usage). */
  recordTokens(key: CallerKey | undefined, tokens: number): Promise<void>;
}

export interface RouterDeps {
  config: CompiledConfig;
  upstream: UpstreamClient;
  /** Amazon Bedrock endpoints (provider kind `bedrock`). */
  bedrock: ProviderClient;
  usage: UsageStore;
  secrets: SecretSource;
  endpoints: EndpointPicker;
  telemetry: Telemetry;
  keyPolicy: KeyPolicy;
  /** Cached shared state (breakers, health); `ensureFresh()` once per request. */
  state: StateSnapshot;
  breakers: BreakerStore;
  leases: LeaseStore;
  /** Daily budget ledgers (reserve, settle, sweep, snapshot for stats). */
  ledger: BudgetLedger;
  dynamo: DynamoHealth;
  /** Writes kept while DynamoDB failed (spend, counters, lease releases); drained after responses once it answers. */
  backlog?: WriteBacklog;
  now: () => number;
  random: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  log: LogFn;
}
