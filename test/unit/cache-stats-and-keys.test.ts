/**
 * The response cache in the stats report (hits count in the day's total through `cached#` rows,
 * misses and savings per scope, the terminal table) and in key records (`cacheTtlSeconds`).
 */
import { keyFieldProblems } from '../../functions/core/keys';
import { latencyBucket } from '../../functions/core/latency-histogram';
import { dayStats, type UsageRow } from '../../functions/core/stats/stats-report';
import { parseTableRow, renderDay } from '../../bin/lib/stats-table';

function row(scope: string, over: Partial<UsageRow> = {}): UsageRow {
  return {
    scope,
    requests: 0,
    successes: 0,
    errors: 0,
    promptTokens: 0,
    completionTokens: 0,
    costMicros: 0,
    latency: { [latencyBucket(20)]: over.requests ?? 0 },
    ...over,
  };
}

describe('response cache in /v1/stats', () => {
  const usage = [
    row('model#gpt-4.1', { requests: 4, successes: 4, costMicros: 4_000, cacheMisses: 3 }),
    row('cached#gpt-4.1', { requests: 6, successes: 6, cacheHits: 6, savedMicros: 6_000 }),
    row('route#chat-default', {
      requests: 10,
      successes: 10,
      costMicros: 4_000,
      cacheHits: 6,
      cacheMisses: 3,
      savedMicros: 6_000,
    }),
    row('key#key_a', {
      requests: 7,
      successes: 7,
      costMicros: 1_000,
      cacheHits: 5,
      cacheMisses: 1,
      savedMicros: 5_000,
    }),
    row('key#key_b', {
      requests: 3,
      successes: 3,
      costMicros: 3_000,
      cacheHits: 1,
      cacheMisses: 2,
      savedMicros: 1_000,
    }),
    row('route#auto', { requests: 2, successes: 2 }),
  ];

  it('counts hits in the day`s total (through their cached# row) but never as a model`s requests', () => {
    const d = dayStats('2026-12-01', usage);
    expect(d.total).toMatchObject({
      requests: 10,
      costMicros: 4_000,
      cacheHits: 6,
      cacheMisses: 3,
      savedMicros: 6_000,
    });
    expect(d.total.savedUsd).toBe('0.006000');
    expect(d.models.map((m) => [m.name, m.requests, m.cacheHits])).toEqual([['gpt-4.1', 4, 0]]);
    expect(d.scopes.find((s) => s.scope === 'key#key_a')).toMatchObject({
      cacheHits: 5,
      cacheMisses: 1,
      savedMicros: 5_000,
      savedUsd: '0.005000',
    });
  });

  it('reads absent cache counters as zero (rows written before the cache existed)', () => {
    expect(dayStats('2026-12-01', [row('route#auto', { requests: 1 })]).scopes[0]).toMatchObject({
      cacheHits: 0,
      cacheMisses: 0,
      savedMicros: 0,
      savedUsd: '0.000000',
    });
  });

  it('prints a cache table with the routes and keys that used it, and the same figures as the JSON', () => {
    const d = dayStats('2026-12-01', usage);
    const lines = renderDay(d).split('\n');
    const header = lines.findIndex((l) => l.startsWith('response cache'));
    expect(header).toBeGreaterThan(0);
    const rows = lines.slice(header + 1).map(parseTableRow);
    expect(rows).toEqual([
      ['total', '6', '3', '66.7%', '0.006000'],
      ['key key_a', '5', '1', '83.3%', '0.005000'],
      ['key key_b', '1', '2', '33.3%', '0.001000'],
      ['route chat-default', '6', '3', '66.7%', '0.006000'],
    ]);
  });

  it('prints no cache table on a day without lookups', () => {
    expect(renderDay(dayStats('2026-12-01', [row('model#gpt-4.1', { requests: 1 })]))).not.toContain('response cache');
  });
});

describe('cacheTtlSeconds on a key', () => {
  it.each([0, 1, 3_600, 2_592_000])('accepts %p', (cacheTtlSeconds) => {
    expect(keyFieldProblems({ name: 'k', cacheTtlSeconds })).toEqual([]);
  });

  it.each([-1, 1.5, 2_592_001, Number.NaN])('refuses %p naming the field', (cacheTtlSeconds) => {
    expect(keyFieldProblems({ name: 'k', cacheTtlSeconds })).toEqual([
      expect.stringMatching(/^cacheTtlSeconds: must be a whole number between 0 and 2592000$/),
    ]);
  });
});
