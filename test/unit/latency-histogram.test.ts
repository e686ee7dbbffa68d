import { latencyBucket, mergeHistograms, quantileMs } from '../../functions/core/latency-histogram';

describe('latency histogram', () => {
  it('estimates quantiles within one bucket (12%)', () => {
    const hist: Record<number, number> = {};
    for (let ms = 1; ms <= 1000; ms++) hist[latencyBucket(ms)] = (hist[latencyBucket(ms)] ?? 0) + 1;
    const p50 = quantileMs(hist, 0.5)!;
    const p99 = quantileMs(hist, 0.99)!;
    expect(p50).toBeGreaterThanOrEqual(500);
    expect(p50).toBeLessThanOrEqual(560);
    expect(p99).toBeGreaterThanOrEqual(990);
    expect(p99).toBeLessThanOrEqual(1110);
  });

  it('handles empty and merged histograms', () => {
    expect(quantileMs({}, 0.5)).toBeNull();
    expect(mergeHistograms({ 1: 2 }, { 1: 3, 4: 1 })).toEqual({ 1: 5, 4: 1 });
    expect(latencyBucket(0)).toBe(0);
  });
});
