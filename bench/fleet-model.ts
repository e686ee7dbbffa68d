/**
 * From a bench run's per-partition-key counts to the request rate a real Lambda fleet could carry.
 *
 * The capacity bench runs a handful of router instances, so each of them carries hundreds of
 * requests a second. A Lambda instance serves one request at a time: at R requests a second with
 * requests lasting d seconds, the fleet has about R·d instances, each at 1/d requests a second. Two
 * kinds of partition keys then behave differently:
 *
 * - **Per-instance keys** (`holder#<n>`: holder records and usage items). An instance writes only
 *   its own, and instances hash onto `partitions` keys. A key's load is the write rate of the
 *   instances that landed on it, so what matters is the units per request of all such keys
 *   together (H), the number of partitions and how unevenly a fleet of R·d instances spreads over
 *   them. The hottest partition is taken as the 99th-percentile fullest bin (Poisson tail).
 * - **Shared keys** (a scope's shards, a model's concurrency shards): their load is the fleet's
 *   request rate times their units per request, as measured.
 *
 * The ceiling is the lower of the two. Pure arithmetic, tested in test/unit/fleet-model.test.ts.
 */

export const WCU_PER_PARTITION_KEY = 1000;

export interface PartitionCount {
  key: string;
  writeUnits: number;
}

export interface FleetInput {
  /** Every partition key's write units over the counted requests. */
  partitions: PartitionCount[];
  requests: number;
  /** Holder partitions the run was configured with (sharedState.holderPartitions). */
  holderPartitions: number;
  /** Mean request duration in seconds (an instance serves one request at a time). */
  requestSeconds: number;
}

export interface FleetCeiling {
  /** Write units per request on per-instance keys, all of them together. */
  perInstanceWcu: number;
  /** Requests/s at which the fullest holder partition reaches 1,000 WCU/s. */
  perInstanceCeiling: number;
  /** The hottest shared key and its units per request. */
  sharedKey: string | null;
  sharedWcu: number;
  sharedCeiling: number;
  /** The lower of the two. */
  ceiling: number;
}

const PER_INSTANCE = /(^|\s)holder#\d+$/;

export function isPerInstanceKey(key: string): boolean {
  return PER_INSTANCE.test(key);
}

/**
 * The fullest of `bins` bins when `balls` are thrown at random, at the given tail probability:
 * the smallest m with bins·P[X > m] <= tail, X ~ Poisson(balls / bins).
 */
export function fullestBin(balls: number, bins: number, tail = 0.01): number {
  if (balls <= 0) return 0;
  if (bins <= 1) return balls;
  const lambda = balls / bins;
  // P[X > m] = 1 - CDF(m), accumulated in log space so large lambdas do not underflow.
  let logP = -lambda;
  let cdf = Math.exp(logP);
  let m = 0;
  while (bins * (1 - cdf) > tail && m < balls) {
    m++;
    logP += Math.log(lambda) - Math.log(m);
    cdf += Math.exp(logP);
  }
  return Math.max(m, Math.ceil(lambda));
}

/** The highest rate (to 1%) at which `load(rate)` stays at or under the limit; load grows with rate. */
function highestRate(load: (rate: number) => number, limit: number): number {
  if (load(1) > limit) return 0;
  let lo = 1;
  let hi = 2;
  while (load(hi) <= limit) {
    lo = hi;
    hi *= 2;
    if (hi > 1e9) return Number.POSITIVE_INFINITY;
  }
  while (hi - lo > lo * 0.01) {
    const mid = (lo + hi) / 2;
    if (load(mid) <= limit) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * What it takes to carry `target` req/s: the fewest holder partitions at which the per-instance keys
 * reach it, and how many times its shards the hottest shared key's scope (or model cap) would need
 * (shared keys split evenly when a scope has more shards; takers pick a shard at random).
 */
export function settingsFor(
  input: FleetInput,
  target: number,
): { holderPartitions: number; sharedShardFactor: number } {
  const at = (holderPartitions: number) => fleetCeiling({ ...input, holderPartitions }).perInstanceCeiling;
  let lo = input.holderPartitions;
  let hi = lo;
  if (at(lo) < target) {
    while (at(hi) < target && hi < 1 << 20) hi *= 2;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (at(mid) >= target) hi = mid;
      else lo = mid;
    }
  }
  const shared = fleetCeiling(input).sharedCeiling;
  return { holderPartitions: hi, sharedShardFactor: Math.max(1, Math.ceil(target / shared)) };
}

export function fleetCeiling(input: FleetInput): FleetCeiling {
  const n = Math.max(1, input.requests);
  let perInstance = 0;
  let shared: PartitionCount | null = null;
  for (const p of input.partitions) {
    if (isPerInstanceKey(p.key)) perInstance += p.writeUnits;
    else if (!shared || p.writeUnits > shared.writeUnits) shared = p;
  }
  const perInstanceWcu = perInstance / n;
  const sharedWcu = (shared?.writeUnits ?? 0) / n;
  const d = input.requestSeconds;
  // Each instance writes perInstanceWcu units per request at 1/d requests a second.
  const perInstanceCeiling =
    perInstanceWcu > 0
      ? highestRate(
          (rate) => (perInstanceWcu / d) * fullestBin(Math.max(1, Math.ceil(rate * d)), input.holderPartitions),
          WCU_PER_PARTITION_KEY,
        )
      : Number.POSITIVE_INFINITY;
  const sharedCeiling = sharedWcu > 0 ? WCU_PER_PARTITION_KEY / sharedWcu : Number.POSITIVE_INFINITY;
  return {
    perInstanceWcu,
    perInstanceCeiling,
    sharedKey: shared?.key ?? null,
    sharedWcu,
    sharedCeiling,
    ceiling: Math.min(perInstanceCeiling, sharedCeiling),
  };
}

/** What a partition key holds, for the breakdown of a request's writes (`<table> <partition key>`). */
export function keyKind(key: string): string {
  const pk = key.slice(key.indexOf(' ') + 1);
  if (pk.startsWith('holder#')) return 'holder records and usage items';
  if (pk.startsWith('q#budget#global#')) return 'global budget';
  if (pk.startsWith('q#budget#model#')) return 'model budgets';
  if (pk.startsWith('q#budget#key#')) return 'key budgets';
  if (pk.startsWith('q#rpm#')) return 'key RPM';
  if (pk.startsWith('q#tpm#')) return 'key TPM';
  if (pk.startsWith('slot#key#')) return 'key concurrency';
  if (pk.startsWith('slot#')) return 'model concurrency';
  return 'other';
}

export interface KindCost {
  writeRequests: number;
  writeUnits: number;
}

/** Write requests and units per chat request, by what the keys hold. */
export function costByKind(
  partitions: Array<PartitionCount & { writeRequests: number }>,
  requests: number,
): Record<string, KindCost> {
  const n = Math.max(1, requests);
  const out: Record<string, KindCost> = {};
  for (const p of partitions) {
    const k = (out[keyKind(p.key)] ??= { writeRequests: 0, writeUnits: 0 });
    k.writeRequests += p.writeRequests / n;
    k.writeUnits += p.writeUnits / n;
  }
  return out;
}
