/**
 * Quotas shared by every router instance: daily (and monthly) budgets in micro-dollars, and per-key
 * request and token rates. One model serves all of them: a scope has a limit split over shards
 * (each its own DynamoDB partition), instances take *slices* of a shard's remaining quota and spend
 * them in memory (docs/architecture/shared-state.md).
 *
 * Budget units are spent for good. Rate units come back 60 s after their last use, which makes a
 * rate limit hold over every sliding 60-second window, not only over fixed minutes: everything
 * admitted inside any 60 s span is still out of the pool at its end, and the pool never holds
 * more than the limit.
 */
export type QuotaKind = 'budget' | 'rpm' | 'tpm';

export interface QuotaScope {
  kind: QuotaKind;
  /** `global`, `key#<keyId>` or `model#<modelId>`. */
  id: string;
  /** Budgets: `d2026-12-06` (UTC day) or `m2026-12` (UTC month). Rate quotas: `rolling`. */
  period: string;
  /** Whole-scope limit in units (micro-dollars, requests or tokens). */
  limit: number;
  /** How many partition keys the scope is spread over. */
  shards: number;
}

/** Rate units stay out of the pool this long after their last use. */
export const RATE_HOLD_MS = 60_000;

export const ROLLING = 'rolling';

export function scopeKey(s: Pick<QuotaScope, 'kind' | 'id' | 'period'>): string {
  return `${s.kind}|${s.id}|${s.period}`;
}

/** Units of this kind come back to the pool after use (rates), or never (budgets). */
export function unitsReturn(kind: QuotaKind): boolean {
  return kind !== 'budget';
}

/**
 * Shards of a scope: the configured spread, but never so many that a shard's share falls below
 * `minShareUnits` (a $0.01 key needs no 16 partitions, and tiny shares fragment the last requests).
 */
export function shardCount(limit: number, wanted: number, minShareUnits: number): number {
  if (!(limit > 0)) return 1;
  const byShare = Math.floor(limit / Math.max(1, minShareUnits));
  return Math.max(1, Math.min(wanted, byShare));
}

/**
 * A shard's share of the limit: the shares add up to the limit exactly (the first `limit % n`
 * shards carry one unit more).
 */
export function shardShare(limit: number, shards: number, shard: number): number {
  const base = Math.floor(limit / shards);
  return base + (shard < limit % shards ? 1 : 0);
}

/** Shards in the order a taker tries them: from a random start, every shard once. */
export function shardOrder(shards: number, random: number): number[] {
  const start = Math.floor(random * shards) % shards;
  return Array.from({ length: shards }, (_, i) => (start + i) % shards);
}

export function utcMonth(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}
