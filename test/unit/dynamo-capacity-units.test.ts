import {
  itemSize,
  numberSize,
  PerSecondPeak,
  readUnits,
  TokenBucket,
  valueSize,
  writeUnits,
} from '../../local/dynamo-capacity-units';

describe('DynamoDB item size', () => {
  it.each([
    ['0', 1],
    ['7', 2],
    ['123', 3],
    ['1234', 3],
    ['1000', 2],
    ['0.0012', 2],
    ['-1.50', 3],
    ['12345678901234567890', 11],
    ['1.5E+3', 2],
  ])('number %s takes %i bytes', (n, bytes) => {
    expect(numberSize(n)).toBe(bytes);
  });

  it('strings count UTF-8 bytes, binaries raw bytes, booleans and nulls one byte', () => {
    expect(valueSize({ S: 'abc' })).toBe(3);
    expect(valueSize({ S: 'été' })).toBe(5);
    expect(valueSize({ B: Buffer.from([1, 2, 3, 4]).toString('base64') })).toBe(4);
    expect(valueSize({ BOOL: false })).toBe(1);
    expect(valueSize({ NULL: true })).toBe(1);
    expect(valueSize({ SS: ['a', 'bc'] })).toBe(3);
    expect(valueSize({ NS: ['1', '123'] })).toBe(2 + 3);
  });

  it('lists and maps cost 3 bytes plus one per element plus the elements (map names included)', () => {
    expect(valueSize({ L: [] })).toBe(3);
    expect(valueSize({ L: [{ S: 'ab' }, { BOOL: true }] })).toBe(3 + (1 + 2) + (1 + 1));
    expect(valueSize({ M: { k: { S: 'v' }, nn: { N: '5' } } })).toBe(3 + (1 + 1 + 1) + (1 + 2 + 2));
  });

  it('an item is its attribute names plus values', () => {
    expect(itemSize({ pk: { S: 'ledger#2026-12-06' }, sk: { S: 'global' }, spent: { N: '123456' } })).toBe(
      2 + 17 + 2 + 6 + 5 + 4,
    );
    expect(itemSize(undefined)).toBe(0);
    expect(itemSize({})).toBe(0);
  });
});

describe('capacity units', () => {
  it.each([
    [0, 0, 1],
    [1024, 0, 1],
    [1025, 0, 2],
    [100, 3000, 3],
    [3000, 100, 3],
    [400 * 1024, 400 * 1024, 400],
  ])('a write from %i to %i bytes costs %i WCU', (before, after, units) => {
    expect(writeUnits(before, after)).toBe(units);
  });

  it.each([
    [0, true, 1],
    [0, false, 0.5],
    [4096, true, 1],
    [4097, true, 2],
    [4097, false, 1],
    [12_000, false, 1.5],
  ])('reading %i bytes (consistent %s) costs %d RCU', (bytes, consistent, units) => {
    expect(readUnits(bytes, consistent)).toBe(units);
  });
});

describe('token bucket per partition key', () => {
  it('starts full with one second of capacity and refills at the rate', () => {
    const b = new TokenBucket({ ratePerSecond: 1000 }, 0);
    expect(b.available(0)).toBe(1000);
    b.debit(0, 1000);
    expect(b.admits(0)).toBe(false);
    expect(b.admits(0.0005)).toBe(false);
    expect(b.admits(0.001)).toBe(true);
    expect(b.available(0.5)).toBeCloseTo(500, 6);
  });

  it('keeps at most burstSeconds of unused capacity', () => {
    expect(new TokenBucket({ ratePerSecond: 1000 }, 0).available(300)).toBe(1000);
    expect(new TokenBucket({ ratePerSecond: 1000, burstSeconds: 5 }, 0).available(300)).toBe(5000);
  });

  it('a request that cost more than was left puts the key in debt until refill pays it back', () => {
    const b = new TokenBucket({ ratePerSecond: 1000 }, 0);
    b.debit(0, 1500);
    expect(b.available(0)).toBe(-500);
    expect(b.admits(0.5)).toBe(false);
    expect(b.admits(0.501)).toBe(true);
  });

  it('sustains exactly the rate: 10 simulated seconds admit 1,000 x 10 + the initial second of 1-unit writes', () => {
    const b = new TokenBucket({ ratePerSecond: 1000 }, 0);
    let admitted = 0;
    // Offered load of 5,000 writes/s, one every 0.2 ms.
    for (let i = 0; i <= 50_000; i++) {
      const t = i * 0.0002;
      if (b.admits(t)) {
        b.debit(t, 1);
        admitted++;
      }
    }
    expect(admitted).toBeGreaterThanOrEqual(10_999);
    expect(admitted).toBeLessThanOrEqual(11_001);
  });

  it('records the busiest whole second', () => {
    const p = new PerSecondPeak();
    p.add(0.1, 5);
    p.add(0.9, 5);
    p.add(1.2, 3);
    p.add(2.5, 12);
    p.add(3.0, 1);
    expect(p.peak).toBe(12);
  });
});
