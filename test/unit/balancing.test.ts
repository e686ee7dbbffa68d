import { countStatuses, poolStatus } from '../../functions/core/balancing/pool-status';
import {
  chooseEndpoint,
  leastInflight,
  lowestLatency,
  roundRobin,
  usableTier,
  weighted,
  type EndpointCondition,
  type EndpointView,
  type PoolEndpoint,
} from '../../functions/core/balancing/strategies';
import type { Balancing } from '../../functions/core/config/schema';
import { seeded } from '../../local/seeded-random';

const ep = (id: string, weight = 1, region?: string): PoolEndpoint => ({ id, weight, region });
const A = ep('a', 1, 'us-east-1');
const B = ep('b', 3, 'eu-west-1');
const C = ep('c', 1, 'us-east-1');

const views =
  (v: Record<string, Partial<EndpointView>>) =>
  (id: string): EndpointView => ({ status: 'unknown', ...v[id] });
const none = (): EndpointView => ({ status: 'unknown' });
const zero = () => 0;

describe('usable tier', () => {
  it.each<[string, Record<string, EndpointCondition>, string[]]>([
    ['everything unknown: all usable', {}, ['a', 'b', 'c']],
    ['down endpoints are out', { a: 'down' }, ['b', 'c']],
    ['degraded only when nothing healthy is left', { a: 'degraded', b: 'healthy', c: 'down' }, ['b']],
    ['unknown counts as healthy', { a: 'degraded', b: 'unknown', c: 'down' }, ['b']],
    ['all degraded or down: the degraded ones', { a: 'degraded', b: 'down', c: 'degraded' }, ['a', 'c']],
    ['all down: nothing', { a: 'down', b: 'down', c: 'down' }, []],
  ])('%s', (_, status, expected) => {
    const health = (id: string): EndpointView => ({ status: status[id] ?? 'unknown' });
    expect(usableTier([A, B, C], health).map((e) => e.id)).toEqual(expected);
  });
});

describe('strategies', () => {
  it('round robin cycles through the pool', () => {
    expect([0, 1, 2, 3, 4].map((c) => roundRobin([A, B, C], c)!.id)).toEqual(['a', 'b', 'c', 'a', 'b']);
    expect(roundRobin([], 3)).toBeUndefined();
  });

  it('weighted: 1,000 picks land within 5 points of the weights (1:3)', () => {
    const draw = seeded(42);
    const counts = { a: 0, b: 0 } as Record<string, number>;
    for (let i = 0; i < 1000; i++) counts[weighted([A, B], draw())!.id]++;
    expect(Math.abs(counts.b / 1000 - 0.75)).toBeLessThan(0.05);
    expect(Math.abs(counts.a / 1000 - 0.25)).toBeLessThan(0.05);
  });

  it('weighted: the draw maps onto cumulative weights', () => {
    expect(weighted([A, B], 0)!.id).toBe('a');
    expect(weighted([A, B], 0.249)!.id).toBe('a');
    expect(weighted([A, B], 0.25)!.id).toBe('b');
    expect(weighted([A, B], 0.999)!.id).toBe('b');
    expect(weighted([], 0.5)).toBeUndefined();
  });

  it.each<[string, Record<string, number>, number, string]>([
    ['prefers the idle endpoint', { a: 3, b: 0, c: 1 }, 0, 'b'],
    ['the least busy one', { a: 2, b: 5, c: 1 }, 0.9, 'c'],
    ['ties split by weight (low draw)', { a: 0, b: 0, c: 4 }, 0.1, 'a'],
    ['ties split by weight (high draw)', { a: 0, b: 0, c: 4 }, 0.9, 'b'],
  ])('least in-flight %s', (_, load, draw, expected) => {
    expect(leastInflight([A, B, C], (id) => load[id], draw)!.id).toBe(expected);
  });

  it.each<[string, Record<string, Partial<EndpointView>>, string | undefined, string]>([
    ['picks the faster of two endpoints', { a: { latencyEwmaMs: 400 }, b: { latencyEwmaMs: 120 } }, undefined, 'b'],
    [
      'prefers the caller region even when slower',
      { a: { latencyEwmaMs: 400 }, b: { latencyEwmaMs: 120 }, c: { latencyEwmaMs: 300 } },
      'us-east-1',
      'c',
    ],
    ['region match is case-insensitive', { a: { latencyEwmaMs: 50 }, b: { latencyEwmaMs: 120 } }, 'EU-WEST-1', 'b'],
    [
      'a region with no endpoint falls back to all',
      { a: { latencyEwmaMs: 400 }, b: { latencyEwmaMs: 120 } },
      'ap-south-1',
      'b',
    ],
    ['measured beats unmeasured', { a: { latencyEwmaMs: 900 } }, undefined, 'a'],
  ])('latency %s', (_, v, region, expected) => {
    expect(lowestLatency([A, B, C], views(v), region, 0.5)!.id).toBe(expected);
  });

  it('latency with nothing measured falls back to weights', () => {
    expect(lowestLatency([A, B], none, undefined, 0.1)!.id).toBe('a');
    expect(lowestLatency([A, B], none, undefined, 0.9)!.id).toBe('b');
  });
});

describe('chooseEndpoint', () => {
  const base = { inflight: zero, draw: 0.1, cursor: 0 };

  it.each<[Balancing, string]>([
    ['round_robin', 'b'],
    ['weighted', 'b'],
    ['least_inflight', 'b'],
    ['latency', 'b'],
  ])('%s never picks a down endpoint while another is usable', (strategy, expected) => {
    const health = views({ a: { status: 'down', latencyEwmaMs: 1 }, b: { status: 'healthy', latencyEwmaMs: 500 } });
    for (let cursor = 0; cursor < 4; cursor++) {
      expect(chooseEndpoint(strategy, { ...base, cursor, endpoints: [A, B], health })!.id).toBe(expected);
    }
  });

  it('uses a degraded endpoint only when nothing healthy is left, and nothing when all are down', () => {
    const degraded = views({ a: { status: 'down' }, b: { status: 'degraded' } });
    expect(chooseEndpoint('weighted', { ...base, endpoints: [A, B], health: degraded })!.id).toBe('b');
    const mixed = views({ a: { status: 'healthy' }, b: { status: 'degraded' } });
    expect(chooseEndpoint('weighted', { ...base, draw: 0.99, endpoints: [A, B], health: mixed })!.id).toBe('a');
    const allDown = views({ a: { status: 'down' }, b: { status: 'down' } });
    expect(chooseEndpoint('weighted', { ...base, endpoints: [A, B], health: allDown })).toBeUndefined();
  });
});

describe('pool status', () => {
  it.each<[EndpointCondition[], EndpointCondition]>([
    [['healthy', 'down'], 'healthy'],
    [['unknown', 'down'], 'unknown'],
    [['degraded', 'down'], 'degraded'],
    [['down', 'down'], 'down'],
    [[], 'unknown'],
  ])('%j -> %s', (statuses, expected) => {
    expect(poolStatus(statuses)).toBe(expected);
  });

  it('counts statuses', () => {
    expect(countStatuses(['healthy', 'down', 'down', 'unknown'])).toEqual({
      healthy: 1,
      degraded: 0,
      down: 2,
      unknown: 1,
    });
  });
});
