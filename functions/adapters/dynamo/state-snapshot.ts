/**
 * The instance's cached copy of per-endpoint shared state (breakers, health) from the state table.
 * The warm hot path reads it from memory; when it is older than the TTL a background refresh is
 * started and the current copy keeps serving (stale-while-revalidate). Only a cold instance waits,
 * once, for the first load. If DynamoDB is unreachable the last copy (or nothing: fail open) serves.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoHealth } from './dynamo-health';
import { batchGetAll, type Item } from './operations';

export type StateKind = 'breaker' | 'health';
export type { Item };

export const endpointPk = (endpointId: string) => `endpoint#${endpointId}`;

export interface StateSnapshot {
  get(endpointId: string, kind: StateKind): Item | undefined;
  /** Records what this instance just wrote (or read consistently), ahead of the next refresh. */
  put(endpointId: string, kind: StateKind, item: Item): void;
  /** Cheap when warm; awaits only the very first load. */
  ensureFresh(): Promise<void>;
  refresh(): Promise<void>;
  loadedAt(): number;
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

const KINDS: StateKind[] = ['breaker', 'health'];

export function createStateSnapshot(opts: SnapshotOptions): StateSnapshot {
  const items = new Map<string, Item>();
  let loadedAt = 0;
  let inflight: Promise<void> | null = null;
  let firstLoad: Promise<void> | null = null;
  const key = (id: string, kind: StateKind) => `${id}|${kind}`;

  async function load(): Promise<void> {
    const keys = opts.endpointIds.flatMap((id) =>
      KINDS.map((kind) => ({ pk: { S: endpointPk(id) }, sk: { S: kind } })),
    );
    const fresh = new Map<string, Item>();
    for (const item of await batchGetAll(opts.ddb, opts.table, keys, false)) {
      fresh.set(key(item.pk.S!.slice(endpointPk('').length), item.sk.S as StateKind), item);
    }
    items.clear();
    for (const [k, v] of fresh) items.set(k, v);
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
    get: (id, kind) => items.get(key(id, kind)),
    put: (id, kind, item) => {
      items.set(key(id, kind), item);
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
