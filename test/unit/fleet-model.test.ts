/** The capacity bench's fleet model (bench/fleet-model.ts): arithmetic that decides a reported ceiling. */
import { fleetCeiling, fullestBin, isPerInstanceKey } from '../../bench/fleet-model';

describe('fullestBin', () => {
  it('is the whole count with one bin and zero with no balls', () => {
    expect(fullestBin(37, 1)).toBe(37);
    expect(fullestBin(0, 64)).toBe(0);
  });

  it('sits above the mean by a margin that shrinks relative to it as the fleet grows', () => {
    const small = fullestBin(64, 64) / 1;
    const large = fullestBin(64_000, 64) / 1000;
    expect(small).toBeGreaterThanOrEqual(4);
    expect(large).toBeGreaterThan(1);
    expect(large).toBeLessThan(1.2);
  });

  it('matches a simulation of random placement at its tail', () => {
    let seed = 7;
    const rnd = () => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32;
    const trials = 400;
    const bound = fullestBin(2000, 64);
    let over = 0;
    for (let t = 0; t < trials; t++) {
      const bins = new Array(64).fill(0);
      for (let i = 0; i < 2000; i++) bins[Math.floor(rnd() * 64)]++;
      if (Math.max(...bins) > bound) over++;
    }
    expect(over / trials).toBeLessThan(0.05);
  });
});

describe('fleetCeiling', () => {
  const key = (k: string) => `switchyard-cost ${k}`;

  it('tells holder partitions from shared keys', () => {
    expect(isPerInstanceKey(key('holder#12'))).toBe(true);
    expect(isPerInstanceKey(key('q#budget#key#k1#d2026-12-07#3'))).toBe(false);
    expect(isPerInstanceKey(key('slot#gpt-4.1#0'))).toBe(false);
  });

  it('one shared key taking every write caps the fleet at 1,000 / its units per request', () => {
    const r = fleetCeiling({
      partitions: [{ key: key('ledger#2026-12-06'), writeUnits: 6000 }],
      requests: 1000,
      holderPartitions: 64,
      requestSeconds: 1,
    });
    expect(r.ceiling).toBeCloseTo(1000 / 6, 5);
    expect(r.perInstanceCeiling).toBe(Number.POSITIVE_INFINITY);
  });

  it('per-instance writes spread over the partitions: more partitions, higher ceiling, below the even split', () => {
    const partitions = [
      { key: key('holder#1'), writeUnits: 700 },
      { key: key('holder#2'), writeUnits: 500 },
      { key: key('q#budget#global#d#0'), writeUnits: 10 },
    ];
    const at = (holderPartitions: number) =>
      fleetCeiling({ partitions, requests: 1000, holderPartitions, requestSeconds: 1 });
    const p16 = at(16);
    const p64 = at(64);
    expect(p16.perInstanceWcu).toBeCloseTo(1.2, 5);
    expect(p64.perInstanceCeiling).toBeGreaterThan(p16.perInstanceCeiling * 3);
    expect(p64.perInstanceCeiling).toBeLessThan((64 * 1000) / 1.2);
    expect(p64.sharedKey).toBe(key('q#budget#global#d#0'));
    expect(p64.sharedCeiling).toBeCloseTo(100_000, 0);
    expect(p64.ceiling).toBe(Math.min(p64.perInstanceCeiling, p64.sharedCeiling));
  });

  it('shorter requests mean fewer, busier instances and a lower ceiling', () => {
    const partitions = [{ key: key('holder#1'), writeUnits: 1200 }];
    const long = fleetCeiling({ partitions, requests: 1000, holderPartitions: 64, requestSeconds: 2 });
    const short = fleetCeiling({ partitions, requests: 1000, holderPartitions: 64, requestSeconds: 0.1 });
    expect(short.perInstanceCeiling).toBeLessThan(long.perInstanceCeiling);
  });
});
