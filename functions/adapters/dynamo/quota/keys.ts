/**
 * Where quota state lives in the cost table. Every hot thing is spread over partition keys:
 * - a scope's shards: pk `q#<kind>#<scope>#<period>#<shard>`, sk `q` (attributes avail, lim, spent,
 *   sliced, holders);
 * - a model's concurrency shards: pk `slot#<model>#<shard>`, sk `q` (attribute inflight);
 * - one holder record per router instance: pk `holder#<n>` (n from the instance id, so the sweep
 *   finds every record with `holderPartitions` queries), sk `<day started>#<instance>.<generation>`;
 * - beside it, the instance's usage items, sk `<day>#<instance>.u<generation>.<n>`: usage counters
 *   (named by day) and the scope registry, written every `sharedState.usageFlushMs`.
 */
import type { QuotaScope } from '../../../core/quota/scope';

export const COUNTER_SK = 'q';

export const shardPk = (s: Pick<QuotaScope, 'kind' | 'id' | 'period'>, shard: number) =>
  `q#${s.kind}#${s.id}#${s.period}#${shard}`;

export const slotPk = (model: string, shard: number) => `slot#${model}#${shard}`;

/** How many slot shards a model's cap is split over: `sharedState.slotShards`, never more than the cap. */
export const slotShardCount = (slotShards: number, cap: number) => Math.max(1, Math.min(slotShards, cap));

export function holderPartition(instanceId: string, partitions: number): string {
  let h = 0;
  for (let i = 0; i < instanceId.length; i++) h = (Math.imul(h, 31) + instanceId.charCodeAt(i)) | 0;
  return `holder#${Math.abs(h) % partitions}`;
}

/** Attribute names inside a holder record. */
export const ATTR = {
  sliceDef: (id: string) => `sd_${id}`,
  sliceUsed: (id: string) => `su_${id}`,
  slot: (model: string, shard: number) => `sl_${model}#${shard}`,
  usage: (day: string, dim: string, counter: string) => `u_${day}|${dim}|${counter}`,
  scope: (kind: string, id: string, period: string) => `sc_${kind}|${id}|${period}`,
  /** An endpoint's calls (`c`), breaker failures (`f`) or call time (`ms`) in one breaker window (recent-calls.ts). */
  recent: (windowStart: number, endpoint: string, counter: 'c' | 'f' | 'ms') =>
    `w_${windowStart}|${endpoint}|${counter}`,
} as const;

/** Counter items outlive their period by this much before TTL may delete them (cleanup only). */
export const KEEP_SECONDS = 400 * 86_400;
