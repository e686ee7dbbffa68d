/**
 * Latencies go into HdrHistograms (hdr-histogram-js) at microsecond resolution, 3 significant
 * digits: percentiles come from the library, never from hand-sorted arrays.
 */
import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

export function latencyHistogram(): Histogram {
  // Up to 60 s in µs; the JS implementation (no WebAssembly) keeps it simple and is fast enough here.
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
}

export function recordMs(h: Histogram, ms: number): void {
  h.recordValue(Math.max(1, Math.round(ms * 1000)));
}

/** Percentile in milliseconds. */
export function pctMs(h: Histogram, p: number): number {
  return h.totalCount === 0 ? Number.NaN : h.getValueAtPercentile(p) / 1000;
}

/** Percentile in microseconds. */
export function pctUs(h: Histogram, p: number): number {
  return h.totalCount === 0 ? Number.NaN : h.getValueAtPercentile(p);
}
