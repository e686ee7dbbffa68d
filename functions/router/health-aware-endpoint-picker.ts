/**
 * Endpoint choice from the health the health-check function writes to the state table: the model's
 * `balancing` strategy over its endpoints that are not down (degraded only when nothing healthy is
 * left), read from the instance's state snapshot, so a pick costs no DynamoDB call. The caller keeps
 * the snapshot fresh (`ensureFresh()` once per request).
 */
import type { CompiledConfig, CompiledEndpoint, CompiledModel } from '../core/config/compile';
import { isStale, staleAfterMs } from '../core/health/endpoint-health';
import { countStatuses, poolStatus } from '../core/balancing/pool-status';
import { chooseEndpoint, type EndpointView } from '../core/balancing/strategies';
import type { StateSnapshot } from '../ports/state-snapshot';
import type { EndpointPicker } from './deps';

export interface HealthAwarePickerOptions {
  config: CompiledConfig;
  snapshot: StateSnapshot;
  /** This deployment's region (AWS_REGION): the caller's region when the edge sent no x-switchyard-region. */
  region?: string;
  random?: () => number;
  now?: () => number;
  /**
   * Cross-instance in-flight counts for `least_inflight` (e.g. from lease shards). Without one the
   * count is this instance's own, which on Lambda (one request per instance) is always a tie, so
   * `least_inflight` then spreads like `weighted` across instances (docs/architecture/balancing.md).
   */
  inflightSource?: (endpointId: string) => number;
}

/**
 * Round-robin cursors start at a random position per instance, or every cold start would send its
 * first request to endpoint 0. The span is divisible by every pool size up to 16, so the starting
 * endpoint is uniform for any pool that size or smaller.
 */
export const ROUND_ROBIN_START_SPAN = 720_720;

export interface EndpointHealthView extends EndpointView {
  lastError?: string;
}

export interface HealthAwareEndpointPicker extends EndpointPicker {
  /** Health as this instance sees it now (unknown when missing or stale). */
  view(endpointId: string): EndpointHealthView;
}

export function createHealthAwareEndpointPicker(opts: HealthAwarePickerOptions): HealthAwareEndpointPicker {
  const random = opts.random ?? Math.random;
  const now = opts.now ?? Date.now;
  const maxAgeMs = staleAfterMs(opts.config.settings.health);
  const inflight = new Map<string, number>();
  const cursors = new Map<string, number>();
  const view = (endpointId: string): EndpointHealthView => {
    const record = opts.snapshot.health(endpointId);
    if (!record || isStale(record, now(), maxAgeMs)) return { status: 'unknown' };
    return {
      status: record.status,
      latencyEwmaMs: record.latencyEwmaMs,
      lastError: record.lastError,
      ...(record.fleetCallMs !== undefined ? { fleetCallMs: record.fleetCallMs } : {}),
    };
  };
  const inflightOf = (id: string) => (opts.inflightSource ? opts.inflightSource(id) : (inflight.get(id) ?? 0));

  return {
    pick(model: CompiledModel, { callerRegion, exclude }): CompiledEndpoint | undefined {
      const cursor =
        cursors.get(model.id) ??
        (model.balancing === 'round_robin' ? Math.floor(random() * ROUND_ROBIN_START_SPAN) : 0);
      const choice = chooseEndpoint(model.balancing, {
        endpoints: model.endpoints.filter((e) => !exclude.has(e.id)),
        health: view,
        inflight: inflightOf,
        draw: random(),
        cursor,
        callerRegion: callerRegion ?? opts.region,
      });
      if (choice) cursors.set(model.id, cursor + 1);
      return choice;
    },
    modelStatus: (model) => poolStatus(model.endpoints.map((e) => view(e.id).status)),
    started: (id) => inflight.set(id, (inflight.get(id) ?? 0) + 1),
    finished: (id) => inflight.set(id, Math.max(0, (inflight.get(id) ?? 1) - 1)),
    inFlight: (id) => inflight.get(id) ?? 0,
    summary() {
      const endpoints = [...opts.config.endpoints.values()].map((e) => {
        const v = view(e.id);
        return {
          id: e.id,
          model: e.model,
          ...(e.region ? { region: e.region } : {}),
          status: v.status,
          ...(v.latencyEwmaMs !== undefined ? { latencyEwmaMs: Math.round(v.latencyEwmaMs) } : {}),
          ...(v.lastError && v.status !== 'healthy' ? { lastError: v.lastError } : {}),
        };
      });
      return { ...countStatuses(endpoints.map((e) => e.status)), endpoints };
    },
    view,
  };
}
