/**
 * The instance's cached copy of per-endpoint shared state (breakers, health) from the state table.
 * The warm hot path reads it from memory; when it is older than the TTL a background refresh is
 * started and the current copy keeps serving (stale-while-revalidate). Only a cold instance waits,
 * once, for the first load. If DynamoDB is unreachable the last copy (or nothing: fail open) serves.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EndpointHealth } from '../../core/health/endpoint-health';
import type { BreakerState } from '../../core/resilience/breaker';
import type { StateSnapshot } from '../../ports/state-snapshot';
import { BREAKER_SK, breakerFromItem } from './breaker-item';
import type { DynamoHealth } from './dynamo-health';
import { endpointIdOf, endpointPk } from './endpoint-key';
import { fromItem as healthFromItem, HEALTH_SK } from './health-item';
import { batchGetAll } from './operations';

/** The snapshot as the DynamoDB breaker store uses it: it also records the breakers it just wrote. */
export interface DynamoStateSnapshot extends StateSnapshot {
  /** What this instance just wrote (or read consistently), ahead of the next refresh. */
  putBreaker(endpointId: string, state: BreakerState): void;
}

export interface SnapshotOptions {
  ddb: DynamoDBClient;
  table: string;
  endpointIds: string[];
  ttlMs: number;
  /** Cap on how long a cold start waits for the first load before serving fail-open. */
  firstLoadTimeoutMs?: number;
  dynamo: DynamoHealth;
  now: () => number;
}

export function createStateSnapshot(opts: SnapshotOptions): DynamoStateSnapshot {
  // Decoded once per load: the hot path reads records, never items.
  let breakers = new Map<string, BreakerState>();
  let health = new Map<string, EndpointHealth>();
  let loadedAt = 0;
  let inflight: Promise<void> | null = null;
  let firstLoad: Promise<void> | null = null;

  async function load(): Promise<void> {
    const keys = opts.endpointIds.flatMap((id) =>
      [BREAKER_SK, HEALTH_SK].map((sk) => ({ pk: { S: endpointPk(id) }, sk: { S: sk } })),
    );
    const freshBreakers = new Map<string, BreakerState>();
    const freshHealth = new Map<string, EndpointHealth>();
    for (const item of await batchGetAll(opts.ddb, opts.table, keys, false)) {
      const id = endpointIdOf(item.pk.S!);
      if (item.sk.S === BREAKER_SK) freshBreakers.set(id, breakerFromItem(item));
      else {
        const record = healthFromItem(item);
        if (record) freshHealth.set(id, record);
      }
    }
    breakers = freshBreakers;
    health = freshHealth;
    loadedAt = opts.now();
  }

  function refresh(): Promise<void> {
    inflight ??= load()
      .then(() => opts.dynamo.ok())
      .catch((err) => {
        // Keep serving the last copy; push the next attempt a TTL away instead of retrying per request.
        loadedAt = opts.now();
        opts.dynamo.failed('state snapshot refresh', err);
      })
      .finally(() => {
        inflight = null;
      });
    return inflight;
  }

  return {
    breaker: (id) => breakers.get(id),
    health: (id) => health.get(id),
    putBreaker: (id, state) => {
      breakers.set(id, state);
    },
    async ensureFresh() {
      if (!firstLoad) {
        const timeout = opts.firstLoadTimeoutMs ?? 1_500;
        firstLoad = Promise.race([refresh(), new Promise<void>((r) => setTimeout(r, timeout).unref())]);
        await firstLoad;
        return;
      }
      if (opts.now() - loadedAt >= opts.ttlMs) void refresh();
    },
    refresh,
    loadedAt: () => loadedAt,
  };
}
