/** The capacity bench's fleet model (bench/fleet-model.ts): arithmetic that decides a reported ceiling. */
import { costByKind, fleetCeiling, fullestBin, isPerInstanceKey, settingsFor } from '../../bench/fleet-model';

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

describe('costByKind', () => {
  it('sorts every partition key by what it holds and sums per request', () => {
    const parts = [
      { key: 'switchyard-cost holder#3', writeRequests: 20, writeUnits: 30 },
      { key: 'switchyard-cost holder#9', writeRequests: 10, writeUnits: 10 },
      { key: 'switchyard-cost q#budget#global#d2026-12-07#4', writeRequests: 4, writeUnits: 4 },
      { key: 'switchyard-cost q#budget#model#gpt-4.1#d2026-12-07#0', writeRequests: 2, writeUnits: 2 },
      { key: 'switchyard-cost q#budget#key#k1#d2026-12-07#1', writeRequests: 2, writeUnits: 2 },
      { key: 'switchyard-cost q#rpm#key#k1#rolling#0', writeRequests: 6, writeUnits: 6 },
      { key: 'switchyard-cost q#tpm#key#k1#rolling#0', writeRequests: 8, writeUnits: 8 },
      { key: 'switchyard-cost slot#key#k1#0', writeRequests: 1, writeUnits: 1 },
      { key: 'switchyard-cost slot#gpt-4.1#2', writeRequests: 3, writeUnits: 3 },
      { key: 'switchyard-state breaker#x', writeRequests: 1, writeUnits: 1 },
    ];
    const by = costByKind(parts, 10);
    expect(by['holder records and usage items']).toEqual({ writeRequests: 3, writeUnits: 4 });
    expect(by['global budget'].writeRequests).toBeCloseTo(0.4);
    expect(by['model budgets'].writeRequests).toBeCloseTo(0.2);
    expect(by['key budgets'].writeRequests).toBeCloseTo(0.2);
    expect(by['key RPM'].writeRequests).toBeCloseTo(0.6);
    expect(by['key TPM'].writeRequests).toBeCloseTo(0.8);
    expect(by['key concurrency'].writeRequests).toBeCloseTo(0.1);
    expect(by['model concurrency'].writeRequests).toBeCloseTo(0.3);
    expect(by.other.writeRequests).toBeCloseTo(0.1);
    const total = Object.values(by).reduce((a, k) => a + k.writeRequests, 0);
    expect(total).toBeCloseTo(parts.reduce((a, p) => a + p.writeRequests, 0) / 10);
  });
});

describe('settingsFor', () => {
  const input = (perInstance: number, shared: number) => ({
    partitions: [
      { key: 'switchyard-cost holder#1', writeUnits: perInstance },
      { key: 'switchyard-cost slot#m#0', writeUnits: shared },
    ],
    requests: 1,
    holderPartitions: 64,
    requestSeconds: 1,
  });

  it('keeps the settings a target already fits', () => {
    expect(settingsFor(input(1, 0.01), 10_000)).toEqual({ holderPartitions: 64, sharedShardFactor: 1 });
  });

  it('finds the fewest holder partitions that carry the target, and the shard factor of the hottest shared key', () => {
    const need = settingsFor(input(4, 0.05), 50_000);
    const at = (p: number) => fleetCeiling({ ...input(4, 0.05), holderPartitions: p }).perInstanceCeiling;
    expect(at(need.holderPartitions)).toBeGreaterThanOrEqual(50_000);
    expect(at(need.holderPartitions - 1)).toBeLessThan(50_000);
    // 4 WCU a request over partitions of 1,000 WCU/s: at least 200 of them, more for the uneven spread.
    expect(need.holderPartitions).toBeGreaterThan(200);
    // 0.05 WCU a request on one shard: 20,000 req/s, so 3x its shards for 50,000.
    expect(need.sharedShardFactor).toBe(3);
  });
});
