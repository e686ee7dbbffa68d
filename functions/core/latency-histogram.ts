/**
 * Log-scale latency buckets (~12% wide) so p50/p99 can be kept as plain atomic counters in
 * DynamoDB: percentiles are read back from counts, with at most one bucket's error.
 */
const GROWTH = 1.12;
const LOG_GROWTH = Math.log(GROWTH);

export function latencyBucket(ms: number): number {
  if (!(ms > 1)) return 0;
  return Math.min(200, Math.ceil(Math.log(ms) / LOG_GROWTH));
}

/** Upper bound of a bucket in milliseconds. */
export function bucketUpperMs(bucket: number): number {
  return Math.round(Math.pow(GROWTH, bucket));
}

/** The q-quantile (0..1) of a histogram, as the upper bound of the bucket that holds it. */
export function quantileMs(hist: Record<number, number>, q: number): number | null {
  const entries = Object.entries(hist)
    .map(([b, c]) => [Number(b), c] as const)
    .filter(([, c]) => c > 0)
    .sort((a, b) => a[0] - b[0]);
  const total = entries.reduce((s, [, c]) => s + c, 0);
  if (total === 0) return null;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (const [b, c] of entries) {
    seen += c;
    if (seen >= rank) return bucketUpperMs(b);
  }
  return bucketUpperMs(entries[entries.length - 1][0]);
}

/**
 * The mean of a histogram, each sample taken at the middle of its bucket: within half a bucket
 * (~6%) of the exact mean, from the counters that are kept anyway (a sum would be one more
 * attribute per row in every instance's usage item, paid on each of its writes).
 */
export function meanMs(hist: Record<number, number>): number | null {
  let n = 0;
  let sum = 0;
  for (const [b, c] of Object.entries(hist)) {
    if (!(c > 0)) continue;
    const bucket = Number(b);
    const lower = bucket <= 0 ? 0 : Math.pow(GROWTH, bucket - 1);
    n += c;
    sum += c * ((lower + Math.pow(GROWTH, bucket)) / 2);
  }
  return n === 0 ? null : Math.round(sum / n);
}

export function mergeHistograms(a: Record<number, number>, b: Record<number, number>): Record<number, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[Number(k)] = (out[Number(k)] ?? 0) + v;
  return out;
}
