/**
 * How big a slice to take. Large while the shard has plenty left, so a busy instance pays one
 * conditional write for many requests; shrinking as the shard empties or as more instances hold
 * slices of it, so no idle instance strands quota another one needs; down to exactly one request's
 * worst case near the limit (then a slice is a per-request hold, as the ledger always did).
 * Pure: `availSeen` and `holdersSeen` are what the shard item said after this instance's last take.
 */
export interface SliceSizing {
  /** A slice covers at most this many requests' worth of `need`. */
  requestsPerSlice: number;
  /** A taker claims at most 1/(spread x (holders + 1)) of what the shard has left. */
  spread: number;
  /** Below this many requests' worth left in the shard, take per request. */
  perRequestBelow: number;
  /**
   * A scope whose whole limit is worth fewer requests than this is held per request: it cannot be
   * hot (it runs out after a few dozen requests), and slices of it would strand in idle instances
   * what the next request needs (rpm=5, a $0.05 key).
   */
  slicesFromRequests: number;
}

export const DEFAULT_SIZING: SliceSizing = {
  requestsPerSlice: 32,
  spread: 2,
  perRequestBelow: 4,
  slicesFromRequests: 64,
};

export function sliceSize(
  need: number,
  seen: { avail?: number; holders?: number },
  sizing: SliceSizing = DEFAULT_SIZING,
  limit = Number.POSITIVE_INFINITY,
): { amount: number; perRequest: boolean } {
  if (limit < need * sizing.slicesFromRequests) return { amount: need, perRequest: true };
  const want = need * sizing.requestsPerSlice;
  if (seen.avail === undefined) return { amount: Math.max(need, want), perRequest: false };
  if (seen.avail < need * sizing.perRequestBelow) return { amount: need, perRequest: true };
  const share = Math.floor(seen.avail / (sizing.spread * (Math.max(0, seen.holders ?? 0) + 1)));
  const amount = Math.max(need, Math.min(want, share));
  return { amount, perRequest: amount === need };
}
