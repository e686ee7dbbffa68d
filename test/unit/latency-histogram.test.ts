import { latencyBucket, meanMs, mergeHistograms, quantileMs } from '../../functions/core/latency-histogram';
import { seeded } from '../../local/seeded-random';

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

  it('estimates the mean within half a bucket (6%), whatever the spread', () => {
    const random = seeded(11);
    const shapes: Array<() => number> = [
      () => 850,
      () => 100 + random() * 900,
      () => 200 * Math.exp(random() * 3),
      () => (random() < 0.9 ? 300 : 5000),
    ];
    for (const draw of shapes) {
      const hist: Record<number, number> = {};
      let sum = 0;
      for (let i = 0; i < 5000; i++) {
        const ms = draw();
        sum += ms;
        hist[latencyBucket(ms)] = (hist[latencyBucket(ms)] ?? 0) + 1;
      }
      const exact = sum / 5000;
      expect(Math.abs(meanMs(hist)! - exact) / exact).toBeLessThan(0.06);
    }
    expect(meanMs({})).toBeNull();
  });
});
